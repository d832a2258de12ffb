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
	"os"
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
	// Start is the instant the world's clock starts at; from there it runs on in real time.
	// Default DefaultStart(). Tests of date edges pick theirs from Instants.
	Start time.Time
	// BuildDelay is how long the Naver simulator takes to build a report; zero answers creates
	// BUILT at once.
	BuildDelay time.Duration
	// NaverLatency is added to every simulated Naver call.
	NaverLatency time.Duration
	// ReadyAfter is how long after midnight in Seoul the simulator makes yesterday ready;
	// default 4h (Naver's usual 3–4 hours). Negative: ready at midnight.
	ReadyAfter time.Duration
	// WrapNaver and WrapSheets wrap the simulators' handlers (gates, hooks, latency).
	WrapNaver, WrapSheets func(http.Handler) http.Handler
}

// World is everything outside the engine. Several engines (replicas) may share one world.
type World struct {
	T  testing.TB
	DB storetest.DB
	// Clock is the world's time: the simulators read it, and every engine's store adds its
	// offset to the database's clock. Advance moves all of them at once.
	Clock     *store.Clock
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
	if o.Start.IsZero() {
		o.Start = DefaultStart()
	}
	switch {
	case o.ReadyAfter == 0:
		o.ReadyAfter = 4 * time.Hour
	case o.ReadyAfter < 0:
		o.ReadyAfter = 0
	}
	w := &World{T: t, DB: db, Clock: store.NewClock(o.Start), FilesDir: filepath.Join(t.TempDir(), "files"), Secret: make([]byte, 32)}
	if _, err := rand.Read(w.Secret); err != nil {
		t.Fatal(err)
	}
	w.Naver = navertest.New(navertest.Options{BuildDelay: o.BuildDelay, InstantBuild: o.BuildDelay == 0, Latency: o.NaverLatency,
		Now: w.Clock.Now, ReadyAfter: o.ReadyAfter})
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
// "secret-<id>", with data on every day except noData (so that no outcome depends on the date).
func (w *World) Customer(id string, campaigns, adgroups, keywords int, noData ...time.Time) {
	w.Naver.AddCustomer(navertest.Customer{ID: id, APIKey: "key-" + id, SecretKey: "secret-" + id,
		Campaigns: campaigns, AdgroupsPerCampaign: adgroups, KeywordsPerAdgroup: keywords, Seed: int64(len(id)) + int64(id[0]),
		Data: navertest.ExceptDays(noData...)})
}

// EngineOptions shape one engine; zero values are test-friendly defaults.
type EngineOptions struct {
	Replica                      string
	FetchWorkers, ProcessWorkers int           // default 2 and 1; below 0, the service's default
	LeaseTTL                     time.Duration // default 10s
	PollInterval                 time.Duration // default 200ms
	ReportWindow                 int
	MaxAttempts                  int
	// HTTPTimeout bounds each Naver call; default 10s.
	HTTPTimeout time.Duration
	// DatabaseURL is where this engine's store connects; default the world's database (a
	// test may put a proxy in between to cut the connection).
	DatabaseURL string
	// RateLimitPause is how long a customer's Naver calls are held after a burst of 429s;
	// default 200ms.
	RateLimitPause time.Duration
	// NaverJobsRetry and NaverJobsMaxWait: see service.Config; defaults 200ms and 1h.
	NaverJobsRetry, NaverJobsMaxWait time.Duration
	// DataDir holds temporary downloads; default a new temporary directory.
	DataDir string
	// Now is this replica's own host clock; default time.Now. The engine reads the time from its
	// store (the database's clock plus the world's offset), so a skewed Now plays a replica whose
	// clock drifted.
	Now func() time.Time
	// WrapFiles wraps the engine's file store (the world's shared directory), e.g. to count
	// its calls.
	WrapFiles func(*blob.Bucket) *blob.Bucket
	// Scheduler is the refresh scheduler the engine runs from Start to Stop; nil runs none.
	Scheduler *service.SchedulerConfig
	// MaintenanceInterval and FileRetention: see service.Config; default the service's.
	MaintenanceInterval, FileRetention time.Duration
	// AuditRetention: see service.Config; default 0 (the whole audit log is kept).
	AuditRetention time.Duration
	// Notify tunes the notifications (service.Config.Notify); default the service's.
	Notify service.NotifyConfig
	// NoStart leaves the workers stopped; the caller starts them.
	NoStart bool
	// SecretKey replaces the world's key (World.Secret) for this engine, and OldSecretKeys
	// still decrypt (service.Config's): a key rotation's engines.
	SecretKey     []byte
	OldSecretKeys [][]byte
	// SheetsMaxRequestBytes caps the Sheets writer's requests (google.Config.MaxRequestBytes):
	// small, a write goes through a staging tab. Default the writer's.
	SheetsMaxRequestBytes int
	// SheetsScrubDays is the writer's google.Config.ScrubDays: 1 reads back every value of the
	// days a write keeps at every write, so a figure a person typed over is found by the next
	// sync. Default the writer's (DefaultScrubDays).
	SheetsScrubDays int
	// GoogleIdentities are Google identities (service-account e-mails) besides the default,
	// sheetstest.DefaultCaller: each gets a writer built from a real service-account key whose
	// token_uri is the stand-in's /token, so its requests are that caller's.
	GoogleIdentities []string
	// Log receives the engine's logs; default the test log. LogLevel defaults to info.
	Log      io.Writer
	LogLevel slog.Level
	// LogHook sees the message of every log record (tests wait on them).
	LogHook func(msg string)
	// OnLog sees every log record, debug ones included, with its attributes (tests that
	// follow what the engine does).
	OnLog func(r slog.Record)
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
	if o.LogHook != nil || o.OnLog != nil {
		hook := o.OnLog
		if hook == nil {
			hook = func(slog.Record) {}
		}
		if mh := o.LogHook; mh != nil {
			next := hook
			hook = func(r slog.Record) { mh(r.Message); next(r) }
		}
		h = hookHandler{Handler: h, hook: hook}
	}
	log := slog.New(h)
	db := w.DB
	if o.DatabaseURL != "" {
		db.URL = o.DatabaseURL
	}
	if o.RateLimitPause == 0 {
		o.RateLimitPause = 200 * time.Millisecond
	}
	if o.NaverJobsRetry == 0 {
		o.NaverJobsRetry = 200 * time.Millisecond
	}
	st := storetest.Open(t, db, store.Options{Logger: log, Now: o.Now, Clock: w.Clock})
	u := url.URL{Scheme: "file", Path: w.FilesDir, RawQuery: "create_dir=1&metadata=skip&no_tmp_dir=1"}
	files, err := blob.OpenBucket(context.Background(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = files.Close() })
	if o.WrapFiles != nil {
		files = o.WrapFiles(files)
	}
	nv, err := naver.NewClient(naver.Options{
		BaseURL: w.NaverURL, Logger: log, HTTPClient: &http.Client{Timeout: o.HTTPTimeout}, Now: st.Now,
		RatePerSecond: 1000, Burst: 1000, PollMin: 5 * time.Millisecond, PollMax: 50 * time.Millisecond,
		RetryMin: 5 * time.Millisecond, RetryMax: 100 * time.Millisecond, RateLimitPause: o.RateLimitPause,
		RateMemory: st,
		// The simulator reads the world's clock, as the engine does: a second of slack is plenty,
		// and keeps the window in which a lost create's job may register short.
		ClockSlack: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	gw, err := google.NewWriter(context.Background(), google.Config{Endpoint: w.SheetsURL, Logger: log, Now: st.Now, WritesPerMinute: 100000, ReadsPerMinute: 100000, BackoffBase: time.Millisecond,
		ServiceAccountEmail: sheetstest.DefaultCaller, MaxRequestBytes: o.SheetsMaxRequestBytes, ScrubDays: o.SheetsScrubDays}) // the caller the stand-in sees
	if err != nil {
		t.Fatal(err)
	}
	writers := []service.SheetWriter{gw}
	for _, email := range o.GoogleIdentities {
		key, err := sheetstest.ServiceAccountKey(email, w.SheetsURL+"/token")
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "key.json")
		if err := os.WriteFile(path, key, 0o600); err != nil {
			t.Fatal(err)
		}
		kw, err := google.NewWriter(context.Background(), google.Config{Endpoint: w.SheetsURL, CredentialsFile: path, Logger: log, Now: st.Now,
			WritesPerMinute: 100000, ReadsPerMinute: 100000, BackoffBase: time.Millisecond, MaxRequestBytes: o.SheetsMaxRequestBytes, ScrubDays: o.SheetsScrubDays})
		if err != nil {
			t.Fatal(err)
		}
		writers = append(writers, kw)
	}
	secret := w.Secret
	if o.SecretKey != nil {
		secret = o.SecretKey
	}
	svc, err := service.New(service.Config{
		ReplicaID: o.Replica, FetchWorkers: o.FetchWorkers, ProcessWorkers: o.ProcessWorkers,
		LeaseTTL: o.LeaseTTL, PollInterval: o.PollInterval, ReportWindow: o.ReportWindow, MaxAttempts: o.MaxAttempts,
		SecretKey: secret, OldSecretKeys: o.OldSecretKeys, DataDir: o.DataDir, Files: files, Logger: log,
		RetryBase: 10 * time.Millisecond, NaverJobsRetry: o.NaverJobsRetry, NaverJobsMaxWait: o.NaverJobsMaxWait,
		MaintenanceInterval: o.MaintenanceInterval, FileRetention: o.FileRetention, Scheduler: o.Scheduler,
		AuditRetention: o.AuditRetention, Notify: o.Notify,
	}, st, nv, writers...)
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

// hookHandler passes every record, whatever its level, to hook, then to the handler if it
// takes that level.
type hookHandler struct {
	slog.Handler
	hook func(slog.Record)
}

func (h hookHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h hookHandler) Handle(ctx context.Context, r slog.Record) error {
	h.hook(r.Clone())
	if !h.Handler.Enabled(ctx, r.Level) {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func (h hookHandler) WithAttrs(as []slog.Attr) slog.Handler {
	inner := h.Handler.WithAttrs(as)
	hook := h.hook
	return hookHandler{Handler: inner, hook: func(r slog.Record) { r.AddAttrs(as...); hook(r) }}
}

func (h hookHandler) WithGroup(name string) slog.Handler {
	return hookHandler{Handler: h.Handler.WithGroup(name), hook: h.hook}
}

// kst is Naver's time zone (Korea has no daylight saving time).
var kst = time.FixedZone("KST", 9*3600)

// DefaultStart is where a world's clock starts unless a test picks an instant: an ordinary
// weekday morning in Seoul, after Naver has made yesterday ready, with the VAT switch of
// 2026-03-30 inside the served window.
func DefaultStart() time.Time { return time.Date(2026, 7, 15, 10, 0, 0, 0, kst) }

// Instant is a moment a date-sensitive test runs at, named for the edge it covers.
type Instant struct {
	Name string
	At   time.Time
}

// Instants are the edges of naversync's calendar: tests that depend on the date run at each,
// so that they are tested on purpose instead of by whatever day the suite happens to run.
func Instants() []Instant {
	return []Instant{
		// 00:05 in Seoul is 15:05 UTC of the day before; a new month; yesterday not ready yet.
		{"after-midnight-kst", time.Date(2026, 9, 1, 0, 5, 0, 0, kst)},
		// The day Naver makes yesterday ready: just before and just after the hour.
		{"before-ready-hour", time.Date(2026, 5, 20, 3, 55, 0, 0, kst)},
		{"after-ready-hour", time.Date(2026, 5, 20, 4, 5, 0, 0, kst)},
		// Yesterday is 2026-03-30, the first VAT-included day; the day before, the last without.
		{"vat-switch", time.Date(2026, 3, 31, 9, 0, 0, 0, kst)},
		// A new year in Seoul while UTC is still in the old one; the window spans both.
		{"new-year", time.Date(2027, 1, 1, 8, 30, 0, 0, kst)},
		// The 365-day window reaches back over a leap day (2028-02-29).
		{"leap-year", time.Date(2028, 3, 1, 10, 0, 0, 0, kst)},
	}
}

// EachInstant runs fn as a subtest at every instant of Instants.
func EachInstant(t *testing.T, fn func(t *testing.T, at time.Time)) {
	t.Helper()
	for _, in := range Instants() {
		t.Run(in.Name, func(t *testing.T) { fn(t, in.At) })
	}
}

// Day is the civil date n days before the KST day of at, as YYYY-MM-DD.
func Day(at time.Time, n int) string {
	k := at.In(kst)
	return time.Date(k.Year(), k.Month(), k.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, -n).Format(time.DateOnly)
}
