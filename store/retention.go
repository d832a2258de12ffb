package store

import (
	"context"
	"fmt"
	"time"
)

// Retention says which finished syncs DeleteFinishedSyncs may delete.
type Retention struct {
	// FinishedBefore: only syncs that finished before this time.
	FinishedBefore time.Time
	// KeepScheduledFrom keeps scheduled syncs of this day (YYYY-MM-DD) and later: the scheduler
	// knows that a day's refresh ran from them (one per account and day).
	KeepScheduledFrom string
	// Batch bounds the syncs deleted by one call; 0 = 1000.
	Batch int
}

// DeleteFinishedSyncs deletes one batch of finished (succeeded, failed, canceled) syncs that
// Retention allows, oldest first, in one statement, and returns how many it deleted; call it
// until it returns fewer than the batch. It never deletes a sync that is not finished, nor the
// newest succeeded sync of an account (its last success), nor the scheduled syncs the
// scheduler still needs.
func (s *Store) DeleteFinishedSyncs(ctx context.Context, r Retention) (int, error) {
	if r.FinishedBefore.IsZero() {
		return 0, fmt.Errorf("delete finished syncs: FinishedBefore is required")
	}
	batch := clampLimit(r.Batch, 1000, 10000)
	const q = `DELETE FROM syncs WHERE id IN (
  SELECT s.id FROM syncs s
  WHERE s.finished_at < ? AND s.status IN (?, ?, ?)
    AND (s.scheduled_for = '' OR s.scheduled_for < ?)
    AND NOT (s.status = ? AND NOT EXISTS (
      SELECT 1 FROM syncs n
      WHERE n.account_id = s.account_id AND n.status = ?
        AND (n.created_at > s.created_at OR (n.created_at = s.created_at AND n.id > s.id))))
  ORDER BY s.finished_at
  LIMIT ?)`
	res := s.conn(ctx).Exec(q, utc(r.FinishedBefore), StatusSucceeded, StatusFailed, StatusCanceled,
		r.KeepScheduledFrom, StatusSucceeded, StatusSucceeded, batch)
	if res.Error != nil {
		return 0, fmt.Errorf("delete finished syncs: %w", mapErr(res.Error))
	}
	return int(res.RowsAffected), nil
}
