-- Issue 26 (a fleet's morning): accounts bound to a Google identity and keeping a number of days
-- of history; syncs ordered by the morning's plan, with claims that cost no attempt; the Sheets
-- quota budget shared by replicas. Expand only: release 10e4a02 runs beside it (its inserts get
-- the defaults, and it never reads these columns). Written as gorm writes them (see the baseline).

-- +goose Up
ALTER TABLE `accounts` ADD `history_days` integer NOT NULL DEFAULT 0;
ALTER TABLE `accounts` ADD `google_identity` text NOT NULL DEFAULT "";
ALTER TABLE `syncs` ADD `plan_rank` integer NOT NULL DEFAULT 0;
ALTER TABLE `syncs` ADD `free_claims` integer NOT NULL DEFAULT 0;
CREATE INDEX `syncs_claim_order` ON `syncs`(`status`,`plan_rank`,`created_at`);
CREATE TABLE `quota_slots` (`quota_key` text,`next_at` integer NOT NULL,PRIMARY KEY (`quota_key`));

-- +goose Down
DROP TABLE `quota_slots`;
DROP INDEX `syncs_claim_order`;
ALTER TABLE `syncs` DROP COLUMN `free_claims`;
ALTER TABLE `syncs` DROP COLUMN `plan_rank`;
ALTER TABLE `accounts` DROP COLUMN `google_identity`;
ALTER TABLE `accounts` DROP COLUMN `history_days`;
