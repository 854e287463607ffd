-- Child mode: an adult's device handed to the child stays in the child view until an adult
-- enters the unlock code (its argon2id hash), then returns to that adult's board.
ALTER TABLE sessions ADD COLUMN unlock_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN return_to TEXT NOT NULL DEFAULT '';

-- The room's shared screen: opened by the meeting's leader with a link or a short code.
CREATE TABLE displays (
    token_hash      BLOB PRIMARY KEY,
    code_hash       BLOB NOT NULL UNIQUE,
    meeting_id      TEXT NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    created_by      TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    code_expires_at INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX displays_meeting ON displays(meeting_id);
