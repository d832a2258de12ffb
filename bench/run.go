package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/naversync/naversync/naver/navertest"
)

// Report is the result of one run.
type Report struct {
	Machine Machine
	Config  Config
	// At is when the run started; Took how long it ran.
	At   time.Time
	Took time.Duration
	// SheetLatency is the Sheets stand-in's latency per request after calibration.
	SheetLatency time.Duration
	Databases    []DatabaseReport
	Processing   Processing
	// Fetch is scenario 7 (absent with Config.SkipFetch).
	Fetch *FetchSpeed
	// Fleet is scenario 8 (with Config.FleetOnly).
	Fleet *Fleet
	// Tabs is scenario 9 (with Config.TabsOnly).
	Tabs *TabsYear
}

// DatabaseReport holds the scenarios run on one database; Skipped says why they were not.
type DatabaseReport struct {
	Name      string
	Skipped   string
	LockScope LockScope
	Idle      Idle
	Handoff   Handoff
	API       APILoad
}

// Run runs every scenario: on SQLite, then on PostgreSQL when it answers, then processing.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg.setDefaults()
	rep := &Report{Machine: ReadMachine(), At: cfg.Now()}
	start := time.Now()
	dir := cfg.TempDir
	if dir == "" {
		d, err := os.MkdirTemp("", "naversync-bench-")
		if err != nil {
			return nil, fmt.Errorf("bench: temp dir: %w", err)
		}
		defer os.RemoveAll(d)
		dir = d
	}
	r := &runner{cfg: cfg, dir: dir}
	if cfg.FleetOnly {
		f, err := r.fleet(ctx)
		rep.Fleet, rep.Config, rep.Took = &f, r.cfg, time.Since(start)
		if err != nil {
			return rep, err
		}
		return rep, nil
	}
	if cfg.TabsOnly {
		t, err := r.tabsYear(ctx)
		if err != nil {
			return nil, err
		}
		rep.Tabs, rep.Config, rep.Took = &t, r.cfg, time.Since(start)
		return rep, nil
	}
	if cfg.FetchOnly {
		f, err := r.fetchSpeed(ctx)
		if err != nil {
			return nil, err
		}
		rep.Fetch, rep.Config, rep.Took = &f, r.cfg, time.Since(start)
		return rep, nil
	}
	// Processing runs first, while the process holds little else, since its memory is the
	// process's.
	var err error
	if rep.Processing, err = r.processingRounds(ctx); err != nil {
		return nil, err
	}
	if cfg.ProcessingOnly {
		rep.Config, rep.Took = r.cfg, time.Since(start)
		return rep, nil
	}
	var d time.Duration
	s := newSims(navertest.Options{BuildDelay: cfg.BuildDelay, Latency: cfg.NaverLatency, DownloadLatency: cfg.NaverLatency})
	defer s.close()

	cfg.Progress(fmt.Sprintf("calibrating the Sheets stand-in's latency: processing = %.1f × fetch", cfg.ProcessRatio))
	d, err = r.calibrate(ctx, s)
	if err != nil {
		return nil, err
	}
	rep.SheetLatency = d

	dialects := []string{SQLite, Postgres}
	for _, dialect := range dialects {
		dr := DatabaseReport{Name: dialect}
		if dialect == Postgres {
			if cfg.SkipPostgres {
				dr.Skipped = "skipped (-sqlite-only)"
				rep.Databases = append(rep.Databases, dr)
				continue
			}
			if err := pingPostgres(ctx, cfg.PostgresURL); err != nil {
				dr.Skipped = "skipped: PostgreSQL unreachable: " + err.Error()
				cfg.Progress(dr.Skipped)
				rep.Databases = append(rep.Databases, dr)
				continue
			}
		}
		if dr.LockScope, err = r.lockScope(ctx, dialect, s); err != nil {
			return nil, fmt.Errorf("%s: %w", dialect, err)
		}
		// The remaining scenarios are about the engine and the database, not the Sheets API.
		prev := s.sheetDelay.Swap(0)
		if dr.Idle, err = r.idle(ctx, dialect, s); err != nil {
			return nil, fmt.Errorf("%s: %w", dialect, err)
		}
		if dr.Handoff, err = r.handoff(ctx, dialect, s); err != nil {
			return nil, fmt.Errorf("%s: %w", dialect, err)
		}
		if dr.API, err = r.apiLoad(ctx, dialect, s); err != nil {
			return nil, fmt.Errorf("%s: %w", dialect, err)
		}
		s.sheetDelay.Store(prev)
		rep.Databases = append(rep.Databases, dr)
	}
	if !cfg.SkipFetch {
		f, err := r.fetchSpeed(ctx)
		if err != nil {
			return nil, err
		}
		rep.Fetch = &f
	}
	if err := ctx.Err(); err != nil {
		return nil, errors.Join(errors.New("bench: interrupted"), err)
	}
	rep.Config = r.cfg
	rep.Took = time.Since(start)
	return rep, nil
}
