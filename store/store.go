package store

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Dialect names returned by Store.Dialect.
const (
	DialectPostgres = "postgres"
	DialectSQLite   = "sqlite"
)

// Options configures a Store. The zero value works.
type Options struct {
	// Now is this host's clock; time.Now when nil. The store never decides a lease or a claim
	// by it (those read the database's clock): it only corrects it toward the database's clock
	// for Store.Now. Tests set it to play a replica whose clock drifted.
	Now func() time.Time
	// Clock shifts the database's time (see Clock); nil in production. Tests share one Clock
	// between the Stores of a test world to start time at a chosen instant and move it.
	Clock *Clock
	// Logger receives background problems (wake listener reconnects, failed
	// notifications); discarded when nil. Errors that are returned are not logged.
	Logger *slog.Logger
	// MaxOpenConns caps the connection pool; 0 means 10 on PostgreSQL and 1
	// on SQLite. SQLite has one writer at a time anyway: one connection per
	// process queues writers fairly in Go instead of in SQLite's sleeping
	// busy handler, which starves under contention. An in-memory SQLite
	// database always uses 1.
	MaxOpenConns int
	// NoMigrate: Open applies no migration and fails with a *SchemaVersionError unless the
	// database is exactly at this binary's schema version (operators who migrate separately,
	// with `naversync migrate up`). Without it Open migrates under the advisory lock. A
	// database ahead of the binary is refused either way.
	NoMigrate bool
}

// IsPostgresURL reports whether a database URL names PostgreSQL (else it is a SQLite file).
func IsPostgresURL(databaseURL string) bool {
	return strings.HasPrefix(databaseURL, "postgres://") || strings.HasPrefix(databaseURL, "postgresql://")
}

// Store is the database handle. It is safe for concurrent use by many
// goroutines; several Store instances (replicas) may share one database.
type Store struct {
	db      *gorm.DB
	dialect string
	dsn     string // PostgreSQL URL, for the LISTEN connection
	schema  string // PostgreSQL current_schema(), the NOTIFY payload
	// sqlitePath is the SQLite database file ("" in memory); its migrations are serialized by
	// a lock on <path>.migrate-lock.
	sqlitePath string
	hostNow    func() time.Time
	clock      *Clock
	skew       atomic.Int64 // the database's clock minus the host's, as last measured
	log        *slog.Logger

	ctx    context.Context // canceled by Close; bounds background goroutines
	cancel context.CancelFunc
	wg     sync.WaitGroup

	wakeMu   sync.Mutex
	wakeSubs map[chan struct{}]struct{}
	listen   sync.Once
	closed   bool
}

