package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// TabPerformance is the kind of the performance tab (report.KindPerformance; "" reads as it).
// Its state is kept where releases before tab kinds read and write it (sheet_states,
// sheet_days, one row per account), so that the previous release, running beside this one or
// rolled back to, keeps the performance tab's incremental state; the other kinds' state is in
// sheet_tab_states and sheet_tab_days, keyed by (account, tab kind) (migration 00007).
const TabPerformance = "performance"

// tabKind normalizes a tab kind: "" is the performance tab.
func tabKind(kind string) string {
	if kind == "" {
		return TabPerformance
	}
	return kind
}

// SheetState is what one tab of an account holds as last written: the writer's record of the
// tab (opaque to the store) and, per day, the files and version its rows came from. Each kind of
// tab of an account has its own. It is kept apart from the sync history, so that pruning old
// syncs never changes what a sheet shows.
type SheetState struct {
	AccountID string
	// TabKind is the kind of tab (report.Kind) the state is of.
	TabKind       string
	SpreadsheetID string
	Tab           string
	// Layout is the writer's record of the tab, passed back to it on the next write.
	Layout []byte
	// Dirty: a write began after the last record, so the tab may hold anything; the next write
	// must not rely on Layout.
	Dirty bool
	Days  []SheetDay // newest first
}

// SheetDay is one day of a tab as written.
type SheetDay struct {
	StatDate string // YYYY-MM-DD
	// Digest names what the day shows: the files its rows came from (their checksums and
	// states) and the names of the entities they display; the day changed when it differs.
	Digest string
	// Version is the highest Seq of those files: a write never replaces a day with older data.
	Version int64
	Rows    int
}

// DayRange is an inclusive range of days, YYYY-MM-DD.
type DayRange struct{ From, To string }

// SheetRecord is what a successful write records, with the sync that made it: the tab's new
// state, and the sync's range, which joins the days the account's sheet shows.
type SheetRecord struct {
	AccountID string
	// TabKind is the kind of the tab written (report.Kind; "" is the performance tab).
	TabKind            string
	SpreadsheetID, Tab string
	Layout             []byte
	Days               []SheetDay
	Range              DayRange
	// Usage is the writer's account of the spreadsheet's cells after the write (opaque to the
	// store), shown with the account.
	Usage []byte
}

type sheetStateRow struct {
	AccountID     string `gorm:"primaryKey"`
	SpreadsheetID string `gorm:"not null"`
	Tab           string `gorm:"not null"`
	Layout        []byte
	Dirty         bool `gorm:"not null"`
	UpdatedAt     time.Time
	CellUsage     []byte
}

func (sheetStateRow) TableName() string { return "sheet_states" }

type sheetDayRow struct {
	AccountID string `gorm:"primaryKey"`
	StatDate  string `gorm:"primaryKey"`
	Digest    string `gorm:"not null"`
	Version   int64  `gorm:"not null"`
	Rows      int    `gorm:"not null"`
}

func (sheetDayRow) TableName() string { return "sheet_days" }

// sheetTabStateRow is the state of a tab of a kind other than the performance tab's (whose
// state stays in sheet_states, TabPerformance).
type sheetTabStateRow struct {
	AccountID     string `gorm:"primaryKey"`
	TabKind       string `gorm:"primaryKey"`
	SpreadsheetID string `gorm:"not null"`
	Tab           string `gorm:"not null"`
	Layout        []byte
	Dirty         bool `gorm:"not null"`
	UpdatedAt     time.Time
	CellUsage     []byte
}

func (sheetTabStateRow) TableName() string { return "sheet_tab_states" }

// sheetTabDayRow is a day of a tab of a kind other than the performance tab's.
type sheetTabDayRow struct {
	AccountID string `gorm:"primaryKey"`
	TabKind   string `gorm:"primaryKey"`
	StatDate  string `gorm:"primaryKey"`
	Digest    string `gorm:"not null"`
	Version   int64  `gorm:"not null"`
	Rows      int    `gorm:"not null"`
}

func (sheetTabDayRow) TableName() string { return "sheet_tab_days" }

// tabState is where the state of one kind of tab of an account is kept: the performance tab's
// in the tables older releases read (sheet_states, sheet_days, keyed by the account), the other
// kinds' in sheet_tab_states and sheet_tab_days (keyed by account and kind).
type tabState struct {
	accountID, kind string
}

