package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ClaimKind says which pool holds a claim.
type ClaimKind string

// Claim kinds.
const (
	// ClaimFetch holds the customer's lease (and with it the sync, status fetching).
	ClaimFetch ClaimKind = "fetch"
	// ClaimProcess holds the sync's processing lock (status processing).
	ClaimProcess ClaimKind = "process"
)

// Claim is a worker's hold on one sync, from ClaimFetch or ClaimProcess. Every write of the
// holder names it and is fenced by it in the same transaction: a fetch claim must still hold
// the customer's live lease with Token, a processing claim the sync's live lock with Token
// (ClaimToken). A worker that lost its claim (expired and taken over, or rescued) can change
// nothing: its writes return ErrLeaseLost.
type Claim struct {
	Kind       ClaimKind
	SyncID     string
	CustomerID string
	Owner      string
	Token      int64
	AcquiredAt time.Time
	// ExpiresAt is when the claim lapses by the store's time, as of the claim or its last
	// renewal. Holders do not time their work by it (see Renew).
	ExpiresAt time.Time
}

// Lease is the customer lease a fetch claim holds.
func (c Claim) Lease() Lease {
	return Lease{CustomerID: c.CustomerID, HolderSyncID: c.SyncID, Owner: c.Owner, Token: c.Token,
		AcquiredAt: c.AcquiredAt, ExpiresAt: c.ExpiresAt}
}

// Renew extends a live claim to the database's time plus ttl and reports whether a cancel of
// the sync was requested meanwhile. ErrLeaseLost when the claim expired or was taken over.
// The holder's own deadline must come from its own clock (when it sent the renewal, plus ttl,
// minus a margin): the database's expires_at may be read late.
func (s *Store) Renew(ctx context.Context, c Claim, ttl time.Duration) (Claim, bool, error) {
	var cancel bool
	err := s.tx(ctx, func(tx *gorm.DB) error {
		now, err := s.dbNow(tx)
		if err != nil {
			return err
		}
		var res *gorm.DB
		switch c.Kind {
		case ClaimFetch:
			res = tx.Model(&leaseRow{}).
				Where("customer_id = ? AND token = ? AND expires_at > ?", c.CustomerID, c.Token, now).
				Updates(map[string]any{"renewed_at": now, "expires_at": now.Add(ttl)})
		case ClaimProcess:
			res = tx.Model(&syncRow{}).
				Where("id = ? AND status = ? AND claim_token = ? AND locked_until > ?", c.SyncID, StatusProcessing, c.Token, now).
				Updates(map[string]any{"locked_until": now.Add(ttl), "updated_at": now})
		default:
			return fmt.Errorf("claim kind %q: %w", c.Kind, ErrConflict)
		}
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrLeaseLost
		}
		c.ExpiresAt = now.Add(ttl)
		if err := renewSheetLocks(tx, c, c.ExpiresAt); err != nil {
			return err
		}
		return tx.Model(&syncRow{}).Where("id = ?", c.SyncID).Select("cancel_requested").Scan(&cancel).Error
	})
	if err != nil {
		return c, false, fmt.Errorf("renew %s claim of %s (token %d): %w", c.Kind, c.SyncID, c.Token, mapErr(err))
	}
	return c, cancel, nil
}

