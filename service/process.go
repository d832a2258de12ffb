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
	"github.com/naversync/naversync/report"
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
	s.run(ctx, sy, c, claimedAt, work{
		do: func(ctx context.Context, _ *guard) error {
			start := time.Now()
			var err error
			rows, err = s.process(ctx, sy, c, log)
			s.met.phase.WithLabelValues("process").Observe(time.Since(start).Seconds())
			return err
		},
		finish: func(ctx context.Context) error {
			// Each tab's write was recorded as it was made (writeTab).
			if err := s.store.CompleteSync(ctx, c, rows); err != nil {
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

// process writes every tab of the account's sheet from the sync's files, one after the other in
// report.Tabs() order (writeTab), as the only writer of the spreadsheet (a lock held with the
// claim, so replicas write it one at a time, and each table is built once the lock is held, from
// the newest files). It returns the rows of all the tabs.
func (s *Service) process(ctx context.Context, sy store.Sync, c store.Claim, log *slog.Logger) (int64, error) {
	acct, err := s.store.GetAccount(ctx, sy.AccountID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return 0, fmt.Errorf("the account was deleted; nothing to write")
		}
		return 0, fmt.Errorf("%w: account: %v", errStorage, err)
	}
	if err := s.lockSheet(ctx, c, acct.SpreadsheetID, log); err != nil {
		return 0, err
	}
	tabs := tabsOf(acct)
	if len(tabs) == 0 { // only kinds this release does not build: the performance tab, as tabOf
		tabs = []report.Tab{tabOf(acct)}
	}
	var rows int64
	for _, tab := range tabs {
		n, err := s.writeTab(ctx, sy, c, &acct, tab, rows, log.With("tab_kind", tab.Kind()))
		if err != nil {
			return 0, err
		}
		rows += n
	}
	return rows, nil
}

// writeTab builds the account's tab of tab's kind from the stored files, writes it into the
// spreadsheet (only the days that changed since its last recorded write, when that record can
// be trusted) with its row in the status tab, and records the write. done are the rows of the
// tabs this processing wrote before (progress counts them). It returns the tab's rows; acct
// follows a person's renaming of the tab (followTab).
//
// Each tab's write is recorded right after it is made (store.RecordSheetWrite, fenced by the
// claim), not all at the sync's completion: the tab is dirty from BeginSheetWrite until its
// record, so a crash or failure after one tab (a kill, Google failing on the next tab, consent
// needed for the next tab) leaves the written tab with a trusted record, and the retry rewrites
// only the days that changed since in it; recorded only at CompleteSync, the retry would find
// every tab written so far dirty and rewrite it whole. A claim that lost its sync records
// nothing (ErrLeaseLost): the tab stays dirty and the next write of it is whole, never trusting
// a layout it cannot know.
func (s *Service) writeTab(ctx context.Context, sy store.Sync, c store.Claim, acct *store.Account, tab report.Tab, done int64, log *slog.Logger) (int64, error) {
	bt, err := s.buildGated(ctx, sy, c, *acct, tab, done)
	if err != nil {
		return 0, err
	}
	sp, table := bt.spill, bt.table
	defer sp.Close()
	if len(bt.damaged) > 0 {
		for _, f := range bt.damaged {
			log.Warn("stored report file damaged; fetching it again", "report_type", f.ReportType, "stat_date", f.StatDate, "key", f.Key)
			if err := s.store.MarkFileDamaged(ctx, f.CustomerID, f.ReportType, f.StatDate, f.Key); err != nil {
				return 0, fmt.Errorf("%w: %v", errStorage, err)
			}
		}
		return 0, fmt.Errorf("%w: %d files", errFilesDamaged, len(bt.damaged))
	}
	rows := int64(sp.Rows())
	s.met.rows.Add(float64(rows))
	total := done + rows
	if err := s.progress(ctx, c, store.Progress{RowsProcessed: &total}); err != nil {
		return 0, err
	}
	if err := fence(s.store.SetPhase(ctx, c, PhaseWriting)); err != nil {
		return 0, fmt.Errorf("phase: %w", err)
	}
	s.events.publish(sy.ID)
	title := tabTitle(*acct, bt.kind)
	// What the tab holds now, as the last recorded write left it: the writer sends only the
	// days whose files changed since (and rewrites everything when it cannot trust the record).
	prev, changed, err := s.previousSheet(ctx, *acct, bt.kind, title, bt.days)
	if err != nil {
		return 0, err
	}
	table.Owner = acct.ID                                                   // the staging tab of a big write is the account's, whatever its tab is called
	if err := s.guardForeignTab(ctx, *acct, title, prev, log); err != nil { // consent.go
		return 0, err
	}
	table.Blocks = make([]google.Block, len(bt.days))
	for i, d := range bt.days {
		table.Blocks[i] = google.Block{Key: d.StatDate, Rows: d.Rows, Changed: changed[d.StatDate]}
	}
	log.Info("rows built; writing the sheet", "tab", title, "rows", rows, "days", len(bt.days), "changed_days", len(changed), "pending_days", len(bt.pending))
	if err := fence(s.store.BeginSheetWrite(ctx, c, acct.ID, string(bt.kind), acct.SpreadsheetID, title)); err != nil {
		return 0, fmt.Errorf("sheet state: %w", err)
	}

	writeStart := time.Now()
	note := fmt.Sprintf("cost: VAT included, whole won (days before %s converted ×1.1)", report.VATSwitchDay.Format(dayLayout))
	if len(bt.pending) > 0 {
		note += fmt.Sprintf("; pending (not ready at Naver yet, fetched again later): %s", strings.Join(bt.pending, ", "))
	}
	if len(bt.provisional) > 0 {
		note += fmt.Sprintf("; conversions provisional (Naver reported none yet; asked again): %s", strings.Join(bt.provisional, ", "))
	}
	// The status tab has a row per data tab, found by the tab's title (package google).
	status := google.Status{SyncID: sy.ID, SyncedAt: s.now(), From: bt.from, To: bt.to, Rows: int(rows), Note: note}
	res, err := s.writerOf(*acct).WriteTableFrom(ctx, acct.SpreadsheetID, title, prev, table, status)
	if errors.Is(err, google.ErrTabReplaced) {
		// A person deleted the tab and made one of their own, holding data, under its title:
		// that tab needs consent as one found at a first write (consent.go), then is written whole.
		log.Warn("the account's tab is gone and a tab holding data naversync did not write has its title", "tab", title, "err", err)
		s.met.sheetReqs.Add(float64(res.Requests))
		if err := s.guardForeignTab(ctx, *acct, title, nil, log); err != nil {
			return 0, err
		}
		res, err = s.writerOf(*acct).WriteTableFrom(ctx, acct.SpreadsheetID, title, nil, table, status)
	}
	s.met.sheetReqs.Add(float64(res.Requests))
	s.met.sheetBytes.Add(float64(res.Bytes))
	s.met.phase.WithLabelValues("write").Observe(time.Since(writeStart).Seconds())
	if err != nil {
		s.met.sheetErrors.WithLabelValues(string(sheetErrorKind(err))).Inc()
		return 0, fmt.Errorf("%w: %w", errSheet, err)
	}
	if err := sp.Err(); err != nil {
		return 0, fmt.Errorf("%w: reading processed rows: %v", errStorage, err)
	}
	s.met.sheetWrites.Inc()
	layout, err := json.Marshal(res.Layout)
	if err != nil {
		return 0, fmt.Errorf("sheet layout: %w", err)
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
		log.Warn("days left out of the sheet for Google's cell limit", "tab", title, "days", len(res.Dropped))
	}
	log.Info("sheet written", "tab", title, "incremental", res.Incremental, "staged", res.Staged, "bytes", res.Bytes, "requests", res.Requests)
	if res.Usage.Near() {
		log.Warn("the spreadsheet is near Google's cell limit", "cells", res.Usage.Cells, "limit", res.Usage.Limit)
	}
	usage, err := json.Marshal(sheetCells(res.Usage))
	if err != nil {
		return 0, fmt.Errorf("sheet cells: %w", err)
	}
	rec := store.SheetRecord{AccountID: acct.ID, TabKind: string(bt.kind), SpreadsheetID: acct.SpreadsheetID, Tab: s.followTab(ctx, acct, bt.kind, res.Tab, log),
		Layout: layout, Days: shown, Range: store.DayRange{From: sy.From, To: sy.To}, Usage: usage}
	if err := fence(s.store.RecordSheetWrite(ctx, c, rec)); err != nil {
		return 0, fmt.Errorf("record the sheet write: %w", err)
	}
	return rows, nil
}

// followTab makes the account follow its tab of kind when a person renamed it in the
// spreadsheet (the writer found the tab by its sheetId and wrote it under its new title): the
// account's sheet_tab (the performance tab) or its tab_titles (the other kinds) takes the new
// title, audited as a change by the service, and acct is the account as updated. It returns the
// tab the write's record names: the new title, or the account's own when the update could not
// be made (the writer then follows the tab by its sheetId again next time).
func (s *Service) followTab(ctx context.Context, acct *store.Account, kind report.Kind, written string, log *slog.Logger) string {
	old := tabTitle(*acct, kind)
	if written == "" || written == old {
		return old
	}
	var u store.AccountUpdate
	var note auditNote
	if kind == report.KindPerformance {
		u.SheetTab = &written
		note = auditNote{action: AuditAccountUpdate, accountID: acct.ID, fields: []string{"sheet_tab"},
			detail: Msg(MsgAuditTabRenamed, fmt.Sprintf("%s: sheet_tab %q -> %q (the tab was renamed in the spreadsheet)", acct.Name, old, written),
				"name", acct.Name, "old", old, "new", written)}
	} else {
		titles := tabTitles(*acct)
		titles[string(kind)] = written
		enc := encodeTabTitles(titles)
		u.TabTitles = &enc
		note = auditNote{action: AuditAccountUpdate, accountID: acct.ID, fields: []string{"tab_titles"},
			detail: Msg(MsgAuditTabTitleRenamed, fmt.Sprintf("%s: tab_titles %s %q -> %q (the tab was renamed in the spreadsheet)", acct.Name, kind, old, written),
				"name", acct.Name, "kind", string(kind), "old", old, "new", written)}
	}
	var updated store.Account
	err := s.audited(ctx, func(ctx context.Context) ([]auditNote, error) {
		var err error
		if updated, err = s.store.UpdateAccount(ctx, acct.ID, u); err != nil {
			return nil, err
		}
		return []auditNote{note}, nil
	})
	if err != nil {
		log.Warn("the tab was renamed in the spreadsheet; the account could not follow it", "old_tab", old, "new_tab", written, "err", err)
		return old
	}
	*acct = updated
	log.Info("the tab was renamed in the spreadsheet; the account follows it", "old_tab", old, "new_tab", written)
	return written
}

// previousSheet returns the layout the last recorded write left in the account's tab of kind,
// titled title (nil when there is none to trust: never written, another tab, or a write begun
// and never recorded) and
// which days changed since: days whose digest (their files and the names their rows show)
// differs from the one they were written with, and new days. A rename at Naver thus rewrites
// every day that shows the renamed entity, and no other.
func (s *Service) previousSheet(ctx context.Context, acct store.Account, kind report.Kind, title string, days []store.SheetDay) (*google.Layout, map[string]bool, error) {
	st, err := s.store.SheetState(ctx, acct.ID, string(kind))
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
	if st.Dirty || len(st.Layout) == 0 || st.SpreadsheetID != acct.SpreadsheetID || st.Tab != title {
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

// buildGated builds the account's table of tab in one of the replica's build slots (Config.BuildWorkers):
// building is CPU-bound and holds days in memory, while the rest of processing waits on Google,
// so the processing pool may be larger than the builds it runs at once. The slot is given back
// when the table is built (it is spilled to disk: the write streams it from there).
// done are the rows of the tabs built before, which the progress it reports counts.
func (s *Service) buildGated(ctx context.Context, sy store.Sync, c store.Claim, acct store.Account, tab report.Tab, done int64) (*builtTable, error) {
	select {
	case s.builds <- struct{}{}:
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
	defer func() { <-s.builds }()
	lastReport := time.Now()
	return s.buildTable(ctx, sy, acct, tab, func(rows int) error {
		if now := time.Now(); now.Sub(lastReport) >= 250*time.Millisecond {
			lastReport = now
			r := done + int64(rows)
			if err := s.progress(ctx, c, store.Progress{RowsProcessed: &r}); err != nil {
				return err
			}
			s.events.publish(sy.ID)
		}
		return nil
	})
}
