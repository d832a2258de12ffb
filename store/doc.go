// Package store is naversync's persistence layer: accounts, syncs (the job
// queue), the per-customer lease that serializes all traffic to Naver for one
// customer id, stored report files, Naver master entities and scheduler runs.
//
// It runs on PostgreSQL (gorm.io/driver/postgres, pgx) and on SQLite
// (github.com/glebarez/sqlite, pure Go). The exported types are plain structs;
// gorm models and gorm errors never leave the package: callers branch on
// ErrNotFound, ErrLeaseLost, ErrConflict and ErrDuplicate.
//
// The schema is versioned: Open applies the numbered SQL steps of migrations/ (goose) and
// refuses a database a newer release migrated (SchemaVersionError); see migrations/README.md.
//
// Every method takes "now" from Options.Now, so tests expire leases by
// advancing an injected clock. Times are stored in UTC with microsecond
// precision (PostgreSQL's timestamptz resolution), on SQLite as text that sorts
// chronologically.
//
// The customer lease is a row per customer id with a token that grows by one
// on every acquisition and is never reset; Renew, Release, FinishFetch and
// PutReportFile are fenced by that token, so a holder that lost its lease
// (expired and taken over) can no longer write anything.
package store
