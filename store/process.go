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
// owner until the database's time plus ttl, with a claim token one higher than
// the sync's last. It returns nil, nil, nil when there is none.
func (s *Store) ClaimProcess(ctx context.Context, owner string, ttl time.Duration) (*Sync, *Claim, error) {
	var got *syncRow
	var now time.Time
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var err error
		if now, err = s.dbNow(tx); err != nil {
			return err
		}
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
			"worker": owner, "locked_until": now.Add(ttl), "phase": PhaseProcessing, "claim_token": gorm.Expr("claim_token + 1"),
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
		return nil, nil, fmt.Errorf("claim process: %w", mapErr(err))
	}
	if got == nil {
		return nil, nil, nil
	}
	out := got.toSync()
	return &out, &Claim{Kind: ClaimProcess, SyncID: out.ID, CustomerID: out.CustomerID, Owner: owner,
		Token: out.ClaimToken, AcquiredAt: now, ExpiresAt: now.Add(ttl)}, nil
}
