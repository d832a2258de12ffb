package store

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// CompleteUnderLease finishes a sync that was processed while its worker still held the
// customer's lease — the old design, kept only so that benchmarks can compare against it. In one
// transaction it releases the lease (fenced by the claim) and marks the sync succeeded.
func (s *Store) CompleteUnderLease(ctx context.Context, c Claim, rows int64, rec SheetRecord) error {
	return s.transition(ctx, "complete under lease", c, true, func(tx *gorm.DB, _ syncRow, now time.Time) error {
		if rec.AccountID != "" {
			if err := recordSheet(tx, rec, now); err != nil {
				return err
			}
		}
		return tx.Model(&syncRow{}).Where("id = ?", c.SyncID).Updates(map[string]any{
			"status": StatusSucceeded, "phase": PhaseDone, "rows_processed": rows, "finished_at": now,
			"lock_released_at": now, "worker": "", "locked_until": nil, "error_message": "", "error_kind": "", "updated_at": now,
		}).Error
	})
}
