-- Barnets plan: its frozen versions (the canonical JSON, its hash and verification code,
-- and the sign-off as JSON), the PDFs made of established versions (kept so that every
-- download is the same bytes, and looked up by hash to verify an uploaded PDF), and the
-- download links that outlive the meeting day's sessions.
CREATE TABLE plan_versions (
    meeting_id     text NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    version        integer NOT NULL,
    canonical      bytea NOT NULL,
    sha256         text NOT NULL,
    code           text NOT NULL UNIQUE,
    status         text NOT NULL,
    frozen_at      timestamptz NOT NULL,
    frozen_by      text NOT NULL,
    established_at timestamptz,
    signatures     jsonb NOT NULL,
    events         jsonb NOT NULL,
    PRIMARY KEY (meeting_id, version)
);

CREATE TABLE plan_pdfs (
    meeting_id text NOT NULL,
    version    integer NOT NULL,
    sha256     text NOT NULL UNIQUE,
    pdf        bytea NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (meeting_id, version),
    FOREIGN KEY (meeting_id, version) REFERENCES plan_versions(meeting_id, version) ON DELETE CASCADE
);

CREATE TABLE download_links (
    token_hash bytea PRIMARY KEY,
    meeting_id text NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    member_id  text NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX download_links_meeting ON download_links(meeting_id, member_id);
