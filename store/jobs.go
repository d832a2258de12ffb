package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// JobKind is the kind of a Naver report job.
type JobKind string

// Job kinds: Naver keeps stat and master report jobs apart, each with its own cap.
const (
	JobStat   JobKind = "stat"
	JobMaster JobKind = "master"
)

// JobState is where a journaled job stands.
type JobState string

// Job states, in the order a job goes through them. A row leaves the journal only when Naver
// confirmed its job gone (a DELETE answered, or 404 on it), when the create surely made none,
// or when an uncertain create could not be matched within its window (see the service).
const (
	// JobSent: the create was sent and its answer is unknown: Naver may have made a job.
	JobSent JobState = "sent"
	// JobMade: Naver's id of the job is known; it is ours until deleted.
	JobMade JobState = "made"
	// JobUndeleted: a DELETE of the job failed; it is still ours, takes room at Naver and is
	// deleted again at the customer's next chance (not before DeleteAfter).
	JobUndeleted JobState = "undeleted"
)

// NaverJob is one report job this service may have made at Naver: one row per create sent,
// recorded just before it is sent and never overwritten by another create. It makes a create
// whose answer was lost (a timeout, a cut connection, a shutdown, a crash) and a job whose
// DELETE failed safe: the next holder of the customer's lease finds the job (by its id, or by
// listing the customer's jobs) and uses or deletes it, instead of leaving it at Naver, where it
// counts against the customer's 100 jobs, or creating it a second time.
type NaverJob struct {
	// ID is the journal's own id of the row (not Naver's).
	ID         int64
	CustomerID string
	Kind       JobKind
	// ReportType is the stat report type, or the master item.
	ReportType string
	StatDate   string // YYYY-MM-DD; "" for master jobs
	// JobID is Naver's id of the job; "" while the create's answer is unknown (JobSent).
	JobID string
	State JobState
	// SentAt is the store's time just before the create was sent.
	SentAt time.Time
	SyncID string
	// DeleteAttempts counts the DELETEs of the job that failed; DeleteAfter is when the next
	// may be sent (zero: at once).
	DeleteAttempts int
	DeleteAfter    time.Time
}

type naverJobRow struct {
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

func (naverJobRow) TableName() string { return "naver_jobs" }

func (r naverJobRow) toJob() NaverJob {
	j := NaverJob{ID: r.ID, CustomerID: r.CustomerID, Kind: JobKind(r.Kind), ReportType: r.ReportType, StatDate: r.StatDate,
		JobID: r.JobID, State: JobState(r.State), SentAt: r.SentAt.UTC(), SyncID: r.SyncID, DeleteAttempts: r.DeleteAttempts}
	if r.DeleteAfter != nil {
		j.DeleteAfter = r.DeleteAfter.UTC()
	}
	return j
}

// JournalCreate records, under the fetch claim c, a create about to be sent (state JobSent,
// SentAt the store's time) and returns the row. ErrLeaseLost, nothing written, when c's lease
// is not live.
func (s *Store) JournalCreate(ctx context.Context, c Claim, j NaverJob) (NaverJob, error) {
	var out NaverJob
	err := s.underLease(ctx, c, func(tx *gorm.DB, now time.Time) error {
		row := naverJobRow{CustomerID: c.CustomerID, Kind: string(j.Kind), ReportType: j.ReportType, StatDate: j.StatDate,
			JobID: j.JobID, State: string(JobSent), SentAt: now, SyncID: j.SyncID}
		if j.JobID != "" {
			row.State = string(JobMade)
		}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		out = row.toJob()
		return nil
	})
	if err != nil {
		return NaverJob{}, fmt.Errorf("journal create %s/%s %s %s: %w", c.CustomerID, j.Kind, j.ReportType, j.StatDate, mapErr(err))
	}
	return out, nil
}

// JournalMade records Naver's id of the job of row id (state JobMade). ErrLeaseLost when c's
// lease is not live.
func (s *Store) JournalMade(ctx context.Context, c Claim, id int64, jobID string) error {
	return s.journalUpdate(ctx, c, "made", id, map[string]any{"job_id": jobID, "state": string(JobMade)})
}

// JournalUndeleted records that a DELETE of the job of row id failed: it stays ours (state
// JobUndeleted), one more failed attempt, and is not deleted again before after.
func (s *Store) JournalUndeleted(ctx context.Context, c Claim, id int64, after time.Time) error {
	return s.journalUpdate(ctx, c, "undeleted", id, map[string]any{"state": string(JobUndeleted),
		"delete_attempts": gorm.Expr("delete_attempts + 1"), "delete_after": utc(after)})
}

func (s *Store) journalUpdate(ctx context.Context, c Claim, op string, id int64, set map[string]any) error {
	err := s.underLease(ctx, c, func(tx *gorm.DB, _ time.Time) error {
		return tx.Model(&naverJobRow{}).Where("id = ? AND customer_id = ?", id, c.CustomerID).Updates(set).Error
	})
	if err != nil {
		return fmt.Errorf("journal %s %s/%d: %w", op, c.CustomerID, id, mapErr(err))
	}
	return nil
}

// JournalGone removes row id: Naver confirmed its job gone, or the create made none.
// ErrLeaseLost when c's lease is not live.
func (s *Store) JournalGone(ctx context.Context, c Claim, id int64) error {
	err := s.underLease(ctx, c, func(tx *gorm.DB, _ time.Time) error {
		return tx.Where("id = ? AND customer_id = ?", id, c.CustomerID).Delete(&naverJobRow{}).Error
	})
	if err != nil {
		return fmt.Errorf("journal gone %s/%d: %w", c.CustomerID, id, mapErr(err))
	}
	return nil
}

// NaverJobs returns the journal of a customer, oldest create first.
func (s *Store) NaverJobs(ctx context.Context, customerID string) ([]NaverJob, error) {
	var rows []naverJobRow
	if err := s.conn(ctx).Where("customer_id = ?", customerID).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("naver jobs %s: %w", customerID, mapErr(err))
	}
	out := make([]NaverJob, len(rows))
	for i, r := range rows {
		out[i] = r.toJob()
	}
	return out, nil
}
