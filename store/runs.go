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
	// OutcomeCode and OutcomeParams (a JSON object of strings, "" for none) name the outcome
	// for the console to render in the viewer's language ("" for runs recorded before them).
	OutcomeCode   string
	OutcomeParams string
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
	return s.RecordRunCoded(ctx, key, outcome, "", "")
}

// RecordRunCoded stores the outcome, its message code and parameters (a JSON object), and the
// finish time of a claimed run.
func (s *Store) RecordRunCoded(ctx context.Context, key, outcome, code, params string) error {
	res := s.conn(ctx).Model(&runRow{}).Where("run_key = ?", key).
		Updates(map[string]any{"outcome": outcome, "outcome_code": code, "outcome_params": params, "finished_at": s.now()})
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
		out[i] = Run{Key: r.Key, Owner: r.Owner, StartedAt: r.StartedAt.UTC(), FinishedAt: utcPtr(r.FinishedAt), Outcome: r.Outcome,
			OutcomeCode: r.OutcomeCode, OutcomeParams: r.OutcomeParams}
	}
	return out, nil
}

// DeleteRunsBefore deletes the scheduler's runs started before cutoff and returns how many. The
// scheduler reads only the runs of today (has a replica run it?) and the last few (the console):
// older ones are history, kept for a while and then deleted by the maintenance.
func (s *Store) DeleteRunsBefore(ctx context.Context, cutoff time.Time) (int, error) {
	res := s.conn(ctx).Where("started_at < ?", utc(cutoff)).Delete(&runRow{})
	if res.Error != nil {
		return 0, fmt.Errorf("delete runs: %w", mapErr(res.Error))
	}
	return int(res.RowsAffected), nil
}
