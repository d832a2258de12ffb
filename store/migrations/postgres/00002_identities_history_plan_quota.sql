-- Issue 26 (a fleet's morning): accounts bound to a Google identity and keeping a number of days
-- of history; syncs ordered by the morning's plan, with claims that cost no attempt; the Sheets
-- quota budget shared by replicas. Expand only: release 10e4a02 runs beside it (its inserts get
-- the defaults, and it never reads these columns).

-- +goose Up
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS history_days bigint DEFAULT 0 NOT NULL;
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS google_identity text DEFAULT ''::text NOT NULL;
ALTER TABLE syncs ADD COLUMN IF NOT EXISTS plan_rank bigint DEFAULT 0 NOT NULL;
ALTER TABLE syncs ADD COLUMN IF NOT EXISTS free_claims bigint DEFAULT 0 NOT NULL;
CREATE INDEX IF NOT EXISTS syncs_claim_order ON syncs (status, plan_rank, created_at);
CREATE TABLE IF NOT EXISTS quota_slots (
    quota_key text NOT NULL,
    next_at bigint NOT NULL,
    PRIMARY KEY (quota_key)
);

-- +goose Down
DROP TABLE IF EXISTS quota_slots;
DROP INDEX IF EXISTS syncs_claim_order;
ALTER TABLE syncs DROP COLUMN IF EXISTS free_claims;
ALTER TABLE syncs DROP COLUMN IF EXISTS plan_rank;
ALTER TABLE accounts DROP COLUMN IF EXISTS google_identity;
ALTER TABLE accounts DROP COLUMN IF EXISTS history_days;