func stateOf(accountID, kind string) tabState {
	return tabState{accountID: accountID, kind: tabKind(kind)}
}

func (t tabState) legacy() bool { return t.kind == TabPerformance }

// where selects the tab's rows in its state or days table.
func (t tabState) where(tx *gorm.DB) *gorm.DB {
	if t.legacy() {
		return tx.Where("account_id = ?", t.accountID)
	}
	return tx.Where("account_id = ? AND tab_kind = ?", t.accountID, t.kind)
}

// state reads the tab's state row; ok is false when there is none.
func (t tabState) state(tx *gorm.DB) (row sheetTabStateRow, ok bool, err error) {
	if t.legacy() {
		var rows []sheetStateRow
		if err := t.where(tx).Limit(1).Find(&rows).Error; err != nil || len(rows) == 0 {
			return row, false, err
		}
		r := rows[0]
		return sheetTabStateRow{AccountID: r.AccountID, TabKind: t.kind, SpreadsheetID: r.SpreadsheetID, Tab: r.Tab,
			Layout: r.Layout, Dirty: r.Dirty, UpdatedAt: r.UpdatedAt, CellUsage: r.CellUsage}, true, nil
	}
	var rows []sheetTabStateRow
	if err := t.where(tx).Limit(1).Find(&rows).Error; err != nil || len(rows) == 0 {
		return row, false, err
	}
	return rows[0], true, nil
}

// days reads the tab's days, newest first.
func (t tabState) days(tx *gorm.DB) ([]SheetDay, error) {
	var out []SheetDay
	if t.legacy() {
		var rows []sheetDayRow
		if err := t.where(tx).Order("stat_date DESC").Find(&rows).Error; err != nil {
			return nil, err
		}
		for _, d := range rows {
			out = append(out, SheetDay{StatDate: d.StatDate, Digest: d.Digest, Version: d.Version, Rows: d.Rows})
		}
		return out, nil
	}
	var rows []sheetTabDayRow
	if err := t.where(tx).Order("stat_date DESC").Find(&rows).Error; err != nil {
		return nil, err
	}
	for _, d := range rows {
		out = append(out, SheetDay{StatDate: d.StatDate, Digest: d.Digest, Version: d.Version, Rows: d.Rows})
	}
	return out, nil
}

// markDirty records that a write of the tab began (creating its state row if none).
func (t tabState) markDirty(tx *gorm.DB, spreadsheetID, tab string, now time.Time) error {
	set := clause.Assignments(map[string]any{"dirty": true, "updated_at": now})
	if t.legacy() {
		return tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "account_id"}}, DoUpdates: set}).
			Create(&sheetStateRow{AccountID: t.accountID, SpreadsheetID: spreadsheetID, Tab: tab, Dirty: true, UpdatedAt: now}).Error
	}
	return tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "account_id"}, {Name: "tab_kind"}}, DoUpdates: set}).
		Create(&sheetTabStateRow{AccountID: t.accountID, TabKind: t.kind, SpreadsheetID: spreadsheetID, Tab: tab, Dirty: true, UpdatedAt: now}).Error
}

// record replaces the tab's state and days with those of a successful write.
func (t tabState) record(tx *gorm.DB, rec SheetRecord, now time.Time) error {
	cols := clause.AssignmentColumns([]string{"spreadsheet_id", "tab", "layout", "dirty", "updated_at", "cell_usage"})
	if t.legacy() {
		if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "account_id"}}, DoUpdates: cols}).
			Create(&sheetStateRow{AccountID: t.accountID, SpreadsheetID: rec.SpreadsheetID, Tab: rec.Tab,
				Layout: rec.Layout, Dirty: false, UpdatedAt: now, CellUsage: rec.Usage}).Error; err != nil {
			return err
		}
		if err := t.where(tx).Delete(&sheetDayRow{}).Error; err != nil {
			return err
		}
		if len(rec.Days) == 0 {
			return nil
		}
		rows := make([]sheetDayRow, len(rec.Days))
		for i, d := range rec.Days {
			rows[i] = sheetDayRow{AccountID: t.accountID, StatDate: d.StatDate, Digest: d.Digest, Version: d.Version, Rows: d.Rows}
		}
		return tx.CreateInBatches(rows, 500).Error
	}
	if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "account_id"}, {Name: "tab_kind"}}, DoUpdates: cols}).
		Create(&sheetTabStateRow{AccountID: t.accountID, TabKind: t.kind, SpreadsheetID: rec.SpreadsheetID, Tab: rec.Tab,
			Layout: rec.Layout, Dirty: false, UpdatedAt: now, CellUsage: rec.Usage}).Error; err != nil {
		return err
	}
	if err := t.where(tx).Delete(&sheetTabDayRow{}).Error; err != nil {
		return err
	}
	if len(rec.Days) == 0 {
		return nil
	}
	rows := make([]sheetTabDayRow, len(rec.Days))
	for i, d := range rec.Days {
		rows[i] = sheetTabDayRow{AccountID: t.accountID, TabKind: t.kind, StatDate: d.StatDate, Digest: d.Digest, Version: d.Version, Rows: d.Rows}
	}
	return tx.CreateInBatches(rows, 500).Error
}