// fence checks inside tx that c still holds its sync and returns the sync and the database's
// time. On PostgreSQL it locks the sync row (and, for a fetch claim, the lease row) until the
// transaction ends, so no one takes them over meanwhile; SQLite transactions are serialized.
func (s *Store) fence(tx *gorm.DB, c Claim) (syncRow, time.Time, error) {
	now, err := s.dbNow(tx)
	if err != nil {
		return syncRow{}, now, err
	}
	row, err := s.lockSync(tx, c.SyncID)
	if err != nil {
		return row, now, err
	}
	lost := func(why string) error {
		return fmt.Errorf("%s claim of sync %s (token %d): %s: %w", c.Kind, c.SyncID, c.Token, why, ErrLeaseLost)
	}
	switch c.Kind {
	case ClaimFetch:
		if row.Status != StatusFetching || row.LeaseToken != c.Token || row.CustomerID != c.CustomerID {
			return row, now, lost(fmt.Sprintf("the sync is %s with lease token %d", row.Status, row.LeaseToken))
		}
		if err := liveLease(tx, s.dialect, c.CustomerID, c.Token, now, "UPDATE"); err != nil {
			return row, now, err
		}
	case ClaimProcess:
		if row.Status != StatusProcessing || row.ClaimToken != c.Token {
			return row, now, lost(fmt.Sprintf("the sync is %s with claim token %d", row.Status, row.ClaimToken))
		}
		if row.LockedUntil == nil || !row.LockedUntil.After(now) {
			return row, now, lost("the claim expired")
		}
	default:
		return row, now, fmt.Errorf("claim kind %q: %w", c.Kind, ErrConflict)
	}
	return row, now, nil
}

// liveLease checks inside tx that the lease (customer, token) is live at now; on PostgreSQL it
// locks the lease row with the given strength until the transaction ends.
func liveLease(tx *gorm.DB, dialect, customerID string, token int64, now time.Time, strength string) error {
	q := tx.Model(&leaseRow{}).Where("customer_id = ? AND token = ? AND expires_at > ?", customerID, token, now)
	if dialect == DialectPostgres {
		q = q.Clauses(clause.Locking{Strength: strength})
	}
	var live []leaseRow
	if err := q.Find(&live).Error; err != nil {
		return err
	}
	if len(live) == 0 {
		return fmt.Errorf("lease of %s with token %d is not live: %w", customerID, token, ErrLeaseLost)
	}
	return nil
}

// transition runs a fenced change of c's sync in one transaction: fence, then fn with the sync
// and the database's time; for a fetch claim that gives the sync up (release) the lease is
// released in the same transaction. The workers are woken after it committed.
func (s *Store) transition(ctx context.Context, op string, c Claim, release bool, fn func(tx *gorm.DB, row syncRow, now time.Time) error) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		row, now, err := s.fence(tx, c)
		if err != nil {
			return err
		}
		if release && c.Kind == ClaimFetch {
			if err := releaseTx(tx, c.CustomerID, c.Token, now); err != nil {
				return err
			}
		}
		if release {
			if err := releaseSheetLocks(tx, c); err != nil {
				return err
			}
		}
		return fn(tx, row, now)
	})
	if err != nil {
		return fmt.Errorf("%s %s: %w", op, c.SyncID, mapErr(err))
	}
	if release {
		s.notify(ctx)
	}
	return nil
}

// FinishFetch gives the customer's lease back and hands the sync to processing (phase
// awaiting_processing) in one transaction; a sync whose cancel was requested is canceled
// instead. ErrLeaseLost when c no longer holds the sync (nothing changes).
func (s *Store) FinishFetch(ctx context.Context, c Claim) error {
	return s.transition(ctx, "finish fetch", c, true, func(tx *gorm.DB, row syncRow, now time.Time) error {
		upd := map[string]any{
			"status": StatusProcessing, "phase": PhaseAwaitingProcessing, "lock_released_at": now,
			"worker": "", "locked_until": nil, "waiting_since": nil, "updated_at": now,
		}
		if row.CancelRequested {
			upd["status"], upd["finished_at"] = StatusCanceled, now
		}
		return tx.Model(&syncRow{}).Where("id = ?", c.SyncID).Updates(upd).Error
	})
}

// CompleteSync marks the sync of a processing claim succeeded (phase done) with its row count,
// clearing any error, and records what its writes left in the sheet (recs: one per tab written
// and not yet recorded by RecordSheetWrite; an empty AccountID records nothing). ErrLeaseLost
// when c no longer holds it (nothing is recorded).
func (s *Store) CompleteSync(ctx context.Context, c Claim, rows int64, recs ...SheetRecord) error {
	return s.transition(ctx, "complete sync", c, true, func(tx *gorm.DB, _ syncRow, now time.Time) error {
		for _, rec := range recs {
			if rec.AccountID == "" {
				continue
			}
			if err := recordSheet(tx, rec, now); err != nil {
				return err
			}
		}
		return tx.Model(&syncRow{}).Where("id = ?", c.SyncID).Updates(map[string]any{
			"status": StatusSucceeded, "phase": PhaseDone, "rows_processed": rows, "finished_at": now,
			"worker": "", "locked_until": nil, "error_message": "", "error_kind": "", "updated_at": now,
		}).Error
	})
}

