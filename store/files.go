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
	FilePending = "pending" // requested, not yet stored (not ready at Naver, or NONE too early to trust)
	// FileDamaged: the stored object is missing or cannot be read back as recorded; the next
	// fetch of the day gets it again.
	FileDamaged = "damaged"
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
	State      string // built|none|pending|damaged
	SyncID     string
	FetchedAt  time.Time
	// Seq is the file's version: it grows with every file recorded for the customer, so a
	// day's data of a higher Seq is newer.
	Seq int64
	// Recheck: the file is served but the day is asked for again: Naver's last answer was "not
	// ready" while a good file was held (kept), or the file is a provisional answer (a NONE for a
	// recent day's conversions, which may still come).
	Recheck bool
}

// Final reports whether the file settles its day: built or none.
func (f ReportFile) Final() bool { return f.State == FileBuilt || f.State == FileNone }

func (r reportFileRow) toFile() ReportFile {
	return ReportFile{
		CustomerID: r.CustomerID, ReportType: r.ReportType, StatDate: r.StatDate, Key: r.Key,
		SHA256: r.SHA256, Size: r.Size, State: r.State, SyncID: r.SyncID, FetchedAt: r.FetchedAt.UTC(),
		Seq: r.Seq, Recheck: r.Recheck,
	}
}

// PutReportFile records f (upsert on customer, report type, day) under the
// fetch claim c: in the same transaction c's lease must be live, else
// ErrLeaseLost and nothing is written. An empty f.CustomerID means the
// claim's customer; a zero FetchedAt means now. The file gets the customer's
// next Seq. A pending answer never replaces a good (built or none) file, nor a
// provisional one (Recheck) a built file: the good one stays, marked Recheck.
// A replaced object is recorded as superseded now, so that pruning keeps it
// FileRetention from now.
func (s *Store) PutReportFile(ctx context.Context, c Claim, f ReportFile) error {
	if f.CustomerID == "" {
		f.CustomerID = c.CustomerID
	}
	if f.CustomerID != c.CustomerID {
		return fmt.Errorf("put report file: customer %s under the lease of %s: %w", f.CustomerID, c.CustomerID, ErrLeaseLost)
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		now, err := s.dbNow(tx)
		if err != nil {
			return err
		}
		// The lease row is the fence and the customer's version counter at once; its row
		// lock serializes the files of one customer.
		var seqs []int64
		if err := tx.Raw(`UPDATE customer_leases SET file_seq = file_seq + 1
			WHERE customer_id = ? AND token = ? AND expires_at > ? RETURNING file_seq`, c.CustomerID, c.Token, now).
			Scan(&seqs).Error; err != nil {
			return err
		}
		if len(seqs) == 0 {
			return fmt.Errorf("lease of %s with token %d is not live: %w", c.CustomerID, c.Token, ErrLeaseLost)
		}
		var old []reportFileRow
		if err := tx.Where("customer_id = ? AND report_type = ? AND stat_date = ?", f.CustomerID, f.ReportType, f.StatDate).
			Limit(1).Find(&old).Error; err != nil {
			return err
		}
		// Neither "not ready" nor a provisional answer replaces a good file: it stays, and
		// the day is asked for again.
		if len(old) == 1 && old[0].toFile().Final() && (f.State == FilePending || f.Recheck && old[0].State == FileBuilt) {
			return tx.Model(&reportFileRow{}).
				Where("customer_id = ? AND report_type = ? AND stat_date = ?", f.CustomerID, f.ReportType, f.StatDate).
				Update("recheck", true).Error
		}
		if len(old) == 1 && old[0].Key != "" && old[0].Key != f.Key {
			if err := tx.Clauses(clause.OnConflict{DoNothing: true}).
				Create(&supersededRow{Key: old[0].Key, CustomerID: f.CustomerID, SupersededAt: now}).Error; err != nil {
				return err
			}
		}
		if f.Key != "" {
			if err := tx.Where("object_key = ?", f.Key).Delete(&supersededRow{}).Error; err != nil {
				return err
			}
		}
		if f.FetchedAt.IsZero() {
			f.FetchedAt = now
		}
		row := reportFileRow{
			CustomerID: f.CustomerID, ReportType: f.ReportType, StatDate: f.StatDate, Key: f.Key,
			SHA256: f.SHA256, Size: f.Size, State: f.State, SyncID: f.SyncID, FetchedAt: utc(f.FetchedAt),
			Seq: seqs[0], Recheck: f.Recheck,
		}
		return tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "customer_id"}, {Name: "report_type"}, {Name: "stat_date"}},
			DoUpdates: clause.AssignmentColumns([]string{"object_key", "sha256", "size", "state", "sync_id", "fetched_at", "seq", "recheck"}),
		}).Create(&row).Error
	})
	if err != nil {
		return fmt.Errorf("put report file %s/%s/%s: %w", f.CustomerID, f.ReportType, f.StatDate, mapErr(err))
	}
	return nil
}