type accountRangeRow struct {
	AccountID string `gorm:"primaryKey"`
	FromDay   string `gorm:"column:from_day;primaryKey"`
	ToDay     string `gorm:"column:to_day;not null"`
}

func (accountRangeRow) TableName() string { return "account_ranges" }

type sheetLockRow struct {
	SpreadsheetID string    `gorm:"primaryKey"`
	HolderSyncID  string    `gorm:"not null"`
	Token         int64     `gorm:"not null"`
	ExpiresAt     time.Time `gorm:"not null"`
}

func (sheetLockRow) TableName() string { return "sheet_locks" }

// SheetState returns the state of the account's tab of kind (report.Kind; "" is the performance
// tab); a zero state (no Layout, no days) when nothing was recorded yet.
func (s *Store) SheetState(ctx context.Context, accountID, kind string) (SheetState, error) {
	t := stateOf(accountID, kind)
	st := SheetState{AccountID: accountID, TabKind: t.kind}
	row, ok, err := t.state(s.conn(ctx))
	if err != nil {
		return st, fmt.Errorf("sheet state %s/%s: %w", accountID, t.kind, mapErr(err))
	}
	if ok {
		st.SpreadsheetID, st.Tab, st.Layout, st.Dirty = row.SpreadsheetID, row.Tab, row.Layout, row.Dirty
	}
	if st.Days, err = t.days(s.conn(ctx)); err != nil {
		return st, fmt.Errorf("sheet state %s/%s: %w", accountID, t.kind, mapErr(err))
	}
	return st, nil
}

// AccountDays returns the ranges of days the account's succeeded syncs covered (merged, oldest
// first): the days its sheet shows.
func (s *Store) AccountDays(ctx context.Context, accountID string) ([]DayRange, error) {
	var rows []accountRangeRow
	if err := s.conn(ctx).Where("account_id = ?", accountID).Order("from_day").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("account days %s: %w", accountID, mapErr(err))
	}
	out := make([]DayRange, len(rows))
	for i, r := range rows {
		out[i] = DayRange{From: r.FromDay, To: r.ToDay}
	}
	return out, nil
}

