package service_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/service/servicetest"
	"github.com/naversync/naversync/store/storetest"
)

// metricValue reads one series (name and label pairs) from g; ok is false when it is absent.
func metricValue(t *testing.T, g prometheus.Gatherer, name string, labels ...string) (float64, bool) {
	t.Helper()
	families, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	series:
		for _, m := range f.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if have[labels[i]] != labels[i+1] {
					continue series
				}
			}
			switch {
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue(), true
			case m.GetGauge() != nil:
				return m.GetGauge().GetValue(), true
			case m.GetUntyped() != nil:
				return m.GetUntyped().GetValue(), true
			}
		}
	}
	return 0, false
}

// snapshot is one scrape of g, to read several series of the same instant.
func snapshot(t *testing.T, g prometheus.Gatherer) prometheus.Gatherer {
	t.Helper()
	families, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	return prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) { return families, nil })
}

func mustMetric(t *testing.T, g prometheus.Gatherer, name string, labels ...string) float64 {
	t.Helper()
	v, ok := metricValue(t, g, name, labels...)
	if !ok {
		t.Fatalf("no series %s%v", name, labels)
	}
	return v
}

// The metrics the alert rules read (deploy/prometheus/alerts.yml) tell the truth: the data age
// of an account that never synced grows with the clock and falls once a sync succeeds; the
// processing pool's busy workers show while a write is under way; Google's quota answers are
// counted, retried ones included. (Before: none of these series existed.)
func TestOpsMetricsFreshnessPoolAndQuota(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := newWorld(t, db, worldOptions{})
			w.customer("7007", 1, 2, 2)
			e := w.Engine(servicetest.EngineOptions{FetchWorkers: 1, ProcessWorkers: 1})
			a := w.Account(e, "Ops", "7007", "sheet-ops", service.LevelCampaign)
			w.Clock.Advance(30 * time.Hour)
			// A new engine reads the age afresh (an engine caches it for 30 s).
			stale := w.Engine(servicetest.EngineOptions{NoStart: true})
			if age := mustMetric(t, stale.Service.Gatherer(), "naversync_data_age_seconds"); age < (30 * time.Hour).Seconds() {
				t.Errorf("data age of an account created 30 h ago and never synced: %.0f s", age)
			}
			if v := mustMetric(t, e.Service.Gatherer(), "naversync_workers", "pool", "process"); v != 1 {
				t.Errorf("process pool size %v, want 1", v)
			}

			entered, release := make(chan struct{}), make(chan struct{})
			var once sync.Once
			w.setSheetGate(func(*http.Request) {
				once.Do(func() {
					close(entered)
					<-release
					w.sheets.InjectErrors(http.StatusTooManyRequests, "RESOURCE_EXHAUSTED", 3)
				})
			})
			sy := enqueueEngine(t, e, a.ID, service.SyncRequest{Days: 3})
			<-entered // the processing worker is writing the sheet
			busy := mustMetric(t, e.Service.Gatherer(), "naversync_workers_busy", "pool", "process")
			close(release)
			if busy != 1 {
				t.Errorf("busy process workers during a write: %v, want 1", busy)
			}
			if got := waitTerminal(t, e.Service, sy.ID)[sy.ID]; got.Status != service.StatusSucceeded {
				t.Fatalf("sync %s: %+v", got.Status, got.Error)
			}
			if v := mustMetric(t, e.Service.Gatherer(), "naversync_sheet_quota_answers_total"); v != 3 {
				t.Errorf("quota answers counted: %v, want 3", v)
			}
			if v := mustMetric(t, e.Service.Gatherer(), "naversync_workers_busy", "pool", "process"); v != 0 {
				t.Errorf("busy process workers after the sync: %v", v)
			}
			fresh := w.Engine(servicetest.EngineOptions{NoStart: true})
			if age := mustMetric(t, fresh.Service.Gatherer(), "naversync_data_age_seconds"); age > time.Hour.Seconds() {
				t.Errorf("data age right after a successful sync: %.0f s", age)
			}
		})
	}
}

