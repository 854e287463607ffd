-- Child mode: an adult's device handed to the child stays in the child view until an adult
-- enters the unlock code (its argon2id hash), then returns to that adult's board.
ALTER TABLE sessions ADD COLUMN unlock_hash text NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN return_to text NOT NULL DEFAULT '';

-- The room's shared screen: opened by the meeting's leader with a link or a short code.
CREATE TABLE displays (
    token_hash      bytea PRIMARY KEY,
    code_hash       bytea NOT NULL UNIQUE,
    meeting_id      text NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    created_by      text NOT NULL,
    created_at      timestamptz NOT NULL,
    code_expires_at timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL
);
CREATE INDEX displays_meeting ON displays(meeting_id);
