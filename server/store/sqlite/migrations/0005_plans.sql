-- Barnets plan: its frozen versions (the canonical JSON, its hash and verification code,
-- and the sign-off as JSON), the PDFs made of established versions (kept so that every
-- download is the same bytes, and looked up by hash to verify an uploaded PDF), and the
-- download links that outlive the meeting day's sessions.
CREATE TABLE plan_versions (
    meeting_id     TEXT NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    version        INTEGER NOT NULL,
    canonical      BLOB NOT NULL,
    sha256         TEXT NOT NULL,
    code           TEXT NOT NULL UNIQUE,
    status         TEXT NOT NULL,
    frozen_at      INTEGER NOT NULL,
    frozen_by      TEXT NOT NULL,
    established_at INTEGER NOT NULL,
    signatures     TEXT NOT NULL,
    events         TEXT NOT NULL,
    PRIMARY KEY (meeting_id, version)
) STRICT;

CREATE TABLE plan_pdfs (
    meeting_id TEXT NOT NULL,
    version    INTEGER NOT NULL,
    sha256     TEXT NOT NULL UNIQUE,
    pdf        BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (meeting_id, version),
    FOREIGN KEY (meeting_id, version) REFERENCES plan_versions(meeting_id, version) ON DELETE CASCADE
) STRICT;

CREATE TABLE download_links (
    token_hash BLOB PRIMARY KEY,
    meeting_id TEXT NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    member_id  TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX download_links_meeting ON download_links(meeting_id, member_id);
