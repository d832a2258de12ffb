-- Issue 27: an account chooses the kinds of tab its sheet gets (comma-separated kinds of package
-- report; "" reads as the performance tab alone). Expand only: older releases ignore it (their
-- inserts get the default, the performance tab they build). Written as gorm writes it (see the
-- baseline).

-- +goose Up
ALTER TABLE `accounts` ADD `tabs` text NOT NULL DEFAULT "";

-- +goose Down
ALTER TABLE `accounts` DROP COLUMN `tabs`;
