// Package servicetest builds a real naversync engine for tests, as River's rivertest does for
// River: a database from storetest, the Naver simulator and the Sheets stand-in on httptest
// servers, a file store in a temporary directory, and service.New with test-friendly timings.
// Nothing is mocked: tests of the engine, the API and the console all run against these parts.
package servicetest

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob" // the file store of tests

	"github.com/naversync/naversync/google"
	"github.com/naversync/naversync/google/sheetstest"
	"github.com/naversync/naversync/naver"
	"github.com/naversync/naversync/naver/navertest"
	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/store"
	"github.com/naversync/naversync/store/storetest"
)

// WorldOptions shape the parts outside the engine.
type WorldOptions struct {
	// BuildDelay is how long the Naver simulator takes to build a report; zero answers creates
	// BUILT at once.
	BuildDelay time.Duration
	// NaverLatency is added to every simulated Naver call.
	NaverLatency time.Duration
	// Now is the simulator's clock; default time.Now.
	Now func() time.Time
	// WrapNaver and WrapSheets wrap the simulators' handlers (gates, hooks, latency).
	WrapNaver, WrapSheets func(http.Handler) http.Handler
}

// World is everything outside the engine. Several engines (replicas) may share one world.
type World struct {
	T         testing.TB
	DB        storetest.DB
	Naver     *navertest.Server
	NaverURL  string
	Sheets    *sheetstest.Server
	SheetsURL string
	// FilesDir is the file store every engine of the world shares (as replicas share a bucket).
	FilesDir string
	// Secret is the AES key of every engine of the world.
	Secret []byte
}

// NewWorld starts the simulators for db; they stop when the test ends.
func NewWorld(t testing.TB, db storetest.DB, o WorldOptions) *World {
	t.Helper()
	w := &World{T: t, DB: db, FilesDir: filepath.Join(t.TempDir(), "files"), Secret: make([]byte, 32)}
	if _, err := rand.Read(w.Secret); err != nil {
		t.Fatal(err)
	}
	w.Naver = navertest.New(navertest.Options{BuildDelay: o.BuildDelay, InstantBuild: o.BuildDelay == 0, Latency: o.NaverLatency, Now: o.Now})
	w.Sheets = sheetstest.NewServer(sheetstest.Options{})
	serve := func(h http.Handler, wrap func(http.Handler) http.Handler) string {
		if wrap != nil {
			h = wrap(h)
		}
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return srv.URL
	}
	w.NaverURL = serve(w.Naver, o.WrapNaver)
	w.SheetsURL = serve(w.Sheets, o.WrapSheets)
	return w
}

// Customer adds a Naver customer to the simulator, with API key "key-<id>" and secret key
// "secret-<id>".
func (w *World) Customer(id string, campaigns, adgroups, keywords int) {
	w.Naver.AddCustomer(navertest.Customer{ID: id, APIKey: "key-" + id, SecretKey: "secret-" + id,
		Campaigns: campaigns, AdgroupsPerCampaign: adgroups, KeywordsPerAdgroup: keywords, Seed: int64(len(id)) + int64(id[0])})
}

// EngineOptions shape one engine; zero values are test-friendly defaults.
type EngineOptions struct {
	Replica                      string
	FetchWorkers, ProcessWorkers int           // default 2 and 1
	LeaseTTL                     time.Duration // default 10s
	PollInterval                 time.Duration // default 200ms
	ReportWindow                 int
	MaxAttempts                  int
	// HTTPTimeout bounds each Naver call; default 10s.
	HTTPTimeout time.Duration
	// DataDir holds temporary downloads; default a new temporary directory.
	DataDir string
	// Now is the engine's, the store's and the Naver client's clock; default time.Now.
	Now func() time.Time
	// NoStart leaves the workers stopped; the caller starts them.
	NoStart bool
	// Log receives the engine's logs; default the test log. LogLevel defaults to info.
	Log      io.Writer
	LogLevel slog.Level
	// LogHook sees the message of every log record (tests wait on them).
	LogHook func(msg string)
}

// Engine is one replica: its own store connection and service.
type Engine struct {
	Service *service.Service
	Store   *store.Store
}

