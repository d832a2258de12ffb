package bench

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/naversync/naversync/config"
	"github.com/naversync/naversync/naver"
	"github.com/naversync/naversync/naver/navertest"
	"github.com/naversync/naversync/service"
)

// FetchSpeed is scenario 7: how long a customer's lease is held when Naver's costs are real —
// latency per call, reports that take seconds to build, a download link of a few Mbit/s per
// customer and a rate limit per customer answered with 429s. A first sync of FetchDays and then
// a sync of FetchYearDays of a large account run once with zip downloads and the adaptive rate
// (the client as in production) and once as before them (plain TSV, a fixed rate).
type FetchSpeed struct {
	Keywords int
	// Latency, Build and Spread, Link and Limit are the simulator's costs.
	Latency, Build, Spread time.Duration
	Link                   int64   // bytes per second per customer
	Limit                  float64 // calls per second per customer
	Runs                   []FetchRun
}

// FetchRun is one client configuration's syncs.
type FetchRun struct {
	Name  string
	Syncs []FetchSync
	// Penalties counts bursts of 429s the simulator punished; Paused whether the client paused
	// the customer after a burst it saw.
	Penalties int
	Paused    bool
}

// FetchSync is one sync's lease hold time next to its lower bound.
type FetchSync struct {
	Days int
	// Hold is LockReleasedAt − LockAcquiredAt.
	Hold time.Duration
	// Bound = max(MinCalls ÷ Limit, WireZip ÷ Link) + one (the shortest) build time.
	Bound time.Duration
	// Calls are the requests the simulator received while the lease was held; MinCalls the
	// fewest that fetch needs: create, status poll (no report is built at create) and delete
	// per job, and a download per job that had data.
	Calls, MinCalls int
	// Limited is the 429 answers received.
	Limited int
	// Wire is the download bytes sent by the simulator; WireZip the zipped bytes of the same
	// files (the bound's transfer).
	Wire, WireZip int64
	// Rate is the client's state for the customer after the sync.
	Rate naver.RateState
}

// OverBound is Hold ÷ Bound.
func (f FetchSync) OverBound() float64 { return ratio(float64(f.Hold), float64(f.Bound)) }

// Targets of scenario 7 (issue 19).
const (
	TargetFetchOverBound = 1.25 // lease hold within 1.25× of its bound
	TargetFetchSpeedup   = 2.0  // at least twice as fast as plain TSV at a fixed 10/s
)

// Speedup is the "before" run's hold time over the "after" run's, for sync i.
func (f FetchSpeed) Speedup(i int) float64 {
	if len(f.Runs) < 2 || i >= len(f.Runs[0].Syncs) || i >= len(f.Runs[1].Syncs) {
		return 0
	}
	return ratio(float64(f.Runs[1].Syncs[i].Hold), float64(f.Runs[0].Syncs[i].Hold))
}

// plainTransport drops X-Accept-Encoding from every request, so that Naver (the simulator)
// answers plain TSV as it did before the client asked for zip.
type plainTransport struct{ base http.RoundTripper }

func (t plainTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Del("X-Accept-Encoding")
	return t.base.RoundTrip(r)
}

