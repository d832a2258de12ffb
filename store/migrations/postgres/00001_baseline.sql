-- Baseline: the schema of release 10e4a02, the last one whose schema gorm's AutoMigrate made
-- (models, partialIndexes, migrateJournal, migrateAudit, migrateAPI), dumped with pg_dump
-- --schema-only from a database that release created. IF NOT EXISTS everywhere: a database of
-- an earlier release is first brought to this schema by the adoption step (store/adopt.go), then
-- this step finds everything in place and only records version 1.

-- +goose Up
CREATE TABLE IF NOT EXISTS account_ranges (
    account_id text NOT NULL,
    from_day text NOT NULL,
    to_day text NOT NULL,
    PRIMARY KEY (account_id, from_day)
);

CREATE TABLE IF NOT EXISTS accounts (
    id text NOT NULL,
    name text NOT NULL,
    customer_id text NOT NULL,
    api_key text NOT NULL,
    secret_enc bytea,
    spreadsheet_id text NOT NULL,
    sheet_tab text NOT NULL,
    sheet_tab_key text DEFAULT ''::text NOT NULL,
    level text NOT NULL,
    refresh_enabled boolean NOT NULL,
    refresh_time text NOT NULL,
    sheet_language text DEFAULT ''::text NOT NULL,
    last_error text NOT NULL,
    consent_needed text DEFAULT ''::text NOT NULL,
    consent_given text DEFAULT ''::text NOT NULL,
    created_at timestamp with time zone,
    updated_at timestamp with time zone,
    deleted_at timestamp with time zone,
    PRIMARY KEY (id)
);

CREATE TABLE IF NOT EXISTS audit_entries (
    id text NOT NULL,
    at timestamp with time zone NOT NULL,
    actor text NOT NULL,
    role text NOT NULL,
    action text NOT NULL,
    account_id text NOT NULL,
    sync_id text NOT NULL,
    fields text NOT NULL,
    detail text NOT NULL,
    PRIMARY KEY (id)
);

CREATE TABLE IF NOT EXISTS customer_leases (
    customer_id text NOT NULL,
    holder_sync_id text NOT NULL,
    owner text NOT NULL,
    token bigint NOT NULL,
    acquired_at timestamp with time zone NOT NULL,
    renewed_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    file_seq bigint DEFAULT 0 NOT NULL,
    PRIMARY KEY (customer_id)
);

CREATE TABLE IF NOT EXISTS customer_rates (
    customer_id text NOT NULL,
    rate numeric NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    PRIMARY KEY (customer_id)
);

CREATE TABLE IF NOT EXISTS idempotency_keys (
    scope text NOT NULL,
    idem_key text NOT NULL,
    fingerprint text NOT NULL,
    sync_id text NOT NULL,
    created boolean NOT NULL,
    created_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    PRIMARY KEY (scope, idem_key)
);

CREATE TABLE IF NOT EXISTS master_entities (
    customer_id text NOT NULL,
    kind text NOT NULL,
    entity_id text NOT NULL,
    parent_id text NOT NULL,
    name text NOT NULL,
    deleted boolean NOT NULL,
    PRIMARY KEY (customer_id, kind, entity_id)
);

CREATE TABLE IF NOT EXISTS master_states (
    customer_id text NOT NULL,
    item text NOT NULL,
    at timestamp with time zone,
    PRIMARY KEY (customer_id, item)
);

CREATE TABLE IF NOT EXISTS naver_jobs (
    id bigserial NOT NULL,
    customer_id text NOT NULL,
    kind text NOT NULL,
    report_type text NOT NULL,
    stat_date text NOT NULL,
    job_id text NOT NULL,
    state text NOT NULL,
    sent_at timestamp with time zone,
    sync_id text NOT NULL,
    delete_attempts bigint DEFAULT 0 NOT NULL,
    delete_after timestamp with time zone,
    PRIMARY KEY (id)
);

CREATE TABLE IF NOT EXISTS report_files (
    customer_id text NOT NULL,
    report_type text NOT NULL,
    stat_date text NOT NULL,
    object_key text NOT NULL,
    sha256 text NOT NULL,
    size bigint NOT NULL,
    state text NOT NULL,
    sync_id text NOT NULL,
    fetched_at timestamp with time zone,
    seq bigint DEFAULT 0 NOT NULL,
    recheck boolean DEFAULT false NOT NULL,
    PRIMARY KEY (customer_id, report_type, stat_date)
);

CREATE TABLE IF NOT EXISTS scheduler_runs (
    run_key text NOT NULL,
    owner text NOT NULL,
    started_at timestamp with time zone,
    finished_at timestamp with time zone,
    outcome text NOT NULL,
    PRIMARY KEY (run_key)
);

