package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Lease is a customer's mutex: while live (ExpiresAt > the store's time) only its holder may
// talk to Naver for CustomerID. Token grows by one on every acquisition and fences every write
// of the holder.
type Lease struct {
	CustomerID   string
	HolderSyncID string
	Owner        string // the worker that claimed it
	Token        int64
	AcquiredAt   time.Time
	RenewedAt    time.Time
	ExpiresAt    time.Time
}

func (r leaseRow) toLease() Lease {
	return Lease{
		CustomerID: r.CustomerID, HolderSyncID: r.HolderSyncID, Owner: r.Owner, Token: r.Token,
		AcquiredAt: r.AcquiredAt.UTC(), RenewedAt: r.RenewedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(),
	}
}

// maxClaimAttempts bounds how many busy customers one ClaimFetch steps over.
const maxClaimAttempts = 64

// upsertLeaseSQL takes the customer lease when it is free (never held or
// expired). It returns no row when a live lease exists; on PostgreSQL a
// concurrent claimer waits for the other transaction and then sees its lease.
const upsertLeaseSQL = `INSERT INTO customer_leases
 (customer_id, holder_sync_id, owner, token, acquired_at, renewed_at, expires_at)
 VALUES (?, ?, ?, 1, ?, ?, ?)
 ON CONFLICT (customer_id) DO UPDATE SET
  holder_sync_id = excluded.holder_sync_id, owner = excluded.owner,
  token = customer_leases.token + 1, acquired_at = excluded.acquired_at,
  renewed_at = excluded.renewed_at, expires_at = excluded.expires_at
 WHERE customer_leases.expires_at <= ?
 RETURNING token`

// ClaimFetch claims the first runnable queued sync in plan order (PlanRank, then the oldest)
// whose customer is free, and takes that customer's lease for ttl: a busy customer is skipped,
// so a worker never idles behind it. It returns nil, nil, nil when
// nothing is runnable. Each attempt is one transaction (candidate row locked
// with FOR UPDATE SKIP LOCKED on PostgreSQL, the lease upserted, the sync moved
// to fetching), its time read from the database; when another claimer won the
// customer meanwhile, the next candidate of another customer is tried.
func (s *Store) ClaimFetch(ctx context.Context, owner string, ttl time.Duration) (*Sync, *Claim, error) {
	var tried []string
	for range maxClaimAttempts {
		var (
			got     *syncRow
			claim   *Claim
			nothing bool
		)
		err := s.tx(ctx, func(tx *gorm.DB) error {
			now, err := s.dbNow(tx)
			if err != nil {
				return err
			}
			q := tx.Where("status = ? AND run_after <= ? AND cancel_requested = ?", StatusQueued, now, false).
				Where("NOT EXISTS (SELECT 1 FROM customer_leases l WHERE l.customer_id = syncs.customer_id AND l.expires_at > ?)", now)
			if len(tried) > 0 {
				q = q.Where("customer_id NOT IN ?", tried)
			}
			if s.dialect == DialectPostgres {
				q = q.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"})
			}
			var rows []syncRow
			if err := q.Order("plan_rank, created_at, id").Limit(1).Find(&rows).Error; err != nil {
				return err
			}
			if len(rows) == 0 {
				nothing = true
				return nil
			}
			row := rows[0]
			tried = append(tried, row.CustomerID)
			expires := now.Add(ttl)
			var tokens []int64
			if err := tx.Raw(upsertLeaseSQL, row.CustomerID, row.ID, owner, now, now, expires, now).
				Scan(&tokens).Error; err != nil {
				return fmt.Errorf("upsert lease: %w", err)
			}
			if len(tokens) == 0 {
				return nil // the customer became busy; try another one
			}
			waitFrom := row.CreatedAt
			if row.RunAfter.After(waitFrom) {
				waitFrom = row.RunAfter
			}
			wait := max(now.Sub(waitFrom), 0)
			res := tx.Model(&syncRow{}).Where("id = ? AND status = ?", row.ID, StatusQueued).Updates(map[string]any{
				"status": StatusFetching, "phase": PhaseFetching, "attempts": gorm.Expr("attempts + 1"),
				"worker": owner, "lease_token": tokens[0], "locked_until": nil,
				"fetch_started_at": gorm.Expr("COALESCE(fetch_started_at, ?)", now),
				"lock_acquired_at": now, "lock_released_at": nil,
				"lock_wait_ns": gorm.Expr("lock_wait_ns + ?", int64(wait)), "updated_at": now,
			})
			if res.Error != nil {
				return fmt.Errorf("mark fetching: %w", res.Error)
			}
			if res.RowsAffected != 1 {
				return fmt.Errorf("mark fetching %s: %w", row.ID, ErrConflict)
			}
			fresh, err := getSyncRow(tx, row.ID)
			if err != nil {
				return err
			}
			got = &fresh
			claim = &Claim{Kind: ClaimFetch, SyncID: row.ID, CustomerID: row.CustomerID, Owner: owner,
				Token: tokens[0], AcquiredAt: now, ExpiresAt: expires}
			return nil
		})
		if err != nil {
			return nil, nil, fmt.Errorf("claim fetch: %w", mapErr(err))
		}
		if nothing {
			return nil, nil, nil
		}
		if got != nil {
			out := got.toSync()
			return &out, claim, nil
		}
	}
	return nil, nil, nil
}