// MarkFileDamaged records that the object of a customer's file for a day cannot be read back as
// recorded (missing, cut, not what was stored): the day is fetched again. It changes nothing when
// the file no longer points at key (a newer download replaced it).
func (s *Store) MarkFileDamaged(ctx context.Context, customerID, reportType, statDate, key string) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		now, err := s.dbNow(tx)
		if err != nil {
			return err
		}
		res := tx.Model(&reportFileRow{}).
			Where("customer_id = ? AND report_type = ? AND stat_date = ? AND object_key = ?", customerID, reportType, statDate, key).
			Updates(map[string]any{"state": FileDamaged, "recheck": false})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		return tx.Clauses(clause.OnConflict{DoNothing: true}).
			Create(&supersededRow{Key: key, CustomerID: customerID, SupersededAt: now}).Error
	})
	if err != nil {
		return fmt.Errorf("mark file damaged %s/%s/%s: %w", customerID, reportType, statDate, mapErr(err))
	}
	return nil
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

// NoteObject lists key, an object about to be written for customerID, among the objects no
// file points at (since now), before it is written: an object whose file is never recorded (the
// process dies between the copy and PutReportFile) is then pruned like a superseded one, without
// listing the file store. PutReportFile takes the key off the list when it records it.
func (s *Store) NoteObject(ctx context.Context, customerID, key string) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		now, err := s.dbNow(tx)
		if err != nil {
			return err
		}
		return tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "object_key"}},
			DoUpdates: clause.AssignmentColumns([]string{"superseded_at"}),
		}).Create(&supersededRow{Key: key, CustomerID: customerID, SupersededAt: now}).Error
	})
	if err != nil {
		return fmt.Errorf("note object %s: %w", key, mapErr(err))
	}
	return nil
}

// SupersededFiles returns the keys of a customer's objects (every customer's when customerID is
// "") that no file has pointed at since before before, oldest first, at most limit of them. A
// key a file (not damaged) points at is never returned, whatever the list says.
func (s *Store) SupersededFiles(ctx context.Context, customerID string, before time.Time, limit int) ([]string, error) {
	q := s.conn(ctx).Model(&supersededRow{}).Where("superseded_at < ?", utc(before)).
		Where(`NOT EXISTS (SELECT 1 FROM report_files f WHERE f.object_key = superseded_files.object_key AND f.state <> ?)`, FileDamaged)
	if customerID != "" {
		q = q.Where("customer_id = ?", customerID)
	}
	var keys []string
	if err := q.Order("superseded_at, object_key").Limit(clampLimit(limit, 100, 10000)).Pluck("object_key", &keys).Error; err != nil {
		return nil, fmt.Errorf("superseded files %s: %w", customerID, mapErr(err))
	}
	return keys, nil
}

// ForgetSuperseded drops keys from the superseded list once their objects are deleted; a key a
// file points at again is never deleted (PutReportFile takes it off the list).
func (s *Store) ForgetSuperseded(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	if err := s.conn(ctx).Where("object_key IN ?", keys).Delete(&supersededRow{}).Error; err != nil {
		return fmt.Errorf("forget superseded: %w", mapErr(err))
	}
	return nil
}

// ExpireReportFiles deletes the records of files whose day is before before (YYYY-MM-DD), of
// every customer, at most batch of them (0: 1000), and returns them; call it until it returns
// fewer than batch. A day that an unfinished sync of the customer covers (or reaches back past)
// is kept: that sync may still read it. The objects of the deleted records are listed as
// superseded in the same transaction, so that pruning deletes them even if the caller, who
// deletes them at once, dies first.
func (s *Store) ExpireReportFiles(ctx context.Context, before string, batch int) ([]ReportFile, error) {
	batch = clampLimit(batch, 1000, 10000)
	var rows []reportFileRow
	err := s.tx(ctx, func(tx *gorm.DB) error {
		now, err := s.dbNow(tx)
		if err != nil {
			return err
		}
		if err := tx.Where("stat_date < ?", before).
			Where(`NOT EXISTS (SELECT 1 FROM syncs s WHERE s.customer_id = report_files.customer_id
				AND s.status IN ? AND s.from_day <= report_files.stat_date)`, []string{StatusQueued, StatusFetching, StatusProcessing}).
			Order("stat_date, customer_id, report_type").Limit(batch).Find(&rows).Error; err != nil {
			return err
		}
		for _, r := range rows {
			if r.Key != "" {
				if err := tx.Clauses(clause.OnConflict{DoNothing: true}).
					Create(&supersededRow{Key: r.Key, CustomerID: r.CustomerID, SupersededAt: now}).Error; err != nil {
					return err
				}
			}
			if err := tx.Where("customer_id = ? AND report_type = ? AND stat_date = ?", r.CustomerID, r.ReportType, r.StatDate).
				Delete(&reportFileRow{}).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("expire report files before %s: %w", before, mapErr(err))
	}
	out := make([]ReportFile, len(rows))
	for i, r := range rows {
		out[i] = r.toFile()
	}
	return out, nil
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
