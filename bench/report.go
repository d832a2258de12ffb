package bench

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Targets of the design (issue 8).
const (
	TargetOverBound      = 0.05                   // makespan within 5% of K·fetch + processing
	TargetUtilization    = 0.95                   // fetch workers busy ≥ 95% while work is runnable
	TargetHandoffP99     = 50 * time.Millisecond  // lease hand-off p99
	TargetProcessingTime = 5 * time.Second        // a year of a large account, on 2 cores
	TargetProcessingMem  = 256 << 20              // peak memory of that processing
	TargetCallsPerReport = 2.0                    // create + download, where Naver allows it
	handoffPollFallback  = 900 * time.Millisecond // a hand-off this slow waited for the poll
)

// row is one line of a results table: a metric, its target, one cell per database.
type row struct {
	metric, target string
	cells          []string
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }
func msec(d time.Duration) string { return fmt.Sprintf("%.1f ms", ms(d)) }
func pct(f float64) string        { return fmt.Sprintf("%.1f%%", 100*f) }
func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

// engineRows are the results of the scenarios run on each database.
func (r *Report) engineRows() (names []string, rows []row) {
	var dbs []DatabaseReport
	for _, d := range r.Databases {
		names = append(names, d.Name)
		dbs = append(dbs, d)
	}
	add := func(metric, target string, f func(d DatabaseReport) string) {
		rw := row{metric: metric, target: target}
		for _, d := range dbs {
			if d.Skipped != "" {
				rw.cells = append(rw.cells, "-")
				continue
			}
			rw.cells = append(rw.cells, f(d))
		}
		rows = append(rows, rw)
	}
	add("1 lock scope: K syncs × days", "", func(d DatabaseReport) string {
		return fmt.Sprintf("%d × %d", d.LockScope.Syncs, d.LockScope.Days)
	})
	add("  fetch F / processing P per sync (mean)", "P ≈ ratio × F", func(d DatabaseReport) string {
		l := d.LockScope
		return fmt.Sprintf("%s / %s (P/F %.1f)", secs(l.Fetch), secs(l.Process), ratio(float64(l.Process), float64(l.Fetch)))
	})
	add("  makespan vs bound K·F + P", "≤ +5%", func(d DatabaseReport) string {
		l := d.LockScope
		return fmt.Sprintf("%s vs %s (%+.1f%%, %s)", secs(l.Makespan), secs(l.Bound), 100*l.OverBound(), verdict(l.OverBound() <= TargetOverBound))
	})
	add("  old design (lease through processing)", "", func(d DatabaseReport) string { return secs(d.LockScope.OldMakespan) })
	add("  speedup old/new", "K(F+P)/(KF+P); → (F+P)/F", func(d DatabaseReport) string {
		l := d.LockScope
		return fmt.Sprintf("%.2f× (ideal %.2f×, limit %.2f×)", l.Speedup(), l.IdealSpeedup(), l.AsymptoticSpeedup())
	})
	add("2 idle workers: W, C × syncs", "C > W", func(d DatabaseReport) string {
		return fmt.Sprintf("W=%d, %d × %d", d.Idle.Workers, d.Idle.Customers, d.Idle.SyncsPerCustomer)
	})
	add("  worker time fetching while runnable", "≥ 95%", func(d DatabaseReport) string {
		u := d.Idle.Utilization()
		return fmt.Sprintf("%s (%s)", pct(u), verdict(u >= TargetUtilization))
	})
	add("3 hand-off release → next acquire", "p99 < 50 ms", func(d DatabaseReport) string {
		g := d.Handoff.Gaps
		return fmt.Sprintf("p50 %s, p99 %s, max %s, n=%d (%s)", msec(g.P50), msec(g.P99), msec(g.Max), g.N, verdict(g.N > 0 && g.P99 < TargetHandoffP99))
	})
	add("5 Naver calls per report (with delete)", "", func(d DatabaseReport) string {
		c := d.LockScope.Calls
		return fmt.Sprintf("%.2f (%.2f polls)", c.PerReport(), ratio(float64(c.Polls), float64(c.Reports)))
	})
	add("  excluding the delete", "2 where Naver allows", func(d DatabaseReport) string {
		return fmt.Sprintf("%.2f", d.LockScope.Calls.PerReportNoDelete())
	})
	add("  master report calls per sync", "", func(d DatabaseReport) string {
		c := d.LockScope.Calls
		return fmt.Sprintf("%.1f", ratio(float64(c.MasterCalls), float64(c.Syncs)))
	})
	add("  job listings per sync (100-job cap)", "", func(d DatabaseReport) string {
		c := d.LockScope.Calls
		return fmt.Sprintf("%.1f", ratio(float64(c.Listings), float64(c.Syncs)))
	})
	add("  Sheets requests per sync", "", func(d DatabaseReport) string {
		return fmt.Sprintf("%.1f (%d rows)", d.LockScope.Calls.SheetRequestsPerSync(), d.LockScope.RowsPerSync)
	})
	add("6 API POST /syncs", "", func(d DatabaseReport) string {
		e := d.API.Create
		return fmt.Sprintf("%.0f req/s, p50 %s, p99 %s", e.PerSecond(), msec(e.Latency.P50), msec(e.Latency.P99))
	})
	add("  API GET /syncs/{id}", "", func(d DatabaseReport) string {
		e := d.API.Get
		return fmt.Sprintf("%.0f req/s, p50 %s, p99 %s", e.PerSecond(), msec(e.Latency.P50), msec(e.Latency.P99))
	})
	return names, rows
}

