package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Adoption of databases made before versioned migrations.
//
// Until release 10e4a02 gorm's AutoMigrate (and a few idempotent SQL steps) made the schema at
// every start, and recorded no version. Such a database has the tables but no goose version
// table. adoptLegacy brings it to the schema of 10e4a02 exactly as that release's start did:
// AutoMigrate with the models frozen as they were in 10e4a02 (the v1… types below: never edit
// them, the live models change in later migrations), then the same SQL steps. Every step is
// idempotent. The baseline migration (version 1, CREATE … IF NOT EXISTS) then finds everything in
// place and goose records version 1; later migrations apply as on any database.
//
// This is the only place AutoMigrate runs outside tests, and it runs only on a database that has
// no version table.

func (s *Store) adoptLegacy(ctx context.Context) error {
	tx := s.conn(ctx)
	if err := tx.AutoMigrate(&v1AccountRow{}, &v1SyncRow{}, &v1LeaseRow{}, &v1ReportFileRow{},
		&v1MasterEntityRow{}, &v1MasterStateRow{}, &v1RunRow{}, &v1NaverJobRow{}, &v1SupersededRow{},
		&v1SheetStateRow{}, &v1SheetDayRow{}, &v1AccountRangeRow{}, &v1SheetLockRow{}, &v1CustomerRateRow{},
		&v1IdempotencyRow{}, &v1AuditRow{}); err != nil {
		return fmt.Errorf("auto migrate: %w", err)
	}
	for _, q := range v1PartialIndexes {
		if err := s.conn(ctx).Exec(q).Error; err != nil {
			return fmt.Errorf("index: %w", err)
		}
	}
	if err := migrateJournal(s.conn(ctx)); err != nil {
		return fmt.Errorf("job journal: %w", err)
	}
	if err := s.backfillTabKeys(s.conn(ctx)); err != nil {
		return fmt.Errorf("tab keys: %w", err)
	}
	for _, q := range v1APISchema {
		if err := s.conn(ctx).Exec(q).Error; err != nil {
			return fmt.Errorf("index: %w", err)
		}
	}
	return nil
}

// v1PartialIndexes are the unique keys gorm tags cannot express, and the audit log's index.
var v1PartialIndexes = []string{
	`CREATE UNIQUE INDEX IF NOT EXISTS syncs_idempotency ON syncs (idempotency_key) WHERE idempotency_key <> ''`,
	`CREATE UNIQUE INDEX IF NOT EXISTS syncs_scheduled ON syncs (account_id, scheduled_for) WHERE scheduled_for <> ''`,
	`CREATE INDEX IF NOT EXISTS runs_started ON scheduler_runs (started_at)`,
	`CREATE INDEX IF NOT EXISTS audit_account_id ON audit_entries (account_id, id)`,
}

// legacyJournalTable is the journal of earlier versions: one row per customer, report type and
// day, overwritten by each create (job_id 0 while the answer was unknown).
const legacyJournalTable = "naver_report_jobs"

// migrateJournal moves the rows of the earlier journal into naver_jobs (a known job id as
// JobMade, an unknown one as JobSent with its time, which the service resolves as any
// uncertain create) and drops that table, in one transaction.
func migrateJournal(conn *gorm.DB) error {
	db := conn.Session(&gorm.Session{NewDB: true})
	if !db.Migrator().HasTable(legacyJournalTable) {
		return nil
	}
	return db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`INSERT INTO naver_jobs (customer_id, kind, report_type, stat_date, job_id, state, sent_at, sync_id, delete_attempts)
			SELECT customer_id, ?, report_type, stat_date,
				CASE WHEN job_id = 0 THEN '' ELSE CAST(job_id AS TEXT) END,
				CASE WHEN job_id = 0 THEN ? ELSE ? END,
				sent_at, sync_id, 0
			FROM `+legacyJournalTable, string(JobStat), string(JobSent), string(JobMade)).Error; err != nil {
			return fmt.Errorf("copy %s: %w", legacyJournalTable, err)
		}
		if err := tx.Exec(`DROP TABLE ` + legacyJournalTable).Error; err != nil {
			return fmt.Errorf("drop %s: %w", legacyJournalTable, err)
		}
		return nil
	})
}

