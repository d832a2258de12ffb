package bench

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob" // file:// buckets for downloaded reports

	"github.com/naversync/naversync/google"
	"github.com/naversync/naversync/google/sheetstest"
	"github.com/naversync/naversync/naver"
	"github.com/naversync/naversync/naver/navertest"
	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/store"
)

// Database names in reports.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// runner holds what every scenario of one run shares.
type runner struct {
	cfg Config
	dir string
	seq atomic.Int64
}

// next returns a number unique within the run, for file, schema and customer names.
func (r *runner) next() int64 { return r.seq.Add(1) }

// freshDB returns the URL of a new empty database of the dialect and a func that removes it.
func (r *runner) freshDB(ctx context.Context, dialect string) (string, func(), error) {
	if dialect == SQLite {
		p := filepath.Join(r.dir, fmt.Sprintf("db-%d.sqlite", r.next()))
		return "sqlite://" + p, func() {
			for _, suffix := range []string{"", "-wal", "-shm"} {
				_ = os.Remove(p + suffix)
			}
		}, nil
	}
	return postgresSchema(ctx, r.cfg.PostgresURL)
}

// postgresSchema creates a uniquely named schema and returns base with search_path set to it,
// and a func that drops it (as store/storetest does for tests).
func postgresSchema(ctx context.Context, base string) (string, func(), error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", nil, fmt.Errorf("bench: %q is not a postgres:// URL", base)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "naversync_bench_" + hex.EncodeToString(b[:])
	exec := func(ctx context.Context, sql string) error {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			return fmt.Errorf("bench: connect %s: %w", u.Redacted(), err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, sql); err != nil {
			return fmt.Errorf("bench: %s: %w", sql, err)
		}
		return nil
	}
	if err := exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	drop := func() { _ = exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE") }
	return u.String(), drop, nil
}

// pingPostgres tells whether the PostgreSQL server answers.
func pingPostgres(ctx context.Context, base string) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return conn.Ping(ctx)
}

// sims are the Naver simulator and the Sheets stand-in, each on a loopback server. Every Sheets
// request waits sheetDelay first, as Google's answers take time.
type sims struct {
	naver      *navertest.Server
	naverSrv   *httptest.Server
	sheets     *sheetstest.Server
	sheetsSrv  *httptest.Server
	sheetDelay atomic.Int64 // nanoseconds
}

func newSims(o navertest.Options) *sims { return newSimsWith(o, sheetstest.Options{}, nil) }

// newSimsWith is newSims with the stand-in's options (its quotas) and, when log is set, a record
// of every Sheets request with its caller and answer.
func newSimsWith(o navertest.Options, so sheetstest.Options, log *sheetLog) *sims {
	s := &sims{naver: navertest.New(o), sheets: sheetstest.NewServer(so)}
	s.naverSrv = httptest.NewServer(s.naver)
	s.sheetsSrv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d := time.Duration(s.sheetDelay.Load()); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		if log == nil {
			s.sheets.ServeHTTP(w, r)
			return
		}
		rec := &statusRecorder{ResponseWriter: w}
		body := &countingBody{ReadCloser: r.Body}
		r.Body = body
		at, tab := time.Now(), log.currentTab()
		s.sheets.ServeHTTP(rec, r)
		log.add(sheetRequest{at: at, identity: callerOf(r), kind: classifySheet(r), status: rec.status,
			sent: body.n, received: rec.written, tab: tab})
	}))
	return s
}

func (s *sims) close() {
	s.naverSrv.Close()
	s.sheetsSrv.Close()
}

// customer registers a Naver customer of the given size and returns its id.
func (s *sims) customer(id string, campaigns, adgroups, keywords int) string {
	s.naver.AddCustomer(navertest.Customer{ID: id, APIKey: "key-" + id, SecretKey: "secret-" + id,
		Campaigns: campaigns, AdgroupsPerCampaign: adgroups, KeywordsPerAdgroup: keywords, Seed: int64(len(id)) * 7919})
	return id
}

// engineOptions shape one engine.
type engineOptions struct {
	fetchWorkers, processWorkers int
	noStart                      bool
	// naver, when set, configures the Naver client instead of the fast defaults of the other
	// scenarios (BaseURL, Logger and RateMemory are filled in).
	naver *naver.Options
	// window, when set, is the engine's ReportWindow instead of Config.ReportWindow.
	window int
	// sheetLog, when set (the sims' own log), learns from the engine's Sheets writer which tab
	// its requests are for (tabWriter).
	sheetLog *sheetLog
	// waitFor, when set, is how long wait follows a sync at most instead of 10 minutes.
	waitFor time.Duration
}

// engine is one running service with its own store connection and file store.
type engine struct {
	svc   *service.Service
	store *store.Store
	nv    *naver.Client
	files *blob.Bucket
	sims  *sims
	drop  func()
	// waitFor is how long wait follows a sync at most.
	waitFor time.Duration
}

