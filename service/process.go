package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/naversync/naversync/google"
	"github.com/naversync/naversync/store"
)

// errSheet marks failures of writing the sheet.
var errSheet = errors.New("sheet")

// processLoop is one processing worker: files to rows to the sheet. It never holds a lease.
func (s *Service) processLoop(ctx context.Context, owner string) {
	s.workLoop(ctx, func() (func(), error) {
		sent := time.Now()
		sy, c, err := s.store.ClaimProcess(ctx, owner, s.cfg.LeaseTTL)
		if err != nil || sy == nil {
			return nil, err
		}
		return func() { s.runProcess(ctx, *sy, *c, sent) }, nil
	}, s.wake.process, "claim process", owner)
}

func (s *Service) runProcess(ctx context.Context, sy store.Sync, c store.Claim, claimedAt time.Time) {
	log := s.log.With("sync_id", sy.ID, "customer_id", sy.CustomerID, "owner", c.Owner, "token", c.Token)
	s.events.publish(sy.ID)
	var rows int64
	s.run(ctx, sy, c, claimedAt, work{
		do: func(ctx context.Context, _ *guard) error {
			start := time.Now()
			var err error
			rows, err = s.process(ctx, sy, c, log)
			s.met.phase.WithLabelValues("process").Observe(time.Since(start).Seconds())
			return err
		},
		finish: func(ctx context.Context) error {
			if err := s.store.CompleteSync(ctx, c, rows); err != nil {
				return err
			}
			s.met.syncsDone.WithLabelValues(StatusSucceeded).Inc()
			log.Info("sync succeeded", "rows", rows, "took", s.now().Sub(sy.CreatedAt).Round(time.Millisecond))
			if err := s.store.SetAccountError(ctx, sy.AccountID, ""); err != nil {
				log.Warn("clear account error", "err", err)
			}
			if n, err := s.pruneSuperseded(ctx, sy.CustomerID); err != nil {
				log.Warn("prune superseded files", "err", err)
			} else if n > 0 {
				log.Info("pruned superseded files", "count", n)
			}
			return nil
		},
		shutdownMessage: "interrupted by shutdown; processing starts again from the downloaded files",
	})
}

// process turns the sync's files into the account's sheet table and writes it.
func (s *Service) process(ctx context.Context, sy store.Sync, c store.Claim, log *slog.Logger) (int64, error) {
	acct, err := s.store.GetAccount(ctx, sy.AccountID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return 0, fmt.Errorf("the account was deleted; nothing to write")
		}
		return 0, fmt.Errorf("%w: account: %v", errStorage, err)
	}
	lastReport := time.Now()
	bt, err := s.buildTable(ctx, sy, acct.Level, func(rows int) error {
		if now := time.Now(); now.Sub(lastReport) >= 250*time.Millisecond {
			lastReport = now
			r := int64(rows)
			if err := s.progress(ctx, c, store.Progress{RowsProcessed: &r}); err != nil {
				return err
			}
			s.events.publish(sy.ID)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	sp, table, from, to := bt.spill, bt.table, bt.from, bt.to
	defer sp.close()
	rows := int64(sp.rows)
	s.met.rows.Add(float64(rows))
	if err := s.progress(ctx, c, store.Progress{RowsProcessed: &rows}); err != nil {
		return 0, err
	}
	if err := fence(s.store.SetPhase(ctx, c, PhaseWriting)); err != nil {
		return 0, fmt.Errorf("phase: %w", err)
	}
	s.events.publish(sy.ID)
	log.Info("rows built; writing the sheet", "rows", rows, "days", bt.days)

	// The writer serializes writes to one spreadsheet (google.Writer locks per spreadsheet id).
	writeStart := time.Now()
	res, err := s.sheets.WriteTable(ctx, acct.SpreadsheetID, acct.SheetTab, table, google.Status{
		SyncID: sy.ID, SyncedAt: s.now(), From: from, To: to, Rows: int(rows),
		Note: fmt.Sprintf("cost: VAT included, whole won (days before %s converted ×1.1)", vatSwitchDay.Format(dayLayout)),
	})
	s.met.sheetReqs.Add(float64(res.Requests))
	s.met.phase.WithLabelValues("write").Observe(time.Since(writeStart).Seconds())
	if err != nil {
		s.met.sheetErrors.WithLabelValues(sheetErrorKind(err)).Inc()
		return 0, fmt.Errorf("%w: %w", errSheet, err)
	}
	if sp.readErr != nil {
		return 0, fmt.Errorf("%w: reading processed rows: %v", errStorage, sp.readErr)
	}
	s.met.sheetWrites.Inc()
	return rows, nil
}

// sheetErrorKind names a Sheets failure.
func sheetErrorKind(err error) string {
	var tl *google.TooLargeError
	switch {
	case errors.As(err, &tl):
		return "too_large"
	case errors.Is(err, google.ErrNotShared):
		return "not_shared"
	case errors.Is(err, google.ErrSpreadsheetNotFound):
		return "spreadsheet_not_found"
	case errors.Is(err, google.ErrQuota):
		return "quota"
	}
	return "sheet"
}

// isTransientSheet: quota and server errors may pass; a missing share or a too-large table won't.
func isTransientSheet(err error) bool {
	switch sheetErrorKind(err) {
	case "too_large", "not_shared", "spreadsheet_not_found":
		return false
	}
	return true
}