// Engine builds (and unless NoStart, starts) an engine on the world; it stops when the test ends.
func (w *World) Engine(o EngineOptions) *Engine {
	t := w.T
	t.Helper()
	if o.FetchWorkers == 0 {
		o.FetchWorkers = 2
	}
	if o.ProcessWorkers == 0 {
		o.ProcessWorkers = 1
	}
	if o.LeaseTTL == 0 {
		o.LeaseTTL = 10 * time.Second
	}
	if o.PollInterval == 0 {
		o.PollInterval = 200 * time.Millisecond
	}
	if o.HTTPTimeout == 0 {
		o.HTTPTimeout = 10 * time.Second
	}
	if o.DataDir == "" {
		o.DataDir = t.TempDir()
	}
	if o.Log == nil {
		o.Log = Writer(t)
	}
	var h slog.Handler = slog.NewTextHandler(o.Log, &slog.HandlerOptions{Level: o.LogLevel})
	if o.LogHook != nil {
		h = hookHandler{Handler: h, hook: o.LogHook}
	}
	log := slog.New(h)
	st := storetest.Open(t, w.DB, store.Options{Logger: log, Now: o.Now})
	u := url.URL{Scheme: "file", Path: w.FilesDir, RawQuery: "create_dir=1&metadata=skip&no_tmp_dir=1"}
	files, err := blob.OpenBucket(context.Background(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = files.Close() })
	nv, err := naver.NewClient(naver.Options{
		BaseURL: w.NaverURL, Logger: log, HTTPClient: &http.Client{Timeout: o.HTTPTimeout}, Now: o.Now,
		RatePerSecond: 1000, Burst: 1000, PollMin: 5 * time.Millisecond, PollMax: 50 * time.Millisecond,
		RetryMin: 5 * time.Millisecond, RetryMax: 100 * time.Millisecond, RateLimitPause: 200 * time.Millisecond,
		RateMemory: st,
	})
	if err != nil {
		t.Fatal(err)
	}
	gw, err := google.NewWriter(context.Background(), google.Config{Endpoint: w.SheetsURL, Logger: log, WritesPerMinute: 100000, BackoffBase: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := service.New(service.Config{
		ReplicaID: o.Replica, FetchWorkers: o.FetchWorkers, ProcessWorkers: o.ProcessWorkers,
		LeaseTTL: o.LeaseTTL, PollInterval: o.PollInterval, ReportWindow: o.ReportWindow, MaxAttempts: o.MaxAttempts,
		SecretKey: w.Secret, DataDir: o.DataDir, Files: files, Logger: log, Now: o.Now,
		RetryBase: 10 * time.Millisecond,
	}, st, nv, gw)
	if err != nil {
		t.Fatal(err)
	}
	e := &Engine{Service: svc, Store: st}
	if !o.NoStart {
		e.Start(t)
	}
	return e
}

// Start starts the engine's workers and stops them when the test ends.
func (e *Engine) Start(t testing.TB) {
	t.Helper()
	if err := e.Service.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := e.Service.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
}

// Account registers, through the engine, an account of customer on a new spreadsheet shared
// with the writer, writing to tab "data".
func (w *World) Account(e *Engine, name, customer, sheet, level string) service.Account {
	w.T.Helper()
	w.Sheets.CreateSpreadsheet(sheet, sheetstest.DefaultCaller)
	a, err := e.Service.CreateAccount(context.Background(), service.AccountInput{Name: name, CustomerID: customer,
		APIKey: "key-" + customer, SecretKey: "secret-" + customer, SpreadsheetID: sheet, SheetTab: "data", Level: level})
	if err != nil {
		w.T.Fatalf("create account: %v", err)
	}
	return a
}

// WaitTerminal follows each sync (on the service's change feed, at most 90 s) until it is
// terminal and returns the last state of each.
func WaitTerminal(t testing.TB, svc *service.Service, ids ...string) map[string]service.Sync {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	out := map[string]service.Sync{}
	for _, id := range ids {
		if err := svc.Follow(ctx, id, func(s service.Sync) error { out[id] = s; return nil }); err != nil {
			t.Fatalf("sync %s did not finish: %v (last: %+v)", id, err, out[id])
		}
	}
	return out
}

// Writer is an io.Writer onto the test log.
func Writer(t testing.TB) io.Writer { return testWriter{t} }

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(string(p))
	return len(p), nil
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
