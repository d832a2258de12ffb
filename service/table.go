package service

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gocloud.dev/gcerrors"

	"github.com/naversync/naversync/google"
	"github.com/naversync/naversync/report"
	"github.com/naversync/naversync/store"
)

// The turning of report files into a tab's rows is package report's: this file picks the files
// and days of an account's table and keeps the record of what each day was built from.

// tabKinds are the kinds of tab an account's sheet gets, as stored ("" is the performance tab).
func tabKinds(a store.Account) []string {
	if a.Tabs == "" {
		return []string{string(report.KindPerformance)}
	}
	return strings.Split(a.Tabs, ",")
}

// tabsOf are the tabs of an account's sheet, in report.Tabs() order (the order a processing
// writes them in); kinds this release does not know are left out.
func tabsOf(a store.Account) []report.Tab {
	kinds := tabKinds(a)
	var out []report.Tab
	for _, t := range report.Tabs() {
		if slices.Contains(kinds, string(t.Kind())) {
			out = append(out, t)
		}
	}
	return out
}

// tabOf is the account's first tab (in report.Tabs() order: the performance tab when it has
// one), whose place in the spreadsheet the account shows (SheetGID, SheetCells).
func tabOf(a store.Account) report.Tab {
	if t := tabsOf(a); len(t) > 0 {
		return t[0]
	}
	return report.Performance()
}

// reportTypes are the stat reports a sync of the accounts fetches per day: those their tabs
// are built from, each once, in the tabs' order.
func reportTypes(accts ...store.Account) []string {
	var out []string
	for _, a := range accts {
		for _, t := range tabsOf(a) {
			for _, tp := range t.ReportTypes() {
				if !slices.Contains(out, tp) {
					out = append(out, tp)
				}
			}
		}
	}
	return out
}

// dayFiles are what one day of an account's table is built from.
type dayFiles struct {
	day time.Time
	// files are the day's files that have rows (none for a report Naver answered NONE), in the
	// order of the tab's report types.
	files []store.ReportFile
	// none are the day's report types Naver answered NONE for: read as empty files (zero), not
	// as reports the day lacks.
	none []string
	// complete: every report of the day Naver serves is final (built or none). An incomplete
	// day (a report pending at Naver, never fetched, or damaged) is shown as one pending row,
	// never as a silent hole that reads as no spend.
	complete bool
	// digest names the files (checksums and states): the day changed when it differs. A day
	// with rows adds the digest of the names they show (buildDays).
	digest  string
	version int64 // the highest Seq of the files
	// provisional: the conversions are a recent NONE, which may still change.
	provisional bool
}

// builtTable is a sync's table, ready to be written; spill.Close removes its spill.
type builtTable struct {
	// kind is the kind of tab the table is of: its sheet state is that kind's.
	kind     report.Kind
	table    google.Table
	from, to time.Time
	// days are the table's days in order (newest first) with what they were built from.
	days    []store.SheetDay
	pending []string // days shown as pending
	// provisional are days shown whose conversions Naver answered NONE for while recent.
	provisional []string
	// damaged are files that could not be read back as recorded; their days show as pending.
	damaged []store.ReportFile
	spill   report.Table
}

// accountDays are the days an account's sheet shows: those of its succeeded syncs, and the
// range of the sync being processed, within the days the account keeps (historyWindow: its
// history_days, at most what Naver serves now; a sync queued yesterday may reach one day further
// back, servedGraceDays; never further, as in the retry of an old sync: older days are neither
// served nor kept, see expireFiles). Days older than the account's history leave the tab at
// this write: lowering history_days trims the tab at the next sync.
func (s *Service) accountDays(ctx context.Context, sy store.Sync, acct store.Account) ([]store.DayRange, time.Time, time.Time, error) {
	accountID := acct.ID
	from, to := s.historyWindow(acct)
	if sf, err := time.Parse(dayLayout, sy.From); err == nil && sf.Before(from) {
		from = from.AddDate(0, 0, -servedGraceDays)
		if sf.After(from) {
			from = sf
		}
	}
	ranges, err := s.store.AccountDays(ctx, accountID)
	if err != nil {
		return nil, from, to, fmt.Errorf("%w: account days: %v", errStorage, err)
	}
	return store.MergeRanges(append(ranges, store.DayRange{From: sy.From, To: sy.To})), from, to, nil
}

// buildTable turns the customer's stored files into the account's whole table of tab: exactly the days
// of the account's own succeeded syncs and of this sync (never days another account of the
// customer fetched), newest day first, a complete day with its rows, an incomplete one as one
// pending row; parsed as streams with a day per core and spilled to disk in order (report.Build).
// onRows reports progress.
func (s *Service) buildTable(ctx context.Context, sy store.Sync, acct store.Account, tab report.Tab, onRows func(rows int) error) (*builtTable, error) {
	ranges, from, to, err := s.accountDays(ctx, sy, acct)
	if err != nil {
		return nil, err
	}
	files, err := s.store.ReportFiles(ctx, sy.CustomerID, tab.ReportTypes(), from.Format(dayLayout), to.Format(dayLayout))
	if err != nil {
		return nil, fmt.Errorf("%w: report files: %v", errStorage, err)
	}
	byDay := map[string]map[string]store.ReportFile{}
	for _, f := range files {
		if byDay[f.StatDate] == nil {
			byDay[f.StatDate] = map[string]store.ReportFile{}
		}
		byDay[f.StatDate][f.ReportType] = f
	}
	var days []dayFiles
	shownFrom, shownTo := time.Time{}, time.Time{}
	for d := to; !d.Before(from); d = d.AddDate(0, 0, -1) {
		key := d.Format(dayLayout)
		if !inRanges(ranges, key) {
			continue
		}
		df, shown := planDay(tab, d, byDay[key], s.servedFrom)
		if !shown {
			continue
		}
		if shownTo.IsZero() {
			shownTo = d
		}
		shownFrom = d
		days = append(days, df)
	}
	nm, err := s.loadNames(ctx, sy.CustomerID)
	if err != nil {
		return nil, fmt.Errorf("%w: names: %v", errStorage, err)
	}
	sp, err := tab.NewTable(filepath.Join(s.cfg.DataDir, "tmp"), report.Options{Level: acct.Level, Language: acct.SheetLanguage, Names: nm})
	if err != nil {
		return nil, err
	}
	bt := &builtTable{kind: tab.Kind(), spill: sp, from: shownFrom, to: shownTo}
	if err := s.buildDays(ctx, days, bt, onRows); err != nil {
		sp.Close()
		return nil, err
	}
	if bt.table, err = sp.Sheet(); err != nil {
		sp.Close()
		return nil, err
	}
	return bt, nil
}

