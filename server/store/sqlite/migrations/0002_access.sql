-- Who may come in: staff accounts and their sessions, one-time account links, guest
-- sessions with lobby admission, removals from a meeting, consent, and the append-only
-- audit log. Times are Unix milliseconds (UTC); 0 means "not set". Tokens are stored only
-- as SHA-256 hashes.

CREATE TABLE users (
    id                   TEXT PRIMARY KEY,
    email                TEXT NOT NULL UNIQUE,
    name                 TEXT NOT NULL,
    org_id               TEXT REFERENCES organisations(id),
    title                TEXT NOT NULL DEFAULT '',
    admin                INTEGER NOT NULL DEFAULT 0,
    disabled             INTEGER NOT NULL DEFAULT 0,
    must_change_password INTEGER NOT NULL DEFAULT 0,
    password_hash        TEXT NOT NULL DEFAULT '',
    created_at           INTEGER NOT NULL
) STRICT;

CREATE TABLE user_sessions (
    token_hash BLOB PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX user_sessions_user ON user_sessions(user_id);

CREATE TABLE account_tokens (
    token_hash BLOB PRIMARY KEY,
    purpose    TEXT NOT NULL,
    user_id    TEXT REFERENCES users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER NOT NULL DEFAULT 0
) STRICT;

ALTER TABLE members ADD COLUMN user_id TEXT REFERENCES users(id);
ALTER TABLE members ADD COLUMN contact TEXT NOT NULL DEFAULT '';
CREATE INDEX members_user ON members(user_id);

ALTER TABLE meetings ADD COLUMN cofacilitator TEXT NOT NULL DEFAULT '';
CREATE INDEX meetings_team ON meetings(team_id, scheduled_at);

ALTER TABLE sessions ADD COLUMN admitted_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN denied_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX sessions_member ON sessions(meeting_id, member_id);
CREATE INDEX invites_member ON invites(meeting_id, member_id);

CREATE TABLE removals (
    meeting_id TEXT NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    member_id  TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    removed_by TEXT NOT NULL,
    removed_at INTEGER NOT NULL,
    PRIMARY KEY (meeting_id, member_id)
) STRICT;

CREATE TABLE consents (
    id           TEXT PRIMARY KEY,
    team_id      TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    given_by     TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    purpose      TEXT NOT NULL,
    valid_from   TEXT NOT NULL,
    valid_to     TEXT NOT NULL,
    method       TEXT NOT NULL,
    recorded_by  TEXT NOT NULL,
    recorded_at  INTEGER NOT NULL,
    withdrawn_at INTEGER NOT NULL DEFAULT 0,
    withdrawn_by TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX consents_team ON consents(team_id);

CREATE TABLE consent_orgs (
    consent_id TEXT NOT NULL REFERENCES consents(id) ON DELETE CASCADE,
    org_id     TEXT NOT NULL REFERENCES organisations(id),
    PRIMARY KEY (consent_id, org_id)
) STRICT;

-- The audit log: who, from which organisation, when, did what, about which child (team).
-- Never content. Rows can only be added: the triggers refuse every change and deletion.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         INTEGER NOT NULL,
    user_id    TEXT NOT NULL DEFAULT '',
    member_id  TEXT NOT NULL DEFAULT '',
    actor_name TEXT NOT NULL DEFAULT '',
    org_id     TEXT NOT NULL DEFAULT '',
    org_name   TEXT NOT NULL DEFAULT '',
    action     TEXT NOT NULL,
    team_id    TEXT NOT NULL DEFAULT '',
    meeting_id TEXT NOT NULL DEFAULT '',
    target     TEXT NOT NULL DEFAULT '',
    address    TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX audit_team ON audit_log(team_id, id);
CREATE INDEX audit_user ON audit_log(user_id, id);
CREATE INDEX audit_action ON audit_log(action, id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
