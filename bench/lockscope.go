package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/naversync/naversync/service"
)

// LockScope is scenario 1: K full syncs of one customer, run in the new design (lease held only
// while fetching) and in the old one (lease held through processing), in the same process.
type LockScope struct {
	Syncs, Days int
	// Fetch and Process are the mean fetch time (lease held) and processing time (processing
	// and writing) of the new design's syncs, from their own Timings.
	Fetch, Process time.Duration
	// Makespan is from the first sync queued to the last finished; Bound = K·Fetch + Process.
	Makespan, Bound time.Duration
	// OldMakespan is the same syncs' makespan in the old design's schedule (see runLock).
	OldMakespan time.Duration
	// RowsPerSync is the sheet rows each sync wrote.
	RowsPerSync int64
	// Calls are the new design's Naver and Sheets calls.
	Calls Calls
}

// OverBound is how far the makespan is above the lower bound (0.03 = 3%).
func (l LockScope) OverBound() float64 { return ratio(float64(l.Makespan), float64(l.Bound)) - 1 }

// Speedup is the old design's makespan over the new one's.
func (l LockScope) Speedup() float64 { return ratio(float64(l.OldMakespan), float64(l.Makespan)) }

// IdealSpeedup is what the designs' bounds give for K syncs: K(F+P) / (KF+P).
func (l LockScope) IdealSpeedup() float64 {
	k, f, p := float64(l.Syncs), float64(l.Fetch), float64(l.Process)
	return ratio(k*(f+p), k*f+p)
}

// AsymptoticSpeedup is (F+P)/F, the ratio the speedup approaches as K grows.
func (l LockScope) AsymptoticSpeedup() float64 {
	return ratio(float64(l.Fetch+l.Process), float64(l.Fetch))
}

// lockRun is one design's run of scenario 1.
type lockRun struct {
	syncs    []service.Sync
	makespan time.Duration
	calls    Calls
}

// runLock runs K full syncs of one fresh customer, each from its own account (equal queued syncs
// of one account would be merged), on a fresh database.
//
// oldDesign runs them in the schedule of the design naversync replaces, where a worker held the
// customer's lease from the start of its fetch to the end of its processing and write: the
// customer's syncs then ran end to end one after another, so each is queued when the one before
// has finished. (The engine itself has no such mode: the old design is reproduced here, from
// outside, by its schedule.)
func (r *runner) runLock(ctx context.Context, dialect string, s *sims, k, days int, oldDesign bool) (lockRun, error) {
	e, err := r.newEngine(ctx, dialect, s, engineOptions{fetchWorkers: k, processWorkers: k})
	if err != nil {
		return lockRun{}, err
	}
	defer e.close()
	cust := s.customer(fmt.Sprintf("%d", 100000+r.next()), 0, 0, 0)
	var accts []service.Account
	for i := range k {
		a, err := e.account(ctx, fmt.Sprintf("lock-%s-%d", cust, i), cust, service.LevelCampaign, false)
		if err != nil {
			return lockRun{}, err
		}
		accts = append(accts, a)
	}
	sheetsBefore := s.sheets.RequestCount()
	ids := make([]string, 0, k)
	var syncs []service.Sync
	for _, a := range accts {
		sy, err := e.enqueue(ctx, service.SyncRequest{AccountID: a.ID, Days: days, Full: true})
		if err != nil {
			return lockRun{}, err
		}
		ids = append(ids, sy.ID)
		if oldDesign {
			done, err := e.wait(ctx, []string{sy.ID})
			if err != nil {
				return lockRun{}, err
			}
			syncs = append(syncs, done...)
		}
	}
	if !oldDesign {
		if syncs, err = e.wait(ctx, ids); err != nil {
			return lockRun{}, err
		}
	}
	calls := countCalls(s.naver.Requests(), cust)
	calls.SheetRequests = s.sheets.RequestCount() - sheetsBefore
	calls.Syncs = len(syncs)
	return lockRun{syncs: syncs, makespan: makespan(syncs), calls: calls}, nil
}

// makespan is from the first sync queued to the last one finished.
func makespan(syncs []service.Sync) time.Duration {
	var first, last time.Time
	for i, s := range syncs {
		if i == 0 || s.Timings.QueuedAt.Before(first) {
			first = s.Timings.QueuedAt
		}
		if f := s.Timings.FinishedAt; f != nil && f.After(last) {
			last = *f
		}
	}
	return last.Sub(first)
}

// phaseMeans are the mean fetch time (lease held) and processing time (from processing start to
// finished, the write included) of syncs.
func phaseMeans(syncs []service.Sync) (fetch, process time.Duration) {
	if len(syncs) == 0 {
		return 0, 0
	}
	var f, p int64
	for _, s := range syncs {
		f += s.Timings.FetchMS
		p += s.Timings.ProcessingMS + s.Timings.WriteMS
	}
	n := int64(len(syncs))
	return time.Duration(f/n) * time.Millisecond, time.Duration(p/n) * time.Millisecond
}

// calibrate runs one sync of LockDays without Sheets latency and sets the stand-in's latency so
// that processing takes ProcessRatio times the fetch, as in production.
func (r *runner) calibrate(ctx context.Context, s *sims) (time.Duration, error) {
	s.sheetDelay.Store(0)
	run, err := r.runLock(ctx, SQLite, s, 1, r.cfg.LockDays, false)
	if err != nil {
		return 0, fmt.Errorf("calibrate: %w", err)
	}
	f, p := phaseMeans(run.syncs)
	want := time.Duration(r.cfg.ProcessRatio * float64(f))
	d := time.Duration(0)
	if n := run.calls.SheetRequests; n > 0 && want > p {
		d = (want - p) / time.Duration(n)
	}
	s.sheetDelay.Store(int64(d))
	return d, nil
}

// lockScope runs scenario 1 in both designs.
func (r *runner) lockScope(ctx context.Context, dialect string, s *sims) (LockScope, error) {
	k, days := r.cfg.LockSyncs, r.cfg.LockDays
	r.cfg.Progress(fmt.Sprintf("%s: lock scope, %d syncs of %d days (new design)", dialect, k, days))
	nw, err := r.runLock(ctx, dialect, s, k, days, false)
	if err != nil {
		return LockScope{}, fmt.Errorf("lock scope: %w", err)
	}
	r.cfg.Progress(fmt.Sprintf("%s: lock scope, %d syncs of %d days (old design: lease held through processing)", dialect, k, days))
	old, err := r.runLock(ctx, dialect, s, k, days, true)
	if err != nil {
		return LockScope{}, fmt.Errorf("lock scope (old design): %w", err)
	}
	f, p := phaseMeans(nw.syncs)
	return LockScope{
		Syncs: k, Days: days, Fetch: f, Process: p,
		Makespan: nw.makespan, Bound: time.Duration(k)*f + p, OldMakespan: old.makespan,
		RowsPerSync: nw.syncs[0].Progress.RowsProcessed, Calls: nw.calls,
	}, nil
}
