-- Settings of the deployment that every instance must agree on, such as the id of the
-- key that seals the plans.
CREATE TABLE settings (
    name  text PRIMARY KEY,
    value text NOT NULL
);
