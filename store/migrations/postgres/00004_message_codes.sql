-- Issue 28 (Korean from end to end): an audit entry's detail and a scheduler run's outcome carry
-- a stable message code and its parameters beside the English text, so that the console renders
-- them in the viewer's language. Expand only: the previous release's inserts get the defaults
-- (no code: the console shows the English text), and it never reads these columns.

-- +goose Up
ALTER TABLE audit_entries ADD COLUMN IF NOT EXISTS detail_code text DEFAULT ''::text NOT NULL;
ALTER TABLE audit_entries ADD COLUMN IF NOT EXISTS detail_params text DEFAULT ''::text NOT NULL;
ALTER TABLE scheduler_runs ADD COLUMN IF NOT EXISTS outcome_code text DEFAULT ''::text NOT NULL;
ALTER TABLE scheduler_runs ADD COLUMN IF NOT EXISTS outcome_params text DEFAULT ''::text NOT NULL;

-- +goose Down
ALTER TABLE scheduler_runs DROP COLUMN IF EXISTS outcome_params;
ALTER TABLE scheduler_runs DROP COLUMN IF EXISTS outcome_code;
ALTER TABLE audit_entries DROP COLUMN IF EXISTS detail_params;
ALTER TABLE audit_entries DROP COLUMN IF EXISTS detail_code;
