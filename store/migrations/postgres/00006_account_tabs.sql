-- Issue 27: an account chooses the kinds of tab its sheet gets (comma-separated kinds of package
-- report; "" reads as the performance tab alone). Expand only: older releases ignore it (their
-- inserts get the default, the performance tab they build).

-- +goose Up
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS tabs text DEFAULT ''::text NOT NULL;

-- +goose Down
ALTER TABLE accounts DROP COLUMN IF EXISTS tabs;
