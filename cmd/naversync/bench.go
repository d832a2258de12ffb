package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	benchmark "github.com/naversync/naversync/bench"
)

// bench runs the benchmark of package bench (imported as benchmark) and prints its tables; -md also writes them as
// Markdown (docs/benchmarks.md).
func bench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c benchmark.Config
	fs.StringVar(&c.PostgresURL, "postgres-url", benchmark.DefaultPostgresURL, "PostgreSQL database to create temporary schemas in (skipped when unreachable)")
	fs.BoolVar(&c.SkipPostgres, "sqlite-only", false, "run on SQLite only")
	fs.DurationVar(&c.NaverLatency, "naver-latency", 0, "Naver simulator latency per call (default 1ms)")
	fs.DurationVar(&c.BuildDelay, "build-delay", 0, "how long the Naver simulator takes to build a report (default 10ms)")
	fs.IntVar(&c.LockSyncs, "k", 0, "lock scope: syncs of one customer (default 4)")
	fs.IntVar(&c.LockDays, "days", 0, "lock scope: days per sync (default 120; the issue asks for 365)")
	fs.Float64Var(&c.ProcessRatio, "ratio", 0, "processing time / fetch time the Sheets latency is calibrated to (default 4)")
	fs.IntVar(&c.IdleWorkers, "workers", 0, "idle workers: fetch workers W (default 4)")
	fs.IntVar(&c.IdleCustomers, "customers", 0, "idle workers: customers C > W (default 8)")
	fs.IntVar(&c.IdleSyncs, "syncs", 0, "idle workers: syncs per customer (default 3)")
	fs.IntVar(&c.IdleDays, "idle-days", 0, "idle workers: days per sync (default 20)")
	fs.IntVar(&c.HandoffCustomers, "handoff-customers", 0, "hand-off: customers (default 4)")
	fs.IntVar(&c.HandoffSyncs, "handoff-syncs", 0, "hand-off: queued syncs per customer (default 26)")
	fs.IntVar(&c.ProcDays, "proc-days", 0, "processing: days of the large account (default 365)")
	fs.IntVar(&c.ProcAdgroups, "proc-adgroups", 0, "processing: ad groups per campaign, 10 campaigns (default 20)")
	fs.IntVar(&c.ProcKeywords, "proc-keywords", 0, "processing: keywords per ad group (default 12)")
	fs.IntVar(&c.ProcProcs, "procs", 0, "processing: GOMAXPROCS while processing (default 2)")
	fs.IntVar(&c.ProcRuns, "proc-runs", 0, "processing: runs of scenario 4, the median reported (default 1; 3 with -proc-baseline)")
	fs.StringVar(&c.ProcBaseline, "proc-baseline", "", "processing: also run this git revision's scenario 4 (built from the repository with git archive), alternating with this build's, and print both (e.g. a89acf9)")
	fs.StringVar(&c.ProcRepo, "proc-repo", ".", "processing: git repository -proc-baseline is taken from")
	fs.StringVar(&c.ProcCPUProfile, "proc-cpuprofile", "", "processing: write the CPU profile of this build's measured processing to this file (the baseline's whole run to FILE.baseline)")
	fs.BoolVar(&c.ProcessingOnly, "processing-only", false, "run only the processing scenario (4), with its baseline")
	fs.IntVar(&c.APIRequests, "api-requests", 0, "API: requests per route (default 2000)")
	fs.IntVar(&c.APIConcurrency, "api-concurrency", 0, "API: concurrent clients (default 16)")
	fs.IntVar(&c.FetchDays, "fetch-days", 0, "fetch under Naver's costs: days of the first sync (default 60)")
	fs.IntVar(&c.FetchYearDays, "fetch-year-days", 0, "fetch under Naver's costs: days of the second sync (default 365)")
	fs.Float64Var(&c.FetchLimit, "fetch-limit", 0, "fetch under Naver's costs: calls per second the simulator allows a customer (default 25)")
	fs.Int64Var(&c.FetchLink, "fetch-link", 0, "fetch under Naver's costs: download bytes per second per customer (default 1000000)")
	fs.BoolVar(&c.SkipFetch, "skip-fetch", false, "leave out the fetch under Naver's costs (several minutes)")
	fs.BoolVar(&c.FetchOnly, "fetch-only", false, "run only the fetch under Naver's costs")
	fs.BoolVar(&c.FleetOnly, "fleet", false, "run only the fleet scenario (an agency's morning under Naver's costs and Google's quotas; many minutes)")
	fs.IntVar(&c.FleetAccounts, "fleet-accounts", 0, "fleet: accounts N (default 1000)")
	fs.IntVar(&c.FleetCustomers, "fleet-customers", 0, "fleet: Naver customers C the accounts share (default 500)")
	fs.IntVar(&c.FleetIdentities, "fleet-identities", 0, "fleet: Google identities K, in one project (default 5)")
	fs.IntVar(&c.FleetReplicas, "fleet-replicas", 0, "fleet: service replicas R on one PostgreSQL schema (default 2)")
	fs.IntVar(&c.FleetFetchWorkers, "fleet-fetch-workers", 0, "fleet: fetch workers per replica (default NAVERSYNC_FETCH_WORKERS' default)")
	fs.IntVar(&c.FleetProcessWorkers, "fleet-process-workers", 0, "fleet: processing workers per replica (default NAVERSYNC_PROCESS_WORKERS' default)")
	fs.IntVar(&c.FleetFirstDays, "fleet-first-days", 0, "fleet: days of the first sync (default 14)")
	fs.IntVar(&c.FleetRefreshDays, "fleet-refresh-days", 0, "fleet: days the morning refresh fetches again (default 7)")
	fs.DurationVar(&c.FleetSheetsLatency, "fleet-sheets-latency", 0, "fleet: the Sheets stand-in's latency per request (default 200ms)")
	fs.DurationVar(&c.FleetQuotaWindow, "fleet-quota-window", 0, "fleet: the window Google's per-minute quotas count in (default 1m; shorter only to scale a run down)")
	fs.BoolVar(&c.FleetMorningOnly, "fleet-morning-only", false, "fleet: measure only the morning refresh (the first sync runs unthrottled as setup)")
	fs.DurationVar(&c.FleetTimeout, "fleet-timeout", 0, "fleet: longest wait for a phase's syncs (default 1h)")
	fs.BoolVar(&c.TabsOnly, "tabs-only", false, "run only the all-three-tabs scenario (9): a year of the processing scenario's account with every tab under Naver's costs, then a morning (several minutes)")
	fs.IntVar(&c.TabsDays, "tabs-days", 0, "all three tabs: days of the first sync (default 365)")
	fs.IntVar(&c.TabsMorningDays, "tabs-morning-days", 0, "all three tabs: days of the morning's sync after it (default 3)")
	md := fs.String("md", "", "also write the results as Markdown to this file (e.g. docs/benchmarks.md)")
	verbose := fs.Bool("v", false, "log the engine's warnings to stderr")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "bench: unexpected arguments %q\n", fs.Args())
		return errUsage
	}
	c.Progress = func(msg string) { fmt.Fprintln(stderr, "bench:", msg) }
	if *verbose {
		c.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	rep, err := benchmark.Run(ctx, c)
	if err != nil {
		if rep != nil && rep.Fleet != nil {
			// What the fleet measured before it stopped.
			fmt.Fprintln(stdout)
			_ = rep.WriteText(stdout)
		}
		return err
	}
	fmt.Fprintln(stdout)
	if err := rep.WriteText(stdout); err != nil {
		return err
	}
	if *md == "" {
		return nil
	}
	f, err := os.Create(*md)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	command := strings.TrimSpace("naversync bench " + strings.Join(args, " "))
	if err := rep.WriteMarkdown(f, command); err != nil {
		_ = f.Close()
		return fmt.Errorf("bench: write %s: %w", *md, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("bench: write %s: %w", *md, err)
	}
	fmt.Fprintf(stdout, "wrote %s\n", *md)
	return nil
}
