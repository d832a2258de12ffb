package bench

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/naversync/naversync/service"
)

// Handoff is scenario 3: customers with many short syncs queued, more fetch workers than
// customers, so that the time from one sync's lease release to the next sync of the customer
// taking the lease is the engine's hand-off alone (wake-up and claim), not a wait for a worker.
type Handoff struct {
	Customers, SyncsPerCustomer, Workers int
	Gaps                                 Quantiles
}

func (r *runner) handoff(ctx context.Context, dialect string, s *sims) (Handoff, error) {
	c, n := r.cfg.HandoffCustomers, min(r.cfg.HandoffSyncs, 300) // ranges must stay in Naver's window
	w := 2 * c
	r.cfg.Progress(fmt.Sprintf("%s: hand-off, %d customers × %d syncs of 2 days, %d workers", dialect, c, n, w))
	e, err := r.newEngine(ctx, dialect, s, engineOptions{fetchWorkers: w, processWorkers: 2, noStart: true})
	if err != nil {
		return Handoff{}, err
	}
	defer e.close()
	_, to := e.svc.ServedWindow()
	var ids []string
	for ci := range c {
		cust := s.customer(fmt.Sprintf("%d", 300000+r.next()), 1, 2, 5)
		a, err := e.account(ctx, fmt.Sprintf("handoff-%s-%d", cust, ci), cust, service.LevelCampaign, false)
		if err != nil {
			return Handoff{}, err
		}
		for j := range n {
			// Two days each, a different range per sync so that none is merged.
			end := to.AddDate(0, 0, -j)
			sy, err := e.enqueue(ctx, service.SyncRequest{AccountID: a.ID, From: end.AddDate(0, 0, -1).Format(time.DateOnly), To: end.Format(time.DateOnly), Full: true})
			if err != nil {
				return Handoff{}, err
			}
			ids = append(ids, sy.ID)
		}
	}
	if err := e.svc.Start(ctx); err != nil {
		return Handoff{}, fmt.Errorf("bench: start: %w", err)
	}
	syncs, err := e.wait(ctx, ids)
	if err != nil {
		return Handoff{}, fmt.Errorf("hand-off: %w", err)
	}
	return Handoff{Customers: c, SyncsPerCustomer: n, Workers: w, Gaps: quantiles(handoffGaps(syncs))}, nil
}

// handoffGaps are, per customer, LockReleasedAt of one sync to LockAcquiredAt of the next sync
// that was already queued when the lease was released.
func handoffGaps(syncs []service.Sync) []time.Duration {
	by := map[string][]service.Sync{}
	for _, s := range syncs {
		if s.Timings.LockAcquiredAt != nil && s.Timings.LockReleasedAt != nil {
			by[s.CustomerID] = append(by[s.CustomerID], s)
		}
	}
	var gaps []time.Duration
	for _, ss := range by {
		slices.SortFunc(ss, func(a, b service.Sync) int { return a.Timings.LockAcquiredAt.Compare(*b.Timings.LockAcquiredAt) })
		for i := 1; i < len(ss); i++ {
			prev, next := ss[i-1].Timings, ss[i].Timings
			if next.QueuedAt.Before(*prev.LockReleasedAt) {
				gaps = append(gaps, next.LockAcquiredAt.Sub(*prev.LockReleasedAt))
			}
		}
	}
	return gaps
}