func (r *runner) fetchSpeed(ctx context.Context) (FetchSpeed, error) {
	c := r.cfg
	res := FetchSpeed{Keywords: c.ProcCampaigns * c.ProcAdgroups * c.ProcKeywords, Latency: c.FetchLatency,
		Build: c.FetchBuild, Spread: c.FetchBuildSpread, Link: c.FetchLink, Limit: c.FetchLimit}
	type config struct {
		name string
		opts naver.Options
	}
	configs := []config{
		{"zip + adaptive rate", naver.Options{}}, // the client as in production
		{fmt.Sprintf("plain TSV, fixed %.0f/s", c.FetchBaseRate), naver.Options{RatePerSecond: c.FetchBaseRate, MaxRatePerSecond: c.FetchBaseRate,
			HTTPClient: &http.Client{Transport: plainTransport{naver.NewTransport(naver.TransportOptions{})}}}},
	}
	var zipped []int64 // per sync, from the first run
	for ci, cf := range configs {
		c.Progress(fmt.Sprintf("fetch under Naver's costs (%s): %d then %d days of a %d-keyword account", cf.name, c.FetchDays, c.FetchYearDays, res.Keywords))
		s := newSims(c.naverCosts())
		run, err := r.fetchRun(ctx, s, cf.name, cf.opts)
		s.close()
		if err != nil {
			return res, err
		}
		for i := range run.Syncs {
			if ci == 0 {
				zipped = append(zipped, run.Syncs[i].Wire)
			}
			run.Syncs[i].WireZip = zipped[i]
			run.Syncs[i].Bound = c.fetchBound(run.Syncs[i].MinCalls, zipped[i])
		}
		res.Runs = append(res.Runs, run)
	}
	return res, nil
}

// fetchRun runs the two syncs of scenario 7 with one client configuration on a fresh engine and
// customer.
func (r *runner) fetchRun(ctx context.Context, s *sims, name string, opts naver.Options) (FetchRun, error) {
	c := r.cfg
	run := FetchRun{Name: name}
	// The report window of production (NAVERSYNC_REPORT_WINDOW's default, config.DefaultReportWindow).
	e, err := r.newEngine(ctx, SQLite, s, engineOptions{fetchWorkers: 1, processWorkers: 1, naver: &opts, window: config.DefaultReportWindow})
	if err != nil {
		return run, err
	}
	defer e.close()
	cust := s.customer(fmt.Sprintf("%d", 700000+r.next()), c.ProcCampaigns, c.ProcAdgroups, c.ProcKeywords)
	a, err := e.account(ctx, "fetch-"+cust, cust, service.LevelCampaign, false)
	if err != nil {
		return run, err
	}
	for _, days := range []int{c.FetchDays, c.FetchYearDays} {
		fs, _, _, err := e.fetchSync(ctx, cust, service.SyncRequest{AccountID: a.ID, Days: days, Full: true})
		if err != nil {
			return run, err
		}
		run.Syncs = append(run.Syncs, fs)
	}
	run.Penalties = s.naver.LimitStats(cust).Penalties
	run.Paused = !e.nv.PausedUntil(cust).IsZero()
	return run, nil
}

// naverCosts are the simulator's options with Naver's costs (scenario 7's, also the fleet's and
// scenario 9's): latency per call, builds of seconds, a download link and a rate limit per customer.
func (c Config) naverCosts() navertest.Options {
	return navertest.Options{Latency: c.FetchLatency, DownloadLatency: c.FetchLatency, BuildDelay: c.FetchBuild,
		BuildSpread: c.FetchBuildSpread, LinkBytesPerSecond: c.FetchLink, RateLimit: navertest.RateLimit{PerSecond: c.FetchLimit}}
}

// fetchBound is the lower bound of a lease hold under Naver's costs: max(calls ÷ the allowed
// rate, zipped bytes ÷ the link) + the shortest build time (the last report's, at best).
func (c Config) fetchBound(minCalls int, zipped int64) time.Duration {
	calls := time.Duration(float64(minCalls) / c.FetchLimit * float64(time.Second))
	transfer := time.Duration(0)
	if c.FetchLink > 0 {
		transfer = time.Duration(float64(zipped) / float64(c.FetchLink) * float64(time.Second))
	}
	return max(calls, transfer) + c.FetchBuild
}