// Open connects to databaseURL and migrates the schema (see Options.NoMigrate). URLs starting with
// "postgres://" or "postgresql://" select PostgreSQL; "sqlite://<path>",
// "file:<path>" or a plain path select SQLite, opened in WAL mode with
// busy_timeout=10000, foreign keys on and BEGIN IMMEDIATE transactions.
func Open(ctx context.Context, databaseURL string, opts Options) (*Store, error) {
	s, err := open(ctx, databaseURL, opts)
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx, !opts.NoMigrate); err != nil {
		s.closeDB()
		return nil, fmt.Errorf("store: migrate: %w", err)
	}
	if s.dialect == DialectPostgres {
		if err := s.conn(ctx).Raw("SELECT current_schema()").Scan(&s.schema).Error; err != nil {
			s.closeDB()
			return nil, fmt.Errorf("store: open: current schema: %w", err)
		}
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// open connects and checks that the database answers; it migrates nothing.
func open(ctx context.Context, databaseURL string, opts Options) (*Store, error) {
	s := &Store{
		hostNow:  opts.Now,
		clock:    opts.Clock,
		log:      opts.Logger,
		wakeSubs: make(map[chan struct{}]struct{}),
	}
	if s.hostNow == nil {
		s.hostNow = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	maxConns := opts.MaxOpenConns
	var dialector gorm.Dialector
	if IsPostgresURL(databaseURL) {
		s.dialect = DialectPostgres
		s.dsn = databaseURL
		dialector = postgres.Open(databaseURL)
		if maxConns <= 0 {
			maxConns = 10
		}
	} else {
		s.dialect = DialectSQLite
		dsn, memory, err := sqliteDSN(databaseURL)
		if err != nil {
			return nil, fmt.Errorf("store: open: %w", err)
		}
		if !memory {
			s.sqlitePath = strings.TrimPrefix(strings.SplitN(dsn, "?", 2)[0], "file:")
			// The first connection to a new file turns it to WAL, which needs the file alone:
			// SQLite answers SQLITE_BUSY at once, without waiting busy_timeout, to a second
			// process connecting meanwhile (replicas started together). Connect one at a time
			// under the migration lock; the pool's later connections find WAL already set.
			unlock, err := lockFile(s.sqlitePath + ".migrate-lock")
			if err != nil {
				return nil, fmt.Errorf("store: open sqlite: lock: %w", err)
			}
			defer unlock()
		}
		dialector = sqlite.Open(dsn)
		if memory {
			maxConns = 1 // every connection would get its own empty database
		} else if maxConns <= 0 {
			maxConns = 1
		}
	}
	db, err := gorm.Open(dialector, &gorm.Config{
		Logger:                 logger.Discard,
		NowFunc:                s.now,
		TranslateError:         true,
		SkipDefaultTransaction: true,
	})
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", s.dialect, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	sqlDB.SetMaxOpenConns(maxConns)
	sqlDB.SetMaxIdleConns(maxConns)
	s.db = db
	if err := s.Ping(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("store: open: %w", err)
	}
	return s, nil
}

// closeDB closes the pool of a Store that Open did not finish.
func (s *Store) closeDB() {
	if sqlDB, err := s.db.DB(); err == nil {
		_ = sqlDB.Close()
	}
}

// sqliteDSN turns "sqlite://<path>", "file:<path>" or a plain path into a
// glebarez/go-sqlite DSN with the pragmas the store relies on. It reports
// whether the database is in memory.
func sqliteDSN(raw string) (string, bool, error) {
	p := strings.TrimPrefix(raw, "sqlite://")
	p = strings.TrimPrefix(p, "file:")
	query := ""
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p, query = p[:i], p[i+1:]
	}
	if p == "" {
		return "", false, fmt.Errorf("empty sqlite path in %q", raw)
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return "", false, fmt.Errorf("sqlite options %q: %w", query, err)
	}
	// Note: go-sqlite stops reading options after _time_format, so it must not be used.
	q.Del("_time_format")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	memory := p == ":memory:" || strings.Contains(query, "mode=memory")
	return "file:" + p + "?" + q.Encode(), memory, nil
}

// Close stops the wake listener, closes every Wake channel and the pool.
func (s *Store) Close() error {
	s.wakeMu.Lock()
	s.closed = true // no new Wake goroutines from here on
	s.wakeMu.Unlock()
	s.cancel()
	s.wg.Wait()
	s.wakeMu.Lock()
	for ch := range s.wakeSubs {
		delete(s.wakeSubs, ch)
		close(ch)
	}
	s.wakeMu.Unlock()
	sqlDB, err := s.db.DB()
	if err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	if err := sqlDB.Close(); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// Dialect reports the database in use: "postgres" or "sqlite".
func (s *Store) Dialect() string { return s.dialect }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	if err := s.syncClock(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// txKey carries, in a context, the transaction of InTx of one Store.
type txKey struct{ s *Store }

// conn returns the gorm handle bound to ctx: the transaction of InTx when ctx carries one.
func (s *Store) conn(ctx context.Context) *gorm.DB {
	if tx, ok := ctx.Value(txKey{s}).(*gorm.DB); ok {
		return tx.WithContext(ctx)
	}
	return s.db.WithContext(ctx)
}

// tx runs fn in one transaction (BEGIN IMMEDIATE on SQLite); within InTx, in a savepoint of
// InTx's transaction.
func (s *Store) tx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return s.conn(ctx).Transaction(fn)
}

// InTx runs fn in one transaction: every call of this Store made with the context fn receives
// (or one derived from it) is part of it, and is committed when fn returns nil, rolled back
// when it returns an error (which InTx returns). Within another InTx it is a savepoint of the
// outer transaction. The service records a change and its audit entry this way, so that
// neither is kept without the other. fn must not use this Store with another context meanwhile
// (on SQLite the transaction holds the only connection).
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	return s.conn(ctx).Transaction(func(tx *gorm.DB) error {
		return fn(context.WithValue(ctx, txKey{s}, tx))
	})
}

// utc normalizes a time for storage.
func utc(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// utcPtr normalizes an optional time read from or written to the database.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