// MergeRanges returns the union of ranges, merged and sorted; adjacent days join.
func MergeRanges(ranges []DayRange) []DayRange {
	rs := slices.Clone(ranges)
	slices.SortFunc(rs, func(a, b DayRange) int { return cmpString(a.From, b.From) })
	var out []DayRange
	for _, r := range rs {
		if r.From > r.To {
			continue
		}
		if n := len(out); n > 0 && r.From <= nextDay(out[n-1].To) {
			out[n-1].To = max(out[n-1].To, r.To)
			continue
		}
		out = append(out, r)
	}
	return out
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func nextDay(d string) string {
	t, err := time.Parse(time.DateOnly, d)
	if err != nil {
		return d
	}
	return t.AddDate(0, 0, 1).Format(time.DateOnly)
}

// BeginSheetWrite marks the recorded state of the account's tab of kind dirty before a write,
// fenced by c: if the write is never recorded (the worker dies), the next write does not trust
// the old record. The account's other tabs keep theirs.
func (s *Store) BeginSheetWrite(ctx context.Context, c Claim, accountID, kind, spreadsheetID, tab string) error {
	return s.transition(ctx, "begin sheet write", c, false, func(tx *gorm.DB, _ syncRow, now time.Time) error {
		return stateOf(accountID, kind).markDirty(tx, spreadsheetID, tab, now)
	})
}

// RecordSheetWrite records a successful write of one tab of c's sync, fenced by c, while the
// sync goes on to its other tabs: the tab's state (no longer dirty: the next write trusts it)
// and rec.Range joined to the days the account's sheet shows (the tab shows them now).
// ErrLeaseLost when c no longer holds the sync (nothing is recorded).
func (s *Store) RecordSheetWrite(ctx context.Context, c Claim, rec SheetRecord) error {
	return s.transition(ctx, "record sheet write", c, false, func(tx *gorm.DB, _ syncRow, now time.Time) error {
		return recordSheet(tx, rec, now)
	})
}

// recordSheet stores a successful write of one tab inside a transition.
func recordSheet(tx *gorm.DB, rec SheetRecord, now time.Time) error {
	if err := stateOf(rec.AccountID, rec.TabKind).record(tx, rec, now); err != nil {
		return err
	}
	if rec.Range.From == "" {
		return nil
	}
	var old []accountRangeRow
	if err := tx.Where("account_id = ?", rec.AccountID).Find(&old).Error; err != nil {
		return err
	}
	ranges := []DayRange{rec.Range}
	for _, r := range old {
		ranges = append(ranges, DayRange{From: r.FromDay, To: r.ToDay})
	}
	merged := MergeRanges(ranges)
	if err := tx.Where("account_id = ?", rec.AccountID).Delete(&accountRangeRow{}).Error; err != nil {
		return err
	}
	rows := make([]accountRangeRow, len(merged))
	for i, r := range merged {
		rows[i] = accountRangeRow{AccountID: rec.AccountID, FromDay: r.From, ToDay: r.To}
	}
	return tx.Create(&rows).Error
}

// AcquireSheetLock takes the lock on a spreadsheet for c's sync, for ttl by the database's time;
// the claim's renewals extend it and the claim's end releases it. Any number of replicas thus
// write one spreadsheet one at a time. It reports false when another live holder has it.
// ErrLeaseLost when c no longer holds its sync.
func (s *Store) AcquireSheetLock(ctx context.Context, c Claim, spreadsheetID string, ttl time.Duration) (bool, error) {
	got := false
	err := s.transition(ctx, "acquire sheet lock", c, false, func(tx *gorm.DB, _ syncRow, now time.Time) error {
		var tokens []int64
		if err := tx.Raw(`INSERT INTO sheet_locks (spreadsheet_id, holder_sync_id, token, expires_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (spreadsheet_id) DO UPDATE SET holder_sync_id = excluded.holder_sync_id, token = excluded.token,
			 expires_at = excluded.expires_at
			WHERE sheet_locks.expires_at <= ? OR (sheet_locks.holder_sync_id = excluded.holder_sync_id AND sheet_locks.token = excluded.token)
			RETURNING token`, spreadsheetID, c.SyncID, c.Token, now.Add(ttl), now).Scan(&tokens).Error; err != nil {
			return err
		}
		got = len(tokens) == 1
		return nil
	})
	return got, err
}

// renewSheetLocks extends the sheet locks c's sync holds, inside a renewal.
func renewSheetLocks(tx *gorm.DB, c Claim, expires time.Time) error {
	return tx.Model(&sheetLockRow{}).Where("holder_sync_id = ? AND token = ?", c.SyncID, c.Token).
		Update("expires_at", expires).Error
}

// releaseSheetLocks ends the sheet locks c's sync holds, inside a transition.
func releaseSheetLocks(tx *gorm.DB, c Claim) error {
	return tx.Where("holder_sync_id = ? AND token = ?", c.SyncID, c.Token).Delete(&sheetLockRow{}).Error
}

// ReleaseSheetLock gives the spreadsheet lock of c's sync back (after its write was recorded).
func (s *Store) ReleaseSheetLock(ctx context.Context, c Claim) error {
	if err := releaseSheetLocks(s.conn(ctx), c); err != nil {
		return fmt.Errorf("release sheet lock: %w", mapErr(err))
	}
	return nil
}
