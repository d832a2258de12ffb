package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/pressly/goose/v3"
)

// Versioned migrations (store/migrations/README.md): numbered SQL steps per dialect, applied by
// goose, recorded in the table goose_db_version. Replicas starting together migrate one at a
// time under a PostgreSQL advisory lock.

//go:embed migrations/postgres/*.sql migrations/sqlite/*.sql
var migrationFiles embed.FS

// versionTable is goose's table of applied versions.
const versionTable = "goose_db_version"

// migrateLockKey is the PostgreSQL advisory lock that serializes migrations of replicas (and
// of `naversync migrate`) starting at the same time.
const migrateLockKey = 7241873301

// SchemaVersionError means the database's schema version is not the one this binary needs:
// Database > Binary (a newer release migrated it: this binary must not touch it), or
// Database < Binary with migrations disabled.
type SchemaVersionError struct {
	Database int64 // the version recorded in the database (0: none)
	Binary   int64 // the newest version this binary knows
}

func (e *SchemaVersionError) Error() string {
	if e.Database > e.Binary {
		return fmt.Sprintf("the database schema is at version %d, newer than this binary's version %d: a newer release migrated it; run that release (or a newer one), or restore the backup taken before the upgrade (docs/operations.md, Rolling back)", e.Database, e.Binary)
	}
	return fmt.Sprintf("the database schema is at version %d, behind this binary's version %d, and migrations are disabled (NAVERSYNC_MIGRATE=false): run `naversync migrate up` first", e.Database, e.Binary)
}

// SchemaStatus describes a database's schema version.
type SchemaStatus struct {
	Database int64 // the version recorded in the database; 0 when none
	Binary   int64 // the newest version this binary's migrations reach
	// Legacy: the tables exist but no version is recorded (a release before versioned
	// migrations made them); migrating adopts the database.
	Legacy bool
	// Applied lists the versions recorded, oldest first.
	Applied []int64
}

// migrationsFS returns the dialect's migrations.
func migrationsFS(dialect string) fs.FS {
	sub, err := fs.Sub(migrationFiles, path.Join("migrations", dialect))
	if err != nil {
		panic(err) // the embedded directories are fixed at build time
	}
	return sub
}

// latestVersion is the highest version among the dialect's migration files.
func latestVersion(dialect string) int64 {
	entries, err := fs.ReadDir(migrationsFS(dialect), ".")
	if err != nil {
		panic(err)
	}
	var v int64
	for _, e := range entries {
		n, _, ok := strings.Cut(e.Name(), "_")
		if !ok || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		if x, err := strconv.ParseInt(n, 10, 64); err == nil && x > v {
			v = x
		}
	}
	return v
}

// schemaStatus reads the version without changing anything (goose's own reads create its table).
func (s *Store) schemaStatus(ctx context.Context) (SchemaStatus, error) {
	st := SchemaStatus{Binary: latestVersion(s.dialect)}
	m := s.conn(ctx).Migrator()
	if !m.HasTable(versionTable) {
		st.Legacy = m.HasTable("syncs")
		return st, nil
	}
	var applied []int64
	if err := s.conn(ctx).Raw(`SELECT version_id FROM ` + versionTable + ` WHERE is_applied AND version_id > 0 ORDER BY version_id`).
		Scan(&applied).Error; err != nil {
		return st, fmt.Errorf("read %s: %w", versionTable, err)
	}
	st.Applied = applied
	if len(applied) > 0 {
		st.Database = applied[len(applied)-1]
	}
	return st, nil
}

// migrate brings the schema to this binary's version (apply) or only checks it (!apply). A
// database ahead of the binary is always refused; one behind it is refused when !apply.
func (s *Store) migrate(ctx context.Context, apply bool) error {
	st, err := s.schemaStatus(ctx)
	if err != nil {
		return err
	}
	if st.Database == st.Binary && !st.Legacy {
		return nil // the usual start: nothing to do, no lock taken
	}
	if !apply || st.Database > st.Binary {
		return &SchemaVersionError{Database: st.Database, Binary: st.Binary}
	}
	return s.withMigrationLock(ctx, func() error { // then again under the lock: another replica may have migrated
		st, err := s.schemaStatus(ctx)
		if err != nil {
			return err
		}
		if st.Database > st.Binary {
			return &SchemaVersionError{Database: st.Database, Binary: st.Binary}
		}
		if st.Database == st.Binary {
			return nil
		}
		if st.Legacy {
			s.log.Info("adopting a database made before versioned migrations: bringing it to the baseline (version 1)")
			if err := s.adoptLegacy(ctx); err != nil {
				return fmt.Errorf("adopt: %w", err)
			}
		}
		sqlDB, err := s.db.DB()
		if err != nil {
			return err
		}
		dialect := goose.DialectSQLite3
		if s.dialect == DialectPostgres {
			dialect = goose.DialectPostgres
		}
		p, err := goose.NewProvider(dialect, sqlDB, migrationsFS(s.dialect),
			goose.WithTableName(versionTable), goose.WithSlog(s.log), goose.WithDisableGlobalRegistry(true))
		if err != nil {
			return fmt.Errorf("migrations: %w", err)
		}
		res, err := p.Up(ctx)
		for _, r := range res {
			s.log.Info("schema migrated", "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration)
		}
		if err != nil {
			return fmt.Errorf("migrate from version %d to %d: %w", st.Database, st.Binary, err)
		}
		return nil
	})
}

// withMigrationLock runs fn holding the migration lock: on PostgreSQL a session advisory lock
// held by one connection of the pool while fn uses others; on a SQLite file an exclusive lock
// on the file <database>.migrate-lock (processes sharing the file start together in tests and
// on one machine).
func (s *Store) withMigrationLock(ctx context.Context, fn func() error) (err error) {
	if s.dialect != DialectPostgres {
		if s.sqlitePath == "" {
			return fn()
		}
		unlock, err := lockFile(s.sqlitePath + ".migrate-lock")
		if err != nil {
			return fmt.Errorf("migration lock: %w", err)
		}
		defer unlock()
		return fn()
	}
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	c, err := sqlDB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("advisory lock: %w", err)
	}
	defer func() {
		if _, uerr := c.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrateLockKey); uerr != nil && err == nil {
			err = fmt.Errorf("advisory unlock: %w", uerr)
		}
		_ = c.Close()
	}()
	if _, err := c.ExecContext(ctx, "SELECT pg_advisory_lock($1)", migrateLockKey); err != nil {
		return fmt.Errorf("advisory lock: %w", err)
	}
	return fn()
}

// ReadSchemaStatus opens databaseURL, reads its schema version and closes it; nothing is
// migrated or created (`naversync migrate status`).
func ReadSchemaStatus(ctx context.Context, databaseURL string, opts Options) (SchemaStatus, error) {
	if !IsPostgresURL(databaseURL) {
		// Opening a SQLite file that does not exist would create it (or fail when its directory
		// does not exist either): a database never made is at version 0.
		dsn, memory, err := sqliteDSN(databaseURL)
		if err != nil {
			return SchemaStatus{}, err
		}
		path := strings.TrimPrefix(strings.SplitN(dsn, "?", 2)[0], "file:")
		if _, err := os.Stat(path); !memory && errors.Is(err, fs.ErrNotExist) {
			return SchemaStatus{Binary: latestVersion(DialectSQLite)}, nil
		}
	}
	s, err := open(ctx, databaseURL, opts)
	if err != nil {
		return SchemaStatus{}, err
	}
	defer s.closeDB()
	return s.schemaStatus(ctx)
}