// A fetch worker that dies holding its customer's lease: the replica that rescues the sync
// counts a lease expired without release (naversync_leases_expired_total), and the sync resumes.
func TestOpsMetricsLeaseExpired(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := newWorld(t, db, worldOptions{})
			w.customer("7008", 1, 1, 1)
			e := w.Engine(servicetest.EngineOptions{FetchWorkers: 1, ProcessWorkers: 1, NoStart: true, LeaseTTL: 5 * time.Second})
			a := w.Account(e, "Dies", "7008", "sheet-dies", service.LevelCampaign)
			sy := enqueueEngine(t, e, a.ID, service.SyncRequest{Days: 2})
			// The worker of a replica that then dies: it claims the sync and is never heard of again.
			got, _, err := e.Store.ClaimFetch(t.Context(), "dead/fetch-0", 5*time.Second)
			if err != nil || got == nil || got.ID != sy.ID {
				t.Fatalf("claim: %+v %v", got, err)
			}
			if v := mustMetric(t, e.Service.Gatherer(), "naversync_leases_expired_total"); v != 0 {
				t.Fatalf("expired leases before any: %v", v)
			}
			w.Clock.Advance(6 * time.Second)
			e.Start(t) // rescues at start
			if v := mustMetric(t, e.Service.Gatherer(), "naversync_leases_expired_total"); v != 1 {
				t.Errorf("expired leases counted: %v, want 1", v)
			}
			if got := waitTerminal(t, e.Service, sy.ID)[sy.ID]; got.Status != service.StatusSucceeded {
				t.Fatalf("rescued sync %s: %+v", got.Status, got.Error)
			}
		})
	}
}

// A sync waiting for room among its customer's Naver jobs shows in
// naversync_naver_job_room_waiting, and how long it has waited in
// naversync_naver_job_room_wait_seconds (the alert NaversyncWaitingForNaverJobRoom).
func TestOpsMetricsJobRoomWait(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := newWorld(t, db, worldOptions{buildDelay: 2 * time.Millisecond})
			w.customer("7009", 1, 1, 1)
			w.naver.AddForeignJobs("7009", 95)
			var waits waitCounter
			e := w.Engine(servicetest.EngineOptions{FetchWorkers: 1, ProcessWorkers: 1, ReportWindow: 2,
				NaverJobsRetry: 300 * time.Millisecond, NaverJobsMaxWait: time.Hour, LogHook: waits.hook})
			if v := mustMetric(t, e.Service.Gatherer(), "naversync_naver_job_room_waiting"); v != 0 {
				t.Fatalf("syncs waiting before any: %v", v)
			}
			sy := enqueueEngine(t, e, w.Account(e, "Crowded", "7009", "sheet-crowded", service.LevelCampaign).ID, service.SyncRequest{Days: 5})
			waitUntil(t, func() bool {
				s, err := e.Service.GetSync(t.Context(), sy.ID)
				return waits.n.Load() >= 1 && err == nil && s.Status == service.StatusQueued && s.Phase == service.PhaseWaitingNaverJobs
			})
			w.Clock.Advance(25 * time.Minute)
			// The waiting sync is claimed every NaverJobsRetry to look for room again: read the
			// gauges while it waits in the queue.
			var n, waited float64
			waitUntil(t, func() bool {
				once := snapshot(t, e.Service.Gatherer()) // both gauges from one scrape
				n = mustMetric(t, once, "naversync_naver_job_room_waiting")
				waited = mustMetric(t, once, "naversync_naver_job_room_wait_seconds")
				return n > 0
			})
			if n != 1 || waited < (25*time.Minute).Seconds() {
				t.Errorf("syncs waiting for room: %v, the longest for %.0f s; want 1, at least 25 minutes", n, waited)
			}
			w.naver.DeleteForeignJobs("7009", 95)
			if got := waitTerminal(t, e.Service, sy.ID)[sy.ID]; got.Status != service.StatusSucceeded {
				t.Fatalf("after room was freed: %s %+v", got.Status, got.Error)
			}
			if v := mustMetric(t, e.Service.Gatherer(), "naversync_naver_job_room_wait_seconds"); v != 0 {
				t.Errorf("longest wait with none waiting: %v", v)
			}
		})
	}
}
