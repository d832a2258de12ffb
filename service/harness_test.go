package service_test

import (
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/naversync/naversync/google/sheetstest"
	"github.com/naversync/naversync/naver/navertest"
	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/service/servicetest"
	"github.com/naversync/naversync/store"
	"github.com/naversync/naversync/store/storetest"
)

// world is everything outside the engine (servicetest.World) plus hooks the tests set while
// they run: a gate before every Sheets request and a hook before every Naver request.
type world struct {
	*servicetest.World
	t      *testing.T
	db     storetest.DB
	naver  *navertest.Server
	sheets *sheetstest.Server

	mu        sync.Mutex
	sheetGate func(r *http.Request)
	naverHook func(r *http.Request)
}

type worldOptions struct {
	buildDelay time.Duration
	latency    time.Duration
	// start is the instant the world's clock starts at; default servicetest.DefaultStart().
	start time.Time
}

func newWorld(t *testing.T, db storetest.DB, o worldOptions) *world {
	t.Helper()
	w := &world{t: t, db: db}
	hooked := func(get func() func(*http.Request)) func(http.Handler) http.Handler {
		return func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
				w.mu.Lock()
				f := get()
				w.mu.Unlock()
				if f != nil {
					f(r)
				}
				h.ServeHTTP(rw, r)
			})
		}
	}
	w.World = servicetest.NewWorld(t, db, servicetest.WorldOptions{
		BuildDelay: o.buildDelay, NaverLatency: o.latency, Start: o.start,
		WrapNaver:  hooked(func() func(*http.Request) { return w.naverHook }),
		WrapSheets: hooked(func() func(*http.Request) { return w.sheetGate }),
	})
	w.naver, w.sheets = w.Naver, w.Sheets
	return w
}

func (w *world) setSheetGate(f func(*http.Request)) { w.mu.Lock(); w.sheetGate = f; w.mu.Unlock() }
func (w *world) setNaverHook(f func(*http.Request)) { w.mu.Lock(); w.naverHook = f; w.mu.Unlock() }

// customer adds a Naver customer to the simulator, with data on every day but noData.
func (w *world) customer(id string, campaigns, adgroups, keywords int, noData ...time.Time) {
	w.Customer(id, campaigns, adgroups, keywords, noData...)
}

type engineOptions struct {
	fetchWorkers, processWorkers int
	leaseTTL                     time.Duration
	replica                      string
	// hostNow is the replica's own clock (default time.Now): skewed, it plays a drifted host.
	hostNow func() time.Time
	window  int
	noStart bool
	// scheduler is the refresh scheduler the engine runs from Start to Stop (nil: none).
	scheduler *service.SchedulerConfig
	// logHook sees every log message of this engine (tests wait on them).
	logHook func(msg string)
	// onLog sees every log record of this engine, debug ones included.
	onLog func(slog.Record)
	// identities are Google identities besides sheetstest.DefaultCaller (servicetest's
	// GoogleIdentities: writers from real keys, tokens from the stand-in).
	identities []string
	// scrubDays is the writer's ScrubDays (0: its default): also how many writes fold their
	// reads before one reads the whole spreadsheet.
	scrubDays int
}

// engine is one replica: its own store connection and service.
type engine struct {
	svc   *service.Service
	store *store.Store
}

func (w *world) engine(o engineOptions) *engine {
	w.t.Helper()
	e := w.Engine(servicetest.EngineOptions{
		Replica: o.replica, FetchWorkers: o.fetchWorkers, ProcessWorkers: o.processWorkers,
		LeaseTTL: o.leaseTTL, ReportWindow: o.window, Now: o.hostNow, NoStart: o.noStart, LogHook: o.logHook, OnLog: o.onLog,
		Scheduler: o.scheduler, GoogleIdentities: o.identities, SheetsScrubDays: o.scrubDays,
	})
	return &engine{svc: e.Service, store: e.Store}
}

// account registers an account of customer on a fresh spreadsheet (tab "data").
func (w *world) account(e *engine, name, customer, sheet, level string) service.Account {
	w.t.Helper()
	return w.Account(&servicetest.Engine{Service: e.svc, Store: e.store}, name, customer, sheet, level)
}

// waitTerminal waits (on the service's change feed, with a deadline) until every sync is terminal.
func waitTerminal(t *testing.T, svc *service.Service, ids ...string) map[string]service.Sync {
	t.Helper()
	return servicetest.WaitTerminal(t, svc, ids...)
}

// leaseIntervals checks, from the simulator's own record, that each request of a customer falls
// inside the lease interval of exactly one sync and that the intervals of one customer never
// overlap. It returns the number of requests checked.
func checkNoOverlap(t *testing.T, reqs []navertest.Request, syncs []service.Sync) int {
	t.Helper()
	type iv struct {
		id         string
		start, end time.Time
	}
	by := map[string][]iv{}
	for _, s := range syncs {
		if s.Timings.LockAcquiredAt == nil || s.Timings.LockReleasedAt == nil {
			continue
		}
		by[s.CustomerID] = append(by[s.CustomerID], iv{s.ID, *s.Timings.LockAcquiredAt, *s.Timings.LockReleasedAt})
	}
	for c, ivs := range by {
		for i := range ivs {
			for j := i + 1; j < len(ivs); j++ {
				a, b := ivs[i], ivs[j]
				if a.start.Before(b.end) && b.start.Before(a.end) {
					t.Errorf("customer %s: leases of %s [%s, %s] and %s [%s, %s] overlap", c, a.id, a.start, a.end, b.id, b.start, b.end)
				}
			}
		}
	}
	n := 0
	for _, r := range reqs {
		ivs, ok := by[r.Customer]
		if !ok {
			continue
		}
		in := 0
		for _, v := range ivs {
			if !r.Start.Before(v.start) && !r.End.After(v.end) {
				in++
			}
		}
		if in != 1 {
			t.Errorf("customer %s: request %s %s at [%s, %s] lies in %d lease intervals, want 1", r.Customer, r.Method, r.Path, r.Start, r.End, in)
		}
		n++
	}
	return n
}
