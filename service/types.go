package service

import (
	"time"

	"github.com/naversync/naversync/report"
	"github.com/naversync/naversync/store"
)

// Sync statuses a client sees. They are the store's own words: one vocabulary, end to end.
const (
	StatusQueued     = store.StatusQueued
	StatusFetching   = store.StatusFetching
	StatusProcessing = store.StatusProcessing
	StatusSucceeded  = store.StatusSucceeded
	StatusFailed     = store.StatusFailed
	StatusCanceled   = store.StatusCanceled
)

// Phases refine a status.
const (
	PhaseQueued             = store.PhaseQueued
	PhaseWaitingCustomer    = store.PhaseWaitingCustomer
	PhaseWaitingNaverJobs   = store.PhaseWaitingNaverJobs
	PhaseFetching           = store.PhaseFetching
	PhaseAwaitingProcessing = store.PhaseAwaitingProcessing
	PhaseProcessing         = store.PhaseProcessing
	PhaseWriting            = store.PhaseWriting
	PhaseDone               = store.PhaseDone
)

// Triggers say why a sync exists; all run the same flow.
const (
	TriggerManual    = store.TriggerManual
	TriggerScheduled = store.TriggerScheduled
	TriggerRetry     = store.TriggerRetry
	TriggerBackfill  = store.TriggerBackfill
)

// Levels at which rows are aggregated in the sheet.
const (
	LevelCampaign = report.LevelCampaign
	LevelAdgroup  = report.LevelAdgroup
	LevelKeyword  = report.LevelKeyword
)

