-- Issue 27: sheet state keyed by (account, tab kind), so that each tab of an account keeps its
-- own incremental state. New tables rather than a tab_kind column on sheet_states/sheet_days:
-- their primary keys are (account_id) and (account_id, stat_date), and older releases upsert
-- with ON CONFLICT (account_id) and delete days WHERE account_id = ?; a second tab's row cannot
-- go there without changing those keys (a contract step) and without older releases reading
-- and wiping another tab's days as their own. So the performance tab's state stays in
-- sheet_states/sheet_days, where the previous release reads and writes it (rolling upgrade,
-- rollback), and the other kinds' state goes to these tables, which older releases never read.
-- Once no release that reads sheet_states alone runs, a later step may move the performance
-- rows here. Expand only: new tables.

-- +goose Up
CREATE TABLE IF NOT EXISTS sheet_tab_states (
    account_id text NOT NULL,
    tab_kind text NOT NULL,
    spreadsheet_id text NOT NULL,
    tab text NOT NULL,
    layout bytea,
    dirty boolean NOT NULL,
    updated_at timestamp with time zone,
    cell_usage bytea,
    PRIMARY KEY (account_id, tab_kind)
);
CREATE TABLE IF NOT EXISTS sheet_tab_days (
    account_id text NOT NULL,
    tab_kind text NOT NULL,
    stat_date text NOT NULL,
    digest text NOT NULL,
    version bigint NOT NULL,
    rows bigint NOT NULL,
    PRIMARY KEY (account_id, tab_kind, stat_date)
);

-- +goose Down
DROP TABLE IF EXISTS sheet_tab_days;
DROP TABLE IF EXISTS sheet_tab_states;
