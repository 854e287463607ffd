-- The child view: how many faces the child answers with (3, 5, or 0 for by age).
ALTER TABLE teams ADD COLUMN face_scale integer NOT NULL DEFAULT 0;
