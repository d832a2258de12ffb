package store

import (
	"time"
)

// gorm models: unexported, converted to the plain exported types at the edge.

type accountRow struct {
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
	HistoryDays    int    `gorm:"not null;default:0"`  // days the tab keeps; 0: Naver's served window
	LastError      string `gorm:"not null"`
	ConsentNeeded  string `gorm:"not null;default:''"` // Account.ConsentNeeded
	ConsentGiven   string `gorm:"not null;default:''"` // Account.ConsentGiven
	ConsentTab     string `gorm:"not null;default:''"` // Account.ConsentTab
	GoogleIdentity string `gorm:"not null;default:''"` // Account.GoogleIdentity
	Tabs           string `gorm:"not null;default:''"` // Account.Tabs
	TabTitles      string `gorm:"not null;default:''"` // Account.TabTitles
	CreatedAt      time.Time
	UpdatedAt      time.Time
	DeletedAt      *time.Time
}

func (accountRow) TableName() string { return "accounts" }

type syncRow struct {
	ID                  string    `gorm:"primaryKey;index:syncs_status_created_id,priority:3;index:syncs_account_created_id,priority:3"`
	AccountID           string    `gorm:"not null;index:syncs_account_created_id,priority:1"`
	CustomerID          string    `gorm:"not null;index:syncs_customer_status,priority:1"`
	FromDay             string    `gorm:"column:from_day;not null"`
	ToDay               string    `gorm:"column:to_day;not null"`
	ReuseBefore         string    `gorm:"not null"`
	FreshAfter          time.Time `gorm:"not null"`
	TriggerKind         string    `gorm:"column:trigger_kind;not null"`
	Status              string    `gorm:"not null;index:syncs_status_created_id,priority:1;index:syncs_customer_status,priority:2;index:syncs_claim_order,priority:1"`
	Phase               string    `gorm:"not null"`
	IdempotencyKey      string    `gorm:"not null"`
	ScheduledFor        string    `gorm:"not null"`
	PlanRank            int64     `gorm:"not null;default:0;index:syncs_claim_order,priority:2"` // Sync.PlanRank
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
	FreeClaims          int64     `gorm:"not null;default:0"`
	LockedUntil         *time.Time
	WaitingSince        *time.Time
	CreatedAt           time.Time `gorm:"index:syncs_status_created_id,priority:2;index:syncs_account_created_id,priority:2;index:syncs_claim_order,priority:3"`
	UpdatedAt           time.Time
	FetchStartedAt      *time.Time
	LockAcquiredAt      *time.Time
	LockReleasedAt      *time.Time
	ProcessingStartedAt *time.Time
	WriteStartedAt      *time.Time
	FinishedAt          *time.Time
	LockWaitNS          int64 `gorm:"column:lock_wait_ns;not null"`
}

func (syncRow) TableName() string { return "syncs" }

type leaseRow struct {
	CustomerID   string    `gorm:"primaryKey"`
	HolderSyncID string    `gorm:"not null"`
	Owner        string    `gorm:"not null"`
	Token        int64     `gorm:"not null"`
	AcquiredAt   time.Time `gorm:"not null"`
	RenewedAt    time.Time `gorm:"not null"`
	ExpiresAt    time.Time `gorm:"not null"`
	FileSeq      int64     `gorm:"not null;default:0"` // versions of the customer's report files
}

func (leaseRow) TableName() string { return "customer_leases" }

type reportFileRow struct {
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

func (reportFileRow) TableName() string { return "report_files" }

// supersededRow is a stored object no report file points at any more, since when.
type supersededRow struct {
	Key          string `gorm:"column:object_key;primaryKey"`
	CustomerID   string `gorm:"not null;index"`
	SupersededAt time.Time
}

func (supersededRow) TableName() string { return "superseded_files" }

type masterEntityRow struct {
	CustomerID string `gorm:"primaryKey"`
	Kind       string `gorm:"primaryKey"`
	ID         string `gorm:"column:entity_id;primaryKey"`
	ParentID   string `gorm:"not null"`
	Name       string `gorm:"not null"`
	Deleted    bool   `gorm:"not null"`
}

func (masterEntityRow) TableName() string { return "master_entities" }

type masterStateRow struct {
	CustomerID string `gorm:"primaryKey"`
	Item       string `gorm:"primaryKey"`
	At         time.Time
}

func (masterStateRow) TableName() string { return "master_states" }

type runRow struct {
	Key           string `gorm:"column:run_key;primaryKey"`
	Owner         string `gorm:"not null"`
	StartedAt     time.Time
	FinishedAt    *time.Time
	Outcome       string `gorm:"not null"`
	OutcomeCode   string `gorm:"not null;default:''"` // Run.OutcomeCode
	OutcomeParams string `gorm:"not null;default:''"` // Run.OutcomeParams
}

func (runRow) TableName() string { return "scheduler_runs" }
