package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Report file states.
const (
	FileBuilt   = "built"   // downloaded and stored under Key
	FileNone    = "none"    // Naver had no data for the day
	FilePending = "pending" // requested, not yet stored
)

// ReportFile records one downloaded Naver report: a customer's report type
// for one day, stored in blob storage under Key.
type ReportFile struct {
	CustomerID string
	ReportType string
	StatDate   string // YYYY-MM-DD
	Key        string // blob key
	SHA256     string
	Size       int64
	State      string // built|none|pending
	SyncID     string
	FetchedAt  time.Time
}

func (r reportFileRow) toFile() ReportFile {
	return ReportFile{
		CustomerID: r.CustomerID, ReportType: r.ReportType, StatDate: r.StatDate, Key: r.Key,
		SHA256: r.SHA256, Size: r.Size, State: r.State, SyncID: r.SyncID, FetchedAt: r.FetchedAt.UTC(),
	}
}

// PutReportFile records f (upsert on customer, report type, day) under the
// fetch claim c: in the same transaction c's lease must be live, else
// ErrLeaseLost and nothing is written. An empty f.CustomerID means the
// claim's customer; a zero FetchedAt means now.
func (s *Store) PutReportFile(ctx context.Context, c Claim, f ReportFile) error {
	if f.CustomerID == "" {
		f.CustomerID = c.CustomerID
	}
	if f.CustomerID != c.CustomerID {
		return fmt.Errorf("put report file: customer %s under the lease of %s: %w", f.CustomerID, c.CustomerID, ErrLeaseLost)
	}
	err := s.underLease(ctx, c, func(tx *gorm.DB, now time.Time) error {
		if f.FetchedAt.IsZero() {
			f.FetchedAt = now
		}
		row := reportFileRow{
			CustomerID: f.CustomerID, ReportType: f.ReportType, StatDate: f.StatDate, Key: f.Key,
			SHA256: f.SHA256, Size: f.Size, State: f.State, SyncID: f.SyncID, FetchedAt: utc(f.FetchedAt),
		}
		return tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "customer_id"}, {Name: "report_type"}, {Name: "stat_date"}},
			DoUpdates: clause.AssignmentColumns([]string{"object_key", "sha256", "size", "state", "sync_id", "fetched_at"}),
		}).Create(&row).Error
	})
	if err != nil {
		return fmt.Errorf("put report file %s/%s/%s: %w", f.CustomerID, f.ReportType, f.StatDate, mapErr(err))
	}
	return nil
}

// underLease runs fn in one transaction in which c's customer lease is checked live at the
// database's time (and, on PostgreSQL, its row share-locked until commit, so no one takes it
// over meanwhile). ErrLeaseLost, and nothing written, when it is not.
func (s *Store) underLease(ctx context.Context, c Claim, fn func(tx *gorm.DB, now time.Time) error) error {
	if c.Kind != ClaimFetch {
		return fmt.Errorf("a %s claim holds no customer lease: %w", c.Kind, ErrLeaseLost)
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		now, err := s.dbNow(tx)
		if err != nil {
			return err
		}
		if err := liveLease(tx, s.dialect, c.CustomerID, c.Token, now, "SHARE"); err != nil {
			return err
		}
		return fn(tx, now)
	})
}

// ReportFiles returns a customer's files for days in [from, to] (YYYY-MM-DD,
// inclusive) of the given report types (all types when empty), by day then type.
func (s *Store) ReportFiles(ctx context.Context, customerID string, reportTypes []string, from, to string) ([]ReportFile, error) {
	q := s.conn(ctx).Where("customer_id = ? AND stat_date >= ? AND stat_date <= ?", customerID, from, to)
	if len(reportTypes) > 0 {
		q = q.Where("report_type IN ?", reportTypes)
	}
	var rows []reportFileRow
	if err := q.Order("stat_date, report_type").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("report files %s: %w", customerID, mapErr(err))
	}
	out := make([]ReportFile, len(rows))
	for i, r := range rows {
		out[i] = r.toFile()
	}
	return out, nil
}

// DeleteReportFiles deletes the records of a customer's files (every
// customer's when customerID is "") whose day is before the civil date of
// before, and returns them so the caller can delete the blobs.
func (s *Store) DeleteReportFiles(ctx context.Context, customerID string, before time.Time) ([]ReportFile, error) {
	day := before.Format(time.DateOnly)
	var rows []reportFileRow
	err := s.tx(ctx, func(tx *gorm.DB) error {
		q := tx.Where("stat_date < ?", day)
		if customerID != "" {
			q = q.Where("customer_id = ?", customerID)
		}
		if err := q.Session(&gorm.Session{}).Find(&rows).Error; err != nil {
			return err
		}
		return q.Session(&gorm.Session{}).Delete(&reportFileRow{}).Error
	})
	if err != nil {
		return nil, fmt.Errorf("delete report files %s: %w", customerID, mapErr(err))
	}
	out := make([]ReportFile, len(rows))
	for i, r := range rows {
		out[i] = r.toFile()
	}
	return out, nil
}
