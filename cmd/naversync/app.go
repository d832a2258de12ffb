package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob" // file:// buckets, the default file store
	_ "gocloud.dev/blob/gcsblob"  // gs:// buckets, shared by several replicas
	_ "gocloud.dev/blob/s3blob"   // s3:// buckets, shared by several replicas

	"github.com/naversync/naversync/api"
	"github.com/naversync/naversync/config"
	"github.com/naversync/naversync/google"
	"github.com/naversync/naversync/naver"
	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/store"
)

// app is the wired service: store, file store, Naver client, Sheets writer, engine, HTTP API.
type app struct {
	cfg     config.Config
	log     *slog.Logger
	store   *store.Store
	files   *blob.Bucket
	svc     *service.Service
	handler http.Handler
	drain   chan struct{} // closed when the HTTP drain starts (api.Options.Shutdown)
	http    *httpServer   // set by listen
}

// appOptions are what differ between serve, demo and bench.
type appOptions struct {
	naverRate  float64 // per-customer Naver calls per second; 0 = the client's default (10/s)
	naverPoll  time.Duration
	uiHandler  http.Handler
	sheetsHTTP *http.Client
	// sheetsEmail is the identity a Sheets stand-in sees (the demo's), shown as the address to
	// share spreadsheets with; a credentials file names the real one.
	sheetsEmail string
	noAuth      bool
	scheduler   bool          // run the refresh scheduler (serve)
	heartbeat   time.Duration // event stream heartbeats; 0 = the api's default
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// sheetWriters builds one Sheets writer per Google identity: per key of the configuration, in
// order (the first is the default identity), or a single one without a key.
func sheetWriters(ctx context.Context, cfg config.Config, log *slog.Logger, now func() time.Time, budget google.Budget, o appOptions) ([]service.SheetWriter, error) {
	base := google.Config{Endpoint: cfg.SheetsEndpoint, Logger: log, Now: now, HTTPClient: o.sheetsHTTP, Budget: budget,
		ServiceAccountEmail: o.sheetsEmail, ScrubDays: cfg.SheetsScrubDays}
	files := cfg.GoogleCredentialsFiles
	if len(files) == 0 {
		files = []string{""}
	}
	var out []service.SheetWriter
	for _, f := range files {
		c := base
		c.CredentialsFile = f
		w, err := google.NewWriter(ctx, c)
		if err != nil {
			return nil, fmt.Errorf("google sheets: %w", err)
		}
		out = append(out, w)
	}
	return out, nil
}

// newApp builds every part from the configuration. Nothing runs until start.
func newApp(ctx context.Context, cfg config.Config, log *slog.Logger, o appOptions) (*app, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir %s: %w", cfg.DataDir, err)
	}
	sopts := store.Options{Logger: log, NoMigrate: !cfg.Migrate}
	if store.IsPostgresURL(cfg.DatabaseURL) {
		// A connection for every worker that may be in a transaction at once, and a few for the
		// API, the heartbeats, the scheduler and the maintenance: with the fleet defaults (16
		// fetch workers) the store's own default of 10 would queue the workers' transactions.
		sopts.MaxOpenConns = cfg.FetchWorkers + cfg.ProcessWorkers + 8
	}
	st, err := store.Open(ctx, cfg.DatabaseURL, sopts)
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	files, err := openFiles(ctx, cfg.FilesURL)
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	nv, err := naver.NewClient(naver.Options{BaseURL: cfg.NaverBaseURL, Logger: log, Now: st.Now, RatePerSecond: o.naverRate,
		MaxRatePerSecond: float64(cfg.NaverMaxRate), RateMemory: st, TempDir: filepath.Join(cfg.DataDir, "tmp"), PollMin: o.naverPoll})
	if err != nil {
		_ = st.Close()
		return nil, fmt.Errorf("naver client: %w", err)
	}
	// Every replica on this database paces its Sheets requests through one budget per identity
	// and project (docs/design.md, "Google's quota as a shared budget").
	budget := service.NewSharedBudget(st, service.QuotaConfig{
		User:         google.Quota{Reads: cfg.SheetsReadsPerMinute, Writes: cfg.SheetsWritesPerMinute},
		ProjectReads: cfg.SheetsProjectReadsPerMinute, ProjectWrites: cfg.SheetsProjectWritesPerMinute,
	})
	sheets, err := sheetWriters(ctx, cfg, log, st.Now, budget, o)
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	loc, err := time.LoadLocation(cfg.Timezone)
	if err != nil {
		_ = st.Close()
		return nil, fmt.Errorf("time zone: %w", err)
	}
	var sched *service.SchedulerConfig
	if o.scheduler {
		sched = &service.SchedulerConfig{Schedule: cfg.RefreshSchedule}
	}
	svc, err := service.New(service.Config{
		FetchWorkers:   cfg.FetchWorkers,
		ProcessWorkers: cfg.ProcessWorkers,
		BuildWorkers:   cfg.BuildWorkers,
		LeaseTTL:       cfg.LeaseTTL,
		ReportWindow:   cfg.ReportWindow,
		NaverJobMargin: cfg.NaverJobMargin,

		NaverJobsMaxWait: cfg.NaverJobsMaxWait,
		SettleDays:       cfg.SettleDays,
		FileRetention:    cfg.FileRetention,
		SyncRetention:    cfg.SyncRetention,
		AuditRetention:   cfg.AuditRetention,
		Notify: service.NotifyConfig{Language: cfg.Language, BaseURL: cfg.PublicURL, StaleAt: cfg.NotifyStaleAt,
			RoomWaitAlert: cfg.NotifyRoomWait, Retention: cfg.NotifyRetention},
		Scheduler:     sched,
		Location:      loc,
		SecretKey:     cfg.SecretKey,
		OldSecretKeys: cfg.OldSecretKeys,
		DataDir:       cfg.DataDir,
		Files:         files,
		Logger:        log,
	}, st, nv, sheets...)
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	tokens := cfg.APITokens
	if o.noAuth {
		tokens = nil
	}
	drain := make(chan struct{})
	h := api.New(svc, api.Options{Tokens: tokens, Logger: log, UI: o.uiHandler, Heartbeat: o.heartbeat,
		MaxStreamsPerToken: cfg.MaxStreamsPerToken, MetricsToken: cfg.MetricsToken, Shutdown: drain})
	return &app{cfg: cfg, log: log, store: st, files: files, svc: svc, handler: h, drain: drain}, nil
}