// Account is an advertiser whose Naver data is kept in one sheet tab. Secrets are never part of it.
type Account struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	CustomerID     string `json:"customer_id"`
	APIKey         string `json:"api_key"`
	SpreadsheetID  string `json:"spreadsheet_id"`
	SheetTab       string `json:"sheet_tab"`
	Level          string `json:"level"`
	RefreshEnabled bool   `json:"refresh_enabled"`
	RefreshTime    string `json:"refresh_time,omitempty"`
	// SheetLanguage is the language of the sheet's headers and labels: "en" or "ko".
	SheetLanguage string `json:"sheet_language"`
	LastError     string `json:"last_error,omitempty"`
	// LastErrorCode names LastError for a client to say it in its own language: only a sync
	// failing because Naver refused the credentials records an account's error.
	LastErrorCode MessageCode `json:"last_error_code,omitempty"`
	LastSuccessAt *time.Time  `json:"last_success_at,omitempty"`
	// SheetGID is the sheetId ("gid" in its address) of the account's first tab (its
	// performance tab when it has one) as last written, while that tab still has the title the
	// account gives it; absent before the first write.
	SheetGID *int64 `json:"sheet_gid,omitempty"`
	// TabGIDs are the sheetIds of each of the account's tabs written so far (kind -> sheetId),
	// on the same terms as SheetGID: links to every tab.
	TabGIDs map[string]int64 `json:"tab_gids,omitempty"`
	// SheetCells is how much of Google's cell limit the account's spreadsheet used after the
	// account's last write, and which tabs took the room; absent before the first write.
	SheetCells *SheetCells `json:"sheet_cells,omitempty"`
	// NextRefreshAt is when the scheduler refreshes the account next; absent when its refresh is
	// off or no scheduler runs in this process.
	NextRefreshAt *time.Time `json:"next_refresh_at,omitempty"`
	// SheetConsent is present when a sync found the account's tab holding data naversync did
	// not write: needed while it waits for a person's consent, given once consented.
	SheetConsent *SheetConsent `json:"sheet_consent,omitempty"`
	// GoogleIdentity is the service account that writes the account's sheet: the address to
	// share the spreadsheet with, as an editor.
	GoogleIdentity string    `json:"google_identity"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	// Warnings, in the answer of a save only, name what may keep syncs from writing the sheet
	// (saved anyway: a sheet naversync cannot edit, confirmed; a tab holding someone's data).
	Warnings []FieldError `json:"warnings,omitempty"`
	// HistoryDays is how many days, up to yesterday, the account's tab keeps: the morning
	// refresh syncs exactly [today-HistoryDays, yesterday], and older days leave the tab at its
	// next write. 1 to Naver's served window (the default).
	HistoryDays int `json:"history_days"`
	// Tabs are the kinds of tab the account's sheet gets (report.Kind; "performance" by
	// default); a sync writes them in report.Tabs() order.
	Tabs []string `json:"tabs"`
	// TabTitles are the titles in the spreadsheet of the account's tabs, kind -> title, one for
	// every kind in Tabs: the performance tab's is SheetTab.
	TabTitles map[string]string `json:"tab_titles"`
}

// AccountInput creates an account. SecretKey is write-only: stored encrypted, never returned.
type AccountInput struct {
	Name           string `json:"name"`
	CustomerID     string `json:"customer_id"`
	APIKey         string `json:"api_key"`
	SecretKey      string `json:"secret_key"`
	SpreadsheetID  string `json:"spreadsheet_id"`
	SheetTab       string `json:"sheet_tab"`
	Level          string `json:"level"`
	RefreshEnabled *bool  `json:"refresh_enabled"`
	RefreshTime    string `json:"refresh_time"`
	SheetLanguage  string `json:"sheet_language"` // "en" (default) or "ko"
	// GoogleIdentity chooses the service account that writes the sheet, one of the pool's
	// (GET /info); "" gives the least-loaded.
	GoogleIdentity      string `json:"google_identity"`
	ValidateCredentials bool   `json:"validate_credentials"`
	// ConfirmSheetAccess saves the account even though naversync cannot edit its spreadsheet
	// now (not shared, view-only, not found) or Google could not be asked; the answer warns.
	ConfirmSheetAccess bool `json:"confirm_sheet_access"`
	// ReplaceTabData is the caller's consent to naversync replacing the data the performance tab
	// (SheetTab) holds now (values naversync did not write), recorded in the audit log; without
	// it the save warns and the first sync stops before replacing them and asks (as it does for
	// the account's other tabs).
	ReplaceTabData bool `json:"replace_tab_data"`
	// HistoryDays: 1 to Naver's served window; nil keeps the served window.
	HistoryDays *int `json:"history_days"`
	// Tabs: the kinds of tab, each once; nil gives the performance tab.
	Tabs []string `json:"tabs"`
	// TabTitles: the titles of the tabs, kind -> title, for kinds in Tabs; a kind left out gets
	// its default title, and the performance tab's, given or not, is SheetTab.
	TabTitles map[string]string `json:"tab_titles"`
}

// AccountPatch changes some fields of an account; nil fields stay as they are.
type AccountPatch struct {
	Name           *string `json:"name"`
	APIKey         *string `json:"api_key"`
	SecretKey      *string `json:"secret_key"`
	SpreadsheetID  *string `json:"spreadsheet_id"`
	SheetTab       *string `json:"sheet_tab"`
	Level          *string `json:"level"`
	RefreshEnabled *bool   `json:"refresh_enabled"`
	RefreshTime    *string `json:"refresh_time"`
	SheetLanguage  *string `json:"sheet_language"`
	// GoogleIdentity moves the account to another of the pool's identities (its sheet's access
	// is checked with the new one, as for a new spreadsheet); "" keeps it.
	GoogleIdentity *string   `json:"google_identity"`
	HistoryDays    *int      `json:"history_days"`
	Tabs           *[]string `json:"tabs"`
	// TabTitles renames the tabs it names (kinds of the account's tabs after the change); the
	// others keep their titles (a kind added without one gets its default title).
	TabTitles *map[string]string `json:"tab_titles"`
	// ValidateCredentials checks the account's credentials after the change with Naver first.
	ValidateCredentials bool `json:"validate_credentials"`
	// ConfirmSheetAccess: as in AccountInput, when the spreadsheet, the tabs or their titles,
	// or the identity change (each is checked with Google).
	ConfirmSheetAccess bool `json:"confirm_sheet_access"`
	// ReplaceTabData: as in AccountInput, when the spreadsheet, the tabs or their titles change.
	ReplaceTabData bool `json:"replace_tab_data"`
}

// SyncRequest asks for one account's data over a range: Days (ending yesterday) or From/To
// (inclusive YYYY-MM-DD days in Naver's time zone). Neither given means the full served window.
type SyncRequest struct {
	AccountID      string `json:"account_id"`
	Days           int    `json:"days,omitempty"`
	From           string `json:"from,omitempty"`
	To             string `json:"to,omitempty"`
	Trigger        string `json:"-"`
	IdempotencyKey string `json:"-"`
	ScheduledFor   string `json:"-"`
	PlanRank       int64  `json:"-"` // the sync's place in its refresh's plan (store.Sync.PlanRank); 0 unplanned
	// Full re-fetches every day of the range; otherwise days older than the settle window are
	// reused from files the service already holds.
	Full bool `json:"full,omitempty"`
}

// Progress of a sync.
type Progress struct {
	ReportsFetched int     `json:"reports_fetched"`
	ReportsTotal   int     `json:"reports_total"`
	RowsProcessed  int64   `json:"rows_processed"`
	Percent        float64 `json:"percent"`
}

// Timings of a sync: when each phase began and how long it took (milliseconds).
type Timings struct {
	QueuedAt            time.Time  `json:"queued_at"`
	FetchStartedAt      *time.Time `json:"fetch_started_at,omitempty"`
	LockAcquiredAt      *time.Time `json:"lock_acquired_at,omitempty"`
	LockReleasedAt      *time.Time `json:"lock_released_at,omitempty"`
	ProcessingStartedAt *time.Time `json:"processing_started_at,omitempty"`
	WriteStartedAt      *time.Time `json:"write_started_at,omitempty"`
	FinishedAt          *time.Time `json:"finished_at,omitempty"`
	LockWaitMS          int64      `json:"lock_wait_ms"`
	FetchMS             int64      `json:"fetch_ms"`
	ProcessingMS        int64      `json:"processing_ms"`
	WriteMS             int64      `json:"write_ms"`
}

// SyncError is why a sync failed (or the last transient error of a retrying one).
type SyncError struct {
	Kind    ErrorKind `json:"kind"`
	Message string    `json:"message"`
	// Code names the error for a client to say it in its own language: one code per kind,
	// stored as the kind (Message, Naver's or Google's own words, has the details).
	Code MessageCode `json:"code"`
}

// Sync is one account's data over one date range, on its way to the sheet.
type Sync struct {
	ID              string     `json:"id"`
	AccountID       string     `json:"account_id"`
	CustomerID      string     `json:"customer_id"`
	From            string     `json:"from"`
	To              string     `json:"to"`
	Trigger         string     `json:"trigger"`
	Status          string     `json:"status"`
	Phase           string     `json:"phase"`
	Attempts        int        `json:"attempts"`
	Progress        Progress   `json:"progress"`
	Timings         Timings    `json:"timings"`
	Error           *SyncError `json:"error,omitempty"`
	RetryOf         string     `json:"retry_of,omitempty"`
	CancelRequested bool       `json:"cancel_requested,omitempty"`
	// NextAttemptAt is when a sync that met a passing failure (Naver or Google busy, a quota)
	// and waits in the queue is tried again; absent otherwise.
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
	// Warnings, in the answer of POST /syncs only, say how the request's range was changed
	// (clipped to the account's history_days).
	Warnings []FieldError `json:"warnings,omitempty"`
}

// Terminal reports whether the sync has finished for good.
func (s Sync) Terminal() bool {
	return s.Status == StatusSucceeded || s.Status == StatusFailed || s.Status == StatusCanceled
}

// SyncFilter selects syncs for a list; Cursor continues a previous page.
type SyncFilter struct {
	AccountID     string
	CustomerID    string
	Statuses      []string
	CreatedAfter  time.Time
	CreatedBefore time.Time
	Limit         int
	Cursor        string
}

// Lease is who holds a Naver customer's mutex, and which syncs wait behind it.
type Lease struct {
	CustomerID   string    `json:"customer_id"`
	HolderSyncID string    `json:"holder_sync_id"`
	Owner        string    `json:"owner"`
	Token        int64     `json:"token"`
	AcquiredAt   time.Time `json:"acquired_at"`
	ExpiresAt    time.Time `json:"expires_at"`
	Waiting      []string  `json:"waiting"`
}

// SchedulerStatus is what the refresh scheduler will do next and what it did last.
type SchedulerStatus struct {
	Schedule string      `json:"schedule"`
	Timezone string      `json:"timezone"`
	NextRuns []time.Time `json:"next_runs"`
	LastRuns []RunView   `json:"last_runs"`
	// Morning is the progress of the day's scheduled syncs and their expected end.
	Morning MorningProgress `json:"morning"`
}

// RunView is one refresh run.
type RunView struct {
	Key        string     `json:"key"`
	Owner      string     `json:"owner"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	Outcome    string     `json:"outcome"`
	// OutcomeCode and OutcomeParams name Outcome for a client to say it in its own language
	// (absent for runs recorded before codes existed, and for runs not finished).
	OutcomeCode   MessageCode   `json:"outcome_code,omitempty"`
	OutcomeParams MessageParams `json:"outcome_params,omitempty"`
}
