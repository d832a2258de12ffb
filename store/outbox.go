package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// DeliveryState is where a delivery of the notification outbox stands.
type DeliveryState string

// Delivery states: pending until sent (or given up), then delivered or failed for good.
const (
	DeliveryPending   DeliveryState = "pending"
	DeliveryDelivered DeliveryState = "delivered"
	DeliveryFailed    DeliveryState = "failed"
)

// Delivery is one notification to one webhook target, in the durable outbox: enqueued in the
// database before anything is sent, so a restart loses none; claimed with a lease, so across
// replicas one sender at a time holds it. DedupeKey is unique: enqueuing the same incident's
// message for the same target twice (two replicas noticing it, a pass repeated) stores it once.
type Delivery struct {
	ID        string // UUIDv7, assigned by EnqueueDeliveries
	DedupeKey string
	TargetID  string
	Event     string
	AccountID string
	SyncID    string
	// Incident groups the messages of one problem of an account (the follow-up "recovered"
	// message goes to the targets that heard of it).
	Incident      string
	Payload       string // the message, JSON, as the service rendered it
	State         DeliveryState
	Attempts      int
	NextAttemptAt time.Time
	ClaimedBy     string
	ClaimToken    int64
	LeaseUntil    *time.Time
	LastError     string // never holds the target's URL
	CreatedAt     time.Time
	FinishedAt    *time.Time // delivered or failed for good
}

type outboxRow struct {
	ID            string    `gorm:"primaryKey"`
	DedupeKey     string    `gorm:"not null;uniqueIndex:notify_outbox_dedupe"`
	TargetID      string    `gorm:"not null"`
	Event         string    `gorm:"not null"`
	AccountID     string    `gorm:"not null;index:notify_outbox_incident,priority:1"`
	SyncID        string    `gorm:"not null"`
	Incident      string    `gorm:"not null;index:notify_outbox_incident,priority:2"`
	Payload       string    `gorm:"not null"`
	State         string    `gorm:"not null;index:notify_outbox_due,priority:1"`
	Attempts      int       `gorm:"not null"`
	NextAttemptAt time.Time `gorm:"not null;index:notify_outbox_due,priority:2"`
	ClaimedBy     string    `gorm:"not null"`
	ClaimToken    int64     `gorm:"not null"`
	LeaseUntil    *time.Time
	LastError     string     `gorm:"not null"`
	CreatedAt     time.Time  `gorm:"not null"`
	FinishedAt    *time.Time `gorm:"index:notify_outbox_finished"`
}

func (outboxRow) TableName() string { return "notify_outbox" }

func (r outboxRow) toDelivery() Delivery {
	return Delivery{ID: r.ID, DedupeKey: r.DedupeKey, TargetID: r.TargetID, Event: r.Event, AccountID: r.AccountID,
		SyncID: r.SyncID, Incident: r.Incident, Payload: r.Payload, State: DeliveryState(r.State), Attempts: r.Attempts,
		NextAttemptAt: r.NextAttemptAt.UTC(), ClaimedBy: r.ClaimedBy, ClaimToken: r.ClaimToken, LeaseUntil: utcPtr(r.LeaseUntil),
		LastError: r.LastError, CreatedAt: r.CreatedAt.UTC(), FinishedAt: utcPtr(r.FinishedAt)}
}

// EnqueueDeliveries stores the deliveries whose DedupeKey is new, pending and due at once, and
// returns how many it stored; the others (already enqueued, by this or another replica) are
// left as they are.
func (s *Store) EnqueueDeliveries(ctx context.Context, ds []Delivery) (int, error) {
	stored := 0
	now := s.now()
	for _, d := range ds {
		id, err := uuid.NewV7()
		if err != nil {
			return stored, fmt.Errorf("enqueue delivery: %w", err)
		}
		row := outboxRow{ID: id.String(), DedupeKey: d.DedupeKey, TargetID: d.TargetID, Event: d.Event,
			AccountID: d.AccountID, SyncID: d.SyncID, Incident: d.Incident, Payload: d.Payload,
			State: string(DeliveryPending), NextAttemptAt: now, CreatedAt: now}
		res := s.conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
		if res.Error != nil {
			return stored, fmt.Errorf("enqueue delivery %s: %w", d.DedupeKey, mapErr(res.Error))
		}
		stored += int(res.RowsAffected)
	}
	return stored, nil
}

