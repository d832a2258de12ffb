package service_test

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob"

	"github.com/naversync/naversync/google"
	"github.com/naversync/naversync/google/sheetstest"
	"github.com/naversync/naversync/naver"
	"github.com/naversync/naversync/naver/navertest"
	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/store"
	"github.com/naversync/naversync/store/storetest"
)

// world is everything outside the engine: the database, the Naver simulator, the Sheets
// stand-in and the file store. Several engines (replicas) may share one world.
type world struct {
	t        *testing.T
	db       storetest.DB
	naver    *navertest.Server
	naverSrv *httptest.Server
	sheets   *sheetstest.Server
	sheetSrv *httptest.Server
	filesDir string
	secret   []byte
	// sheetGate, when set, runs before every Sheets request (tests block writes with it).
	sheetGate func(r *http.Request)
	// naverHook, when set, runs before every Naver request.
	naverHook func(r *http.Request)
	mu        sync.Mutex
}

type worldOptions struct {
	buildDelay time.Duration
	latency    time.Duration
	now        func() time.Time
}

func newWorld(t *testing.T, db storetest.DB, o worldOptions) *world {
	t.Helper()
	w := &world{t: t, db: db, filesDir: filepath.Join(t.TempDir(), "files")}
	w.secret = make([]byte, 32)
	_, _ = rand.Read(w.secret)
	w.naver = navertest.New(navertest.Options{BuildDelay: o.buildDelay, InstantBuild: o.buildDelay == 0, Latency: o.latency, Now: o.now})
	w.naverSrv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.mu.Lock()
		hook := w.naverHook
		w.mu.Unlock()
		if hook != nil {
			hook(r)
		}
		w.naver.ServeHTTP(rw, r)
	}))
	t.Cleanup(w.naverSrv.Close)
	w.sheets = sheetstest.NewServer(sheetstest.Options{})
	w.sheetSrv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.mu.Lock()
		gate := w.sheetGate
		w.mu.Unlock()
		if gate != nil {
			gate(r)
		}
		w.sheets.ServeHTTP(rw, r)
	}))
	t.Cleanup(w.sheetSrv.Close)
	return w
}

func (w *world) setSheetGate(f func(*http.Request)) { w.mu.Lock(); w.sheetGate = f; w.mu.Unlock() }
func (w *world) setNaverHook(f func(*http.Request)) { w.mu.Lock(); w.naverHook = f; w.mu.Unlock() }

// customer adds a Naver customer to the simulator.
func (w *world) customer(id string, campaigns, adgroups, keywords int) {
	w.naver.AddCustomer(navertest.Customer{ID: id, APIKey: "key-" + id, SecretKey: "secret-" + id,
		Campaigns: campaigns, AdgroupsPerCampaign: adgroups, KeywordsPerAdgroup: keywords, Seed: int64(len(id)) + int64(id[0])})
}

type engineOptions struct {
	fetchWorkers, processWorkers int
	leaseTTL                     time.Duration
	replica                      string
	now                          func() time.Time
	window                       int
	noStart                      bool
	// logHook sees every log message of this engine (tests wait on them).
	logHook func(msg string)
}

// engine is one replica: its own store connection and service.
type engine struct {
	svc   *service.Service
	store *store.Store
}

func (w *world) engine(o engineOptions) *engine {
	t := w.t
	t.Helper()
	var h slog.Handler = slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo})
	if o.logHook != nil {
		h = hookHandler{Handler: h, hook: o.logHook}
	}
	log := slog.New(h)
	st := storetest.Open(t, w.db, store.Options{Logger: log, Now: o.now})
	u := url.URL{Scheme: "file", Path: w.filesDir, RawQuery: "create_dir=1&metadata=skip&no_tmp_dir=1"}
	files, err := blob.OpenBucket(t.Context(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = files.Close() })
	nv, err := naver.NewClient(naver.Options{BaseURL: w.naverSrv.URL, Logger: log, RatePerSecond: 1000, Burst: 1000, PollMin: 5 * time.Millisecond, PollMax: 50 * time.Millisecond, Now: o.now})
	if err != nil {
		t.Fatal(err)
	}
	gw, err := google.NewWriter(t.Context(), google.Config{Endpoint: w.sheetSrv.URL, Logger: log, WritesPerMinute: 100000, BackoffBase: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := service.New(service.Config{
		ReplicaID: o.replica, FetchWorkers: o.fetchWorkers, ProcessWorkers: o.processWorkers,
		LeaseTTL: o.leaseTTL, PollInterval: 200 * time.Millisecond, ReportWindow: o.window,
		SecretKey: w.secret, DataDir: t.TempDir(), Files: files, Logger: log, Now: o.now,
		RetryBase: 10 * time.Millisecond,
	}, st, nv, gw)
	if err != nil {
		t.Fatal(err)
	}
	if !o.noStart {
		if err := svc.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if err := svc.Stop(ctx); err != nil {
				t.Errorf("stop: %v", err)
			}
		})
	}
	return &engine{svc: svc, store: st}
}

// account registers an account of customer on a fresh spreadsheet.
func (w *world) account(e *engine, name, customer, sheet, level string) service.Account {
	w.t.Helper()
	w.sheets.CreateSpreadsheet(sheet, sheetstest.DefaultCaller)
	a, err := e.svc.CreateAccount(w.t.Context(), service.AccountInput{Name: name, CustomerID: customer,
		APIKey: "key-" + customer, SecretKey: "secret-" + customer, SpreadsheetID: sheet, SheetTab: "data", Level: level})
	if err != nil {
		w.t.Fatalf("create account: %v", err)
	}
	return a
}

// waitTerminal waits (on the service's change feed, with a deadline) until every sync is terminal.
func waitTerminal(t *testing.T, svc *service.Service, ids ...string) map[string]service.Sync {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	out := map[string]service.Sync{}
	for _, id := range ids {
		err := svc.Follow(ctx, id, func(s service.Sync) error { out[id] = s; return nil })
		if err != nil {
			t.Fatalf("sync %s did not finish: %v (last: %+v)", id, err, out[id])
		}
	}
	return out
}

// hookHandler passes every record's message to hook, then on.
type hookHandler struct {
	slog.Handler
	hook func(string)
}

func (h hookHandler) Handle(ctx context.Context, r slog.Record) error {
	h.hook(r.Message)
	return h.Handler.Handle(ctx, r)
}

func (h hookHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return hookHandler{Handler: h.Handler.WithAttrs(as), hook: h.hook}
}

func (h hookHandler) WithGroup(name string) slog.Handler {
	return hookHandler{Handler: h.Handler.WithGroup(name), hook: h.hook}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(string(p))
	return len(p), nil
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