// newEngine builds (and, unless noStart, starts) a service on a fresh database of dialect.
func (r *runner) newEngine(ctx context.Context, dialect string, s *sims, o engineOptions) (*engine, error) {
	dbURL, drop, err := r.freshDB(ctx, dialect)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*engine, error) { drop(); return nil, err }
	st, err := store.Open(ctx, dbURL, store.Options{Logger: r.cfg.Logger})
	if err != nil {
		return fail(fmt.Errorf("bench: open %s: %w", dialect, err))
	}
	n := r.next()
	fu := url.URL{Scheme: "file", Path: filepath.Join(r.dir, fmt.Sprintf("files-%d", n)), RawQuery: "create_dir=1&metadata=skip&no_tmp_dir=1"}
	files, err := blob.OpenBucket(ctx, fu.String())
	if err != nil {
		_ = st.Close()
		return fail(fmt.Errorf("bench: file store: %w", err))
	}
	e := &engine{store: st, files: files, sims: s, drop: drop, waitFor: cmp.Or(o.waitFor, 10*time.Minute)}
	cleanup := func(err error) (*engine, error) { e.close(); return nil, err }
	pollMin := max(r.cfg.BuildDelay/4, time.Millisecond)
	no := naver.Options{RatePerSecond: 10000, Burst: 10000, PollMin: pollMin, PollMax: max(r.cfg.BuildDelay, pollMin)}
	if o.naver != nil {
		no = *o.naver
		no.RateMemory = st
	}
	no.BaseURL, no.Logger = s.naverSrv.URL, r.cfg.Logger
	nv, err := naver.NewClient(no)
	if err != nil {
		return cleanup(fmt.Errorf("bench: naver client: %w", err))
	}
	e.nv = nv
	gw, err := google.NewWriter(ctx, google.Config{Endpoint: s.sheetsSrv.URL, Logger: r.cfg.Logger, WritesPerMinute: 1_000_000, ReadsPerMinute: 1_000_000, BackoffBase: time.Millisecond})
	if err != nil {
		return cleanup(fmt.Errorf("bench: sheets writer: %w", err))
	}
	var sw service.SheetWriter = gw
	if o.sheetLog != nil {
		sw = tabWriter{SheetWriter: gw, log: o.sheetLog}
	}
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	svc, err := service.New(service.Config{
		ReplicaID:      fmt.Sprintf("bench-%d", n),
		FetchWorkers:   o.fetchWorkers,
		ProcessWorkers: o.processWorkers,
		ReportWindow:   cmp.Or(o.window, r.cfg.ReportWindow),
		RetryBase:      10 * time.Millisecond,
		SecretKey:      secret,
		DataDir:        filepath.Join(r.dir, fmt.Sprintf("data-%d", n)),
		Files:          files,
		Logger:         r.cfg.Logger,
	}, st, nv, sw)
	if err != nil {
		return cleanup(fmt.Errorf("bench: service: %w", err))
	}
	e.svc = svc
	if !o.noStart {
		if err := svc.Start(ctx); err != nil {
			return cleanup(fmt.Errorf("bench: start: %w", err))
		}
	}
	return e, nil
}

// close stops the engine and removes its database.
func (e *engine) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if e.svc != nil {
		_ = e.svc.Stop(ctx)
	}
	_ = e.files.Close()
	_ = e.store.Close()
	e.drop()
}

// account creates an account of customer writing to a new spreadsheet (unless noSheet), with
// the tabs of the kinds given (the performance tab alone when none is).
func (e *engine) account(ctx context.Context, name, customer string, level string, noSheet bool, tabs ...string) (service.Account, error) {
	sheet := "sheet-" + name
	if !noSheet {
		e.sims.sheets.CreateSpreadsheet(sheet, sheetstest.DefaultCaller)
	}
	a, err := e.svc.CreateAccount(ctx, service.AccountInput{Name: name, CustomerID: customer, APIKey: "key-" + customer,
		SecretKey: "secret-" + customer, SpreadsheetID: sheet, SheetTab: "data", Level: level, Tabs: tabs})
	if err != nil {
		return service.Account{}, fmt.Errorf("bench: create account %s: %w", name, err)
	}
	return a, nil
}

// enqueue queues a sync and insists that it is new.
func (e *engine) enqueue(ctx context.Context, req service.SyncRequest) (service.Sync, error) {
	if req.Trigger == "" {
		req.Trigger = service.TriggerBackfill
	}
	s, created, err := e.svc.EnqueueSync(ctx, req)
	if err != nil {
		return s, fmt.Errorf("bench: enqueue: %w", err)
	}
	if !created {
		return s, fmt.Errorf("bench: enqueue %+v returned the existing sync %s", req, s.ID)
	}
	return s, nil
}

// ErrSyncFailed reports a sync of a scenario that did not succeed.
var ErrSyncFailed = errors.New("bench: sync did not succeed")

// wait follows each sync until it is terminal and returns their final states. Any sync that
// did not succeed fails the scenario.
func (e *engine) wait(ctx context.Context, ids []string) ([]service.Sync, error) {
	ctx, cancel := context.WithTimeout(ctx, e.waitFor)
	defer cancel()
	out := make([]service.Sync, 0, len(ids))
	for _, id := range ids {
		var last service.Sync
		if err := e.svc.Follow(ctx, id, func(s service.Sync) error { last = s; return nil }); err != nil {
			return nil, fmt.Errorf("bench: follow %s: %w", id, err)
		}
		if last.Status != service.StatusSucceeded {
			msg := ""
			if last.Error != nil {
				msg = string(last.Error.Kind) + ": " + last.Error.Message
			}
			return nil, fmt.Errorf("%w: %s is %s %s", ErrSyncFailed, id, last.Status, msg)
		}
		out = append(out, last)
	}
	return out, nil
}
