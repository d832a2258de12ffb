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
	fs.IntVar(&c.APIRequests, "api-requests", 0, "API: requests per route (default 2000)")
	fs.IntVar(&c.APIConcurrency, "api-concurrency", 0, "API: concurrent clients (default 16)")
	fs.IntVar(&c.FetchDays, "fetch-days", 0, "fetch under Naver's costs: days of the first sync (default 60)")
	fs.IntVar(&c.FetchYearDays, "fetch-year-days", 0, "fetch under Naver's costs: days of the second sync (default 365)")
	fs.Float64Var(&c.FetchLimit, "fetch-limit", 0, "fetch under Naver's costs: calls per second the simulator allows a customer (default 25)")
	fs.Int64Var(&c.FetchLink, "fetch-link", 0, "fetch under Naver's costs: download bytes per second per customer (default 1000000)")
	fs.BoolVar(&c.SkipFetch, "skip-fetch", false, "leave out the fetch under Naver's costs (several minutes)")
	fs.BoolVar(&c.FetchOnly, "fetch-only", false, "run only the fetch under Naver's costs")
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
