package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/naversync/naversync/config"
	"github.com/naversync/naversync/google"
	"github.com/naversync/naversync/google/sheetstest"
	"github.com/naversync/naversync/naver"
	"github.com/naversync/naversync/naver/navertest"
	"github.com/naversync/naversync/report"
	"github.com/naversync/naversync/service"
)

// TabsYear is scenario 9: a year of a large account (scenario 4's size, keyword level) with all
// three tabs (report.Tabs()), synced under Naver's costs (scenario 7's, the client as in
// production) into the Sheets stand-in, then a morning's sync of its last days. It reports the
// year sync's lease hold against scenario 7's bound, the reports it created, the most jobs it
// kept at Naver, the Sheets bytes and requests of each sync per tab, and the building of the
// three tabs from the stored files measured as scenario 4 measures it.
type TabsYear struct {
	Keywords int
	// Kinds are the account's tab kinds (report.Tabs() order) and Titles their titles.
	Kinds, Titles []string
	// Year is the first sync (Config.TabsDays), measured and bounded as scenario 7's.
	Year FetchSync
	// Reports are the stat reports the year sync created, per type of the tabs.
	Reports []TypeReports
	// MaxJobs is the most report jobs the customer had at Naver at once (the simulator's
	// count of jobs created through the API and not deleted); JobCap Naver's cap on them;
	// Evicted the customer's own jobs the cap deleted.
	MaxJobs, JobCap, Evicted int
	// YearProcess is the engine's own processing of the year sync, building and writing every
	// tab (Timings.FinishedAt − ProcessingStartedAt).
	YearProcess time.Duration
	// YearSheets and MorningSheets are the Sheets API's use by each sync, per tab (Titles'
	// order) and in all (last).
	YearSheets, MorningSheets []SheetUse
	// Morning is the second sync, of the last Config.TabsMorningDays days after Naver revised
	// the last two (what a morning costs).
	Morning FetchSync
	// Build is the three tabs built from the year sync's files (scenario 4's method; the Sheets
	// API excluded); Build.Rows are the rows per tab.
	Build BuildMeasure
}

// TypeReports counts a report type's creates in a sync.
type TypeReports struct {
	Type string
	// Created are the creates Naver accepted; Days the distinct days among them; Expected the
	// days the sync asks of the type (those Naver serves: naver.ServedDays).
	Created, Days, Expected int
}

// Once tells whether every report expected was created, and each once.
func (t TypeReports) Once() bool { return t.Created == t.Days && t.Days == t.Expected }

// tabsYear runs scenario 9 on SQLite.
func (r *runner) tabsYear(ctx context.Context) (TabsYear, error) {
	c := r.cfg
	tabs := report.Tabs()
	res := TabsYear{Keywords: c.ProcCampaigns * c.ProcAdgroups * c.ProcKeywords, JobCap: jobCap}
	for _, t := range tabs {
		res.Kinds = append(res.Kinds, string(t.Kind()))
	}
	c.Progress(fmt.Sprintf("all three tabs: %d days of a %d-keyword account under Naver's costs", c.TabsDays, res.Keywords))
	log := &sheetLog{}
	s := newSimsWith(c.naverCosts(), sheetstest.Options{}, log)
	defer s.close()
	opts := naver.Options{} // the client as in production
	e, err := r.newEngine(ctx, SQLite, s, engineOptions{fetchWorkers: 1, processWorkers: 1, naver: &opts,
		window: config.DefaultReportWindow, sheetLog: log, waitFor: time.Hour})
	if err != nil {
		return res, err
	}
	defer e.close()
	cust := s.customer(fmt.Sprintf("%d", 900000+r.next()), c.ProcCampaigns, c.ProcAdgroups, c.ProcKeywords)
	a, err := e.account(ctx, "tabs-"+cust, cust, service.LevelKeyword, false, res.Kinds...)
	if err != nil {
		return res, err
	}
	for _, k := range res.Kinds {
		res.Titles = append(res.Titles, a.TabTitles[k])
	}

	start := time.Now()
	fs, year, held, err := e.fetchSync(ctx, cust, service.SyncRequest{AccountID: a.ID, Days: c.TabsDays, Full: true})
	if err != nil {
		return res, err
	}
	fs.WireZip = fs.Wire // the production client downloads zip
	fs.Bound = c.fetchBound(fs.MinCalls, fs.WireZip)
	res.Year = fs
	if t := year.Timings; t.ProcessingStartedAt != nil && t.FinishedAt != nil {
		res.YearProcess = t.FinishedAt.Sub(*t.ProcessingStartedAt)
	}
	res.YearSheets = s.sheetSizes(a.SpreadsheetID, sheetUse(log.between(start, time.Now()), res.Titles))
	res.Reports = reportsCreated(held, tabs, c.TabsDays)
	res.MaxJobs = s.naver.MaxOutstanding(cust)
	res.Evicted, _ = s.naver.Evicted(cust)

	c.Progress(fmt.Sprintf("all three tabs: a morning's sync of the last %d days", c.TabsMorningDays))
	last, err := time.Parse(time.DateOnly, year.To)
	if err != nil {
		return res, err
	}
	s.naver.Revise(cust, last)
	s.naver.Revise(cust, last.AddDate(0, 0, -1))
	start = time.Now()
	if res.Morning, _, _, err = e.fetchSync(ctx, cust, service.SyncRequest{AccountID: a.ID, Days: c.TabsMorningDays}); err != nil {
		return res, err
	}
	res.Morning.WireZip = res.Morning.Wire
	res.Morning.Bound = c.fetchBound(res.Morning.MinCalls, res.Morning.WireZip)
	res.MorningSheets = s.sheetSizes(a.SpreadsheetID, sheetUse(log.between(start, time.Now()), res.Titles))

	// The engine is stopped and the stand-in's spreadsheet dropped, so that neither works nor
	// holds memory beside the measurement.
	stopCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err = e.svc.Stop(stopCtx)
	cancel()
	if err != nil {
		return res, fmt.Errorf("all three tabs: stop engine: %w", err)
	}
	s.sheets.DeleteSpreadsheet(a.SpreadsheetID)
	c.Progress(fmt.Sprintf("all three tabs: building the tabs with GOMAXPROCS=%d", c.ProcProcs))
	if res.Build, err = r.measureBuild(ctx, e, year, service.LevelKeyword, tabs, ""); err != nil {
		return res, fmt.Errorf("all three tabs: %w", err)
	}
	return res, nil
}

