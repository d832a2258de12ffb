package bench

import (
	"fmt"
	"io"
	"time"
)

// WriteMarkdown writes the run as docs/benchmarks.md: machine, configuration, results tables
// and, for each target, whether it was met and what explains the numbers.
func (r *Report) WriteMarkdown(w io.Writer, command string) error {
	c, m := r.Config, r.Machine
	if c.FleetOnly {
		return r.writeFleetMarkdown(w, command)
	}
	if c.TabsOnly {
		return r.writeTabsMarkdown(w, command)
	}
	if c.ProcessingOnly {
		fmt.Fprintf(w, "# naversync benchmarks: processing\n\n")
		fmt.Fprintf(w, "Output of one run of `%s` (package `bench`), %s.\n\n", command, r.At.UTC().Format("2006-01-02 15:04 UTC"))
		fmt.Fprintf(w, "Machine: %d CPUs (nproc), %s, %s %s/%s. The whole run took %s.\n\n", m.CPUs, m.CPUModel, m.GoVersion, m.OS, m.Arch, secs(r.Took))
		writeMDTable(w, []string{"metric", "target", "result (" + SQLite + ")"}, r.processingRows())
		fmt.Fprintf(w, "\n- %s\n", r.processingFinding())
		return nil
	}
	fmt.Fprintf(w, "# naversync benchmarks\n\n")
	fmt.Fprintf(w, "Output of one run of `%s` (package `bench`), %s. Re-run it to refresh this file:\n", command, r.At.UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(w, "`go run ./cmd/%s` (flags: `go run ./cmd/naversync bench -h`).\n\n", command)
	fmt.Fprintf(w, "Machine: %d CPUs (nproc), %s, %s %s/%s. The whole run took %s.\n\n", m.CPUs, m.CPUModel, m.GoVersion, m.OS, m.Arch, secs(r.Took))
	fmt.Fprintf(w, "## How it runs\n\n")
	fmt.Fprintf(w, "The real engine (`service`, `store`, `naver` client, `google` writer) runs against the Naver simulator "+
		"(`navertest`: %s latency per call, reports built after %s) and the Sheets stand-in (`sheetstest`) on loopback "+
		"servers, on SQLite and on PostgreSQL (a fresh schema per scenario, dropped after). Naver's latencies are scaled down; "+
		"the Sheets stand-in's latency per request (%s) is calibrated by a first sync so that processing (building and "+
		"writing the sheet) takes %.1f× the fetch, as in production (fetch 3 min, processing 12 min per 50 days); the "+
		"ratio reached varies with the fetch time of that one sync, so the table shows the P/F actually measured, and the "+
		"bound and the old design's expected ratio are computed from the measured F and P. "+
		"Every sync is a `Full` sync (each one really fetches); fetch and processing times come from the syncs' own `Timings`.\n\n",
		c.NaverLatency, c.BuildDelay, msec(r.SheetLatency), c.ProcessRatio)
	for _, d := range r.Databases {
		if d.Skipped != "" {
			fmt.Fprintf(w, "**%s %s.**\n\n", d.Name, d.Skipped)
		}
	}
	names, rows := r.engineRows()
	fmt.Fprintf(w, "## Engine (per database)\n\n")
	writeMDTable(w, append([]string{"metric", "target"}, names...), rows)
	fmt.Fprintf(w, "\n## Processing (files on disk to sheet rows, Sheets API excluded)\n\n")
	writeMDTable(w, []string{"metric", "target", "result (" + SQLite + ")"}, r.processingRows())
	if rows := r.fetchRows(); len(rows) > 0 {
		fmt.Fprintf(w, "\n## Fetch under Naver's costs (lease hold time)\n\n")
		writeMDTable(w, []string{"metric", "target", "result (" + SQLite + ")"}, rows)
	}
	fmt.Fprintf(w, "\n## Reading the numbers\n\n")
	for _, p := range r.findings() {
		fmt.Fprintf(w, "- %s\n", p)
	}
	fmt.Fprintf(w, "\n## Scenarios\n\n")
	fmt.Fprintf(w, "1. **Lock scope.** %d syncs of %d days of one customer (3 campaigns × 4 ad groups × 10 keywords), each from its own "+
		"account and spreadsheet, %d fetch and %d processing workers. Makespan is from the first sync queued to the last finished. "+
		"The same syncs then run in the old design's schedule (a worker held the customer's lease through processing and writing, so the customer's syncs ran end to end one after another: each is queued when the one before has finished) in the same process.\n", c.LockSyncs, c.LockDays, c.LockSyncs, c.LockSyncs)
	fmt.Fprintf(w, "2. **No idle workers.** %d fetch workers, %d customers with %d syncs each (about %d days), all queued before the "+
		"workers start. Utilization = ∫ leases held dt / ∫ min(W, customers with a sync queued or fetching) dt over the run: "+
		"a worker idle while some customer's sync could run, including during a slow hand-off, counts against it.\n", c.IdleWorkers, max(c.IdleCustomers, c.IdleWorkers+1), c.IdleSyncs, c.IdleDays)
	fmt.Fprintf(w, "3. **Hand-off.** %d customers with %d queued syncs of 2 days each and %d fetch workers, so a worker is always free: "+
		"the gap from `LockReleasedAt` of one sync to `LockAcquiredAt` of the customer's next is the engine's own wake-up and claim. "+
		"The fallback poll interval is the default 1 s, so a hand-off that relied on polling would show as ≈1 s.\n", c.HandoffCustomers, c.HandoffSyncs, 2*c.HandoffCustomers)
	fmt.Fprintf(w, "4. **Processing.** %d days of a %d × %d × %d account (keyword level) are downloaded by the engine from a simulator "+
		"that answers creates BUILT at once; the engine is stopped and the bench builds the performance tab from the stored "+
		"files through package `report` (`report.Build`, as a processing worker does) and drains the table's rows. Memory is sampled every 2 ms from `runtime/metrics` (heap in use; memory mapped "+
		"by the runtime and not released, ≈ `Sys − HeapReleased`), for the whole process.\n", c.ProcDays, c.ProcCampaigns, c.ProcAdgroups, c.ProcKeywords)
	fmt.Fprintf(w, "5. **Calls.** Counted from the simulator's `Requests()` for scenario 1's customer (reports built after a delay, so "+
		"status polls are needed) and for scenario 4's (creates answered BUILT: create + download + delete). Sheets requests "+
		"from the stand-in's `RequestCount()`.\n")
	fmt.Fprintf(w, "6. **API.** `api.New` over the engine (workers not started, so syncs stay queued) on a loopback `httptest` server; "+
		"%d `POST /syncs` (distinct ranges, so none is merged) then %d `GET /syncs/{id}`, from %d goroutines.\n", c.APIRequests, c.APIRequests, c.APIConcurrency)
	if r.Fetch != nil {
		fmt.Fprintf(w, "7. **Fetch under Naver's costs.** A fresh simulator per run adds %s per call, builds each report in "+
			"%s plus up to %s (fixed per job), gives the customer a %.1f Mbit/s download link shared by its downloads and "+
			"allows it %.0f calls per second (a token bucket of a quarter second; a refused call gets 429 without Retry-After, "+
			"5 of them within 10 s put the customer in a 5-minute penalty). A first sync of %d days (a customer never seen: "+
			"slow start) and then one of %d days of a %d × %d × %d account run on SQLite, once with the client as in "+
			"production (zip downloads, adaptive rate starting at 10/s with ceiling 30/s, learned rate kept in the database, "+
			"report window 40) and once as before (plain TSV, fixed %.0f/s). Lease hold = `LockReleasedAt − LockAcquiredAt`. "+
			"Bound = max(fewest calls ÷ allowed rate, zipped bytes ÷ link) + the shortest build time, where the fewest calls "+
			"are create, one status poll (no report is built at create here) and delete per job, plus a download per job "+
			"with data, counted from the simulator's record of the sync; the zipped bytes are those of the zip run.\n",
			c.FetchLatency, c.FetchBuild, c.FetchBuildSpread, float64(c.FetchLink)*8/1e6, c.FetchLimit, c.FetchDays, c.FetchYearDays,
			c.ProcCampaigns, c.ProcAdgroups, c.ProcKeywords, c.FetchBaseRate)
	}
	return nil
}

// findings say, for each target, whether it was met, and explain the numbers.
func (r *Report) findings() []string {
	var out []string
	for _, d := range r.Databases {
		if d.Skipped != "" {
			continue
		}
		l := d.LockScope
		s := fmt.Sprintf("**%s, lock scope:** makespan %s is %+.1f%% from the bound K·F + P = %s (target ≤ +5%%: %s). ",
			d.Name, secs(l.Makespan), 100*l.OverBound(), secs(l.Bound), verdict(l.OverBound() <= TargetOverBound))
		s += fmt.Sprintf("The old design took %s, %.2f× longer. For K = %d the bounds of the two designs give at most "+
			"K(F+P)/(KF+P) = %.2f×; the ratio (F+P)/F = %.2f× is the limit as K grows, not reachable with %d syncs.",
			secs(l.OldMakespan), l.Speedup(), l.Syncs, l.IdealSpeedup(), l.AsymptoticSpeedup(), l.Syncs)
		if l.OverBound() > TargetOverBound {
			s += " Above the bound: the fetches share the 2-core machine with the previous syncs' processing (parsing " +
				"and encoding the sheet), so later fetches run slower than the mean F, and each hand-off and processing " +
				"claim adds a little."
		}
		out = append(out, s)
		u := d.Idle.Utilization()
		s = fmt.Sprintf("**%s, idle workers:** %s of worker time spent fetching while work was runnable (target ≥ 95%%: %s).",
			d.Name, pct(u), verdict(u >= TargetUtilization))
		if u < TargetUtilization {
			s += " The lost share is the time between a lease's release and the next claim (database transactions of " +
				"FinishFetch and ClaimFetch) and the tail, when fewer customers than workers remain."
		}
		out = append(out, s)
		g := d.Handoff.Gaps
		s = fmt.Sprintf("**%s, hand-off:** p50 %s, p99 %s over %d hand-offs (target p99 < 50 ms: %s).",
			d.Name, msec(g.P50), msec(g.P99), g.N, verdict(g.N > 0 && g.P99 < TargetHandoffP99))
		switch {
		case g.Max >= handoffPollFallback:
			s += " Some hand-offs took about the poll interval: a wake-up was missed and the fallback poll found the sync."
		case g.P99 >= TargetHandoffP99:
			s += " No hand-off waited for the 1 s fallback poll, so wake-ups arrive (each pool passes one wake token on " +
				"after a claim); the tail is the claim transaction itself (FOR UPDATE SKIP LOCKED on PostgreSQL, the write " +
				"lock on SQLite) on 2 cores shared with the database, the simulators and the processing pool, so load " +
				"from elsewhere on the machine shows in it directly."
		}
		out = append(out, s)
	}
	out = append(out, r.processingFinding())
	p := r.Processing
	s := fmt.Sprintf("**Calls:** where a create is answered BUILT, a report costs %.2f calls without the delete (target 2: %s) "+
		"and %.2f with it; the %d listings of the customer's report jobs (one per window of creates, to stay under "+
		"Naver's 100-job cap) are counted apart.", p.Calls.PerReportNoDelete(), verdict(p.Calls.PerReportNoDelete() <= TargetCallsPerReport+0.005),
		p.Calls.PerReport(), p.Calls.Listings)
	if len(r.Databases) > 0 && r.Databases[0].Skipped == "" {
		c := r.Databases[0].LockScope.Calls
		s += fmt.Sprintf(" When Naver builds the report later (scenario 1), status polls add %.2f calls per report "+
			"(the client learns when to poll first, starting from %s).", ratio(float64(c.Polls), float64(c.Reports)), max(r.Config.BuildDelay/4, time.Millisecond))
	}
	out = append(out, s)
	if f := r.Fetch; f != nil && len(f.Runs) == 2 {
		for i, a := range f.Runs[0].Syncs {
			b := f.Runs[1].Syncs[i]
			out = append(out, fmt.Sprintf("**Fetch, %d days:** with zip and the adaptive rate the lease was held %s, %.2f× its bound "+
				"of %s (target ≤ 1.25×: %s), with %d 429s; as before (plain TSV at a fixed %.0f/s) %s, %.2f× longer (target ≥ 2×: %s). "+
				"On the link: %.1f MB zipped against %.1f MB of TSV.", a.Days, secs(a.Hold), a.OverBound(), secs(a.Bound),
				verdict(a.OverBound() <= TargetFetchOverBound), a.Limited, r.Config.FetchBaseRate, secs(b.Hold), f.Speedup(i),
				verdict(f.Speedup(i) >= TargetFetchSpeedup), float64(a.Wire)/1e6, float64(b.Wire)/1e6))
		}
	}
	return out
}

// processingFinding reads scenario 4's figures, with its baseline's when one ran.
func (r *Report) processingFinding() string {
	p := r.Processing
	s := fmt.Sprintf("**Processing:** %d days × %.0f input rows/day in %s with GOMAXPROCS=%d (target < 5 s: %s), "+
		"peak mapped memory %.0f MiB (target < 256 MB: %s).", p.Days, p.InputRowsPerDay(), secs(p.Elapsed), p.Procs,
		verdict(p.Elapsed < TargetProcessingTime), float64(p.PeakMapped)/(1<<20), verdict(p.PeakMapped < TargetProcessingMem))
	s += " Rows are aggregated one day at a time and spilled to disk, so memory does not grow with the range."
	if p.Elapsed >= TargetProcessingTime {
		s += " The time target is missed in this run. Processing parses the days on every core it is given and " +
			"is bound by the CPU, so other load on the 2-core machine shows in it directly; compare with the quiet " +
			"runs in the notes below."
	}
	if b := p.Baseline; b != nil && b.Skipped == "" {
		s += fmt.Sprintf(" Beside %s (%s), built from the repository and run alternately with this build on the same "+
			"machine: %s against %s (medians), %.2f× (target: no slower: %s).", b.Rev, b.Commit[:min(12, len(b.Commit))],
			secs(p.Elapsed), secs(b.Elapsed), b.Ratio(p.Elapsed), verdict(p.Elapsed <= b.Elapsed))
		if b.CPU > 0 && p.CPU > 0 {
			s += fmt.Sprintf(" CPU time of the process from the building of the rows on (steadier on a shared machine): %s "+
				"against %s, %.2f×.", secs(p.CPU), secs(b.CPU), b.CPURatio(p.CPU))
		}
	}
	return s
}
