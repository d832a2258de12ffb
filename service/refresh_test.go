package service_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/service/servicetest"
	"github.com/naversync/naversync/store"
	"github.com/naversync/naversync/store/storetest"
)

// A refresh does not fetch what cannot have changed: after a full backfill, the refresh asks
// Naver only for the settle window and the sheet still holds every day. A manual sync running at
// the same time never fetches at once with the refresh.
func TestRefreshFetchesOnlyTheSettleWindow(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := newWorld(t, db, worldOptions{})
			w.customer("1001", 1, 1, 1)
			e := w.engine(engineOptions{fetchWorkers: 2, processWorkers: 2, leaseTTL: 10 * time.Second})
			a := w.account(e, "A", "1001", "sheet-a", service.LevelCampaign)
			ctx := t.Context()
			backfill, _, err := e.svc.EnqueueSync(ctx, service.SyncRequest{AccountID: a.ID, Full: true, Trigger: service.TriggerBackfill})
			if err != nil {
				t.Fatal(err)
			}
			if got := waitTerminal(t, e.svc, backfill.ID)[backfill.ID]; got.Status != service.StatusSucceeded {
				t.Fatalf("backfill: %s %+v", got.Status, got.Error)
			}
			daysAfterBackfill := distinctDates(w.sheets.Values("sheet-a", "data"))
			if daysAfterBackfill < 300 {
				t.Fatalf("backfill wrote %d days, want most of 365", daysAfterBackfill)
			}
			before := len(w.naver.Requests())
			n, err := e.svc.RunRefreshNow(ctx)
			if err != nil || n != 1 {
				t.Fatalf("refresh queued %d (%v), want 1", n, err)
			}
			manual, _, err := e.svc.EnqueueSync(ctx, service.SyncRequest{AccountID: a.ID, Days: 30, Full: true})
			if err != nil {
				t.Fatal(err)
			}
			list, _, err := e.svc.ListSyncs(ctx, service.SyncFilter{AccountID: a.ID, Statuses: []string{service.StatusQueued, service.StatusFetching, service.StatusProcessing, service.StatusSucceeded}})
			if err != nil {
				t.Fatal(err)
			}
			var refresh service.Sync
			for _, s := range list {
				if s.Trigger == service.TriggerScheduled {
					refresh = s
				}
			}
			got := waitTerminal(t, e.svc, refresh.ID, manual.ID)
			for id, s := range got {
				if s.Status != service.StatusSucceeded {
					t.Fatalf("%s: %s %+v", id, s.Status, s.Error)
				}
			}
			checkNoOverlap(t, w.naver.Requests()[before:], []service.Sync{got[refresh.ID], got[manual.ID]})
			// Which days did the refresh ask for? Those inside its own lease interval.
			r := got[refresh.ID]
			oldest := servicetest.Day(w.Clock.Now(), 7)
			creates := 0
			for _, q := range w.naver.Requests()[before:] {
				if q.Method != "POST" || q.Path != "/stat-reports" || q.Start.Before(*r.Timings.LockAcquiredAt) || q.End.After(*r.Timings.LockReleasedAt) {
					continue
				}
				creates++
				if d := q.StatDate.Format("2006-01-02"); d < oldest {
					t.Errorf("the refresh asked Naver for %s, older than the settle window (from %s)", d, oldest)
				}
			}
			if creates == 0 || creates > 2*7 {
				t.Errorf("the refresh created %d reports, want 1..14 (7 settle days × 2 types)", creates)
			}
			if d := distinctDates(w.sheets.Values("sheet-a", "data")); d != daysAfterBackfill {
				t.Errorf("after the refresh the sheet has %d days, want all %d", d, daysAfterBackfill)
			}
		})
	}
}

// A holder whose lease expired and was taken by another replica notices and stops talking to
// Naver; the sync is finished by the new holder.
func TestLostLeaseStopsTheHolder(t *testing.T) {
	db := storetest.Databases(t)[0]
	w := newWorld(t, db, worldOptions{buildDelay: 20 * time.Millisecond})
	w.customer("1001", 1, 1, 1)
	stopped := make(chan struct{})
	var once sync.Once
	e := w.engine(engineOptions{fetchWorkers: 1, processWorkers: 1, leaseTTL: 3 * time.Second, logHook: func(msg string) {
		if strings.HasPrefix(msg, "claim lost") {
			once.Do(func() { close(stopped) })
		}
	}})
	a := w.account(e, "A", "1001", "sheet-a", service.LevelCampaign)
	ctx := t.Context()
	sy, _, err := e.svc.EnqueueSync(ctx, service.SyncRequest{AccountID: a.ID, Days: 200, Full: true})
	if err != nil {
		t.Fatal(err)
	}
	// Wait until the sync is fetching, then let "another replica", for which the database's
	// time is an hour later, see the lease as expired, rescue the sync and take the customer.
	waitUntil(t, func() bool {
		s, err := e.svc.GetSync(ctx, sy.ID)
		return err == nil && s.Status == service.StatusFetching && s.Progress.ReportsFetched > 0
	})
	later := &store.Clock{}
	later.Advance(w.Clock.Offset() + time.Hour)
	thief := storetest.Open(t, db, store.Options{Clock: later})
	if n, err := thief.Rescue(ctx); err != nil || n != 1 {
		t.Fatalf("rescue: %d %v", n, err)
	}
	stolen, lease, err := thief.ClaimFetch(ctx, "thief/fetch-0", 2*time.Hour)
	if err != nil || stolen == nil || stolen.ID != sy.ID {
		t.Fatalf("thief claim: %v %+v", err, stolen)
	}
	// The first holder notices at its next heartbeat and stops: once it says so, every call it
	// made has ended and Naver sees nothing more from it.
	select {
	case <-stopped:
	case <-time.After(30 * time.Second):
		t.Fatal("the old holder did not notice that its lease was taken")
	}
	seen := len(w.naver.Requests())
	for _, r := range w.naver.Requests() {
		if r.End.IsZero() {
			t.Errorf("request %s %s still open after the old holder stopped", r.Method, r.Path)
		}
	}
	// The thief gives the customer back without finishing; the engine's replica resumes the
	// sync once the thief's lease is gone, from the files already downloaded.
	honest := storetest.Open(t, db, store.Options{Clock: w.Clock})
	released := w.Clock.Now()
	if err := honest.ReleaseLease(ctx, lease.Lease()); err != nil {
		t.Fatal(err)
	}
	if _, err := honest.Rescue(ctx); err != nil {
		t.Fatal(err)
	}
	if got := waitTerminal(t, e.svc, sy.ID)[sy.ID]; got.Status != service.StatusSucceeded {
		t.Fatalf("sync: %s %+v", got.Status, got.Error)
	}
	// Between the stop and the resume (a new claim after the release), nothing came from it.
	for _, r := range w.naver.Requests()[seen:] {
		if r.Start.Before(released) {
			t.Errorf("request %s %s at %s came after the old holder stopped, before the customer was given back (%s)", r.Method, r.Path, r.Start, released)
		}
	}
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatal("condition not reached in 30s")
		case <-tick.C:
		}
	}
}

func distinctDates(rows [][]any) int {
	seen := map[any]bool{}
	for i, r := range rows {
		if i == 0 || len(r) == 0 {
			continue
		}
		seen[r[0]] = true
	}
	return len(seen)
}
