-- Issue 28 (Korean from end to end): an audit entry's detail and a scheduler run's outcome carry
-- a stable message code and its parameters beside the English text, so that the console renders
-- them in the viewer's language. Expand only: the previous release's inserts get the defaults
-- (no code: the console shows the English text), and it never reads these columns.

-- +goose Up
ALTER TABLE `audit_entries` ADD `detail_code` text NOT NULL DEFAULT "";
ALTER TABLE `audit_entries` ADD `detail_params` text NOT NULL DEFAULT "";
ALTER TABLE `scheduler_runs` ADD `outcome_code` text NOT NULL DEFAULT "";
ALTER TABLE `scheduler_runs` ADD `outcome_params` text NOT NULL DEFAULT "";

-- +goose Down
ALTER TABLE `scheduler_runs` DROP COLUMN `outcome_params`;
ALTER TABLE `scheduler_runs` DROP COLUMN `outcome_code`;
ALTER TABLE `audit_entries` DROP COLUMN `detail_params`;
ALTER TABLE `audit_entries` DROP COLUMN `detail_code`;
