package store

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/pressly/goose/v3"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// ExecForTest runs a statement on the store's database (tests that set up old schemas).
func (s *Store) ExecForTest(ctx context.Context, q string, args ...any) error {
	return s.conn(ctx).Exec(q, args...).Error
}

// CountForTest runs a query of one count on the store's database.
func (s *Store) CountForTest(ctx context.Context, q string, args ...any) (int64, error) {
	var n int64
	err := s.conn(ctx).Raw(q, args...).Scan(&n).Error
	return n, err
}

// LegacyDatabaseForTest makes at url the database release 10e4a02 made (gorm's AutoMigrate of
// that release's models and its SQL steps, no version table), as adoptLegacy does.
func LegacyDatabaseForTest(ctx context.Context, url string) error {
	s, err := open(ctx, url, Options{})
	if err != nil {
		return err
	}
	defer s.closeDB()
	return s.adoptLegacy(ctx)
}

// LatestVersionForTest is the newest schema version of the store's dialect.
func (s *Store) LatestVersionForTest() int64 { return latestVersion(s.dialect) }

// AutoMigrateForTest runs gorm's AutoMigrate of every live model on the store's database and
// returns the statements that would change the schema (CREATE, ALTER, DROP), and the models'
// columns and indexes gorm's Migrator does not find. Both are empty when the migrations made
// exactly the schema the models describe.
func (s *Store) AutoMigrateForTest(ctx context.Context) (ddl, missing []string, err error) {
	models := []any{&accountRow{}, &syncRow{}, &leaseRow{}, &reportFileRow{}, &masterEntityRow{}, &masterStateRow{},
		&runRow{}, &naverJobRow{}, &supersededRow{}, &sheetStateRow{}, &sheetDayRow{}, &sheetTabStateRow{}, &sheetTabDayRow{}, &accountRangeRow{},
		&sheetLockRow{}, &customerRateRow{}, &idempotencyRow{}, &auditRow{}, &quotaSlotRow{}, &webhookRow{}, &outboxRow{}}
	rec := &ddlRecorder{Interface: logger.Discard}
	db := s.conn(ctx).Session(&gorm.Session{Logger: rec})
	m := db.Migrator()
	for _, model := range models {
		stmt := &gorm.Statement{DB: db}
		if err := stmt.Parse(model); err != nil {
			return nil, nil, err
		}
		table := stmt.Schema.Table
		if !m.HasTable(model) {
			missing = append(missing, "table "+table)
			continue
		}
		for _, f := range stmt.Schema.Fields {
			if f.DBName != "" && !m.HasColumn(model, f.DBName) {
				missing = append(missing, "column "+table+"."+f.DBName)
			}
		}
		for _, idx := range stmt.Schema.ParseIndexes() {
			if !m.HasIndex(model, idx.Name) {
				missing = append(missing, "index "+table+"."+idx.Name)
			}
		}
	}
	if err := db.AutoMigrate(models...); err != nil {
		return nil, nil, err
	}
	return rec.ddl, missing, nil
}

// ddlRecorder keeps the schema-changing statements gorm runs.
type ddlRecorder struct {
	logger.Interface
	mu  sync.Mutex
	ddl []string
}

func (r *ddlRecorder) LogMode(logger.LogLevel) logger.Interface { return r }

func (r *ddlRecorder) Trace(_ context.Context, _ time.Time, fc func() (string, int64), _ error) {
	q, _ := fc()
	u := strings.ToUpper(strings.TrimSpace(q))
	if strings.HasPrefix(u, "CREATE") || strings.HasPrefix(u, "ALTER") || strings.HasPrefix(u, "DROP") {
		r.mu.Lock()
		r.ddl = append(r.ddl, q)
		r.mu.Unlock()
	}
}

// MigrateDownForTest undoes the migrations above version (their Down sections); with
// legacy it also drops the version table, leaving the database release 10e4a02 made.
func (s *Store) MigrateDownForTest(ctx context.Context, version int64, legacy bool) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	dialect := goose.DialectSQLite3
	if s.dialect == DialectPostgres {
		dialect = goose.DialectPostgres
	}
	p, err := goose.NewProvider(dialect, sqlDB, migrationsFS(s.dialect), goose.WithTableName(versionTable),
		goose.WithDisableGlobalRegistry(true), goose.WithSlog(s.log))
	if err != nil {
		return err
	}
	if _, err := p.DownTo(ctx, version); err != nil {
		return err
	}
	if legacy {
		return s.conn(ctx).Exec(`DROP TABLE ` + versionTable).Error
	}
	return nil
}
