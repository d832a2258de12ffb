package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/naversync/naversync/google"
	"github.com/naversync/naversync/store"
)

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
	var rec store.SheetRecord
	s.run(ctx, sy, c, claimedAt, work{
		do: func(ctx context.Context, _ *guard) error {
			start := time.Now()
			var err error
			rows, rec, err = s.process(ctx, sy, c, log)
			s.met.phase.WithLabelValues("process").Observe(time.Since(start).Seconds())
			return err
		},
		finish: func(ctx context.Context) error {
			if err := s.store.CompleteSync(ctx, c, rows, rec); err != nil {
				return err
			}
			s.met.syncsDone.WithLabelValues(StatusSucceeded).Inc()
			log.Info("sync succeeded", "rows", rows, "took", s.now().Sub(sy.CreatedAt).Round(time.Millisecond))
			if err := s.store.SetAccountError(ctx, sy.AccountID, ""); err != nil {
				log.Warn("clear account error", "err", err)
			}
			return nil
		},
		shutdownMessage: "interrupted by shutdown; processing starts again from the downloaded files",
	})
}

// process turns the sync's files into the account's sheet table and writes it, as the only
// writer of the spreadsheet (a lock held with the claim, so replicas write it one at a time, and
// the table is built once the lock is held, from the newest files). It returns what the write
// left in the sheet, to be recorded with the sync's success.
func (s *Service) process(ctx context.Context, sy store.Sync, c store.Claim, log *slog.Logger) (int64, store.SheetRecord, error) {
	var rec store.SheetRecord
	acct, err := s.store.GetAccount(ctx, sy.AccountID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return 0, rec, fmt.Errorf("the account was deleted; nothing to write")
		}
		return 0, rec, fmt.Errorf("%w: account: %v", errStorage, err)
	}
	if err := s.lockSheet(ctx, c, acct.SpreadsheetID, log); err != nil {
		return 0, rec, err
	}
	lastReport := time.Now()
	bt, err := s.buildTable(ctx, sy, acct, func(rows int) error {
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
		return 0, rec, err
	}
	sp, table := bt.spill, bt.table
	defer sp.close()
	if len(bt.damaged) > 0 {
		for _, f := range bt.damaged {
			log.Warn("stored report file damaged; fetching it again", "report_type", f.ReportType, "stat_date", f.StatDate, "key", f.Key)
			if err := s.store.MarkFileDamaged(ctx, f.CustomerID, f.ReportType, f.StatDate, f.Key); err != nil {
				return 0, rec, fmt.Errorf("%w: %v", errStorage, err)
			}
		}
		return 0, rec, fmt.Errorf("%w: %d files", errFilesDamaged, len(bt.damaged))
	}
	rows := int64(sp.rows)
	s.met.rows.Add(float64(rows))
	if err := s.progress(ctx, c, store.Progress{RowsProcessed: &rows}); err != nil {
		return 0, rec, err
	}
	if err := fence(s.store.SetPhase(ctx, c, PhaseWriting)); err != nil {
		return 0, rec, fmt.Errorf("phase: %w", err)
	}
	s.events.publish(sy.ID)
	// What the tab holds now, as the last recorded write left it: the writer sends only the
	// days whose files changed since (and rewrites everything when it cannot trust the record).
	prev, changed, err := s.previousSheet(ctx, acct, bt.days)
	if err != nil {
		return 0, rec, err
	}
	table.Owner = acct.ID                                           // the staging tab of a big write is the account's, whatever its tab is called
	if err := s.guardForeignTab(ctx, acct, prev, log); err != nil { // consent.go
		return 0, rec, err
	}
	table.Blocks = make([]google.Block, len(bt.days))
	for i, d := range bt.days {
		table.Blocks[i] = google.Block{Key: d.StatDate, Rows: d.Rows, Changed: changed[d.StatDate]}
	}
	log.Info("rows built; writing the sheet", "rows", rows, "days", len(bt.days), "changed_days", len(changed), "pending_days", len(bt.pending))
	if err := fence(s.store.BeginSheetWrite(ctx, c, acct.ID, acct.SpreadsheetID, acct.SheetTab)); err != nil {
		return 0, rec, fmt.Errorf("sheet state: %w", err)
	}

	writeStart := time.Now()
	note := fmt.Sprintf("cost: VAT included, whole won (days before %s converted ×1.1)", vatSwitchDay.Format(dayLayout))
	if len(bt.pending) > 0 {
		note += fmt.Sprintf("; pending (not ready at Naver yet, fetched again later): %s", strings.Join(bt.pending, ", "))
	}
	if len(bt.provisional) > 0 {
		note += fmt.Sprintf("; conversions provisional (Naver reported none yet; asked again): %s", strings.Join(bt.provisional, ", "))
	}
	status := google.Status{SyncID: sy.ID, SyncedAt: s.now(), From: bt.from, To: bt.to, Rows: int(rows), Note: note}
	res, err := s.sheets.WriteTableFrom(ctx, acct.SpreadsheetID, acct.SheetTab, prev, table, status)
	if errors.Is(err, google.ErrTabReplaced) {
		// A person deleted the tab and made one of their own, holding data, under its title:
		// that tab needs consent as one found at a first write (consent.go), then is written whole.
		log.Warn("the account's tab is gone and a tab holding data naversync did not write has its title", "tab", acct.SheetTab, "err", err)
		s.met.sheetReqs.Add(float64(res.Requests))
		if err := s.guardForeignTab(ctx, acct, nil, log); err != nil {
			return 0, rec, err
		}
		res, err = s.sheets.WriteTableFrom(ctx, acct.SpreadsheetID, acct.SheetTab, nil, table, status)
	}
	s.met.sheetReqs.Add(float64(res.Requests))
	s.met.sheetBytes.Add(float64(res.Bytes))
	s.met.phase.WithLabelValues("write").Observe(time.Since(writeStart).Seconds())
	if err != nil {
		s.met.sheetErrors.WithLabelValues(string(sheetErrorKind(err))).Inc()
		return 0, rec, fmt.Errorf("%w: %w", errSheet, err)
	}
	if sp.readErr != nil {
		return 0, rec, fmt.Errorf("%w: reading processed rows: %v", errStorage, sp.readErr)
	}
	s.met.sheetWrites.Inc()
	layout, err := json.Marshal(res.Layout)
	if err != nil {
		return 0, rec, fmt.Errorf("sheet layout: %w", err)
	}
	dropped := make(map[string]bool, len(res.Dropped))
	for _, d := range res.Dropped {
		dropped[d] = true
	}
	shown := make([]store.SheetDay, 0, len(bt.days))
	for _, d := range bt.days {
		if !dropped[d.StatDate] {
			shown = append(shown, d)
		}
	}
	if len(res.Dropped) > 0 {
		log.Warn("days left out of the sheet for Google's cell limit", "days", len(res.Dropped))
	}
	log.Info("sheet written", "incremental", res.Incremental, "staged", res.Staged, "bytes", res.Bytes, "requests", res.Requests)
	if res.Usage.Near() {
		log.Warn("the spreadsheet is near Google's cell limit", "cells", res.Usage.Cells, "limit", res.Usage.Limit)
	}
	usage, err := json.Marshal(sheetCells(res.Usage))
	if err != nil {
		return 0, rec, fmt.Errorf("sheet cells: %w", err)
	}
	rec = store.SheetRecord{AccountID: acct.ID, SpreadsheetID: acct.SpreadsheetID, Tab: s.followTab(ctx, acct, res.Tab, log),
		Layout: layout, Days: shown, Range: store.DayRange{From: sy.From, To: sy.To}, Usage: usage}
	return rows, rec, nil
}