// processingRows are the results of scenario 4 (one database: processing reads files).
func (r *Report) processingRows() []row {
	p := r.Processing
	mib := func(b uint64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }
	rows := []row{
		{"4 processing: days × keywords", "", []string{fmt.Sprintf("%d × %d (%.0f input rows/day)", p.Days, p.Keywords, p.InputRowsPerDay())}},
		{"  time, files → sheet rows", "< 5 s on 2 cores", []string{fmt.Sprintf("%s with GOMAXPROCS=%d (%s)%s", secs(p.Elapsed), p.Procs, verdict(p.Elapsed < TargetProcessingTime), medianOf(p.Runs))}},
	}
	if b := p.Baseline; b != nil {
		metric := fmt.Sprintf("  beside %s, same machine, runs alternating", b.Rev)
		if b.Skipped != "" {
			rows = append(rows, row{metric, "no slower", []string{"skipped: " + b.Skipped}})
		} else {
			rows = append(rows, row{metric, "no slower", []string{fmt.Sprintf("%s (%s) %s%s; this build %s: %.2f× (%s)",
				b.Rev, b.Commit[:min(12, len(b.Commit))], secs(b.Elapsed), medianOf(b.Runs), secs(p.Elapsed), b.Ratio(p.Elapsed),
				verdict(p.Elapsed <= b.Elapsed))}})
			if b.CPU > 0 && p.CPU > 0 {
				rows = append(rows, row{"  CPU time of the process, same runs", "no more", []string{fmt.Sprintf("%s %s%s; this build %s%s: %.2f× (%s)",
					b.Rev, secs(b.CPU), medianOf(b.CPURuns), secs(p.CPU), medianOf(p.CPURuns), b.CPURatio(p.CPU), verdict(p.CPU <= b.CPU))}})
			}
			if b.SheetRows != p.SheetRows {
				rows = append(rows, row{"  baseline's rows differ", "", []string{fmt.Sprintf("%d input → %d sheet rows", b.InputRows, b.SheetRows)}})
			}
		}
	}
	return append(rows, []row{
		{"  throughput", "", []string{fmt.Sprintf("%.0f input rows/s; %d input → %d sheet rows", p.RowsPerSecond(), p.InputRows, p.SheetRows)}},
		{"  peak memory of the process: heap in use / mapped", "< 256 MB", []string{fmt.Sprintf("%s / %s (%s); heap before %s", mib(p.PeakHeapInUse), mib(p.PeakMapped), verdict(p.PeakMapped < TargetProcessingMem), mib(p.BaseHeapInUse))}},
		{"5 calls per report, create answered BUILT", "2 (+1 delete)", []string{fmt.Sprintf("%.2f with delete, %.2f without (%d reports; %d job listings)", p.Calls.PerReport(), p.Calls.PerReportNoDelete(), p.Calls.Reports, p.Calls.Listings)}},
	}...)
}

