-- Issue 27: the titles in the spreadsheet of an account's tabs other than the performance tab
-- (whose title stays sheet_tab): a JSON object, kind -> title; '' reads as each kind's default
-- title. Expand only: older releases ignore it (they write the performance tab alone, and their
-- inserts get the default). Written as gorm writes it (see the baseline).

-- +goose Up
ALTER TABLE `accounts` ADD `tab_titles` text NOT NULL DEFAULT "";

-- +goose Down
ALTER TABLE `accounts` DROP COLUMN `tab_titles`;
