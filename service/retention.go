package service

import (
	"context"
	"fmt"
	"time"

	"github.com/naversync/naversync/store"
)

// retentionBatch: syncs (or idempotency keys) deleted per statement (short transactions, no long
// locks).
const retentionBatch = 1000

// retain is the maintenance's retention pass: finished syncs older than SyncRetention are
// deleted in batches (see Config.SyncRetention for what is never deleted), and expired
// idempotency keys too. It returns how many of each it deleted.
func (s *Service) retain(ctx context.Context) (syncs, keys int, err error) {
	if s.cfg.SyncRetention > 0 {
		r := store.Retention{
			FinishedBefore:    s.now().Add(-s.cfg.SyncRetention),
			KeepScheduledFrom: s.today().AddDate(0, 0, -2).Format(dayLayout),
			Batch:             retentionBatch,
		}
		for {
			n, err := s.store.DeleteFinishedSyncs(ctx, r)
			syncs += n
			if err != nil {
				return syncs, keys, fmt.Errorf("retention: %w", err)
			}
			if n < retentionBatch {
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
		n, err := s.store.DeleteExpiredKeys(ctx, retentionBatch)
		keys += n
		if err != nil {
			return syncs, keys, fmt.Errorf("retention: %w", err)
		}
		if n < retentionBatch {
			return syncs, keys, nil
		}
	}
}

// retainAudit deletes, in batches, the audit entries older than AuditRetention (none when 0),
// and returns how many it deleted.
func (s *Service) retainAudit(ctx context.Context) (int, error) {
	if s.cfg.AuditRetention <= 0 {
		return 0, nil
	}
	cutoff := s.now().Add(-s.cfg.AuditRetention)
	total := 0
	for {
		n, err := s.store.DeleteAuditBefore(ctx, cutoff, retentionBatch)
		total += n
		if err != nil {
			return total, fmt.Errorf("audit retention: %w", err)
		}
		if n < retentionBatch {
			return total, nil
		}
	}
}

// RunRetention is how long the scheduler's record of a run is kept (the console shows the last
// ten; the scheduler itself reads only today's).
const RunRetention = 90 * 24 * time.Hour

// retainRuns deletes the scheduler's runs older than RunRetention.
func (s *Service) retainRuns(ctx context.Context) (int, error) {
	n, err := s.store.DeleteRunsBefore(ctx, s.now().Add(-RunRetention))
	if err != nil {
		return n, fmt.Errorf("run retention: %w", err)
	}
	return n, nil
}