// fetchSync runs one sync of customer's account to its end and measures its lease hold under
// Naver's costs (FetchSync without the bound, which the caller computes with fetchBound): the
// calls the simulator received while the lease was held, the fewest of them fetch needs, the
// download bytes and the client's rate after it. It also returns the sync as it ended and the
// simulator's record of the calls made while the lease was held.
func (e *engine) fetchSync(ctx context.Context, cust string, req service.SyncRequest) (FetchSync, service.Sync, []navertest.Request, error) {
	wireBefore := e.sims.naver.LimitStats(cust).DownloadBytes
	sy, err := e.enqueue(ctx, req)
	if err != nil {
		return FetchSync{}, sy, nil, err
	}
	done, err := e.wait(ctx, []string{sy.ID})
	if err != nil {
		return FetchSync{}, sy, nil, err
	}
	sy = done[0]
	t := sy.Timings
	if t.LockAcquiredAt == nil || t.LockReleasedAt == nil {
		return FetchSync{}, sy, nil, fmt.Errorf("bench: fetch sync %s has no lease times", sy.ID)
	}
	fs := FetchSync{Days: req.Days, Hold: t.LockReleasedAt.Sub(*t.LockAcquiredAt)}
	var held []navertest.Request
	jobs, downloads := 0, 0
	for _, q := range e.sims.naver.Requests() {
		if q.Customer != cust || q.Start.Before(*t.LockAcquiredAt) || q.Start.After(*t.LockReleasedAt) {
			continue
		}
		held = append(held, q)
		fs.Calls++
		switch {
		case q.Status == http.StatusTooManyRequests:
			fs.Limited++
		case q.Status != http.StatusOK:
		case q.Method == http.MethodPost:
			jobs++
		case q.Path == "/report-download":
			downloads++
		}
	}
	fs.MinCalls = 3*jobs + downloads
	fs.Wire = e.sims.naver.LimitStats(cust).DownloadBytes - wireBefore
	if fs.Rate, err = e.nv.CustomerRate(ctx, cust); err != nil {
		return fs, sy, held, err
	}
	return fs, sy, held, nil
}

// fetchRows are the results of scenario 7.
func (r *Report) fetchRows() []row {
	f := r.Fetch
	if f == nil {
		return nil
	}
	mb := func(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/1e6) }
	rows := []row{{"7 fetch under Naver's costs: account, costs", "", []string{fmt.Sprintf(
		"%d keywords; %s per call, built in %s–%s, link %.1f Mbit/s, %.0f calls/s allowed", f.Keywords, f.Latency,
		f.Build, f.Build+f.Spread, float64(f.Link)*8/1e6, f.Limit)}}}
	for ri, run := range f.Runs {
		for i, s := range run.Syncs {
			target, verdictText := "", ""
			if ri == 0 {
				target = "≤ 1.25× bound"
				verdictText = ", " + verdict(s.OverBound() <= TargetFetchOverBound)
			}
			rows = append(rows, row{fmt.Sprintf("  %d days, %s: lease held vs bound", s.Days, run.Name), target, []string{fmt.Sprintf(
				"%s vs %s (%.2f×%s)", secs(s.Hold), secs(s.Bound), s.OverBound(), verdictText)}})
			rows = append(rows, row{"    calls (fewest), 429s, bytes on the link (zipped)", "", []string{fmt.Sprintf(
				"%d (%d), %d, %s (%s); rate after %.1f/s, limit found %.1f/s", s.Calls, s.MinCalls, s.Limited, mb(s.Wire), mb(s.WireZip), s.Rate.Rate, s.Rate.Limit)}})
			if ri == 1 {
				sp := f.Speedup(i)
				rows = append(rows, row{fmt.Sprintf("  %d days: before ÷ after", s.Days), "≥ 2×", []string{fmt.Sprintf("%.2f× (%s)", sp, verdict(sp >= TargetFetchSpeedup))}})
			}
		}
		rows = append(rows, row{fmt.Sprintf("  %s: 429 bursts (simulator penalties), client paused", run.Name), "none", []string{fmt.Sprintf(
			"%d, %v (%s)", run.Penalties, run.Paused, verdict(run.Penalties == 0 && !run.Paused))}})
	}
	return rows
}
