-- Who may come in: staff accounts and their sessions, one-time account links, guest
-- sessions with lobby admission, removals from a meeting, consent, and the append-only
-- audit log. The PostgreSQL twin of sqlite/migrations/0002_access.sql. An optional time
-- that is not set is NULL. Tokens are stored only as SHA-256 hashes.

CREATE TABLE users (
    id                   text PRIMARY KEY,
    email                text NOT NULL UNIQUE, -- stored lower-case by the store
    name                 text NOT NULL,
    org_id               text REFERENCES organisations(id),
    title                text NOT NULL DEFAULT '',
    admin                boolean NOT NULL DEFAULT false,
    disabled             boolean NOT NULL DEFAULT false,
    must_change_password boolean NOT NULL DEFAULT false,
    password_hash        text NOT NULL DEFAULT '',
    created_at           timestamptz NOT NULL
);

CREATE TABLE user_sessions (
    token_hash bytea PRIMARY KEY,
    user_id    text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    last_seen  timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX user_sessions_user ON user_sessions(user_id);

CREATE TABLE account_tokens (
    token_hash bytea PRIMARY KEY,
    purpose    text NOT NULL,
    user_id    text REFERENCES users(id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz -- NULL while unused
);
CREATE INDEX account_tokens_user ON account_tokens(user_id, purpose);

ALTER TABLE members ADD COLUMN user_id text REFERENCES users(id);
ALTER TABLE members ADD COLUMN contact text NOT NULL DEFAULT '';
CREATE INDEX members_user ON members(user_id);

ALTER TABLE meetings ADD COLUMN cofacilitator text NOT NULL DEFAULT '';
CREATE INDEX meetings_team ON meetings(team_id, scheduled_at);

ALTER TABLE sessions ADD COLUMN admitted_at timestamptz; -- NULL while waiting
ALTER TABLE sessions ADD COLUMN denied_at timestamptz;   -- NULL unless turned away
CREATE INDEX sessions_member ON sessions(meeting_id, member_id);
CREATE INDEX invites_member ON invites(meeting_id, member_id);

CREATE TABLE removals (
    meeting_id text NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    member_id  text NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    removed_by text NOT NULL,
    removed_at timestamptz NOT NULL,
    PRIMARY KEY (meeting_id, member_id)
);

CREATE TABLE consents (
    id           text PRIMARY KEY,
    team_id      text NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    given_by     text NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    purpose      text NOT NULL,
    valid_from   text NOT NULL, -- civil dates YYYY-MM-DD, as the domain writes them
    valid_to     text NOT NULL,
    method       text NOT NULL,
    recorded_by  text NOT NULL,
    recorded_at  timestamptz NOT NULL,
    withdrawn_at timestamptz, -- NULL while in force
    withdrawn_by text NOT NULL DEFAULT ''
);
CREATE INDEX consents_team ON consents(team_id);

CREATE TABLE consent_orgs (
    consent_id text NOT NULL REFERENCES consents(id) ON DELETE CASCADE,
    org_id     text NOT NULL REFERENCES organisations(id),
    PRIMARY KEY (consent_id, org_id)
);

-- The audit log: who, from which organisation, when, did what, about which child (team).
-- Never content. Rows can only be added: the triggers refuse every change, deletion and
-- truncation, whatever code runs against the table.
CREATE TABLE audit_log (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         timestamptz NOT NULL,
    user_id    text NOT NULL DEFAULT '',
    member_id  text NOT NULL DEFAULT '',
    actor_name text NOT NULL DEFAULT '',
    org_id     text NOT NULL DEFAULT '',
    org_name   text NOT NULL DEFAULT '',
    action     text NOT NULL,
    team_id    text NOT NULL DEFAULT '',
    meeting_id text NOT NULL DEFAULT '',
    target     text NOT NULL DEFAULT '',
    address    text NOT NULL DEFAULT ''
);
CREATE INDEX audit_team ON audit_log(team_id, id);
CREATE INDEX audit_user ON audit_log(user_id, id);
CREATE INDEX audit_action ON audit_log(action, id);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
