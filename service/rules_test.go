package service_test

import (
	"errors"
	"testing"
	"time"

	"github.com/naversync/naversync/naver/navertest"
	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/service/servicetest"
	"github.com/naversync/naversync/store"
	"github.com/naversync/naversync/store/storetest"
)

// Naver keeps 100 report jobs per customer id, counting other tools' jobs, and silently deletes
// the oldest on the 101st create. A full 365-day sync of AD + AD_CONVERSION must succeed while
// another tool holds 60 jobs, never keep more than its window outstanding, and delete every job
// it made.
func TestJobCapWindowWithForeignJobs(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := newWorld(t, db, worldOptions{buildDelay: 2 * time.Millisecond})
			w.customer("1001", 1, 2, 2)
			w.naver.AddForeignJobs("1001", 60)
			e := w.engine(engineOptions{fetchWorkers: 1, processWorkers: 1, leaseTTL: 10 * time.Second, window: 20})
			a := w.account(e, "A", "1001", "sheet-a", service.LevelCampaign)
			sy, _, err := e.svc.EnqueueSync(t.Context(), service.SyncRequest{AccountID: a.ID})
			if err != nil {
				t.Fatal(err)
			}
			if sy.From != servicetest.Day(w.Clock.Now(), 365) {
				t.Errorf("default range starts %s, want the whole served window (365 days)", sy.From)
			}
			got := waitTerminal(t, e.svc, sy.ID)[sy.ID]
			if got.Status != service.StatusSucceeded {
				t.Fatalf("sync: %s %+v", got.Status, got.Error)
			}
			if got.Progress.ReportsTotal != 2*365 || got.Progress.ReportsFetched != 2*365 {
				t.Errorf("progress %+v, want 730 of 730", got.Progress)
			}
			if max := w.naver.MaxOutstanding("1001"); max > 20 || max == 0 {
				t.Errorf("at most %d of our jobs were outstanding, want 1..20 (the window)", max)
			}
			if n := w.naver.OutstandingJobs("1001"); n != 0 {
				t.Errorf("%d of our jobs were left at Naver, want every job deleted", n)
			}
			creates, deletes := 0, 0
			for _, r := range w.naver.Requests() {
				if r.Customer != "1001" || r.Path == "" {
					continue
				}
				switch {
				case r.Method == "POST" && r.Path == "/stat-reports":
					creates++
				case r.Method == "DELETE" && len(r.Path) > len("/stat-reports/") && r.Path[:len("/stat-reports/")] == "/stat-reports/":
					deletes++
				case r.Method == "DELETE" && (r.Path == "/stat-reports" || r.Path == "/master-reports"):
					t.Errorf("called the delete-all endpoint %s", r.Path)
				}
			}
			if creates != 730 || deletes != creates {
				t.Errorf("%d creates and %d deletes, want 730 of each", creates, deletes)
			}
		})
	}
}

