package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// ErrKeyReused means an idempotency key was already used, within its expiry, for a request
// with another fingerprint. Nothing was written.
var ErrKeyReused = errors.New("store: idempotency key reused for a different request")

// IdempotencyKey is a client's Idempotency-Key for one operation, following
// draft-ietf-httpapi-idempotency-key-header: the key is unique within Scope (the operation, e.g.
// "POST /syncs"), bound to the Fingerprint of the first request that used it, and kept until
// TTL after that request.
type IdempotencyKey struct {
	Scope, Key, Fingerprint string
	TTL                     time.Duration
}

// Idempotent is the outcome of an operation done at most once per key.
type Idempotent struct {
	Sync Sync
	// Created is true when the first request created the sync, false when it was merged into
	// an equal sync that already existed.
	Created bool
	// Replayed is true when this request repeated an earlier one: Sync and Created are that
	// request's outcome, and nothing was written now.
	Replayed bool
}

// idempotencyRow is one key in use.
type idempotencyRow struct {
	Scope       string    `gorm:"primaryKey"`
	Key         string    `gorm:"column:idem_key;primaryKey"`
	Fingerprint string    `gorm:"not null"`
	SyncID      string    `gorm:"not null"`
	Created     bool      `gorm:"not null"`
	CreatedAt   time.Time `gorm:"not null"`
	ExpiresAt   time.Time `gorm:"not null;index:idempotency_expires"`
}

func (idempotencyRow) TableName() string { return "idempotency_keys" }

// EnqueueSyncOnce is EnqueueSync under an idempotency key, in one transaction: a live key with
// the same fingerprint replays its outcome; with another fingerprint it is ErrKeyReused;
// otherwise the sync is enqueued (or merged into an equal queued one) and the key recorded with
// the outcome, merged requests included. Concurrent requests with one key are serialized by the
// key's primary key: the later ones replay the first.
func (s *Store) EnqueueSyncOnce(ctx context.Context, in *Sync, k IdempotencyKey) (Idempotent, error) {
	if in.AccountID == "" || in.CustomerID == "" || in.From == "" || in.To == "" {
		return Idempotent{}, errors.New("enqueue sync: account id, customer id, from and to are required")
	}
	sy := *in
	sy.IdempotencyKey = "" // the key lives in idempotency_keys, scoped to its operation
	out, err := s.once(ctx, k, nil, func(tx *gorm.DB) (Sync, bool, error) { return s.enqueueTx(tx, sy) })
	if err != nil {
		return Idempotent{}, fmt.Errorf("enqueue sync: %w", err)
	}
	return out, nil
}

// RetrySyncOnce is RetrySync under an idempotency key. The sync must exist (ErrNotFound) and be
// failed or canceled (ErrConflict); these are checked before the key, so that a key used for
// another sync's retry never answers for this one. Then as EnqueueSyncOnce.
func (s *Store) RetrySyncOnce(ctx context.Context, id string, k IdempotencyKey) (Idempotent, error) {
	var orig syncRow
	check := func(tx *gorm.DB) error {
		var err error
		if orig, err = getSyncRow(tx, id); err != nil {
			return err
		}
		if orig.Status != StatusFailed && orig.Status != StatusCanceled {
			return fmt.Errorf("sync is %s: %w", orig.Status, ErrConflict)
		}
		return nil
	}
	out, err := s.once(ctx, k, check, func(tx *gorm.DB) (Sync, bool, error) {
		return s.enqueueTx(tx, Sync{
			AccountID: orig.AccountID, CustomerID: orig.CustomerID, From: orig.FromDay, To: orig.ToDay,
			ReuseBefore: orig.ReuseBefore, FreshAfter: orig.FreshAfter, Trigger: TriggerRetry,
			RetryOf: orig.ID, MaxAttempts: orig.MaxAttempts,
		})
	})
	if err != nil {
		return Idempotent{}, fmt.Errorf("retry sync %s: %w", id, err)
	}
	return out, nil
}