// apiSchema: a live tab is unique per spreadsheet ignoring case (as Google compares names),
// an index for every frequent query of the API, the console and the maintenance (so that
// their cost does not grow with the number of syncs stored), and no secret kept for a deleted
// account.
var v1APISchema = []string{
	`DROP INDEX IF EXISTS accounts_live_sheet`, // the case-sensitive key it replaces
	`CREATE UNIQUE INDEX IF NOT EXISTS accounts_live_sheet_key ON accounts (spreadsheet_id, sheet_tab_key) WHERE deleted_at IS NULL AND spreadsheet_id <> ''`,
	// Replaced by the same keys ending with id (migrate.go), which serve "newest first" lists
	// without a sort.
	`DROP INDEX IF EXISTS syncs_status_created`,
	`DROP INDEX IF EXISTS syncs_account_created`,
	// GET /syncs without filters, and the live list: newest first.
	`CREATE INDEX IF NOT EXISTS syncs_created ON syncs (created_at, id)`,
	// GET /syncs?customer_id=, newest first.
	`CREATE INDEX IF NOT EXISTS syncs_customer_created ON syncs (customer_id, created_at, id)`,
	// An account's last successful sync (GET /accounts), ?account_id=&status=, and the retention
	// job's "newest succeeded sync of the account".
	`CREATE INDEX IF NOT EXISTS syncs_account_status_created ON syncs (account_id, status, created_at, id)`,
	// The change feed of event streams: syncs changed since a time.
	`CREATE INDEX IF NOT EXISTS syncs_updated ON syncs (updated_at)`,
	// Deleted accounts keep no secret (accounts deleted before DeleteAccount wiped it).
	`UPDATE accounts SET secret_enc = NULL WHERE deleted_at IS NOT NULL AND secret_enc IS NOT NULL`,
	// The retention job: the oldest finished syncs.
	`CREATE INDEX IF NOT EXISTS syncs_finished ON syncs (finished_at) WHERE finished_at IS NOT NULL`,
	// The maintenance: files of days no longer served, and whether a superseded object is
	// still a file's (pruning works from the database, never by listing the file store).
	`CREATE INDEX IF NOT EXISTS report_files_stat_date ON report_files (stat_date)`,
	`CREATE INDEX IF NOT EXISTS report_files_object_key ON report_files (object_key)`,
}

// backfillTabKeys computes sheet_tab_key for accounts stored before it existed. Live accounts
// that already share a tab ignoring case (the old case-sensitive key allowed it) keep working:
// the oldest keeps the plain key, the others get one that names them, and a warning asks the
// operator to move them to a tab of their own.
func (s *Store) backfillTabKeys(conn *gorm.DB) error {
	tx := func() *gorm.DB { return conn.Session(&gorm.Session{NewDB: true}) }
	var rows []v1AccountRow
	if err := tx().Where("sheet_tab_key = '' AND sheet_tab <> ''").Order("created_at, id").Find(&rows).Error; err != nil {
		return err
	}
	if len(rows) == 0 {
		return nil
	}
	taken := map[string]bool{}
	var existing []v1AccountRow
	if err := tx().Select("spreadsheet_id, sheet_tab_key").Where("sheet_tab_key <> '' AND deleted_at IS NULL").Find(&existing).Error; err != nil {
		return err
	}
	for _, e := range existing {
		taken[e.SpreadsheetID+"\x00"+e.SheetTabKey] = true
	}
	for _, r := range rows {
		key := foldKey(r.SheetTab)
		if r.DeletedAt == nil && r.SpreadsheetID != "" {
			k := r.SpreadsheetID + "\x00" + key
			if taken[k] {
				s.log.Warn("two live accounts write the same spreadsheet tab (tab names differ only in case); give this account a tab of its own",
					"account_id", r.ID, "spreadsheet_id", r.SpreadsheetID, "sheet_tab", r.SheetTab)
				key += " (shared with another account: " + r.ID + ")"
			}
			taken[k] = true
		}
		if err := tx().Model(&v1AccountRow{}).Where("id = ?", r.ID).Update("sheet_tab_key", key).Error; err != nil {
			return err
		}
	}
	return nil
}

// The models of release 10e4a02, frozen for adoptLegacy.

