package store

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// terminal reports whether a status is final.
func terminal(status string) bool {
	return status == StatusSucceeded || status == StatusFailed || status == StatusCanceled
}

// lockSync reads a sync for update inside tx (a row lock on PostgreSQL;
// SQLite transactions are already serialized).
func (s *Store) lockSync(tx *gorm.DB, id string) (syncRow, error) {
	if s.dialect == DialectPostgres {
		tx = tx.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	return getSyncRow(tx, id)
}

// CancelSync cancels a sync. A queued sync, or a processing sync no worker
// holds, is canceled at once; a fetching sync or a processing sync being
// worked on gets CancelRequested and its worker ends it (CancelClaimed).
// ErrConflict when the sync already finished. It returns the sync as stored.
func (s *Store) CancelSync(ctx context.Context, id string) (Sync, error) {
	var out syncRow
	err := s.tx(ctx, func(tx *gorm.DB) error {
		now, err := s.dbNow(tx)
		if err != nil {
			return err
		}
		row, err := s.lockSync(tx, id)
		if err != nil {
			return err
		}
		upd := map[string]any{"cancel_requested": true, "updated_at": now}
		switch {
		case terminal(row.Status):
			return fmt.Errorf("sync is %s: %w", row.Status, ErrConflict)
		case row.Status == StatusQueued,
			row.Status == StatusProcessing && (row.LockedUntil == nil || !row.LockedUntil.After(now)):
			upd["status"], upd["finished_at"], upd["worker"], upd["locked_until"] = StatusCanceled, now, "", nil
		}
		if err := tx.Model(&syncRow{}).Where("id = ?", id).Updates(upd).Error; err != nil {
			return err
		}
		out, err = getSyncRow(tx, id)
		return err
	})
	if err != nil {
		return Sync{}, fmt.Errorf("cancel sync %s: %w", id, mapErr(err))
	}
	return out.toSync(), nil
}

// RetrySync queues a new sync (trigger retry, RetryOf=id) over the same range
// as a failed or canceled sync, keeping its FreshAfter so the files it already
// fetched are reused. An idempotencyKey already used returns that sync, and
// EnqueueSync's dedupe applies (an equal sync still queued is returned).
// ErrConflict for a sync in any other state.
func (s *Store) RetrySync(ctx context.Context, id, idempotencyKey string) (Sync, error) {
	var out Sync
	var created bool
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if idempotencyKey != "" {
			var rows []syncRow
			if err := tx.Where("idempotency_key = ?", idempotencyKey).Limit(1).Find(&rows).Error; err != nil {
				return err
			}
			if len(rows) > 0 {
				out = rows[0].toSync()
				return nil
			}
		}
		orig, err := getSyncRow(tx, id)
		if err != nil {
			return err
		}
		if orig.Status != StatusFailed && orig.Status != StatusCanceled {
			return fmt.Errorf("sync is %s: %w", orig.Status, ErrConflict)
		}
		out, created, err = s.enqueueTx(tx, Sync{
			AccountID: orig.AccountID, CustomerID: orig.CustomerID, From: orig.FromDay, To: orig.ToDay,
			ReuseBefore: orig.ReuseBefore, FreshAfter: orig.FreshAfter, Trigger: TriggerRetry,
			IdempotencyKey: idempotencyKey, RetryOf: orig.ID, MaxAttempts: orig.MaxAttempts,
		})
		return err
	})
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		err = fmt.Errorf("idempotency key %q: %w", idempotencyKey, ErrDuplicate)
	}
	if err != nil {
		return Sync{}, fmt.Errorf("retry sync %s: %w", id, mapErr(err))
	}
	if created {
		s.notify(ctx)
	}
	return out, nil
}
