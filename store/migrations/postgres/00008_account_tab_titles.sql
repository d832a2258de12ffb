-- Issue 27: the titles in the spreadsheet of an account's tabs other than the performance tab
-- (whose title stays sheet_tab): a JSON object, kind -> title; '' reads as each kind's default
-- title. Expand only: older releases ignore it (they write the performance tab alone, and their
-- inserts get the default).

-- +goose Up
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS tab_titles text DEFAULT ''::text NOT NULL;

-- +goose Down
ALTER TABLE accounts DROP COLUMN IF EXISTS tab_titles;
