-- The title of the tab that consent_needed names, as the sync that stopped there found it, so
-- that the request for consent names the tab a person must look at (an account has several
-- tabs since 00006). '' for none, and in rows of older releases, which ignore the column.
-- Written as gorm writes it (see the baseline).

-- +goose Up
ALTER TABLE `accounts` ADD `consent_tab` text NOT NULL DEFAULT "";

-- +goose Down
ALTER TABLE `accounts` DROP COLUMN `consent_tab`;