// ClaimDeliveries claims up to limit pending deliveries that are due and not held by a live
// claim (a sender that died leaves its claim to lapse at LeaseUntil, and the delivery is claimed
// again: nothing is lost across a restart). Each claim counts an attempt and takes a new
// ClaimToken, which the sender's MarkDelivered or RetryDelivery must present. On PostgreSQL the
// candidates are locked FOR UPDATE SKIP LOCKED, so concurrent claimers take different rows.
func (s *Store) ClaimDeliveries(ctx context.Context, owner string, lease time.Duration, limit int) ([]Delivery, error) {
	limit = clampLimit(limit, 10, 100)
	var out []Delivery
	err := s.tx(ctx, func(tx *gorm.DB) error {
		now, err := s.dbNow(tx)
		if err != nil {
			return err
		}
		q := tx.Where("state = ? AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until <= ?)",
			string(DeliveryPending), now, now)
		if s.dialect == DialectPostgres {
			q = q.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"})
		}
		var rows []outboxRow
		if err := q.Order("next_attempt_at, id").Limit(limit).Find(&rows).Error; err != nil {
			return err
		}
		until := now.Add(lease)
		for _, r := range rows {
			res := tx.Model(&outboxRow{}).Where("id = ? AND claim_token = ?", r.ID, r.ClaimToken).Updates(map[string]any{
				"claimed_by": owner, "lease_until": until, "claim_token": r.ClaimToken + 1, "attempts": r.Attempts + 1,
			})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != 1 {
				continue
			}
			r.ClaimedBy, r.LeaseUntil, r.ClaimToken, r.Attempts = owner, &until, r.ClaimToken+1, r.Attempts+1
			out = append(out, r.toDelivery())
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", mapErr(err))
	}
	return out, nil
}

// finishDelivery changes a claimed delivery if d still holds its claim (same ClaimToken, still
// pending); ErrLeaseLost otherwise (its lease lapsed and another sender claimed it).
func (s *Store) finishDelivery(ctx context.Context, op string, d Delivery, upd map[string]any) error {
	res := s.conn(ctx).Model(&outboxRow{}).Where("id = ? AND claim_token = ? AND state = ?", d.ID, d.ClaimToken, string(DeliveryPending)).
		Updates(upd)
	if res.Error != nil {
		return fmt.Errorf("%s %s: %w", op, d.ID, mapErr(res.Error))
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("%s %s (claim %d): %w", op, d.ID, d.ClaimToken, ErrLeaseLost)
	}
	return nil
}

// MarkDelivered records that the receiver accepted d.
func (s *Store) MarkDelivered(ctx context.Context, d Delivery) error {
	now := s.now()
	return s.finishDelivery(ctx, "mark delivered", d, map[string]any{
		"state": string(DeliveryDelivered), "finished_at": now, "lease_until": nil, "last_error": "",
	})
}

// RetryDelivery records a failed attempt of d: pending again from retryAt, or, when final,
// failed for good. msg must not hold the target's URL.
func (s *Store) RetryDelivery(ctx context.Context, d Delivery, msg string, retryAt time.Time, final bool) error {
	upd := map[string]any{"lease_until": nil, "last_error": msg, "next_attempt_at": utc(retryAt)}
	if final {
		upd["state"], upd["finished_at"] = string(DeliveryFailed), s.now()
	}
	return s.finishDelivery(ctx, "retry delivery", d, upd)
}

// ListDeliveries returns the deliveries of a target (all when targetID is ""), oldest first, at
// most limit (0 = 100).
func (s *Store) ListDeliveries(ctx context.Context, targetID string, limit int) ([]Delivery, error) {
	q := s.conn(ctx).Model(&outboxRow{})
	if targetID != "" {
		q = q.Where("target_id = ?", targetID)
	}
	var rows []outboxRow
	if err := q.Order("id").Limit(clampLimit(limit, 100, 1000)).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list deliveries: %w", mapErr(err))
	}
	out := make([]Delivery, len(rows))
	for i, r := range rows {
		out[i] = r.toDelivery()
	}
	return out, nil
}

// IncidentTargets returns the targets that were sent (or are being sent) a message of an
// account's incident other than except (the follow-up's own event).
func (s *Store) IncidentTargets(ctx context.Context, accountID, incident, except string) ([]string, error) {
	var ids []string
	if err := s.conn(ctx).Model(&outboxRow{}).Where("account_id = ? AND incident = ? AND event <> ?", accountID, incident, except).
		Distinct().Order("target_id").Pluck("target_id", &ids).Error; err != nil {
		return nil, fmt.Errorf("incident targets: %w", mapErr(err))
	}
	return ids, nil
}

// DeleteFinishedDeliveries deletes one batch (at most batch, 0 = 1000) of the deliveries that
// were delivered or failed for good before cutoff, oldest first, and returns how many it
// deleted; call it until it returns fewer than the batch. Pending deliveries are never deleted.
func (s *Store) DeleteFinishedDeliveries(ctx context.Context, cutoff time.Time, batch int) (int, error) {
	batch = clampLimit(batch, 1000, 10000)
	res := s.conn(ctx).Exec(`DELETE FROM notify_outbox WHERE id IN (
  SELECT id FROM notify_outbox WHERE finished_at < ? AND state IN (?, ?) ORDER BY finished_at LIMIT ?)`,
		utc(cutoff), string(DeliveryDelivered), string(DeliveryFailed), batch)
	if res.Error != nil {
		return 0, fmt.Errorf("delete finished deliveries: %w", mapErr(res.Error))
	}
	return int(res.RowsAffected), nil
}

// FinishedSync is what the notifier needs of a sync that ended.
type FinishedSync struct {
	ID, AccountID, Status, ErrorKind, Error string
	FinishedAt                              time.Time
}

// FinishedSyncs returns the syncs that succeeded or failed at or after since, in the order they
// finished, at most limit (0 = 500). Indexed by syncs_finished.
func (s *Store) FinishedSyncs(ctx context.Context, since time.Time, limit int) ([]FinishedSync, error) {
	var rows []syncRow
	if err := s.conn(ctx).Select("id, account_id, status, error_kind, error_message, finished_at").
		Where("finished_at IS NOT NULL AND finished_at >= ? AND status IN ?", utc(since), []string{StatusSucceeded, StatusFailed}).
		Order("finished_at, id").Limit(clampLimit(limit, 500, 5000)).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("finished syncs: %w", mapErr(err))
	}
	out := make([]FinishedSync, len(rows))
	for i, r := range rows {
		out[i] = FinishedSync{ID: r.ID, AccountID: r.AccountID, Status: r.Status, ErrorKind: r.ErrorKind, Error: r.ErrorMessage}
		if r.FinishedAt != nil {
			out[i].FinishedAt = r.FinishedAt.UTC()
		}
	}
	return out, nil
}

