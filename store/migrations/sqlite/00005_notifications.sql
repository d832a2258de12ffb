-- Issue 28: notifications. Webhook targets an admin configures (the URL encrypted like the Naver
-- secrets) and the durable outbox of their deliveries, claimed with a lease (claimed_by,
-- claim_token, lease_until) and deduplicated per incident and target (dedupe_key unique).
-- Expand only: new tables, which older releases never read. Written as gorm writes them.

-- +goose Up
CREATE TABLE IF NOT EXISTS `webhook_targets` (`id` text,`name` text NOT NULL,`kind` text NOT NULL,`url_enc` blob,`url_host` text NOT NULL,`events` text NOT NULL,`enabled` numeric NOT NULL,`created_at` datetime,`updated_at` datetime,PRIMARY KEY (`id`));
CREATE TABLE IF NOT EXISTS `notify_outbox` (`id` text,`dedupe_key` text NOT NULL,`target_id` text NOT NULL,`event` text NOT NULL,`account_id` text NOT NULL,`sync_id` text NOT NULL,`incident` text NOT NULL,`payload` text NOT NULL,`state` text NOT NULL,`attempts` integer NOT NULL,`next_attempt_at` datetime NOT NULL,`claimed_by` text NOT NULL,`claim_token` integer NOT NULL,`lease_until` datetime,`last_error` text NOT NULL,`created_at` datetime NOT NULL,`finished_at` datetime,PRIMARY KEY (`id`));
CREATE UNIQUE INDEX IF NOT EXISTS `notify_outbox_dedupe` ON `notify_outbox`(`dedupe_key`);
CREATE INDEX IF NOT EXISTS `notify_outbox_incident` ON `notify_outbox`(`account_id`,`incident`);
CREATE INDEX IF NOT EXISTS `notify_outbox_due` ON `notify_outbox`(`state`,`next_attempt_at`);
CREATE INDEX IF NOT EXISTS `notify_outbox_finished` ON `notify_outbox`(`finished_at`);

-- +goose Down
DROP TABLE IF EXISTS `notify_outbox`;
DROP TABLE IF EXISTS `webhook_targets`;