type v1AccountRow struct {
	ID             string `gorm:"primaryKey"`
	Name           string `gorm:"not null"`
	CustomerID     string `gorm:"not null;index:accounts_customer"`
	APIKey         string `gorm:"column:api_key;not null"`
	SecretEnc      []byte
	SpreadsheetID  string `gorm:"not null"`
	SheetTab       string `gorm:"not null"`
	SheetTabKey    string `gorm:"not null;default:''"` // SheetTab case-folded: unique per live spreadsheet (schema.go)
	Level          string `gorm:"not null"`
	RefreshEnabled bool   `gorm:"not null"`
	RefreshTime    string `gorm:"not null"`
	SheetLanguage  string `gorm:"not null;default:''"` // "" or "en": English; "ko": Korean
	LastError      string `gorm:"not null"`
	ConsentNeeded  string `gorm:"not null;default:''"` // Account.ConsentNeeded
	ConsentGiven   string `gorm:"not null;default:''"` // Account.ConsentGiven
	CreatedAt      time.Time
	UpdatedAt      time.Time
	DeletedAt      *time.Time
}

func (v1AccountRow) TableName() string { return "accounts" }

type v1SyncRow struct {
	ID                  string    `gorm:"primaryKey;index:syncs_status_created_id,priority:3;index:syncs_account_created_id,priority:3"`
	AccountID           string    `gorm:"not null;index:syncs_account_created_id,priority:1"`
	CustomerID          string    `gorm:"not null;index:syncs_customer_status,priority:1"`
	FromDay             string    `gorm:"column:from_day;not null"`
	ToDay               string    `gorm:"column:to_day;not null"`
	ReuseBefore         string    `gorm:"not null"`
	FreshAfter          time.Time `gorm:"not null"`
	TriggerKind         string    `gorm:"column:trigger_kind;not null"`
	Status              string    `gorm:"not null;index:syncs_status_created_id,priority:1;index:syncs_customer_status,priority:2"`
	Phase               string    `gorm:"not null"`
	IdempotencyKey      string    `gorm:"not null"`
	ScheduledFor        string    `gorm:"not null"`
	RetryOf             string    `gorm:"not null"`
	Attempts            int       `gorm:"not null"`
	MaxAttempts         int       `gorm:"not null"`
	RunAfter            time.Time `gorm:"not null"`
	ReportsTotal        int       `gorm:"not null"`
	ReportsFetched      int       `gorm:"not null"`
	RowsProcessed       int64     `gorm:"not null"`
	ErrorMessage        string    `gorm:"not null"`
	ErrorKind           string    `gorm:"not null"`
	CancelRequested     bool      `gorm:"not null"`
	Worker              string    `gorm:"not null"`
	LeaseToken          int64     `gorm:"not null"`
	ClaimToken          int64     `gorm:"not null;default:0"`
	LockedUntil         *time.Time
	WaitingSince        *time.Time
	CreatedAt           time.Time `gorm:"index:syncs_status_created_id,priority:2;index:syncs_account_created_id,priority:2"`
	UpdatedAt           time.Time
	FetchStartedAt      *time.Time
	LockAcquiredAt      *time.Time
	LockReleasedAt      *time.Time
	ProcessingStartedAt *time.Time
	WriteStartedAt      *time.Time
	FinishedAt          *time.Time
	LockWaitNS          int64 `gorm:"column:lock_wait_ns;not null"`
}

func (v1SyncRow) TableName() string { return "syncs" }

type v1LeaseRow struct {
	CustomerID   string    `gorm:"primaryKey"`
	HolderSyncID string    `gorm:"not null"`
	Owner        string    `gorm:"not null"`
	Token        int64     `gorm:"not null"`
	AcquiredAt   time.Time `gorm:"not null"`
	RenewedAt    time.Time `gorm:"not null"`
	ExpiresAt    time.Time `gorm:"not null"`
	FileSeq      int64     `gorm:"not null;default:0"` // versions of the customer's report files
}

func (v1LeaseRow) TableName() string { return "customer_leases" }

type v1ReportFileRow struct {
	CustomerID string `gorm:"primaryKey"`
	ReportType string `gorm:"primaryKey"`
	StatDate   string `gorm:"primaryKey"`
	Key        string `gorm:"column:object_key;not null"`
	SHA256     string `gorm:"column:sha256;not null"`
	Size       int64  `gorm:"not null"`
	State      string `gorm:"not null"`
	SyncID     string `gorm:"not null"`
	FetchedAt  time.Time
	Seq        int64 `gorm:"not null;default:0"`
	Recheck    bool  `gorm:"not null;default:false"`
}

func (v1ReportFileRow) TableName() string { return "report_files" }

type v1SupersededRow struct {
	Key          string `gorm:"column:object_key;primaryKey"`
	CustomerID   string `gorm:"not null;index"`
	SupersededAt time.Time
}

