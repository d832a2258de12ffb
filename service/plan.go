package service

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/naversync/naversync/store"
)

// The morning's plan. A customer's syncs talk to Naver one at a time (the customer's lease), so
// the morning cannot end before its busiest customer's work is done: the plan starts the
// customers with the most work first (the longest chains first is what lets the fleet finish
// soonest over a fixed number of fetch workers), puts a customer's accounts back to back (its
// lease passes from one to the next without a gap while the other workers serve other
// customers), and among equals serves the stalest data first. The plan is kept as each sync's
// rank (store.Sync.PlanRank), which the fetch queue is claimed by.

// planCustomer is one customer's part of the plan.
type planCustomer struct {
	id    string
	work  int       // days its syncs must fetch from Naver
	stale time.Time // the oldest last success among its accounts (zero: one never synced)
	accts []store.Account
}

// planMorning orders the accounts of a refresh: customers by their work (most first), then the
// stalest first, then by id; a customer's accounts together, the stalest first. A customer's work
// is the days its accounts' syncs must fetch: the days of their history windows not settled on
// disk (recent days inside the settle window are always fetched; older days are reused when
// every report of the day is final). The accounts of one customer share its files, so a day
// counts once per customer. On an error reading the files or the last successes the plan goes
// on with what it has (no work known: the stalest first) and the error is returned beside it.
func (s *Service) planMorning(ctx context.Context, accts []store.Account) ([]store.Account, error) {
	ids := make([]string, len(accts))
	for i, a := range accts {
		ids[i] = a.ID
	}
	var errs []error
	last, err := s.store.LastSuccesses(ctx, ids)
	if err != nil {
		errs = append(errs, fmt.Errorf("last successes: %w", err))
	}
	byCustomer := map[string]*planCustomer{}
	var customers []*planCustomer
	for _, a := range accts {
		c := byCustomer[a.CustomerID]
		if c == nil {
			c = &planCustomer{id: a.CustomerID, stale: last[a.ID]}
			byCustomer[a.CustomerID] = c
			customers = append(customers, c)
		}
		c.accts = append(c.accts, a)
		if t := last[a.ID]; t.Before(c.stale) {
			c.stale = t
		}
	}
	for _, c := range customers {
		w, err := s.customerWork(ctx, c.accts)
		if err != nil {
			errs = append(errs, fmt.Errorf("customer %s: %w", c.id, err))
		}
		c.work = w
	}
	return orderPlan(customers, last), errors.Join(errs...)
}

// orderPlan lays the customers out in plan order (see planMorning).
func orderPlan(customers []*planCustomer, last map[string]time.Time) []store.Account {
	slices.SortFunc(customers, func(a, b *planCustomer) int {
		return cmp.Or(cmp.Compare(b.work, a.work), a.stale.Compare(b.stale), cmp.Compare(a.id, b.id))
	})
	var out []store.Account
	for _, c := range customers {
		slices.SortFunc(c.accts, func(a, b store.Account) int {
			return cmp.Or(last[a.ID].Compare(last[b.ID]), cmp.Compare(a.ID, b.ID))
		})
		out = append(out, c.accts...)
	}
	return out
}

// customerWork counts the days the refresh of accts (all of one customer) must fetch: the days
// of their history windows that are recent (inside the settle window: always fetched again) or
// lack a final file of some report type Naver serves for the day (servedFrom).
func (s *Service) customerWork(ctx context.Context, accts []store.Account) (int, error) {
	days := map[string]bool{}
	var first, last time.Time
	for _, a := range accts {
		f, l := s.historyWindow(a)
		if first.IsZero() || f.Before(first) {
			first = f
		}
		last = l
		for d := f; !d.After(l); d = d.AddDate(0, 0, 1) {
			days[d.Format(dayLayout)] = true
		}
	}
	if len(accts) == 0 {
		return 0, nil
	}
	types := reportTypes(accts...)
	files, err := s.store.ReportFiles(ctx, accts[0].CustomerID, types, first.Format(dayLayout), last.Format(dayLayout))
	if err != nil {
		return len(days), err
	}
	final := map[string]bool{}
	for _, f := range files {
		if f.Final() && !f.Recheck {
			final[f.ReportType+"|"+f.StatDate] = true
		}
	}
	settled := s.today().AddDate(0, 0, -s.cfg.SettleDays).Format(dayLayout)
	work := 0
	for d := range days {
		if d >= settled || !s.dayHeld(types, d, final) {
			work++
		}
	}
	return work, nil
}

// dayHeld says whether final holds (by "type|day") every report of types Naver serves for day:
// the types it no longer serves are never fetched, so they make no work.
func (s *Service) dayHeld(types []string, day string, final map[string]bool) bool {
	d, err := time.Parse(dayLayout, day)
	if err != nil {
		return false
	}
	for _, tp := range types {
		if s.served(tp, d) && !final[tp+"|"+day] {
			return false
		}
	}
	return true
}
