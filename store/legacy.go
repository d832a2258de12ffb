package store

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// CompleteUnderLease finishes a sync that was processed while its worker still held the
// customer's lease — the old design, kept only so that benchmarks can compare against it. In one
// transaction it releases the lease (fenced by its token) and marks the sync succeeded.
func (s *Store) CompleteUnderLease(ctx context.Context, l Lease, syncID string, rows int64) error {
	now := s.now()
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := releaseTx(tx, l, now); err != nil {
			return err
		}
		res := tx.Model(&syncRow{}).Where("id = ? AND status = ? AND lease_token = ?", syncID, StatusFetching, l.Token).
			Updates(map[string]any{
				"status": StatusSucceeded, "phase": PhaseDone, "rows_processed": rows, "finished_at": now,
				"lock_released_at": now, "worker": "", "locked_until": nil, "error_message": "", "error_kind": "", "updated_at": now,
			})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrLeaseLost
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("complete under lease %s: %w", syncID, mapErr(err))
	}
	s.notify(ctx)
	return nil
}