// followTab makes the account follow its tab when a person renamed it in the spreadsheet (the
// writer found the tab by its sheetId and wrote it under its new title): the account's sheet_tab
// becomes the new title, audited as a change by the service. It returns the tab the write's
// record names: the new title, or the account's own when the update could not be made (the
// writer then follows the tab by its sheetId again next time).
func (s *Service) followTab(ctx context.Context, acct store.Account, written string, log *slog.Logger) string {
	if written == "" || written == acct.SheetTab {
		return acct.SheetTab
	}
	if _, err := s.store.UpdateAccount(ctx, acct.ID, store.AccountUpdate{SheetTab: &written}); err != nil {
		log.Warn("the tab was renamed in the spreadsheet; the account could not follow it", "old_tab", acct.SheetTab, "new_tab", written, "err", err)
		return acct.SheetTab
	}
	log.Info("the tab was renamed in the spreadsheet; the account follows it", "old_tab", acct.SheetTab, "new_tab", written)
	s.audit(ctx, AuditAccountUpdate, acct.ID, "", []string{"sheet_tab"},
		fmt.Sprintf("%s: sheet_tab %q -> %q (the tab was renamed in the spreadsheet)", acct.Name, acct.SheetTab, written))
	return written
}

// previousSheet returns the layout the last recorded write left in the account's tab (nil when
// there is none to trust: never written, another tab, or a write begun and never recorded) and
// which days changed since: days whose digest (their files and the names their rows show)
// differs from the one they were written with, and new days. A rename at Naver thus rewrites
// every day that shows the renamed entity, and no other.
func (s *Service) previousSheet(ctx context.Context, acct store.Account, days []store.SheetDay) (*google.Layout, map[string]bool, error) {
	st, err := s.store.SheetState(ctx, acct.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: sheet state: %v", errStorage, err)
	}
	written := make(map[string]store.SheetDay, len(st.Days))
	for _, d := range st.Days {
		written[d.StatDate] = d
	}
	changed := map[string]bool{}
	for _, d := range days {
		if w, ok := written[d.StatDate]; !ok || w.Digest != d.Digest || w.Rows != d.Rows {
			changed[d.StatDate] = true
		}
	}
	if st.Dirty || len(st.Layout) == 0 || st.SpreadsheetID != acct.SpreadsheetID || st.Tab != acct.SheetTab {
		return nil, changed, nil
	}
	var l google.Layout
	if err := json.Unmarshal(st.Layout, &l); err != nil {
		return nil, changed, nil // an unreadable record: write the whole table
	}
	return &l, changed, nil
}

// lockSheet waits until this sync is the one writer of the spreadsheet (renewed and released
// with its claim), or ctx ends.
func (s *Service) lockSheet(ctx context.Context, c store.Claim, spreadsheetID string, log *slog.Logger) error {
	wait := 50 * time.Millisecond
	for logged := false; ; {
		got, err := s.store.AcquireSheetLock(ctx, c, spreadsheetID, s.cfg.LeaseTTL)
		if err != nil {
			return fmt.Errorf("sheet lock: %w", fence(err))
		}
		if got {
			return nil
		}
		if !logged {
			log.Info("another sync is writing the spreadsheet; waiting for it", "spreadsheet_id", spreadsheetID)
			logged = true
		}
		t := time.NewTimer(wait + jitter(wait/2))
		select {
		case <-ctx.Done():
			t.Stop()
			return context.Cause(ctx)
		case <-t.C:
		}
		wait = min(2*wait, 2*time.Second)
	}
}
