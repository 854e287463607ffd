-- The first schema: directory (organisations, teams, members, meetings), the op log and
-- the current version of every board entity, invites and sessions.
-- Times are Unix milliseconds (UTC). Tokens are stored only as SHA-256 hashes.

CREATE TABLE organisations (
    id       TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    huvudman TEXT NOT NULL
) STRICT;

CREATE TABLE teams (
    id               TEXT PRIMARY KEY,
    child_first_name TEXT NOT NULL,
    child_birth_year INTEGER NOT NULL,
    reason           TEXT NOT NULL,
    created_at       INTEGER NOT NULL
) STRICT;

CREATE TABLE members (
    id         TEXT PRIMARY KEY,
    team_id    TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL,
    org_id     TEXT REFERENCES organisations(id),
    title      TEXT NOT NULL,
    discoverer INTEGER NOT NULL,
    lang       TEXT NOT NULL,
    position   INTEGER NOT NULL
) STRICT;
CREATE INDEX members_team ON members(team_id, position);

CREATE TABLE meetings (
    id           TEXT PRIMARY KEY,
    team_id      TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    title        TEXT NOT NULL,
    scheduled_at INTEGER NOT NULL,
    epoch        TEXT NOT NULL,
    -- seq is the number of the meeting's last op; it only ever grows by one, inside the
    -- transaction that writes that op, so the log has no gaps.
    seq          INTEGER NOT NULL DEFAULT 0
) STRICT;

-- The op log: one row per applied op, the canonical change as JSON.
CREATE TABLE ops (
    meeting_id TEXT NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    cid        TEXT NOT NULL,
    actor      TEXT NOT NULL,
    change     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (meeting_id, seq),
    UNIQUE (meeting_id, cid)
) STRICT;

-- The current version of every entity of a board, so loading needs no replay.
CREATE TABLE entities (
    meeting_id TEXT NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    id         TEXT NOT NULL,
    data       TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    PRIMARY KEY (meeting_id, kind, id)
) STRICT;

CREATE TABLE invites (
    token_hash BLOB PRIMARY KEY,
    member_id  TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    meeting_id TEXT NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

CREATE TABLE sessions (
    token_hash BLOB PRIMARY KEY,
    member_id  TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    meeting_id TEXT NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
