package service

import (
	"context"
	"fmt"
	"time"

	"github.com/naversync/naversync/store"
)

// RetentionConfig tunes the retention job.
type RetentionConfig struct {
	// Age: finished syncs that finished longer ago are deleted; 0 keeps every sync. Whatever
	// the age, the job never deletes a sync that is not finished, the newest succeeded sync of
	// an account (the console's "last success"), nor the scheduled syncs of the last two days
	// (the scheduler's record that a day's refresh ran).
	Age time.Duration
	// Interval between two passes; default 1h.
	Interval time.Duration
	// Batch: syncs deleted per statement; default 1000 (short transactions, no long locks).
	Batch int
}

// RunRetention runs a retention pass at once and then every cfg.Interval until ctx ends:
// finished syncs older than cfg.Age are deleted in batches, and expired idempotency keys too.
func (s *Service) RunRetention(ctx context.Context, cfg RetentionConfig) {
	if cfg.Interval <= 0 {
		cfg.Interval = time.Hour
	}
	t := time.NewTicker(cfg.Interval)
	defer t.Stop()
	for {
		syncs, keys, err := s.Retain(ctx, cfg)
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Warn("retention", "err", err)
		case syncs > 0 || keys > 0:
			s.log.Info("retention: deleted old finished syncs and expired idempotency keys", "syncs", syncs, "keys", keys, "age", cfg.Age)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Retain is one retention pass (see RetentionConfig); it returns how many syncs and expired
// idempotency keys it deleted.
func (s *Service) Retain(ctx context.Context, cfg RetentionConfig) (syncs, keys int, err error) {
	batch := cfg.Batch
	if batch <= 0 {
		batch = 1000
	}
	if cfg.Age > 0 {
		r := store.Retention{
			FinishedBefore:    s.now().Add(-cfg.Age),
			KeepScheduledFrom: s.today().AddDate(0, 0, -2).Format(dayLayout),
			Batch:             batch,
		}
		for {
			n, err := s.store.DeleteFinishedSyncs(ctx, r)
			syncs += n
			if err != nil {
				return syncs, keys, fmt.Errorf("retention: %w", err)
			}
			if n < batch {
				break
			}
		}
	}
	if n, err := s.forgetDeletedSheets(ctx); err != nil {
		s.log.Warn("retention: deleted accounts' sheets", "err", err)
	} else if n > 0 {
		s.log.Info("retention: settled the sheets of deleted accounts (stale staging tabs removed)", "accounts", n)
	}
	for {
		n, err := s.store.DeleteExpiredKeys(ctx, batch)
		keys += n
		if err != nil {
			return syncs, keys, fmt.Errorf("retention: %w", err)
		}
		if n < batch {
			return syncs, keys, nil
		}
	}
}