// Yesterday may not be ready (20007: Naver has not aggregated it; before its morning hour
// always) and NONE for a recent day may be premature: such days are recorded as pending, not as
// "no data", and the next refresh fetches them again. Run at every calendar edge.
func TestNotReadyDaysArePendingAndRefetched(t *testing.T) {
	servicetest.EachInstant(t, func(t *testing.T, at time.Time) {
		db := storetest.Databases(t)[0]
		w := newWorld(t, db, worldOptions{start: at})
		w.customer("1001", 1, 1, 2)
		e := w.engine(engineOptions{fetchWorkers: 1, processWorkers: 1, leaseTTL: 10 * time.Second})
		a := w.account(e, "A", "1001", "sheet-a", service.LevelCampaign)
		w.naver.SetFault(navertest.Fault{Customer: "1001", Kind: navertest.NotReady20007, Count: 1000})
		w.naver.SetFault(navertest.Fault{Customer: "1001", Kind: navertest.PrematureNone, Count: 1000})
		first, _, err := e.svc.EnqueueSync(t.Context(), service.SyncRequest{AccountID: a.ID, Days: 10})
		if err != nil {
			t.Fatal(err)
		}
		if got := waitTerminal(t, e.svc, first.ID)[first.ID]; got.Status != service.StatusSucceeded {
			t.Fatalf("first sync: %s %+v", got.Status, got.Error)
		}
		yesterday := servicetest.Day(w.Clock.Now(), 1)
		files, err := e.store.ReportFiles(t.Context(), "1001", []string{"AD"}, yesterday, yesterday)
		if err != nil || len(files) != 1 || files[0].State != store.FilePending {
			t.Fatalf("yesterday's AD file: %+v %v, want one pending", files, err)
		}
		w.naver.ClearFaults()
		if k := w.Clock.Now().In(seoul(t)); k.Hour() < 4 {
			// Before Naver's morning hour yesterday is never ready: the refresh that gets it
			// runs after that hour, on the same day.
			advanceTo(w, time.Date(k.Year(), k.Month(), k.Day(), 4, 30, 0, 0, k.Location()))
		}
		before := len(w.naver.Requests())
		// The refresh (not a full sync) fetches only the settle window plus what is pending.
		second, _, err := e.svc.EnqueueSync(t.Context(), service.SyncRequest{AccountID: a.ID, Days: 10, Trigger: service.TriggerScheduled})
		if err != nil {
			t.Fatal(err)
		}
		if got := waitTerminal(t, e.svc, second.ID)[second.ID]; got.Status != service.StatusSucceeded {
			t.Fatalf("refresh: %s %+v", got.Status, got.Error)
		}
		files, err = e.store.ReportFiles(t.Context(), "1001", []string{"AD"}, yesterday, yesterday)
		if err != nil || len(files) != 1 || files[0].State != store.FileBuilt {
			t.Fatalf("yesterday's (%s) AD file after the refresh: %+v %v, want built", yesterday, files, err)
		}
		fetchedYesterday := false
		for _, r := range w.naver.Requests()[before:] {
			if r.ReportType == "AD" && r.StatDate.Format("2006-01-02") == yesterday && r.Method == "POST" {
				fetchedYesterday = true
			}
		}
		if !fetchedYesterday {
			t.Error("the refresh did not ask Naver for yesterday again")
		}
	})
}

// Ranges Naver does not serve are refused with a message that names the window; nothing is
// queued. The window's first day and yesterday are accepted. Run at every calendar edge.
func TestRangeValidation(t *testing.T) {
	servicetest.EachInstant(t, func(t *testing.T, at time.Time) {
		db := storetest.Databases(t)[0]
		w := newWorld(t, db, worldOptions{start: at})
		w.customer("1001", 1, 1, 1)
		e := w.engine(engineOptions{fetchWorkers: 1, processWorkers: 1, leaseTTL: 10 * time.Second, noStart: true})
		a := w.account(e, "A", "1001", "sheet-a", service.LevelCampaign)
		day := func(n int) string { return servicetest.Day(w.Clock.Now(), -n) }
		cases := []struct {
			name string
			req  service.SyncRequest
			want string
		}{
			{"too old", service.SyncRequest{From: day(-366), To: day(-1)}, "from"},
			{"today", service.SyncRequest{From: day(-3), To: day(0)}, "to"},
			{"future", service.SyncRequest{From: day(1), To: day(2)}, "to"},
			{"reversed", service.SyncRequest{From: day(-2), To: day(-5)}, "to"},
			{"days too many", service.SyncRequest{Days: 366}, "days"},
			{"both", service.SyncRequest{Days: 3, From: day(-3), To: day(-1)}, "days"},
			{"bad date", service.SyncRequest{From: "2026-13-01", To: day(-1)}, "from"},
			{"only from", service.SyncRequest{From: day(-3)}, "to"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				c.req.AccountID = a.ID
				_, _, err := e.svc.EnqueueSync(t.Context(), c.req)
				var verr *service.ValidationError
				if !errors.As(err, &verr) || len(verr.Fields) == 0 || verr.Fields[0].Field != c.want {
					t.Fatalf("err = %v, want a validation error on %q", err, c.want)
				}
			})
		}
		list, _, err := e.svc.ListSyncs(t.Context(), service.SyncFilter{})
		if err != nil || len(list) != 0 {
			t.Fatalf("%d syncs queued by refused requests (%v)", len(list), err)
		}
		// The whole window, from its first day to yesterday, given three ways.
		for _, req := range []service.SyncRequest{{From: day(-365), To: day(-1)}, {Days: 365}, {}} {
			req.AccountID = a.ID
			s, _, err := e.svc.EnqueueSync(t.Context(), req)
			if err != nil {
				t.Fatalf("%+v: %v", req, err)
			}
			if s.From != day(-365) || s.To != day(-1) {
				t.Errorf("%+v: range %s..%s, want %s..%s", req, s.From, s.To, day(-365), day(-1))
			}
		}
	})
}

func seoul(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