CREATE TABLE IF NOT EXISTS sheet_days (
    account_id text NOT NULL,
    stat_date text NOT NULL,
    digest text NOT NULL,
    version bigint NOT NULL,
    rows bigint NOT NULL,
    PRIMARY KEY (account_id, stat_date)
);

CREATE TABLE IF NOT EXISTS sheet_locks (
    spreadsheet_id text NOT NULL,
    holder_sync_id text NOT NULL,
    token bigint NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    PRIMARY KEY (spreadsheet_id)
);

CREATE TABLE IF NOT EXISTS sheet_states (
    account_id text NOT NULL,
    spreadsheet_id text NOT NULL,
    tab text NOT NULL,
    layout bytea,
    dirty boolean NOT NULL,
    updated_at timestamp with time zone,
    cell_usage bytea,
    PRIMARY KEY (account_id)
);

CREATE TABLE IF NOT EXISTS superseded_files (
    object_key text NOT NULL,
    customer_id text NOT NULL,
    superseded_at timestamp with time zone,
    PRIMARY KEY (object_key)
);

CREATE TABLE IF NOT EXISTS syncs (
    id text NOT NULL,
    account_id text NOT NULL,
    customer_id text NOT NULL,
    from_day text NOT NULL,
    to_day text NOT NULL,
    reuse_before text NOT NULL,
    fresh_after timestamp with time zone NOT NULL,
    trigger_kind text NOT NULL,
    status text NOT NULL,
    phase text NOT NULL,
    idempotency_key text NOT NULL,
    scheduled_for text NOT NULL,
    retry_of text NOT NULL,
    attempts bigint NOT NULL,
    max_attempts bigint NOT NULL,
    run_after timestamp with time zone NOT NULL,
    reports_total bigint NOT NULL,
    reports_fetched bigint NOT NULL,
    rows_processed bigint NOT NULL,
    error_message text NOT NULL,
    error_kind text NOT NULL,
    cancel_requested boolean NOT NULL,
    worker text NOT NULL,
    lease_token bigint NOT NULL,
    claim_token bigint DEFAULT 0 NOT NULL,
    locked_until timestamp with time zone,
    waiting_since timestamp with time zone,
    created_at timestamp with time zone,
    updated_at timestamp with time zone,
    fetch_started_at timestamp with time zone,
    lock_acquired_at timestamp with time zone,
    lock_released_at timestamp with time zone,
    processing_started_at timestamp with time zone,
    write_started_at timestamp with time zone,
    finished_at timestamp with time zone,
    lock_wait_ns bigint NOT NULL,
    PRIMARY KEY (id)
);

CREATE INDEX IF NOT EXISTS accounts_customer ON accounts (customer_id);
CREATE UNIQUE INDEX IF NOT EXISTS accounts_live_sheet_key ON accounts (spreadsheet_id, sheet_tab_key) WHERE ((deleted_at IS NULL) AND (spreadsheet_id <> ''::text));
CREATE INDEX IF NOT EXISTS audit_account ON audit_entries (account_id);
CREATE INDEX IF NOT EXISTS audit_account_id ON audit_entries (account_id, id);
CREATE INDEX IF NOT EXISTS idempotency_expires ON idempotency_keys (expires_at);
CREATE INDEX IF NOT EXISTS idx_superseded_files_customer_id ON superseded_files (customer_id);
CREATE INDEX IF NOT EXISTS naver_jobs_customer ON naver_jobs (customer_id);
CREATE INDEX IF NOT EXISTS report_files_object_key ON report_files (object_key);
CREATE INDEX IF NOT EXISTS report_files_stat_date ON report_files (stat_date);
CREATE INDEX IF NOT EXISTS runs_started ON scheduler_runs (started_at);
CREATE INDEX IF NOT EXISTS syncs_account_created_id ON syncs (account_id, created_at, id);
CREATE INDEX IF NOT EXISTS syncs_account_status_created ON syncs (account_id, status, created_at, id);
CREATE INDEX IF NOT EXISTS syncs_created ON syncs (created_at, id);
CREATE INDEX IF NOT EXISTS syncs_customer_created ON syncs (customer_id, created_at, id);
CREATE INDEX IF NOT EXISTS syncs_customer_status ON syncs (customer_id, status);
CREATE INDEX IF NOT EXISTS syncs_finished ON syncs (finished_at) WHERE (finished_at IS NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS syncs_idempotency ON syncs (idempotency_key) WHERE (idempotency_key <> ''::text);
CREATE UNIQUE INDEX IF NOT EXISTS syncs_scheduled ON syncs (account_id, scheduled_for) WHERE (scheduled_for <> ''::text);
CREATE INDEX IF NOT EXISTS syncs_status_created_id ON syncs (status, created_at, id);
CREATE INDEX IF NOT EXISTS syncs_updated ON syncs (updated_at);

-- +goose Down
-- The baseline is not undone: roll back by restoring a backup (docs/operations.md).

