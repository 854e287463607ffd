-- The first schema: directory (organisations, teams, members, meetings), the op log and
-- the current version of every board entity, invites and sessions.
-- The PostgreSQL twin of sqlite/migrations/0001_init.sql: same tables, same meaning.
-- Times are timestamptz, written by the store at millisecond precision (as the SQLite
-- store keeps them); an optional time that is not set is NULL. Tokens are stored only as
-- SHA-256 hashes.

CREATE TABLE organisations (
    id       text PRIMARY KEY,
    name     text NOT NULL,
    huvudman text NOT NULL
);

CREATE TABLE teams (
    id               text PRIMARY KEY,
    child_first_name text NOT NULL,
    child_birth_year integer NOT NULL,
    reason           text NOT NULL,
    created_at       timestamptz NOT NULL
);

CREATE TABLE members (
    id         text PRIMARY KEY,
    team_id    text NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    name       text NOT NULL,
    role       text NOT NULL,
    org_id     text REFERENCES organisations(id),
    title      text NOT NULL,
    discoverer boolean NOT NULL,
    lang       text NOT NULL,
    -- The order members were added in. A database-wide identity rather than "max + 1 per
    -- team", so that two server instances adding members to one team at once cannot get
    -- the same position; only the order within a team matters.
    position   bigint GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX members_team ON members(team_id, position);

CREATE TABLE meetings (
    id           text PRIMARY KEY,
    team_id      text NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    title        text NOT NULL,
    scheduled_at timestamptz NOT NULL,
    epoch        text NOT NULL,
    -- seq is the number of the meeting's last op; it only ever grows by one, inside the
    -- transaction that writes that op and while that transaction holds this row's lock,
    -- so the log has no gaps and no two writers (of any server instance) get one seq.
    seq          bigint NOT NULL DEFAULT 0
);

-- The op log: one row per applied op, the canonical change as JSON (json, not jsonb: kept
-- exactly as written).
CREATE TABLE ops (
    meeting_id text NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    seq        bigint NOT NULL,
    cid        text NOT NULL,
    actor      text NOT NULL,
    change     json NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT ops_pkey PRIMARY KEY (meeting_id, seq),
    CONSTRAINT ops_cid_key UNIQUE (meeting_id, cid)
);

-- The current version of every entity of a board, so loading needs no replay.
CREATE TABLE entities (
    meeting_id text NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    kind       text NOT NULL,
    id         text NOT NULL,
    data       json NOT NULL,
    seq        bigint NOT NULL,
    PRIMARY KEY (meeting_id, kind, id)
);

CREATE TABLE invites (
    token_hash bytea PRIMARY KEY,
    member_id  text NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    meeting_id text NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);

CREATE TABLE sessions (
    token_hash bytea PRIMARY KEY,
    member_id  text NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    meeting_id text NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
