-- Follow-up: a meeting made from an earlier meeting's agreed plan names it; and the
-- coordinators' own agenda templates.
ALTER TABLE meetings ADD COLUMN follow_up_of TEXT NOT NULL DEFAULT '';

CREATE TABLE agenda_templates (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    items      TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX agenda_templates_user ON agenda_templates(user_id, name);
