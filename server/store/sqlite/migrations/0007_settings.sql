-- Settings of the deployment that every instance must agree on, such as the id of the
-- key that seals the plans.
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
