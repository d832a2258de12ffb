package service

import (
	"context"
	"time"
)

// maintenanceLoop runs the maintenance at Start and then every MaintenanceInterval until ctx
// ends (Stop): retention of finished syncs, expired idempotency keys, old audit entries and old
// records of scheduler runs, deletion of the report files of days no longer served, pruning of
// superseded files. Every replica runs it; each step is safe to run on several at once (a row or
// object deleted twice is deleted once). docs/operations.md, "What bounds each table", says
// which step bounds which table.
func (s *Service) maintenanceLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.MaintenanceInterval)
	defer t.Stop()
	for {
		s.maintain(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// maintain is one maintenance pass; failures are logged and the next pass tries again.
func (s *Service) maintain(ctx context.Context) {
	warn := func(what string, err error) {
		if ctx.Err() == nil {
			s.log.Warn(what, "err", err)
		}
	}
	syncs, keys, err := s.retain(ctx)
	if err != nil {
		warn("retention", err)
	}
	if syncs > 0 || keys > 0 {
		s.log.Info("retention: deleted old finished syncs and expired idempotency keys", "syncs", syncs, "keys", keys, "age", s.cfg.SyncRetention)
	}
	audits, err := s.retainAudit(ctx)
	if err != nil {
		warn("audit retention", err)
	}
	if audits > 0 {
		s.log.Info("retention: deleted old audit entries", "entries", audits, "age", s.cfg.AuditRetention)
	}
	runs, err := s.retainRuns(ctx)
	if err != nil {
		warn("scheduler run retention", err)
	}
	if runs > 0 {
		s.log.Info("retention: deleted old records of scheduler runs", "runs", runs, "age", RunRetention)
	}
	deliveries, err := s.retainDeliveries(ctx)
	if err != nil {
		warn("notification retention", err)
	}
	if deliveries > 0 {
		s.log.Info("retention: deleted old notification deliveries", "deliveries", deliveries, "age", s.cfg.Notify.Retention)
	}
	expired, err := s.expireFiles(ctx)
	if err != nil {
		warn("expire report files", err)
	}
	if expired > 0 {
		s.log.Info("deleted the report files of days no longer served", "files", expired)
	}
	pruned, err := s.pruneSuperseded(ctx)
	if err != nil {
		warn("prune superseded files", err)
	}
	if pruned > 0 {
		s.log.Info("pruned superseded files", "objects", pruned)
	}
}

// reencryptAtStart encrypts with the current key the secrets an old key encrypted, when old
// keys are configured (a key rotation in progress); see ReencryptSecrets.
func (s *Service) reencryptAtStart(ctx context.Context) {
	res, err := s.ReencryptSecrets(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("re-encrypting secrets with the new secret key", "err", err)
		}
		return
	}
	s.log.Info("secrets re-encrypted with the new secret key", "reencrypted", res.Done, "already_current", res.Current, "undecryptable", len(res.Undecryptable))
}