// openFiles opens the file store; a local directory is created and written atomically.
func openFiles(ctx context.Context, raw string) (*blob.Bucket, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("NAVERSYNC_FILES_URL: %w", err)
	}
	if u.Scheme == "file" {
		q := u.Query()
		for k, v := range map[string]string{"create_dir": "1", "metadata": "skip", "no_tmp_dir": "1"} {
			if q.Get(k) == "" {
				q.Set(k, v)
			}
		}
		u.RawQuery = q.Encode()
	}
	b, err := blob.OpenBucket(ctx, u.String())
	if err != nil {
		return nil, fmt.Errorf("file store %s: %w", raw, err)
	}
	return b, nil
}

// start runs the engine: workers, maintenance and, for serve, the refresh scheduler.
func (a *app) start(ctx context.Context) error {
	return a.svc.Start(ctx)
}

// listen serves the API on addr until shutdown; it returns the bound address.
func (a *app) listen(addr string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("listen %s: %w", addr, err)
	}
	a.http = serveHTTP(ln, a.handler, serverLimits{
		ReadHeaderTimeout: a.cfg.HTTPReadHeaderTimeout, ReadTimeout: a.cfg.HTTPReadTimeout,
		WriteTimeout: a.cfg.HTTPWriteTimeout, IdleTimeout: a.cfg.HTTPIdleTimeout,
		MaxHeaderBytes: a.cfg.HTTPMaxHeaderBytes, MaxConns: a.cfg.HTTPMaxConns, ShutdownTimeout: a.cfg.ShutdownTimeout,
	}, a.drain, a.log)
	return ln.Addr().String(), nil
}

// served reports the HTTP server's failure (nil channel before listen).
func (a *app) served() <-chan error {
	if a.http == nil {
		return nil
	}
	return a.http.served
}

// shutdown drains: the server stops accepting, in-flight requests finish (event streams end
// with a final event) within the shutdown timeout. close then stops the engine (scheduler,
// workers, maintenance) and closes the database.
func (a *app) shutdown() {
	if a.http != nil {
		a.http.shutdown()
	}
}

// close stops the engine (the scheduler first; leases released, unfinished syncs left
// resumable) and closes the stores.
func (a *app) close() {
	a.shutdown()
	ctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	if err := a.svc.Stop(ctx); err != nil {
		a.log.Warn("stop engine", "err", err)
	}
	if err := a.files.Close(); err != nil {
		a.log.Warn("close file store", "err", err)
	}
	if err := a.store.Close(); err != nil {
		a.log.Warn("close database", "err", err)
	}
}

// serve runs the production service until SIGINT/SIGTERM.
func serve(ctx context.Context, getenv func(string) string, stderr io.Writer) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	if len(cfg.SecretKey) == 0 {
		return errors.New("NAVERSYNC_SECRET_KEY is required: 32 bytes as hex or base64 (e.g. `openssl rand -hex 32`); it encrypts Naver secret keys at rest")
	}
	if len(cfg.APITokens) == 0 {
		return errors.New("NAVERSYNC_API_TOKENS is required: one or more comma-separated bearer tokens for the API")
	}
	if _, err := api.ParseTokens(cfg.APITokens); err != nil {
		return fmt.Errorf("NAVERSYNC_API_TOKENS: %w", err)
	}
	log := newLogger(stderr, cfg.LogLevel)
	a, err := newApp(ctx, cfg, log, appOptions{uiHandler: newConsole(), scheduler: true})
	if err != nil {
		return err
	}
	defer a.close()
	if err := a.start(ctx); err != nil {
		return err
	}
	addr, err := a.listen(cfg.HTTPAddr)
	if err != nil {
		return err
	}
	log.Info("naversync serving", "addr", addr, "database", redactURL(cfg.DatabaseURL), "files", cfg.FilesURL,
		"naver", cfg.NaverBaseURL, "service_account", a.svc.ServiceAccountEmail(), "google_identities", max(1, len(cfg.GoogleCredentialsFiles)))
	select {
	case <-ctx.Done():
		log.Info("shutting down: draining requests, then stopping the workers", "timeout", cfg.ShutdownTimeout)
		a.shutdown() // close (deferred) then stops the workers and closes the database
		return nil
	case err := <-a.served():
		return err
	}
}

// redactURL hides a database password in logs.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return strings.Replace(u.String(), "xxxxx", "***", 1)
}