// FailSync marks the sync of c failed for good, giving its lease back. ErrLeaseLost when c no
// longer holds it.
func (s *Store) FailSync(ctx context.Context, c Claim, kind, msg string) error {
	return s.transition(ctx, "fail sync", c, true, func(tx *gorm.DB, _ syncRow, now time.Time) error {
		return tx.Model(&syncRow{}).Where("id = ?", c.SyncID).Updates(map[string]any{
			"status": StatusFailed, "error_kind": kind, "error_message": msg, "finished_at": now,
			"worker": "", "locked_until": nil, "lock_released_at": lockReleased(c, now), "updated_at": now,
		}).Error
	})
}

// CancelClaimed ends the sync of c as canceled (its cancel was requested, or the worker
// abandons it), giving its lease back. ErrLeaseLost when c no longer holds it.
func (s *Store) CancelClaimed(ctx context.Context, c Claim) error {
	return s.transition(ctx, "cancel sync", c, true, func(tx *gorm.DB, _ syncRow, now time.Time) error {
		return tx.Model(&syncRow{}).Where("id = ?", c.SyncID).Updates(map[string]any{
			"status": StatusCanceled, "finished_at": now, "worker": "", "locked_until": nil,
			"lock_released_at": lockReleased(c, now), "updated_at": now,
		}).Error
	})
}

// Requeue says how a claimed sync goes back to its queue.
type Requeue struct {
	// RunAfter: not claimable before; zero means at once (by the database's time).
	RunAfter time.Time
	// Kind and Message of the error kept on the sync ("" keeps none).
	Kind, Message string
	// Wait marks a fetch that gave its lease back to wait for room among the customer's Naver
	// report jobs (see RoomWait); NoRoomWait for any other requeue, which ends a wait.
	Wait RoomWait
	// Refetch sends a processing sync back to the fetch queue (its stored files must be
	// fetched again).
	Refetch bool
	// NoAttempt: the claim uses up no attempt (it ended waiting for Google's quota, which is
	// not a failure of the sync): a fetch claim's attempt is given back, a processing claim is
	// counted in FreeClaims.
	NoAttempt bool
	// KeepLease leaves a fetch claim's customer lease to run to its expiry instead of ending
	// it now: a holder that lost its claim while Naver calls were in flight does not free the
	// customer before they could have ended.
	KeepLease bool
}

// RoomWait says whether a fetch sent back to the queue waits for room among the customer's
// Naver report jobs. A wait is its own state (phase waiting_naver_jobs): it uses up no attempt
// (the attempt its claim counted is given back), and WaitingSince tells when the current wait
// began, for the maximum wait.
type RoomWait int

// Room waits.
const (
	// NoRoomWait: not a wait (a retry, a shutdown...); a wait in course ends (WaitingSince
	// cleared).
	NoRoomWait RoomWait = iota
	// RoomWaitStarts: the claim had room before it ran out, so a new wait starts now
	// (WaitingSince set to now).
	RoomWaitStarts
	// RoomWaitGoesOn: the claim found no room at all: the wait in course goes on (WaitingSince
	// kept; set to now when there was none).
	RoomWaitGoesOn
)