// once runs do at most once per live key k, in one transaction with the key's record; check
// (optional) runs first: what must hold even for a replay. A primary-key race with a concurrent
// request of the same key is retried once, and then replays that request's outcome.
func (s *Store) once(ctx context.Context, k IdempotencyKey, check func(tx *gorm.DB) error, do func(tx *gorm.DB) (Sync, bool, error)) (Idempotent, error) {
	if k.Scope == "" || k.Key == "" || k.Fingerprint == "" || k.TTL <= 0 {
		return Idempotent{}, errors.New("idempotency key: scope, key, fingerprint and TTL are required")
	}
	var out Idempotent
	attempt := func() error {
		out = Idempotent{}
		return s.tx(ctx, func(tx *gorm.DB) error {
			if check != nil {
				if err := check(tx); err != nil {
					return err
				}
			}
			now := s.now()
			var rows []idempotencyRow
			if err := tx.Where("scope = ? AND idem_key = ?", k.Scope, k.Key).Limit(1).Find(&rows).Error; err != nil {
				return err
			}
			if len(rows) == 1 {
				rec := rows[0]
				if rec.ExpiresAt.After(now) {
					if rec.Fingerprint != k.Fingerprint {
						return fmt.Errorf("key %q was used for another request (sync %s): %w", k.Key, rec.SyncID, ErrKeyReused)
					}
					row, err := getSyncRow(tx, rec.SyncID)
					if err != nil {
						return fmt.Errorf("replay: sync %s: %w", rec.SyncID, err)
					}
					out = Idempotent{Sync: row.toSync(), Created: rec.Created, Replayed: true}
					return nil
				}
				// Expired: the key is free again.
				if err := tx.Where("scope = ? AND idem_key = ?", k.Scope, k.Key).Delete(&idempotencyRow{}).Error; err != nil {
					return err
				}
			}
			sy, created, err := do(tx)
			if err != nil {
				return err
			}
			out = Idempotent{Sync: sy, Created: created}
			return tx.Create(&idempotencyRow{Scope: k.Scope, Key: k.Key, Fingerprint: k.Fingerprint,
				SyncID: sy.ID, Created: created, CreatedAt: now, ExpiresAt: now.Add(k.TTL)}).Error
		})
	}
	err := attempt()
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		err = attempt() // a concurrent request inserted the key (or an equal sync) first
	}
	if err != nil {
		return Idempotent{}, mapErr(err)
	}
	if out.Created && !out.Replayed {
		s.notify(ctx)
	}
	return out, nil
}

// IdempotencyRecord is a key in use: the fingerprint of the request that first used it, and
// that request's outcome.
type IdempotencyRecord struct {
	Fingerprint, SyncID  string
	Created              bool
	CreatedAt, ExpiresAt time.Time
}

// LookupIdempotencyKey returns the live (unexpired) record of key in scope, or ErrNotFound.
func (s *Store) LookupIdempotencyKey(ctx context.Context, scope, key string) (IdempotencyRecord, error) {
	var rows []idempotencyRow
	if err := s.conn(ctx).Where("scope = ? AND idem_key = ? AND expires_at > ?", scope, key, s.now()).Limit(1).Find(&rows).Error; err != nil {
		return IdempotencyRecord{}, fmt.Errorf("idempotency key: %w", mapErr(err))
	}
	if len(rows) == 0 {
		return IdempotencyRecord{}, fmt.Errorf("idempotency key: %w", ErrNotFound)
	}
	r := rows[0]
	return IdempotencyRecord{Fingerprint: r.Fingerprint, SyncID: r.SyncID, Created: r.Created,
		CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC()}, nil
}

// DeleteExpiredKeys deletes idempotency keys that expired before now, at most batch at a time
// (0 = 1000); it returns how many it deleted.
func (s *Store) DeleteExpiredKeys(ctx context.Context, batch int) (int, error) {
	batch = clampLimit(batch, 1000, 10000)
	now := s.now()
	res := s.conn(ctx).Where("(scope, idem_key) IN (?)",
		s.conn(ctx).Model(&idempotencyRow{}).Select("scope, idem_key").Where("expires_at <= ?", now).Limit(batch)).
		Delete(&idempotencyRow{})
	if res.Error != nil {
		return 0, fmt.Errorf("delete expired keys: %w", mapErr(res.Error))
	}
	return int(res.RowsAffected), nil
}
