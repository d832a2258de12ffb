package bench

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/naversync/naversync/service"
)

// Idle is scenario 2: W fetch workers, C > W customers with several syncs each.
type Idle struct {
	Workers, Customers, SyncsPerCustomer, Days int
	// Busy is the worker time spent holding a lease (fetching); Possible is the worker time that
	// could have been spent so: ∫ min(W, customers with runnable or running work) dt.
	Busy, Possible time.Duration
	Makespan       time.Duration
}

// Utilization is Busy / Possible: the share of worker time spent fetching while work was runnable.
func (i Idle) Utilization() float64 { return ratio(float64(i.Busy), float64(i.Possible)) }

func (r *runner) idle(ctx context.Context, dialect string, s *sims) (Idle, error) {
	w, c, n, days := r.cfg.IdleWorkers, r.cfg.IdleCustomers, r.cfg.IdleSyncs, r.cfg.IdleDays
	if c <= w {
		c = w + 1
	}
	days = max(days, n+1)
	r.cfg.Progress(fmt.Sprintf("%s: idle workers, %d workers, %d customers × %d syncs of ~%d days", dialect, w, c, n, days))
	e, err := r.newEngine(ctx, dialect, s, engineOptions{fetchWorkers: w, processWorkers: w, noStart: true})
	if err != nil {
		return Idle{}, err
	}
	defer e.close()
	var ids []string
	var accts []service.Account
	for ci := range c {
		cust := s.customer(fmt.Sprintf("%d", 200000+r.next()), 0, 0, 0)
		a, err := e.account(ctx, fmt.Sprintf("idle-%s-%d", cust, ci), cust, service.LevelCampaign, false)
		if err != nil {
			return Idle{}, err
		}
		accts = append(accts, a)
	}
	// Syncs are queued round-robin over customers; each differs in range so none is merged.
	for j := range n {
		for _, a := range accts {
			sy, err := e.enqueue(ctx, service.SyncRequest{AccountID: a.ID, Days: days - j, Full: true})
			if err != nil {
				return Idle{}, err
			}
			ids = append(ids, sy.ID)
		}
	}
	if err := e.svc.Start(ctx); err != nil {
		return Idle{}, fmt.Errorf("bench: start: %w", err)
	}
	syncs, err := e.wait(ctx, ids)
	if err != nil {
		return Idle{}, fmt.Errorf("idle workers: %w", err)
	}
	busy, possible := utilization(syncs, w)
	return Idle{Workers: w, Customers: c, SyncsPerCustomer: n, Days: days, Busy: busy, Possible: possible, Makespan: makespan(syncs)}, nil
}

// utilization integrates, over the syncs' timeline, the number of leases held (busy workers)
// and min(workers, customers with a sync queued or fetching) (the workers that could be busy).
// A customer whose lease was just released while its next sync waits counts as runnable, so a
// slow hand-off shows up as idle time.
func utilization(syncs []service.Sync, workers int) (busy, possible time.Duration) {
	type event struct {
		at       time.Time
		customer string
		dBusy    int // +1 lease taken, -1 released
		dDemand  int // +1 sync queued, -1 sync's fetch ended
	}
	var ev []event
	start := time.Time{}
	for _, s := range syncs {
		t := s.Timings
		if t.LockAcquiredAt == nil || t.LockReleasedAt == nil {
			continue
		}
		queued := t.QueuedAt
		if start.IsZero() || t.LockAcquiredAt.Before(start) {
			start = *t.LockAcquiredAt
		}
		ev = append(ev,
			event{at: queued, customer: s.CustomerID, dDemand: 1},
			event{at: *t.LockAcquiredAt, customer: s.CustomerID, dBusy: 1},
			event{at: *t.LockReleasedAt, customer: s.CustomerID, dBusy: -1, dDemand: -1})
	}
	slices.SortStableFunc(ev, func(a, b event) int { return a.at.Compare(b.at) })
	pending := map[string]int{} // customer -> syncs queued or fetching
	running := 0
	var prev time.Time
	for _, x := range ev {
		// The queueing before the first claim is enqueue time, not worker time.
		if !prev.IsZero() && !x.at.Before(start) {
			from := prev
			if from.Before(start) {
				from = start
			}
			dt := x.at.Sub(from)
			busy += time.Duration(running) * dt
			possible += time.Duration(min(workers, len(pending))) * dt
		}
		prev = x.at
		running += x.dBusy
		pending[x.customer] += x.dDemand
		if pending[x.customer] == 0 {
			delete(pending, x.customer)
		}
	}
	return busy, possible
}