// sheetSizes fills in each tab's size in the stand-in's spreadsheet id now, and the
// spreadsheet's cells in all (the last).
func (s *sims) sheetSizes(id string, use []SheetUse) []SheetUse {
	for i := range use {
		if use[i].Tab == "" {
			use[i].Cells = s.sheets.Cells(id)
			continue
		}
		if info, ok := s.sheets.Sheet(id, use[i].Tab); ok {
			use[i].Rows, use[i].Cells = info.Rows, int64(info.Rows)*int64(info.Cols)
		}
	}
	return use
}

// jobCap is Naver's cap on a customer's report jobs (the simulator's default MaxJobs).
const jobCap = 100

// reportsCreated counts the stat report creates Naver accepted among reqs, per report type of
// tabs, against the days of a sync of days that Naver serves each type for.
func reportsCreated(reqs []navertest.Request, tabs []report.Tab, days int) []TypeReports {
	var out []TypeReports
	for _, t := range tabs {
		for _, tp := range t.ReportTypes() {
			tr := TypeReports{Type: tp, Expected: min(days, naver.ServedDays(tp, servedDays))}
			seen := map[time.Time]bool{}
			for _, q := range reqs {
				if q.Method != http.MethodPost || q.Path != "/stat-reports" || q.Status != http.StatusOK || q.ReportType != tp {
					continue
				}
				tr.Created++
				seen[q.StatDate] = true
			}
			tr.Days = len(seen)
			out = append(out, tr)
		}
	}
	return out
}