// PreviousSuccess returns the id of the account's newest succeeded sync that finished before
// (strictly) the given time, "" when there is none.
func (s *Store) PreviousSuccess(ctx context.Context, accountID string, before time.Time) (string, error) {
	var rows []syncRow
	if err := s.conn(ctx).Select("id").Where("account_id = ? AND status = ? AND finished_at < ?", accountID, StatusSucceeded, utc(before)).
		Order("finished_at DESC, id DESC").Limit(1).Find(&rows).Error; err != nil {
		return "", fmt.Errorf("previous success: %w", mapErr(err))
	}
	if len(rows) == 0 {
		return "", nil
	}
	return rows[0].ID, nil
}

// LongRoomWaits returns the queued syncs that have waited for room among their customer's Naver
// report jobs since before cutoff.
func (s *Store) LongRoomWaits(ctx context.Context, cutoff time.Time) ([]Sync, error) {
	var rows []syncRow
	if err := s.conn(ctx).Where("status = ? AND phase = ? AND waiting_since IS NOT NULL AND waiting_since < ?",
		StatusQueued, PhaseWaitingNaverJobs, utc(cutoff)).Order("waiting_since").Limit(1000).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("long room waits: %w", mapErr(err))
	}
	out := make([]Sync, len(rows))
	for i, r := range rows {
		out[i] = r.toSync()
	}
	return out, nil
}
