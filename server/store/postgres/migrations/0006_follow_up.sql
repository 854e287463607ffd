-- Follow-up: a meeting made from an earlier meeting's agreed plan names it; and the
-- coordinators' own agenda templates.
ALTER TABLE meetings ADD COLUMN follow_up_of text NOT NULL DEFAULT '';

CREATE TABLE agenda_templates (
    id         text PRIMARY KEY,
    user_id    text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name       text NOT NULL,
    items      jsonb NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX agenda_templates_user ON agenda_templates(user_id, name);