func (v1SupersededRow) TableName() string { return "superseded_files" }

type v1MasterEntityRow struct {
	CustomerID string `gorm:"primaryKey"`
	Kind       string `gorm:"primaryKey"`
	ID         string `gorm:"column:entity_id;primaryKey"`
	ParentID   string `gorm:"not null"`
	Name       string `gorm:"not null"`
	Deleted    bool   `gorm:"not null"`
}

func (v1MasterEntityRow) TableName() string { return "master_entities" }

type v1MasterStateRow struct {
	CustomerID string `gorm:"primaryKey"`
	Item       string `gorm:"primaryKey"`
	At         time.Time
}

func (v1MasterStateRow) TableName() string { return "master_states" }

type v1RunRow struct {
	Key        string `gorm:"column:run_key;primaryKey"`
	Owner      string `gorm:"not null"`
	StartedAt  time.Time
	FinishedAt *time.Time
	Outcome    string `gorm:"not null"`
}

func (v1RunRow) TableName() string { return "scheduler_runs" }

type v1NaverJobRow struct {
	ID             int64  `gorm:"primaryKey;autoIncrement"`
	CustomerID     string `gorm:"not null;index:naver_jobs_customer"`
	Kind           string `gorm:"not null"`
	ReportType     string `gorm:"not null"`
	StatDate       string `gorm:"not null"`
	JobID          string `gorm:"not null"`
	State          string `gorm:"not null"`
	SentAt         time.Time
	SyncID         string `gorm:"not null"`
	DeleteAttempts int    `gorm:"not null;default:0"`
	DeleteAfter    *time.Time
}

func (v1NaverJobRow) TableName() string { return "naver_jobs" }

type v1SheetStateRow struct {
	AccountID     string `gorm:"primaryKey"`
	SpreadsheetID string `gorm:"not null"`
	Tab           string `gorm:"not null"`
	Layout        []byte
	Dirty         bool `gorm:"not null"`
	UpdatedAt     time.Time
	CellUsage     []byte
}

func (v1SheetStateRow) TableName() string { return "sheet_states" }

type v1SheetDayRow struct {
	AccountID string `gorm:"primaryKey"`
	StatDate  string `gorm:"primaryKey"`
	Digest    string `gorm:"not null"`
	Version   int64  `gorm:"not null"`
	Rows      int    `gorm:"not null"`
}

func (v1SheetDayRow) TableName() string { return "sheet_days" }

type v1AccountRangeRow struct {
	AccountID string `gorm:"primaryKey"`
	FromDay   string `gorm:"column:from_day;primaryKey"`
	ToDay     string `gorm:"column:to_day;not null"`
}

func (v1AccountRangeRow) TableName() string { return "account_ranges" }

type v1SheetLockRow struct {
	SpreadsheetID string    `gorm:"primaryKey"`
	HolderSyncID  string    `gorm:"not null"`
	Token         int64     `gorm:"not null"`
	ExpiresAt     time.Time `gorm:"not null"`
}

func (v1SheetLockRow) TableName() string { return "sheet_locks" }

type v1CustomerRateRow struct {
	CustomerID string    `gorm:"primaryKey"`
	Rate       float64   `gorm:"not null"`
	UpdatedAt  time.Time `gorm:"not null"`
}

func (v1CustomerRateRow) TableName() string { return "customer_rates" }

type v1IdempotencyRow struct {
	Scope       string    `gorm:"primaryKey"`
	Key         string    `gorm:"column:idem_key;primaryKey"`
	Fingerprint string    `gorm:"not null"`
	SyncID      string    `gorm:"not null"`
	Created     bool      `gorm:"not null"`
	CreatedAt   time.Time `gorm:"not null"`
	ExpiresAt   time.Time `gorm:"not null;index:idempotency_expires"`
}

func (v1IdempotencyRow) TableName() string { return "idempotency_keys" }

type v1AuditRow struct {
	ID        string    `gorm:"primaryKey"`
	At        time.Time `gorm:"not null"`
	Actor     string    `gorm:"not null"`
	Role      string    `gorm:"not null"`
	Action    string    `gorm:"not null"`
	AccountID string    `gorm:"not null;index:audit_account,priority:1"`
	SyncID    string    `gorm:"not null"`
	Fields    string    `gorm:"not null"` // comma-separated names
	Detail    string    `gorm:"not null"`
}

func (v1AuditRow) TableName() string { return "audit_entries" }
