-- Baseline: the schema of release 10e4a02, the last one whose schema gorm's AutoMigrate made
-- (models, partialIndexes, migrateJournal, migrateAudit, migrateAPI), as sqlite3 .schema shows
-- it in a database that release created. The tables keep gorm's own spelling (backquotes,
-- DEFAULT ""): gorm's SQLite migrator reads column types and defaults back from this text.
-- IF NOT EXISTS everywhere: a database of an earlier release is first brought to this schema by
-- the adoption step (store/adopt.go), then this step finds everything in place and only records
-- version 1.

-- +goose Up

CREATE TABLE IF NOT EXISTS `accounts` (`id` text,`name` text NOT NULL,`customer_id` text NOT NULL,`api_key` text NOT NULL,`secret_enc` blob,`spreadsheet_id` text NOT NULL,`sheet_tab` text NOT NULL,`sheet_tab_key` text NOT NULL DEFAULT "",`level` text NOT NULL,`refresh_enabled` numeric NOT NULL,`refresh_time` text NOT NULL,`sheet_language` text NOT NULL DEFAULT "",`last_error` text NOT NULL,`consent_needed` text NOT NULL DEFAULT "",`consent_given` text NOT NULL DEFAULT "",`created_at` datetime,`updated_at` datetime,`deleted_at` datetime,PRIMARY KEY (`id`));
CREATE INDEX IF NOT EXISTS `accounts_customer` ON `accounts`(`customer_id`);

CREATE TABLE IF NOT EXISTS `syncs` (`id` text,`account_id` text NOT NULL,`customer_id` text NOT NULL,`from_day` text NOT NULL,`to_day` text NOT NULL,`reuse_before` text NOT NULL,`fresh_after` datetime NOT NULL,`trigger_kind` text NOT NULL,`status` text NOT NULL,`phase` text NOT NULL,`idempotency_key` text NOT NULL,`scheduled_for` text NOT NULL,`retry_of` text NOT NULL,`attempts` integer NOT NULL,`max_attempts` integer NOT NULL,`run_after` datetime NOT NULL,`reports_total` integer NOT NULL,`reports_fetched` integer NOT NULL,`rows_processed` integer NOT NULL,`error_message` text NOT NULL,`error_kind` text NOT NULL,`cancel_requested` numeric NOT NULL,`worker` text NOT NULL,`lease_token` integer NOT NULL,`claim_token` integer NOT NULL DEFAULT 0,`locked_until` datetime,`waiting_since` datetime,`created_at` datetime,`updated_at` datetime,`fetch_started_at` datetime,`lock_acquired_at` datetime,`lock_released_at` datetime,`processing_started_at` datetime,`write_started_at` datetime,`finished_at` datetime,`lock_wait_ns` integer NOT NULL,PRIMARY KEY (`id`));
CREATE INDEX IF NOT EXISTS `syncs_customer_status` ON `syncs`(`customer_id`,`status`);
CREATE INDEX IF NOT EXISTS `syncs_account_created_id` ON `syncs`(`account_id`,`created_at`,`id`);
CREATE INDEX IF NOT EXISTS `syncs_status_created_id` ON `syncs`(`status`,`created_at`,`id`);

CREATE TABLE IF NOT EXISTS `customer_leases` (`customer_id` text,`holder_sync_id` text NOT NULL,`owner` text NOT NULL,`token` integer NOT NULL,`acquired_at` datetime NOT NULL,`renewed_at` datetime NOT NULL,`expires_at` datetime NOT NULL,`file_seq` integer NOT NULL DEFAULT 0,PRIMARY KEY (`customer_id`));

CREATE TABLE IF NOT EXISTS `report_files` (`customer_id` text,`report_type` text,`stat_date` text,`object_key` text NOT NULL,`sha256` text NOT NULL,`size` integer NOT NULL,`state` text NOT NULL,`sync_id` text NOT NULL,`fetched_at` datetime,`seq` integer NOT NULL DEFAULT 0,`recheck` numeric NOT NULL DEFAULT false,PRIMARY KEY (`customer_id`,`report_type`,`stat_date`));

CREATE TABLE IF NOT EXISTS `master_entities` (`customer_id` text,`kind` text,`entity_id` text,`parent_id` text NOT NULL,`name` text NOT NULL,`deleted` numeric NOT NULL,PRIMARY KEY (`customer_id`,`kind`,`entity_id`));

CREATE TABLE IF NOT EXISTS `master_states` (`customer_id` text,`item` text,`at` datetime,PRIMARY KEY (`customer_id`,`item`));

