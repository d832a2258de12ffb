package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ReportJob is a report job this service asked Naver to create for a customer, recorded from
// just before the create is sent until the job is deleted. It makes a create whose answer was
// lost (a timeout, a cut connection, a shutdown, a crash) safe: the next holder of the customer's
// lease finds the job (by its id, or by listing the customer's jobs) and uses or deletes it,
// instead of leaving it at Naver, where it counts against the customer's 100 jobs, or creating
// it a second time. One per customer, report type and day: the lease lets only one create of
// each be in flight.
type ReportJob struct {
	CustomerID string
	ReportType string
	StatDate   string // YYYY-MM-DD
	// JobID is Naver's id of the job; 0 while the create's answer is unknown.
	JobID int64
	// SentAt is the store's time just before the create was sent.
	SentAt time.Time
	SyncID string
}

type reportJobRow struct {
	CustomerID string `gorm:"primaryKey"`
	ReportType string `gorm:"primaryKey"`
	StatDate   string `gorm:"primaryKey"`
	JobID      int64  `gorm:"not null"`
	SentAt     time.Time
	SyncID     string `gorm:"not null"`
}

func (reportJobRow) TableName() string { return "naver_report_jobs" }

// RecordReportJob stores j (upsert on customer, report type, day) under the fetch claim c; a
// zero SentAt means now. ErrLeaseLost, nothing written, when c's lease is not live.
func (s *Store) RecordReportJob(ctx context.Context, c Claim, j ReportJob) error {
	if j.CustomerID == "" {
		j.CustomerID = c.CustomerID
	}
	if j.CustomerID != c.CustomerID {
		return fmt.Errorf("record report job: customer %s under the lease of %s: %w", j.CustomerID, c.CustomerID, ErrLeaseLost)
	}
	err := s.underLease(ctx, c, func(tx *gorm.DB, now time.Time) error {
		if j.SentAt.IsZero() {
			j.SentAt = now
		}
		row := reportJobRow{CustomerID: j.CustomerID, ReportType: j.ReportType, StatDate: j.StatDate,
			JobID: j.JobID, SentAt: utc(j.SentAt), SyncID: j.SyncID}
		return tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "customer_id"}, {Name: "report_type"}, {Name: "stat_date"}},
			DoUpdates: clause.AssignmentColumns([]string{"job_id", "sent_at", "sync_id"}),
		}).Create(&row).Error
	})
	if err != nil {
		return fmt.Errorf("record report job %s/%s/%s: %w", j.CustomerID, j.ReportType, j.StatDate, mapErr(err))
	}
	return nil
}

// DeleteReportJob forgets the job of a report type and day of c's customer (it was deleted at
// Naver, or never made). ErrLeaseLost when c's lease is not live.
func (s *Store) DeleteReportJob(ctx context.Context, c Claim, reportType, statDate string) error {
	err := s.underLease(ctx, c, func(tx *gorm.DB, _ time.Time) error {
		return tx.Where("customer_id = ? AND report_type = ? AND stat_date = ?", c.CustomerID, reportType, statDate).
			Delete(&reportJobRow{}).Error
	})
	if err != nil {
		return fmt.Errorf("delete report job %s/%s/%s: %w", c.CustomerID, reportType, statDate, mapErr(err))
	}
	return nil
}

// ReportJobs returns the recorded jobs of a customer, by report type and day.
func (s *Store) ReportJobs(ctx context.Context, customerID string) ([]ReportJob, error) {
	var rows []reportJobRow
	if err := s.conn(ctx).Where("customer_id = ?", customerID).Order("report_type, stat_date").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("report jobs %s: %w", customerID, mapErr(err))
	}
	out := make([]ReportJob, len(rows))
	for i, r := range rows {
		out[i] = ReportJob{CustomerID: r.CustomerID, ReportType: r.ReportType, StatDate: r.StatDate,
			JobID: r.JobID, SentAt: r.SentAt.UTC(), SyncID: r.SyncID}
	}
	return out, nil
}