// planDay says what a day of a tab is built from, and whether the tab shows the day at all: a
// tab shows the days Naver serves its primary report type (its first) for, by servedFrom (the
// first day Naver serves a type now), and like accountDays one day more (servedGraceDays) when
// a final file of the primary type is held for it (fetched before midnight): a day that can no
// longer be fetched is never an endless pending row. A later type Naver does not serve for the
// day is not required: the day is complete when every served type is final, and the unserved
// type's figures show empty (or a file of it held from when it was served).
func planDay(tab report.Tab, day time.Time, files map[string]store.ReportFile, servedFrom func(reportType string) time.Time) (dayFiles, bool) {
	types := tab.ReportTypes()
	if len(types) == 0 {
		return dayFiles{}, false
	}
	if first := servedFrom(types[0]); day.Before(first) {
		if f, ok := files[types[0]]; !ok || !f.Final() || day.Before(first.AddDate(0, 0, -servedGraceDays)) {
			return dayFiles{}, false
		}
	}
	d := dayFiles{day: day, complete: true}
	var digest []string
	for i, tp := range types {
		f, ok := files[tp]
		if !ok || !f.Final() {
			if i == 0 || !day.Before(servedFrom(tp)) {
				d.complete = false
			}
			continue
		}
		digest = append(digest, tp+":"+f.State+":"+f.SHA256)
		d.version = max(d.version, f.Seq)
		// A recent NONE asked for again (conversions, fetch.go): the day's figures may change.
		if f.State == store.FileNone && f.Recheck {
			d.provisional = true
		}
		if f.State == store.FileNone {
			d.none = append(d.none, tp)
		}
		if f.State != store.FileBuilt {
			continue
		}
		d.files = append(d.files, f)
	}
	if !d.complete {
		d.digest = "pending"
		return d, true
	}
	d.digest = strings.Join(digest, ",")
	return d, true
}

// inRanges reports whether day (YYYY-MM-DD) lies in one of the merged ranges.
func inRanges(ranges []store.DayRange, day string) bool {
	for _, r := range ranges {
		if day >= r.From && day <= r.To {
			return true
		}
	}
	return false
}

// buildDays builds the days into the table (report.Build: a day per core, written in order)
// and records what each day was built from.
func (s *Service) buildDays(ctx context.Context, days []dayFiles, bt *builtTable, onDay func(rows int) error) error {
	in := make([]report.DayFiles, len(days))
	for i, d := range days {
		in[i] = report.DayFiles{Day: d.day, Complete: d.complete, Files: make([]report.File, len(d.files)), None: d.none}
		for j, f := range d.files {
			in[i].Files[j] = report.File{ReportType: f.ReportType, Key: f.Key, Size: f.Size}
		}
	}
	return report.Build(ctx, bt.spill, in, s.openFile, func(i int, r report.DayResult) error {
		d := days[i]
		if r.Damaged != nil {
			for _, f := range d.files {
				if f.Key == r.Damaged.File.Key {
					bt.damaged = append(bt.damaged, f)
				}
			}
			d.digest = "damaged"
		}
		if r.Pending {
			bt.pending = append(bt.pending, d.day.Format(dayLayout))
		} else {
			// The day changed when its files or the names it shows did.
			d.digest += ",names:" + r.Names
			if d.provisional {
				bt.provisional = append(bt.provisional, d.day.Format(dayLayout))
			}
		}
		bt.days = append(bt.days, store.SheetDay{StatDate: d.day.Format(dayLayout), Digest: d.digest, Version: d.version, Rows: r.Rows})
		return onDay(bt.spill.Rows())
	})
}

// openFile opens a stored report file for report.Build; a file gone from the bucket is damaged
// (fetched again).
func (s *Service) openFile(ctx context.Context, f report.File) (io.ReadCloser, error) {
	r, err := s.cfg.Files.NewReader(ctx, f.Key, nil)
	if err != nil {
		if gcerrors.Code(err) == gcerrors.NotFound {
			return nil, &report.DamagedError{File: f, Err: err}
		}
		return nil, fmt.Errorf("%w: open %s: %v", errStorage, f.Key, err)
	}
	return quietCloser{ReadCloser: r, log: s.log, what: f.Key}, nil
}

// quietCloser logs a failure to close instead of returning it.
type quietCloser struct {
	io.ReadCloser
	log  *slog.Logger
	what string
}

func (q quietCloser) Close() error {
	closeQuietly(q.log, q.ReadCloser, q.what)
	return nil
}
