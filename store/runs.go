package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm/clause"
)

// Run is one scheduler tick claimed by a replica.
type Run struct {
	Key        string // e.g. job name + tick time
	Owner      string
	StartedAt  time.Time
	FinishedAt *time.Time
	Outcome    string
}

// ClaimRun inserts the run key; it reports true when this caller inserted it
// (won the tick) and false when another replica already had.
func (s *Store) ClaimRun(ctx context.Context, key string, owner string) (bool, error) {
	res := s.conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).
		Create(&runRow{Key: key, Owner: owner, StartedAt: s.now()})
	if res.Error != nil {
		return false, fmt.Errorf("claim run %s: %w", key, mapErr(res.Error))
	}
	return res.RowsAffected == 1, nil
}

// RecordRun stores the outcome and finish time of a claimed run.
func (s *Store) RecordRun(ctx context.Context, key string, outcome string) error {
	res := s.conn(ctx).Model(&runRow{}).Where("run_key = ?", key).
		Updates(map[string]any{"outcome": outcome, "finished_at": s.now()})
	if res.Error != nil {
		return fmt.Errorf("record run %s: %w", key, mapErr(res.Error))
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("record run %s: %w", key, ErrNotFound)
	}
	return nil
}

// LastRuns returns the most recently started runs, newest first.
func (s *Store) LastRuns(ctx context.Context, limit int) ([]Run, error) {
	var rows []runRow
	if err := s.conn(ctx).Order("started_at DESC, run_key DESC").Limit(clampLimit(limit, 20, 1000)).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("last runs: %w", mapErr(err))
	}
	out := make([]Run, len(rows))
	for i, r := range rows {
		out[i] = Run{Key: r.Key, Owner: r.Owner, StartedAt: r.StartedAt.UTC(), FinishedAt: utcPtr(r.FinishedAt), Outcome: r.Outcome}
	}
	return out, nil
}