// medianOf says which runs a median was taken of (nothing for a single run).
func medianOf(runs []time.Duration) string {
	if len(runs) < 2 {
		return ""
	}
	var s []string
	for _, d := range runs {
		s = append(s, fmt.Sprintf("%.2f", d.Seconds()))
	}
	return fmt.Sprintf(", median of %d runs: %s s", len(runs), strings.Join(s, ", "))
}

// WriteText prints the results as aligned plain-text tables.
func (r *Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if r.Config.FleetOnly {
		fmt.Fprintf(tw, "metric\ttarget\tresult\n")
		for _, rw := range r.fleetRows() {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", rw.metric, rw.target, strings.Join(rw.cells, "\t"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		_, err := fmt.Fprintf(w, "run took %s on %d CPUs (%s), %s\n", secs(r.Took), r.Machine.CPUs, r.Machine.CPUModel, r.Machine.GoVersion)
		return err
	}
	if r.Config.TabsOnly || r.Config.FetchOnly || r.Config.ProcessingOnly {
		rows := r.fetchRows()
		switch {
		case r.Config.TabsOnly:
			rows = r.tabsRows()
		case r.Config.ProcessingOnly:
			rows = r.processingRows()
		}
		fmt.Fprintf(tw, "metric\ttarget\tresult (%s)\n", SQLite)
		for _, rw := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", rw.metric, rw.target, strings.Join(rw.cells, "\t"))
		}
		if err := tw.Flush(); err != nil || !(r.Config.TabsOnly || r.Config.ProcessingOnly) {
			return err
		}
		_, err := fmt.Fprintf(w, "run took %s on %d CPUs (%s), %s\n", secs(r.Took), r.Machine.CPUs, r.Machine.CPUModel, r.Machine.GoVersion)
		return err
	}
	if r.Config.ProcessingOnly {
		fmt.Fprintf(tw, "metric\ttarget\tresult (%s)\n", SQLite)
		for _, rw := range r.processingRows() {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", rw.metric, rw.target, strings.Join(rw.cells, "\t"))
		}
		return tw.Flush()
	}
	names, rows := r.engineRows()
	fmt.Fprintf(tw, "metric\ttarget\t%s\n", strings.Join(names, "\t"))
	for _, rw := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", rw.metric, rw.target, strings.Join(rw.cells, "\t"))
	}
	fmt.Fprintln(tw, "\t\t")
	fmt.Fprintf(tw, "metric\ttarget\tresult (%s)\n", SQLite)
	for _, rw := range append(r.processingRows(), r.fetchRows()...) {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", rw.metric, rw.target, strings.Join(rw.cells, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, d := range r.Databases {
		if d.Skipped != "" {
			fmt.Fprintf(w, "%s: %s\n", d.Name, d.Skipped)
		}
	}
	_, err := fmt.Fprintf(w, "Sheets stand-in latency %s per request (calibrated); run took %s on %d CPUs (%s), %s\n",
		msec(r.SheetLatency), secs(r.Took), r.Machine.CPUs, r.Machine.CPUModel, r.Machine.GoVersion)
	return err
}

// mdEscape keeps a cell from breaking a Markdown table.
func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func writeMDTable(w io.Writer, header []string, rows []row) {
	fmt.Fprintf(w, "| %s |\n", strings.Join(header, " | "))
	fmt.Fprintf(w, "|%s\n", strings.Repeat(" --- |", len(header)))
	for _, rw := range rows {
		cells := append([]string{mdEscape(rw.metric), mdEscape(rw.target)}, rw.cells...)
		for i := range cells {
			cells[i] = mdEscape(cells[i])
		}
		cells[0] = strings.ReplaceAll(cells[0], "  ", "&nbsp;&nbsp;")
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
	}
}