// tabsRows are the results of scenario 9.
func (r *Report) tabsRows() []row {
	t := r.Tabs
	if t == nil {
		return nil
	}
	c := r.Config
	mb := func(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/1e6) }
	mib := func(b uint64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }
	y := t.Year
	rows := []row{
		{"9 all three tabs: account, tabs, costs", "", []string{fmt.Sprintf(
			"%d keywords (keyword level); %s; Naver: %s per call, built in %s–%s, link %.1f Mbit/s, %.0f calls/s allowed",
			t.Keywords, strings.Join(t.Kinds, ", "), c.FetchLatency, c.FetchBuild, c.FetchBuild+c.FetchBuildSpread, float64(c.FetchLink)*8/1e6, c.FetchLimit)}},
		{fmt.Sprintf("  %d days, zip + adaptive rate: lease held vs bound", y.Days), "≤ 1.25× bound", []string{fmt.Sprintf(
			"%s vs %s (%.2f×, %s)", secs(y.Hold), secs(y.Bound), y.OverBound(), verdict(y.OverBound() <= TargetFetchOverBound))}},
		{"    calls (fewest), 429s, bytes on the link (zipped)", "", []string{fmt.Sprintf(
			"%d (%d), %d, %s; rate after %.1f/s, limit found %.1f/s", y.Calls, y.MinCalls, y.Limited, mb(y.Wire), y.Rate.Rate, y.Rate.Limit)}},
	}
	var parts []string
	once, created := true, 0
	for _, tr := range t.Reports {
		parts = append(parts, fmt.Sprintf("%d %s", tr.Created, tr.Type))
		once = once && tr.Once()
		created += tr.Created
	}
	rows = append(rows,
		row{"    reports created", "each once", []string{fmt.Sprintf("%d: %s (%s)", created, strings.Join(parts, " + "), verdict(once))}},
		row{"    most jobs outstanding at Naver; evicted by the cap", fmt.Sprintf("≤ %d; 0", t.JobCap), []string{fmt.Sprintf(
			"%d; %d (%s)", t.MaxJobs, t.Evicted, verdict(t.MaxJobs <= t.JobCap && t.Evicted == 0))}},
		row{"    processing by the engine (build + write, Sheets stand-in in-process)", "", []string{secs(t.YearProcess)}},
	)
	rows = append(rows, sheetRows("    Sheets", t.YearSheets)...)
	b := t.Build
	var rowsPer []string
	for i, n := range b.Rows {
		rowsPer = append(rowsPer, fmt.Sprintf("%s %d", t.Kinds[i], n))
	}
	rows = append(rows,
		row{"  building the three tabs from the files: wall / CPU", "", []string{fmt.Sprintf(
			"%s / %s with GOMAXPROCS=%d", secs(b.Elapsed), secs(b.CPU), c.ProcProcs)}},
		row{"    sheet rows per tab", "", []string{strings.Join(rowsPer, ", ")}},
		row{"    peak memory of the process: heap in use / mapped", "< 256 MB", []string{fmt.Sprintf(
			"%s / %s (%s); heap before %s", mib(b.PeakHeapInUse), mib(b.PeakMapped), verdict(b.PeakMapped < TargetProcessingMem), mib(b.BaseHeapInUse))}},
	)
	m := t.Morning
	rows = append(rows,
		row{fmt.Sprintf("  morning: %d days (the last two revised at Naver): lease held vs bound", m.Days), "", []string{fmt.Sprintf(
			"%s vs %s (%.2f×); %d calls (%d), %s", secs(m.Hold), secs(m.Bound), m.OverBound(), m.Calls, m.MinCalls, mb(m.Wire))}},
	)
	return append(rows, sheetRows("    Sheets", t.MorningSheets)...)
}

// sheetRows are a sync's Sheets use per tab and in all.
func sheetRows(prefix string, use []SheetUse) []row {
	var rows []row
	for _, u := range use {
		name := "in all"
		if u.Tab != "" {
			name = "tab " + u.Tab
		}
		size := fmt.Sprintf("%d rows", u.Rows)
		if u.Tab == "" {
			size = fmt.Sprintf("%d cells of %d", u.Cells, google.LimitCells)
		}
		rows = append(rows, row{fmt.Sprintf("%s, %s: requests, bytes sent / received; size after", prefix, name), "", []string{fmt.Sprintf(
			"%d, %d / %d; %s", u.Requests, u.Sent, u.Received, size)}})
	}
	return rows
}

