package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ClaimProcess claims the oldest sync waiting for processing (status
// processing, no live claim, run_after reached, no cancel requested) for
// owner until now+ttl. It returns nil, nil when there is none.
func (s *Store) ClaimProcess(ctx context.Context, owner string, ttl time.Duration) (*Sync, error) {
	now := s.now()
	var got *syncRow
	err := s.tx(ctx, func(tx *gorm.DB) error {
		q := tx.Where("status = ? AND (locked_until IS NULL OR locked_until < ?) AND run_after <= ? AND cancel_requested = ?",
			StatusProcessing, now, now, false)
		if s.dialect == DialectPostgres {
			q = q.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"})
		}
		var rows []syncRow
		if err := q.Order("created_at, id").Limit(1).Find(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		id := rows[0].ID
		if err := tx.Model(&syncRow{}).Where("id = ?", id).Updates(map[string]any{
			"worker": owner, "locked_until": now.Add(ttl), "phase": PhaseProcessing,
			"processing_started_at": gorm.Expr("COALESCE(processing_started_at, ?)", now), "updated_at": now,
		}).Error; err != nil {
			return err
		}
		row, err := getSyncRow(tx, id)
		if err != nil {
			return err
		}
		got = &row
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim process: %w", mapErr(err))
	}
	if got == nil {
		return nil, nil
	}
	out := got.toSync()
	return &out, nil
}

// RenewProcess extends owner's processing claim to now+ttl. ErrLeaseLost when
// the claim expired or belongs to another worker; ErrNotFound for an unknown sync.
func (s *Store) RenewProcess(ctx context.Context, syncID, owner string, ttl time.Duration) error {
	now := s.now()
	res := s.conn(ctx).Model(&syncRow{}).
		Where("id = ? AND status = ? AND worker = ? AND locked_until > ?", syncID, StatusProcessing, owner, now).
		Updates(map[string]any{"locked_until": now.Add(ttl), "updated_at": now})
	if res.Error != nil {
		return fmt.Errorf("renew process %s: %w", syncID, mapErr(res.Error))
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("renew process %s: %w", syncID, notFoundOr(s.conn(ctx), "syncs", syncID, ErrLeaseLost))
	}
	return nil
}

// SetPhase sets the phase of a running sync claimed by owner (fetching or
// processing); PhaseWriting also stamps WriteStartedAt. ErrLeaseLost when
// owner no longer holds the sync.
func (s *Store) SetPhase(ctx context.Context, syncID, owner, phase string) error {
	now := s.now()
	upd := map[string]any{"phase": phase, "updated_at": now}
	if phase == PhaseWriting {
		upd["write_started_at"] = now
	}
	res := s.conn(ctx).Model(&syncRow{}).
		Where("id = ? AND worker = ? AND status IN ?", syncID, owner, []string{StatusFetching, StatusProcessing}).
		Updates(upd)
	if res.Error != nil {
		return fmt.Errorf("set phase %s: %w", syncID, mapErr(res.Error))
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("set phase %s: %w", syncID, notFoundOr(s.conn(ctx), "syncs", syncID, ErrLeaseLost))
	}
	return nil
}

// Progress carries the counters UpdateProgress changes; nil fields are kept.
type Progress struct {
	ReportsFetched *int
	ReportsTotal   *int
	RowsProcessed  *int64
}

// UpdateProgress sets the non-nil counters of a sync.
func (s *Store) UpdateProgress(ctx context.Context, syncID string, p Progress) error {
	upd := map[string]any{"updated_at": s.now()}
	if p.ReportsFetched != nil {
		upd["reports_fetched"] = *p.ReportsFetched
	}
	if p.ReportsTotal != nil {
		upd["reports_total"] = *p.ReportsTotal
	}
	if p.RowsProcessed != nil {
		upd["rows_processed"] = *p.RowsProcessed
	}
	res := s.conn(ctx).Model(&syncRow{}).Where("id = ?", syncID).Updates(upd)
	if res.Error != nil {
		return fmt.Errorf("update progress %s: %w", syncID, mapErr(res.Error))
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("update progress %s: %w", syncID, ErrNotFound)
	}
	return nil
}

// CompleteSync marks owner's processing sync succeeded (phase done) with its
// row count, clearing any error. ErrLeaseLost when owner no longer holds it.
func (s *Store) CompleteSync(ctx context.Context, syncID, owner string, rows int64) error {
	now := s.now()
	res := s.conn(ctx).Model(&syncRow{}).
		Where("id = ? AND status = ? AND worker = ?", syncID, StatusProcessing, owner).
		Updates(map[string]any{
			"status": StatusSucceeded, "phase": PhaseDone, "rows_processed": rows, "finished_at": now,
			"locked_until": nil, "error_message": "", "error_kind": "", "updated_at": now,
		})
	if res.Error != nil {
		return fmt.Errorf("complete sync %s: %w", syncID, mapErr(res.Error))
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("complete sync %s: %w", syncID, notFoundOr(s.conn(ctx), "syncs", syncID, ErrLeaseLost))
	}
	return nil
}
