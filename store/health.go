package store

import (
	"context"
	"fmt"
	"time"
)

// Freshness is when an account's sheet last got data: the finish of its newest succeeded sync
// (nil: never), and the account's creation.
type Freshness struct {
	AccountID   string
	CreatedAt   time.Time
	LastSuccess *time.Time
}

// Freshness lists every live account whose refresh is enabled with its last success (the
// metric of data staleness). One statement; each account's last success is found by the
// index syncs_account_created_id.
func (s *Store) Freshness(ctx context.Context) ([]Freshness, error) {
	var rows []struct {
		AccountID  string
		CreatedAt  time.Time
		FinishedAt *time.Time
	}
	err := s.conn(ctx).Raw(`SELECT a.id AS account_id, a.created_at, s.finished_at FROM accounts a
 LEFT JOIN syncs s ON s.id = (SELECT n.id FROM syncs n WHERE n.account_id = a.id AND n.status = ?
   ORDER BY n.created_at DESC, n.id DESC LIMIT 1)
 WHERE a.deleted_at IS NULL AND a.refresh_enabled = ?`, StatusSucceeded, true).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("freshness: %w", mapErr(err))
	}
	out := make([]Freshness, len(rows))
	for i, r := range rows {
		out[i] = Freshness{AccountID: r.AccountID, CreatedAt: r.CreatedAt.UTC(), LastSuccess: utcPtr(r.FinishedAt)}
	}
	return out, nil
}

// RoomWaits is the queued syncs waiting for room among their customer's Naver report jobs
// (jobs of other tools fill it): how many, and since when the oldest waits (nil: none).
type RoomWaits struct {
	Syncs  int
	Oldest *time.Time
}

// RoomWaits reads the syncs waiting for room among their customers' Naver jobs, the count and
// the oldest in one statement: a sync claimed again to look for room leaves the queue for a
// moment, and two reads could see it waiting in one and gone in the other.
func (s *Store) RoomWaits(ctx context.Context) (RoomWaits, error) {
	var rows []struct {
		WaitingSince *time.Time
		N            int64
	}
	if err := s.conn(ctx).Model(&syncRow{}).Select("waiting_since, COUNT(*) OVER () AS n").
		Where("status = ? AND waiting_since IS NOT NULL", StatusQueued).
		Order("waiting_since").Limit(1).Scan(&rows).Error; err != nil {
		return RoomWaits{}, fmt.Errorf("room waits: %w", mapErr(err))
	}
	if len(rows) == 0 {
		return RoomWaits{}, nil
	}
	return RoomWaits{Syncs: int(rows[0].N), Oldest: utcPtr(rows[0].WaitingSince)}, nil
}