// writeTabsMarkdown writes scenario 9's run as a section of docs/benchmarks.md.
func (r *Report) writeTabsMarkdown(w io.Writer, command string) error {
	t, m := r.Tabs, r.Machine
	if t == nil {
		return errors.New("bench: no result of scenario 9")
	}
	c := r.Config
	fmt.Fprintf(w, "## A year with all three tabs (scenario 9, `naversync bench -tabs-only`)\n\n")
	fmt.Fprintf(w, "Not part of the default run (several minutes): `go run ./cmd/naversync bench -tabs-only -sqlite-only` "+
		"(`-tabs-days`, `-tabs-morning-days`, and scenario 4's and 7's flags for the account and Naver's costs); `-md FILE` "+
		"writes this section. `go test ./bench/` runs it with a 12-keyword account over 4 days (`TestTabsTiny`).\n\n")
	fmt.Fprintf(w, "**How it runs.** One account of scenario 4's size (%d × %d × %d = %d keywords, keyword level) with the tabs %s "+
		"(titles %s), on SQLite, 1 fetch and 1 processing worker. Naver is the simulator with scenario 7's costs (%s per call, "+
		"reports built in %s–%s, a %.1f Mbit/s link and %.0f calls/s per customer, 429 beyond) and the client as in production "+
		"(zip, adaptive rate, report window %d); Google is the Sheets stand-in, in process, without latency or quotas. "+
		"A first sync of %d days (`Full`) asks each report type for the days Naver serves it (`naver.ServedDays`); "+
		"its lease hold is bounded as scenario 7's: max(fewest calls ÷ allowed rate, zipped bytes ÷ link) + the shortest build. "+
		"\"Reports created\" counts the creates Naver accepted per type and day (each once: no day asked twice); the most jobs "+
		"outstanding is the simulator's own count for the customer. Sheets requests are counted at the stand-in's door "+
		"(request bodies sent, answers received as on the wire), per tab as the engine's writer works on it. "+
		"Then Naver revises the last two days and a sync of the last %d days runs: what a morning costs. "+
		"Last, the engine is stopped and the three tabs are built from the first sync's stored files through package `report` "+
		"(scenario 4's measurement: GOMAXPROCS=%d, memory sampled every 2 ms, CPU of the process over the span).\n\n",
		c.ProcCampaigns, c.ProcAdgroups, c.ProcKeywords, t.Keywords, strings.Join(t.Kinds, ", "), strings.Join(t.Titles, ", "),
		c.FetchLatency, c.FetchBuild, c.FetchBuild+c.FetchBuildSpread, float64(c.FetchLink)*8/1e6, c.FetchLimit, config.DefaultReportWindow,
		c.TabsDays, c.TabsMorningDays, c.ProcProcs)
	fmt.Fprintf(w, "### Results, %s\n\n", r.At.UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(w, "`%s`, on %d CPUs (nproc), %s, %s %s/%s; the run took %s.\n\n", command,
		m.CPUs, m.CPUModel, m.GoVersion, m.OS, m.Arch, secs(r.Took))
	writeMDTable(w, []string{"metric", "target", "result (" + SQLite + ")"}, r.tabsRows())
	fmt.Fprintf(w, "\n- %s\n", t.finding())
	return nil
}

// finding reads scenario 9's figures.
func (t *TabsYear) finding() string {
	y := t.Year
	created, expected, once := 0, 0, true
	for _, tr := range t.Reports {
		created, expected, once = created+tr.Created, expected+tr.Expected, once && tr.Once()
	}
	s := fmt.Sprintf("**All three tabs, %d days:** the lease was held %s, %.2f× its bound of %s (target ≤ 1.25×: %s) "+
		"for %d reports created (%d expected, each once: %s), with at most %d jobs at Naver at once (cap %d: %s).",
		y.Days, secs(y.Hold), y.OverBound(), secs(y.Bound), verdict(y.OverBound() <= TargetFetchOverBound), created, expected,
		verdict(once), t.MaxJobs, t.JobCap, verdict(t.MaxJobs <= t.JobCap && t.Evicted == 0))
	if n := len(t.YearSheets); n > 0 {
		all := t.YearSheets[n-1]
		s += fmt.Sprintf(" Writing the year took %d Sheets requests and %.1f MB sent", all.Requests, float64(all.Sent)/1e6)
		if k := len(t.MorningSheets); k > 0 {
			mo := t.MorningSheets[k-1]
			s += fmt.Sprintf("; the morning after, %d requests and %.2f MB", mo.Requests, float64(mo.Sent)/1e6)
		}
		s += "."
	}
	b := t.Build
	for _, use := range []struct {
		when string
		u    []SheetUse
	}{{"after the year", t.YearSheets}, {"after the morning", t.MorningSheets}} {
		if len(use.u) != len(t.Kinds)+1 || len(b.Rows) != len(t.Kinds) {
			continue
		}
		var held []string
		for i, k := range t.Kinds {
			held = append(held, fmt.Sprintf("%s %d of %d", k, max(use.u[i].Rows-1, 0), b.Rows[i]))
		}
		s += fmt.Sprintf(" Rows in the tabs %s (header left out) of those built: %s; the spreadsheet held %d cells of Google's %d.",
			use.when, strings.Join(held, ", "), use.u[len(t.Kinds)].Cells, google.LimitCells)
	}
	s += fmt.Sprintf(" Building the three tabs from the files took %s (%s of CPU), peak mapped memory %.0f MiB (target < 256 MB: %s).",
		secs(b.Elapsed), secs(b.CPU), float64(b.PeakMapped)/(1<<20), verdict(b.PeakMapped < TargetProcessingMem))
	return s
}