CREATE TABLE IF NOT EXISTS `scheduler_runs` (`run_key` text,`owner` text NOT NULL,`started_at` datetime,`finished_at` datetime,`outcome` text NOT NULL,PRIMARY KEY (`run_key`));

CREATE TABLE IF NOT EXISTS `naver_jobs` (`id` integer PRIMARY KEY AUTOINCREMENT,`customer_id` text NOT NULL,`kind` text NOT NULL,`report_type` text NOT NULL,`stat_date` text NOT NULL,`job_id` text NOT NULL,`state` text NOT NULL,`sent_at` datetime,`sync_id` text NOT NULL,`delete_attempts` integer NOT NULL DEFAULT 0,`delete_after` datetime);
CREATE INDEX IF NOT EXISTS `naver_jobs_customer` ON `naver_jobs`(`customer_id`);

CREATE TABLE IF NOT EXISTS `superseded_files` (`object_key` text,`customer_id` text NOT NULL,`superseded_at` datetime,PRIMARY KEY (`object_key`));
CREATE INDEX IF NOT EXISTS `idx_superseded_files_customer_id` ON `superseded_files`(`customer_id`);

CREATE TABLE IF NOT EXISTS `sheet_states` (`account_id` text,`spreadsheet_id` text NOT NULL,`tab` text NOT NULL,`layout` blob,`dirty` numeric NOT NULL,`updated_at` datetime,`cell_usage` blob,PRIMARY KEY (`account_id`));

CREATE TABLE IF NOT EXISTS `sheet_days` (`account_id` text,`stat_date` text,`digest` text NOT NULL,`version` integer NOT NULL,`rows` integer NOT NULL,PRIMARY KEY (`account_id`,`stat_date`));

CREATE TABLE IF NOT EXISTS `account_ranges` (`account_id` text,`from_day` text,`to_day` text NOT NULL,PRIMARY KEY (`account_id`,`from_day`));

CREATE TABLE IF NOT EXISTS `sheet_locks` (`spreadsheet_id` text,`holder_sync_id` text NOT NULL,`token` integer NOT NULL,`expires_at` datetime NOT NULL,PRIMARY KEY (`spreadsheet_id`));

CREATE TABLE IF NOT EXISTS `customer_rates` (`customer_id` text,`rate` real NOT NULL,`updated_at` datetime NOT NULL,PRIMARY KEY (`customer_id`));
CREATE UNIQUE INDEX IF NOT EXISTS syncs_idempotency ON syncs (idempotency_key) WHERE idempotency_key <> '';
CREATE UNIQUE INDEX IF NOT EXISTS syncs_scheduled ON syncs (account_id, scheduled_for) WHERE scheduled_for <> '';
CREATE INDEX IF NOT EXISTS runs_started ON scheduler_runs (started_at);

CREATE TABLE IF NOT EXISTS `idempotency_keys` (`scope` text,`idem_key` text,`fingerprint` text NOT NULL,`sync_id` text NOT NULL,`created` numeric NOT NULL,`created_at` datetime NOT NULL,`expires_at` datetime NOT NULL,PRIMARY KEY (`scope`,`idem_key`));
CREATE INDEX IF NOT EXISTS `idempotency_expires` ON `idempotency_keys`(`expires_at`);

CREATE TABLE IF NOT EXISTS `audit_entries` (`id` text,`at` datetime NOT NULL,`actor` text NOT NULL,`role` text NOT NULL,`action` text NOT NULL,`account_id` text NOT NULL,`sync_id` text NOT NULL,`fields` text NOT NULL,`detail` text NOT NULL,PRIMARY KEY (`id`));
CREATE INDEX IF NOT EXISTS `audit_account` ON `audit_entries`(`account_id`);
CREATE INDEX IF NOT EXISTS audit_account_id ON audit_entries (account_id, id);
CREATE UNIQUE INDEX IF NOT EXISTS accounts_live_sheet_key ON accounts (spreadsheet_id, sheet_tab_key) WHERE deleted_at IS NULL AND spreadsheet_id <> '';
CREATE INDEX IF NOT EXISTS syncs_created ON syncs (created_at, id);
CREATE INDEX IF NOT EXISTS syncs_customer_created ON syncs (customer_id, created_at, id);
CREATE INDEX IF NOT EXISTS syncs_account_status_created ON syncs (account_id, status, created_at, id);
CREATE INDEX IF NOT EXISTS syncs_updated ON syncs (updated_at);
CREATE INDEX IF NOT EXISTS syncs_finished ON syncs (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS report_files_stat_date ON report_files (stat_date);
CREATE INDEX IF NOT EXISTS report_files_object_key ON report_files (object_key);

-- +goose Down
-- The baseline is not undone: roll back by restoring a backup (docs/operations.md).
