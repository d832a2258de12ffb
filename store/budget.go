package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// quotaSlotRow is one rate limit shared by every replica: the earliest time (the store's, in
// Unix nanoseconds) at which the next request under it may be sent. Keys name a limit, such as
// an identity's writes or a project's reads (the caller chooses them).
type quotaSlotRow struct {
	Key    string `gorm:"column:quota_key;primaryKey"`
	NextAt int64  `gorm:"not null"`
}

func (quotaSlotRow) TableName() string { return "quota_slots" }

// QuotaLimit is one limit a request counts against: its key and the spacing it needs from the
// previous request under the same key.
type QuotaLimit struct {
	Key string
	Gap time.Duration
	// Gate: the request may reserve only once this limit is free (its next free time not later
	// than the store's now, give or take gateSlack); before that ReserveQuota reserves nothing
	// and returns a *QuotaNotReady. An identity's limit gates the request so that a backlogged
	// identity does not push its project's schedule ahead (the other identities of the project
	// would wait behind it although their own quota has room).
	Gate bool
}

// gateSlack is how early a gated limit counts as free: the reservation still respects its gap
// (the slot is never before the limit's next free time); the slack only saves a poll.
const gateSlack = 50 * time.Millisecond

// QuotaNotReady is ReserveQuota's answer when a gated limit is not free yet: nothing was
// reserved; ask again at At (the store's time).
type QuotaNotReady struct {
	Key string
	At  time.Time
}

func (e *QuotaNotReady) Error() string {
	return fmt.Sprintf("quota %s not free before %s", e.Key, e.At.Format(time.RFC3339Nano))
}

// ReserveQuota reserves the next send time of one request that counts against every limit in
// limits, for all replicas sharing the database: the slot is the latest of now and each limit's
// next free time, and each limit's next free time becomes the slot plus its gap. So requests
// under one key are at least its gap apart, whichever replica sends them. The slot is in the
// store's time (Store.Now); the caller waits until then. The rows are locked in key order in one
// transaction, on both dialects.
func (s *Store) ReserveQuota(ctx context.Context, limits []QuotaLimit) (time.Time, error) {
	limits = slices.Clone(limits)
	slices.SortFunc(limits, func(a, b QuotaLimit) int {
		switch {
		case a.Key < b.Key:
			return -1
		case a.Key > b.Key:
			return 1
		}
		return 0
	})
	var slot time.Time
	keys := keysOf(limits)
	err := s.quotaTx(ctx, keys, func(tx *gorm.DB) error {
		now, err := s.dbNow(tx)
		if err != nil {
			return err
		}
		rows, err := s.lockQuotaRows(tx, keys)
		if err != nil {
			return err
		}
		next := now.UnixNano()
		gated := map[string]bool{}
		for _, l := range limits {
			gated[l.Key] = gated[l.Key] || l.Gate
		}
		for _, r := range rows {
			if gated[r.Key] && r.NextAt > next+int64(gateSlack) {
				return &QuotaNotReady{Key: r.Key, At: time.Unix(0, r.NextAt).UTC()}
			}
		}
		for _, r := range rows {
			next = max(next, r.NextAt)
		}
		for _, l := range limits {
			if err := tx.Model(&quotaSlotRow{}).Where("quota_key = ?", l.Key).
				Update("next_at", next+int64(l.Gap)).Error; err != nil {
				return err
			}
		}
		slot = time.Unix(0, next).UTC()
		return nil
	})
	if nr := (*QuotaNotReady)(nil); errors.As(err, &nr) {
		return time.Time{}, nr
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("reserve quota: %w", mapErr(err))
	}
	return slot, nil
}

// HoldQuota lets no request under key be reserved a slot earlier than d from now (a 429's
// Retry-After), for every replica.
func (s *Store) HoldQuota(ctx context.Context, key string, d time.Duration) error {
	err := s.quotaTx(ctx, []string{key}, func(tx *gorm.DB) error {
		now, err := s.dbNow(tx)
		if err != nil {
			return err
		}
		rows, err := s.lockQuotaRows(tx, []string{key})
		if err != nil {
			return err
		}
		until := now.Add(d).UnixNano()
		if rows[0].NextAt >= until {
			return nil
		}
		return tx.Model(&quotaSlotRow{}).Where("quota_key = ?", key).Update("next_at", until).Error
	})
	if err != nil {
		return fmt.Errorf("hold quota %s: %w", key, mapErr(err))
	}
	return nil
}

// errQuotaRowsMissing: a key has no row yet; ensureQuotaRows creates it outside the locking
// transaction. (Inserting inside it would deadlock on PostgreSQL: a transaction holding one
// row's lock waits on another's uncommitted insert of the second row, which waits for the
// first's lock.)
var errQuotaRowsMissing = errors.New("quota rows missing")

// lockQuotaRows locks the rows of keys (sorted) in key order.
func (s *Store) lockQuotaRows(tx *gorm.DB, keys []string) ([]quotaSlotRow, error) {
	q := tx.Where("quota_key IN ?", keys).Order("quota_key")
	if s.dialect == DialectPostgres {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var rows []quotaSlotRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, err
	}
	if len(rows) != len(keys) {
		return nil, errQuotaRowsMissing
	}
	return rows, nil
}

// quotaTx runs fn in a transaction, first creating the rows of keys if fn finds one missing
// (only the first request under a key does).
func (s *Store) quotaTx(ctx context.Context, keys []string, fn func(tx *gorm.DB) error) error {
	err := s.tx(ctx, fn)
	if !errors.Is(err, errQuotaRowsMissing) {
		return err
	}
	for _, k := range keys { // each its own statement, committed at once
		if err := s.conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&quotaSlotRow{Key: k}).Error; err != nil {
			return err
		}
	}
	return s.tx(ctx, fn)
}

func keysOf(limits []QuotaLimit) []string {
	keys := make([]string, len(limits))
	for i, l := range limits {
		keys[i] = l.Key
	}
	return slices.Compact(keys)
}
