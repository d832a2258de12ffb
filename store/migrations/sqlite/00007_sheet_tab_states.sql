-- Issue 27: sheet state keyed by (account, tab kind), so that each tab of an account keeps its
-- own incremental state. New tables rather than a tab_kind column on sheet_states/sheet_days:
-- their primary keys are (account_id) and (account_id, stat_date), and older releases upsert
-- with ON CONFLICT (account_id) and delete days WHERE account_id = ?; a second tab's row cannot
-- go there without changing those keys (a contract step) and without older releases reading
-- and wiping another tab's days as their own. So the performance tab's state stays in
-- sheet_states/sheet_days, where the previous release reads and writes it (rolling upgrade,
-- rollback), and the other kinds' state goes to these tables, which older releases never read.
-- Once no release that reads sheet_states alone runs, a later step may move the performance
-- rows here. Expand only: new tables. Written as gorm writes them.

-- +goose Up
CREATE TABLE IF NOT EXISTS `sheet_tab_states` (`account_id` text,`tab_kind` text,`spreadsheet_id` text NOT NULL,`tab` text NOT NULL,`layout` blob,`dirty` numeric NOT NULL,`updated_at` datetime,`cell_usage` blob,PRIMARY KEY (`account_id`,`tab_kind`));
CREATE TABLE IF NOT EXISTS `sheet_tab_days` (`account_id` text,`tab_kind` text,`stat_date` text,`digest` text NOT NULL,`version` integer NOT NULL,`rows` integer NOT NULL,PRIMARY KEY (`account_id`,`tab_kind`,`stat_date`));

-- +goose Down
DROP TABLE IF EXISTS `sheet_tab_days`;
DROP TABLE IF EXISTS `sheet_tab_states`;
