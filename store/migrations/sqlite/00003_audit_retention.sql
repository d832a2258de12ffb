-- Issue 29: the audit log has a retention (NAVERSYNC_AUDIT_RETENTION); the maintenance deletes
-- entries by age, so they are indexed by their time. Expand only: older releases ignore it.

-- +goose Up
CREATE INDEX IF NOT EXISTS audit_at ON audit_entries (at);

-- +goose Down
DROP INDEX IF EXISTS audit_at;
