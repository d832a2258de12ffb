package service

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/naversync/naversync/google"
	"github.com/naversync/naversync/store"
)

// errSheet marks failures of writing the sheet.
var errSheet = errors.New("sheet")

// processLoop is one processing worker: files to rows to the sheet. It never holds a lease.
func (s *Service) processLoop(ctx context.Context, owner string) {
	s.workLoop(ctx, func() (func(), error) {
		sy, err := s.store.ClaimProcess(ctx, owner, s.cfg.LeaseTTL)
		if err != nil || sy == nil {
			return nil, err
		}
		return func() { s.runProcess(ctx, *sy, owner) }, nil
	}, s.wake.process, "claim process", owner)
}

func (s *Service) runProcess(ctx context.Context, sy store.Sync, owner string) {
	log := s.log.With("sync_id", sy.ID, "customer_id", sy.CustomerID, "owner", owner)
	start := s.cfg.Now()
	s.events.publish(sy.ID)
	pctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var hb sync.WaitGroup
	hb.Add(1)
	go func() {
		defer hb.Done()
		s.processHeartbeat(pctx, cancel, sy.ID, owner)
	}()
	rows, err := s.process(pctx, sy, owner, log)
	if err == nil {
		err = context.Cause(pctx)
	}
	cancel(nil)
	hb.Wait()
	s.met.phase.WithLabelValues("process").Observe(s.cfg.Now().Sub(start).Seconds())

	bg, done := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer done()
	switch {
	case err == nil:
		if cerr := s.store.CompleteSync(bg, sy.ID, owner, rows); cerr != nil {
			log.Error("complete sync", "err", cerr)
			return
		}
		s.met.syncsDone.WithLabelValues(StatusSucceeded).Inc()
		log.Info("sync succeeded", "rows", rows, "took", s.cfg.Now().Sub(sy.CreatedAt).Round(time.Millisecond))
		if aerr := s.store.SetAccountError(bg, sy.AccountID, ""); aerr != nil {
			log.Warn("clear account error", "err", aerr)
		}
		if n, perr := s.pruneSuperseded(bg, sy.CustomerID); perr != nil {
			log.Warn("prune superseded files", "err", perr)
		} else if n > 0 {
			log.Info("pruned superseded files", "count", n)
		}
	case errors.Is(err, errLeaseLost):
		log.Warn("processing claim lost; another worker took the sync")
		return
	case errors.Is(err, errCancelRequest):
		if merr := s.store.MarkCanceled(bg, sy.ID); merr != nil {
			log.Error("mark canceled", "err", merr)
		}
		s.met.syncsDone.WithLabelValues(StatusCanceled).Inc()
	case ctx.Err() != nil:
		if rerr := s.store.RequeueSync(bg, sy.ID, StatusProcessing, s.cfg.Now(), "shutdown", "interrupted by shutdown; processing starts again from the downloaded files"); rerr != nil {
			log.Error("requeue after shutdown", "err", rerr)
		}
	default:
		s.failOrRetry(bg, sy, StatusProcessing, err, log)
	}
	s.wake.broadcast()
	s.events.publish(sy.ID)
}

func (s *Service) processHeartbeat(ctx context.Context, cancel context.CancelCauseFunc, syncID, owner string) {
	t := time.NewTicker(s.cfg.LeaseTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := s.store.RenewProcess(ctx, syncID, owner, s.cfg.LeaseTTL)
		if errors.Is(err, store.ErrLeaseLost) {
			cancel(errLeaseLost)
			return
		}
		if cur, err := s.store.GetSync(ctx, syncID); err == nil && cur.CancelRequested {
			cancel(errCancelRequest)
			return
		}
	}
}

// process turns the sync's files into the account's sheet table and writes it.
func (s *Service) process(ctx context.Context, sy store.Sync, owner string, log interface{ Info(string, ...any) }) (int64, error) {
	acct, err := s.store.GetAccount(ctx, sy.AccountID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return 0, fmt.Errorf("the account was deleted; nothing to write")
		}
		return 0, fmt.Errorf("%w: account: %v", errStorage, err)
	}
	lastReport := s.cfg.Now()
	bt, err := s.buildTable(ctx, sy, acct.Level, func(rows int) error {
		if now := s.cfg.Now(); now.Sub(lastReport) >= 250*time.Millisecond {
			lastReport = now
			r := int64(rows)
			if err := s.store.UpdateProgress(ctx, sy.ID, store.Progress{RowsProcessed: &r}); err != nil {
				return fmt.Errorf("%w: progress: %v", errStorage, err)
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
	if err := s.store.UpdateProgress(ctx, sy.ID, store.Progress{RowsProcessed: &rows}); err != nil {
		return 0, fmt.Errorf("%w: progress: %v", errStorage, err)
	}
	if err := s.store.SetPhase(ctx, sy.ID, owner, PhaseWriting); err != nil {
		if errors.Is(err, store.ErrLeaseLost) {
			return 0, errLeaseLost
		}
		return 0, fmt.Errorf("%w: phase: %v", errStorage, err)
	}
	s.events.publish(sy.ID)
	log.Info("rows built; writing the sheet", "rows", rows, "days", bt.days)

	// The writer serializes writes to one spreadsheet (google.Writer locks per spreadsheet id).
	writeStart := s.cfg.Now()
	res, err := s.sheets.WriteTable(ctx, acct.SpreadsheetID, acct.SheetTab, table, google.Status{
		SyncID: sy.ID, SyncedAt: s.cfg.Now(), From: from, To: to, Rows: int(rows),
		Note: fmt.Sprintf("cost: VAT included, whole won (days before %s converted ×1.1)", vatSwitchDay.Format(dayLayout)),
	})
	s.met.sheetReqs.Add(float64(res.Requests))
	s.met.phase.WithLabelValues("write").Observe(s.cfg.Now().Sub(writeStart).Seconds())
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