// ReleaseLease ends a live lease now (the row stays so the token keeps
// growing) and wakes the workers. ErrLeaseLost when it was no longer held.
func (s *Store) ReleaseLease(ctx context.Context, l Lease) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		now, err := s.dbNow(tx)
		if err != nil {
			return err
		}
		return releaseTx(tx, l.CustomerID, l.Token, now)
	})
	if err != nil {
		return fmt.Errorf("release lease: %w", mapErr(err))
	}
	s.notify(ctx)
	return nil
}

// releaseTx ends the live lease (customer, token) at now.
func releaseTx(tx *gorm.DB, customerID string, token int64, now time.Time) error {
	res := tx.Model(&leaseRow{}).
		Where("customer_id = ? AND token = ? AND expires_at > ?", customerID, token, now).
		Update("expires_at", now)
	if res.Error != nil {
		return fmt.Errorf("%s: %w", customerID, mapErr(res.Error))
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("%s token %d: %w", customerID, token, ErrLeaseLost)
	}
	return nil
}

// Rescue repairs syncs whose worker died: a sync still fetching whose lease
// (customer, token) is no longer live goes back to queued (or to canceled if
// its cancel was requested), and a processing sync with a requested cancel
// and no live claim is canceled. It returns how many syncs changed and wakes
// the workers when any did. Processing syncs with an expired claim need no
// rescue: ClaimProcess takes them.
func (s *Store) Rescue(ctx context.Context) (int, error) {
	r, err := s.RescueCount(ctx)
	return r.Total, err
}

// Rescued is what one Rescue changed.
type Rescued struct {
	// Total is every sync the rescue changed.
	Total int
	// LeaseExpired is the fetching syncs among them whose customer lease expired without being
	// released: their worker died or stalled past the lease.
	LeaseExpired int
}

// RescueCount is Rescue, telling how many of the syncs it changed had a lease that expired
// without being released.
func (s *Store) RescueCount(ctx context.Context) (Rescued, error) {
	var n, expired int64
	err := s.tx(ctx, func(tx *gorm.DB) error {
		now, err := s.dbNow(tx)
		if err != nil {
			return err
		}
		dead := tx.Where("status = ?", StatusFetching).
			Where("NOT EXISTS (SELECT 1 FROM customer_leases l WHERE l.customer_id = syncs.customer_id AND l.token = syncs.lease_token AND l.expires_at > ?)", now)
		res := dead.Session(&gorm.Session{}).Model(&syncRow{}).Where("cancel_requested = ?", false).Updates(map[string]any{
			"status": StatusQueued, "phase": PhaseQueued, "worker": "", "updated_at": now,
		})
		if res.Error != nil {
			return res.Error
		}
		n += res.RowsAffected
		res = dead.Session(&gorm.Session{}).Model(&syncRow{}).Where("cancel_requested = ?", true).Updates(map[string]any{
			"status": StatusCanceled, "worker": "", "finished_at": now, "updated_at": now,
		})
		if res.Error != nil {
			return res.Error
		}
		n += res.RowsAffected
		expired = n
		res = tx.Model(&syncRow{}).
			Where("status = ? AND cancel_requested = ? AND (locked_until IS NULL OR locked_until < ?)", StatusProcessing, true, now).
			Updates(map[string]any{"status": StatusCanceled, "worker": "", "locked_until": nil, "finished_at": now, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		n += res.RowsAffected
		return nil
	})
	if err != nil {
		return Rescued{}, fmt.Errorf("rescue: %w", mapErr(err))
	}
	if n > 0 {
		s.notify(ctx)
	}
	return Rescued{Total: int(n), LeaseExpired: int(expired)}, nil
}

// Leases returns the live leases (ExpiresAt > the store's time), by customer id.
func (s *Store) Leases(ctx context.Context) ([]Lease, error) {
	var rows []leaseRow
	if err := s.conn(ctx).Where("expires_at > ?", s.now()).Order("customer_id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("leases: %w", mapErr(err))
	}
	out := make([]Lease, len(rows))
	for i, r := range rows {
		out[i] = r.toLease()
	}
	return out, nil
}
