package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// SheetState is what an account's tab holds as last written: the writer's record of the tab
// (opaque to the store) and, per day, the files and version its rows came from. It is kept apart
// from the sync history, so that pruning old syncs never changes what a sheet shows.
type SheetState struct {
	AccountID     string
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
	AccountID, SpreadsheetID, Tab string
	Layout                        []byte
	Days                          []SheetDay
	Range                         DayRange
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

// SheetState returns the account's tab state; a zero state (no Layout, no days) when nothing was
// recorded yet.
func (s *Store) SheetState(ctx context.Context, accountID string) (SheetState, error) {
	st := SheetState{AccountID: accountID}
	var rows []sheetStateRow
	if err := s.conn(ctx).Where("account_id = ?", accountID).Limit(1).Find(&rows).Error; err != nil {
		return st, fmt.Errorf("sheet state %s: %w", accountID, mapErr(err))
	}
	if len(rows) == 1 {
		st.SpreadsheetID, st.Tab, st.Layout, st.Dirty = rows[0].SpreadsheetID, rows[0].Tab, rows[0].Layout, rows[0].Dirty
	}
	var days []sheetDayRow
	if err := s.conn(ctx).Where("account_id = ?", accountID).Order("stat_date DESC").Find(&days).Error; err != nil {
		return st, fmt.Errorf("sheet state %s: %w", accountID, mapErr(err))
	}
	for _, d := range days {
		st.Days = append(st.Days, SheetDay{StatDate: d.StatDate, Digest: d.Digest, Version: d.Version, Rows: d.Rows})
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

// BeginSheetWrite marks the account's recorded tab state dirty before a write, fenced by c: if the
// write is never recorded (the worker dies), the next write does not trust the old record.
func (s *Store) BeginSheetWrite(ctx context.Context, c Claim, accountID, spreadsheetID, tab string) error {
	return s.transition(ctx, "begin sheet write", c, false, func(tx *gorm.DB, _ syncRow, now time.Time) error {
		return tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "account_id"}},
			DoUpdates: clause.Assignments(map[string]any{"dirty": true, "updated_at": now}),
		}).Create(&sheetStateRow{AccountID: accountID, SpreadsheetID: spreadsheetID, Tab: tab, Dirty: true, UpdatedAt: now}).Error
	})
}

// recordSheet stores a successful write inside a transition.
func recordSheet(tx *gorm.DB, rec SheetRecord, now time.Time) error {
	if err := tx.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "account_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"spreadsheet_id", "tab", "layout", "dirty", "updated_at", "cell_usage"}),
	}).Create(&sheetStateRow{AccountID: rec.AccountID, SpreadsheetID: rec.SpreadsheetID, Tab: rec.Tab,
		Layout: rec.Layout, Dirty: false, UpdatedAt: now, CellUsage: rec.Usage}).Error; err != nil {
		return err
	}
	if err := tx.Where("account_id = ?", rec.AccountID).Delete(&sheetDayRow{}).Error; err != nil {
		return err
	}
	if len(rec.Days) > 0 {
		rows := make([]sheetDayRow, len(rec.Days))
		for i, d := range rec.Days {
			rows[i] = sheetDayRow{AccountID: rec.AccountID, StatDate: d.StatDate, Digest: d.Digest, Version: d.Version, Rows: d.Rows}
		}
		if err := tx.CreateInBatches(rows, 500).Error; err != nil {
			return err
		}
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