// RequeueSync sends the sync of c back after a transient failure, a shutdown or a wait: a fetch
// to status queued (phase queued, or waiting_naver_jobs: see RoomWait), a processing sync to phase
// awaiting_processing; not claimable before r.RunAfter; the claim is cleared and the lease
// given back (left to its expiry with KeepLease). A sync whose cancel was requested is canceled instead. ErrLeaseLost when c no
// longer holds the sync.
func (s *Store) RequeueSync(ctx context.Context, c Claim, r Requeue) error {
	keep := r.KeepLease && c.Kind == ClaimFetch
	return s.transition(ctx, "requeue sync", c, !keep, func(tx *gorm.DB, row syncRow, now time.Time) error {
		if keep {
			if err := releaseSheetLocks(tx, c); err != nil {
				return err
			}
		}
		runAfter := now
		if !r.RunAfter.IsZero() {
			runAfter = utc(r.RunAfter)
		}
		upd := map[string]any{
			"run_after": runAfter, "error_kind": r.Kind, "error_message": r.Message,
			"worker": "", "locked_until": nil, "updated_at": now,
		}
		if r.NoAttempt {
			switch c.Kind {
			case ClaimFetch:
				upd["attempts"] = gorm.Expr("CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END")
			case ClaimProcess:
				upd["free_claims"] = gorm.Expr("free_claims + 1")
			}
		}
		switch c.Kind {
		case ClaimFetch:
			upd["status"], upd["phase"], upd["lock_released_at"] = StatusQueued, PhaseQueued, now
			switch r.Wait {
			case NoRoomWait:
				upd["waiting_since"] = nil
			case RoomWaitStarts, RoomWaitGoesOn:
				upd["phase"] = PhaseWaitingNaverJobs
				// The claim's attempt is given back: looking for room is not an attempt.
				upd["attempts"] = gorm.Expr("CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END")
				if r.Wait == RoomWaitStarts || row.WaitingSince == nil {
					upd["waiting_since"] = now
				}
			default:
				return fmt.Errorf("room wait %d: %w", r.Wait, ErrConflict)
			}
		case ClaimProcess:
			upd["phase"] = PhaseAwaitingProcessing
			if r.Refetch {
				upd["status"], upd["phase"] = StatusQueued, PhaseQueued
			}
		}
		if row.CancelRequested {
			upd["status"], upd["finished_at"] = StatusCanceled, now
		}
		return tx.Model(&syncRow{}).Where("id = ?", c.SyncID).Updates(upd).Error
	})
}

// SetPhase sets the phase of c's sync; PhaseWriting also stamps WriteStartedAt. ErrLeaseLost
// when c no longer holds the sync.
func (s *Store) SetPhase(ctx context.Context, c Claim, phase string) error {
	return s.transition(ctx, "set phase", c, false, func(tx *gorm.DB, _ syncRow, now time.Time) error {
		upd := map[string]any{"phase": phase, "updated_at": now}
		if phase == PhaseWriting {
			upd["write_started_at"] = now
		}
		return tx.Model(&syncRow{}).Where("id = ?", c.SyncID).Updates(upd).Error
	})
}

// Progress carries the counters UpdateProgress changes; nil fields are kept.
type Progress struct {
	ReportsFetched *int
	ReportsTotal   *int
	RowsProcessed  *int64
}

// UpdateProgress sets the non-nil counters of c's sync. ErrLeaseLost when c no longer holds it.
func (s *Store) UpdateProgress(ctx context.Context, c Claim, p Progress) error {
	return s.transition(ctx, "update progress", c, false, func(tx *gorm.DB, _ syncRow, now time.Time) error {
		upd := map[string]any{"updated_at": now}
		if p.ReportsFetched != nil {
			upd["reports_fetched"] = *p.ReportsFetched
		}
		if p.ReportsTotal != nil {
			upd["reports_total"] = *p.ReportsTotal
		}
		if p.RowsProcessed != nil {
			upd["rows_processed"] = *p.RowsProcessed
		}
		return tx.Model(&syncRow{}).Where("id = ?", c.SyncID).Updates(upd).Error
	})
}

// lockReleased is the lock_released_at a transition that ends a claim writes: now for a fetch
// claim (it gives the lease back), unchanged otherwise.
func lockReleased(c Claim, now time.Time) any {
	if c.Kind == ClaimFetch {
		return now
	}
	return gorm.Expr("lock_released_at")
}
