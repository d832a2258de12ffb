// Package service is naversync's engine: the durable sync queue, the fetch workers that hold a
// Naver customer's lease only while talking to Naver, the processing pool that turns downloaded
// reports into sheet rows, and the scheduler that enqueues the morning refresh.
package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/google/uuid"
	"gocloud.dev/blob"

	"github.com/naversync/naversync/google"
	"github.com/naversync/naversync/naver"
	"github.com/naversync/naversync/store"
)

// NaverAPI is what the engine needs of Naver's Search Ad API.
type NaverAPI interface {
	FetchStatReport(ctx context.Context, cred naver.Credentials, req naver.StatRequest, w naver.Sink) (naver.FetchResult, error)
	ListStatReports(ctx context.Context, cred naver.Credentials) ([]naver.StatReport, error)
	DeleteStatReport(ctx context.Context, cred naver.Credentials, id int64) error
	FetchMaster(ctx context.Context, cred naver.Credentials, req naver.MasterRequest, w naver.Sink) (naver.FetchResult, error)
	ListMasterReports(ctx context.Context, cred naver.Credentials) ([]naver.MasterReport, error)
	DeleteMasterReport(ctx context.Context, cred naver.Credentials, id string) error
	// AdoptWindow bounds the regTm of a job a create whose answer was lost may have made.
	AdoptWindow() (before, after time.Duration)
	CheckCredentials(ctx context.Context, cred naver.Credentials) error
}

// SheetWriter is what the engine needs of Google Sheets.
type SheetWriter interface {
	WriteTableFrom(ctx context.Context, spreadsheetID, tab string, prev *google.Layout, t google.Table, st google.Status) (google.WriteResult, error)
	// CheckAccess tells what the service account may do with a spreadsheet and what each of
	// tabs holds, changing nothing a user can see.
	CheckAccess(ctx context.Context, spreadsheetID string, tabs ...string) (google.Access, error)
	// RemoveStaging deletes the hidden staging tabs an owner's failed writes left (and, by
	// older markers, those of tabs).
	RemoveStaging(ctx context.Context, spreadsheetID, owner string, tabs ...string) (int, error)
	// TabHoldsForeignData tells whether a tab holds values naversync did not write, changing
	// nothing.
	TabHoldsForeignData(ctx context.Context, spreadsheetID, tab string) (google.TabContent, error)
	ServiceAccountEmail() string
}

// Config tunes the engine. Zero values take the defaults noted on each field.
type Config struct {
	// ReplicaID names this process in leases and logs; default a random id.
	ReplicaID string
	// FetchWorkers is how many syncs may talk to Naver at once (each for a different customer);
	// default 16 (I/O-bound: see config.DefaultFetchWorkers).
	FetchWorkers int
	// ProcessWorkers is how many syncs may be processed and written at once; default the
	// builds' (BuildWorkers), at least two per Google identity (a write waits on its identity's
	// quota, not on the CPU: see config.DefaultProcessWorkers).
	ProcessWorkers int
	// BuildWorkers is how many of those syncs may build their table at once (parsing and
	// aggregating reports: CPU-bound, and each build holds days in memory); default the cores
	// (GOMAXPROCS), 2 to 8. A worker past it waits for a build slot; its write does not count.
	BuildWorkers int
	// LeaseTTL is how long a customer lease (and a processing claim) lives without a heartbeat; default 30s.
	LeaseTTL time.Duration
	// LeaseMargin: a holder stops working this long before its claim could lapse (by its own
	// clock, from when its last successful renewal was sent); default LeaseTTL/5.
	LeaseMargin time.Duration
	// PollInterval is the fallback for wake-ups that never came; default 1s.
	PollInterval time.Duration
	// ReportWindow is how many Naver report jobs one sync keeps outstanding; default 20.
	ReportWindow int
	// NaverJobMargin is how many of a customer's 100 report jobs at Naver a fetch leaves free
	// besides those other tools hold, so that a tool creating meanwhile does not push the count
	// past 100; default 10.
	NaverJobMargin int
	// NaverJobsRetry is how long a fetch that found no room among the customer's report jobs
	// waits (lease given back) before it looks again; default 1 min. NaverJobsMaxWait is how
	// long it may keep waiting before the sync fails; default 1 h.
	NaverJobsRetry, NaverJobsMaxWait time.Duration
	// ServedDays is how far back Naver serves the report types; default 365.
	ServedDays int
	// SettleDays is how many recent days a refresh re-fetches (Naver revises up to 48h); default 7.
	SettleDays int
	// PendingDays: NONE or "not ready" for a day this recent is recorded as pending, fetched again later; default 3.
	PendingDays int
	// MaxAttempts bounds retries of transient failures; default 5.
	MaxAttempts int
	// RetryBase is the first retry delay (doubles per attempt, capped at 10 min); default 5s.
	RetryBase time.Duration
	// MaxRangeDays bounds one sync's range; default ServedDays.
	MaxRangeDays int
	// Location is Naver's day boundary; default Asia/Seoul.
	Location *time.Location
	// SecretKey is the AES-256 key for Naver secret keys at rest (32 bytes).
	SecretKey []byte
	// OldSecretKeys still decrypt secrets encrypted before a key rotation (ReencryptSecrets).
	OldSecretKeys [][]byte
	// FileRetention is how long a superseded download (an older version of a day) is kept
	// after a newer one replaced it; default 1h. Current files are kept: refreshes reuse them.
	FileRetention time.Duration
	// SyncRetention: finished syncs that finished longer ago are deleted by the maintenance; 0
	// keeps every sync. Whatever the age, it never deletes a sync that is not finished, the
	// newest succeeded sync of an account (the console's "last success"), nor the scheduled
	// syncs of the last two days (the scheduler's record that a day's refresh ran).
	SyncRetention time.Duration
	// AuditRetention: audit entries older than this are deleted by the maintenance; 0 keeps the
	// whole log.
	AuditRetention time.Duration
	// MaintenanceInterval is how often the maintenance runs, from Start to Stop (first at
	// Start): retention of finished syncs and expired idempotency keys, deletion of the report
	// files of days no longer served, pruning of superseded files; default 1h.
	MaintenanceInterval time.Duration
	// DataDir holds temporary downloads; default os.TempDir()/naversync.
	DataDir string
	// Files is where downloaded reports live (gocloud.dev/blob). Required.
	Files *blob.Bucket
	// Notify tunes the notifications to webhook targets (notify.go).
	Notify NotifyConfig
	// Scheduler is the refresh scheduler this replica runs from Start to Stop; nil runs none.
	Scheduler *SchedulerConfig
	// Logger; default discards.
	Logger *slog.Logger
}

func (c *Config) setDefaults() error {
	if c.ReplicaID == "" {
		c.ReplicaID = "r-" + uuid.NewString()[:8]
	}
	if c.FetchWorkers <= 0 {
		c.FetchWorkers = 16
	}
	if c.BuildWorkers <= 0 {
		c.BuildWorkers = min(max(runtime.GOMAXPROCS(0), 2), 8)
	}
	if c.LeaseTTL <= 0 {
		c.LeaseTTL = 30 * time.Second
	}
	if c.LeaseMargin <= 0 || c.LeaseMargin >= c.LeaseTTL/2 {
		c.LeaseMargin = c.LeaseTTL / 5
	}
	if c.NaverJobMargin <= 0 {
		c.NaverJobMargin = 10
	}
	if c.NaverJobsRetry <= 0 {
		c.NaverJobsRetry = time.Minute
	}
	if c.NaverJobsMaxWait <= 0 {
		c.NaverJobsMaxWait = time.Hour
	}
	if c.PollInterval <= 0 {
		c.PollInterval = time.Second
	}
	if c.ReportWindow <= 0 {
		c.ReportWindow = 20
	}
	if c.ServedDays <= 0 {
		c.ServedDays = 365
	}
	if c.SettleDays <= 0 {
		c.SettleDays = 7
	}
	if c.PendingDays <= 0 {
		c.PendingDays = 3
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 5
	}
	if c.RetryBase <= 0 {
		c.RetryBase = 5 * time.Second
	}
	if c.MaxRangeDays <= 0 {
		c.MaxRangeDays = c.ServedDays
	}
	if c.Location == nil {
		loc, err := time.LoadLocation("Asia/Seoul")
		if err != nil {
			loc = time.FixedZone("KST", 9*3600)
		}
		c.Location = loc
	}
	if c.FileRetention <= 0 {
		c.FileRetention = time.Hour
	}
	if c.MaintenanceInterval <= 0 {
		c.MaintenanceInterval = time.Hour
	}
	if c.DataDir == "" {
		c.DataDir = filepath.Join(os.TempDir(), "naversync")
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if err := c.Notify.setDefaults(); err != nil {
		return err
	}
	if c.Files == nil {
		return errors.New("service: Config.Files (a blob bucket) is required")
	}
	if len(c.SecretKey) != 32 {
		return errors.New("service: Config.SecretKey must be 32 bytes (AES-256)")
	}
	return nil
}

// Service is the engine. Create with New, run with Start, end with Stop.
type Service struct {
	cfg    Config
	store  *store.Store
	naver  NaverAPI
	ids    *identities // the Google identities: one SheetWriter each (identities.go)
	log    *slog.Logger
	crypt  *secretBox
	events *broker
	wake   *wakeup
	met    *metrics
	sched  *scheduler
	feed   changeFeed    // changes of every replica, for event streams (changes.go)
	builds chan struct{} // build slots: BuildWorkers tables are built at once (process.go)
	// notifyWake wakes this replica's notifier when a notification was enqueued (notify.go).
	notifyWake chan struct{}

	mu      sync.Mutex
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	running bool
}

// New builds a Service. It does not start any worker. sheets are the writers of the Google
// identities, one per service account (ServiceAccountEmail), the default first: each account
// is written by its identity's writer.
func New(cfg Config, st *store.Store, nv NaverAPI, sheets ...SheetWriter) (*Service, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	ids, err := newIdentities(sheets)
	if err != nil {
		return nil, err
	}
	if cfg.ProcessWorkers <= 0 {
		cfg.ProcessWorkers = max(cfg.BuildWorkers, 2*max(len(sheets), 1))
	}
	box, err := newSecretBox(cfg.SecretKey, cfg.OldSecretKeys...)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(cfg.DataDir, "tmp"), 0o700); err != nil {
		return nil, fmt.Errorf("service: data dir: %w", err)
	}
	s := &Service{
		cfg:    cfg,
		store:  st,
		naver:  nv,
		ids:    ids,
		log:    cfg.Logger,
		crypt:  box,
		events: newBroker(),
		wake:   newWakeup(),
		met:    newMetrics(),
		builds: make(chan struct{}, cfg.BuildWorkers),

		notifyWake: make(chan struct{}, 1),
	}
	s.met.reg.MustRegister(queueCollector{s}, morningCollector{s})
	s.met.registerSheets(sheets...)
	s.met.workers.WithLabelValues(string(store.ClaimFetch)).Set(float64(cfg.FetchWorkers))
	s.met.workers.WithLabelValues(string(store.ClaimProcess)).Set(float64(cfg.ProcessWorkers))
	s.met.busy.WithLabelValues(string(store.ClaimFetch))
	s.met.busy.WithLabelValues(string(store.ClaimProcess))
	return s, nil
}

// Start launches the fetch workers, the processing pool, the rescuer, the maintenance
// (maintenance.go), the refresh scheduler when Config.Scheduler is set, and, when old secret
// keys are configured, the re-encryption of secrets. They run until Stop.
func (s *Service) Start(ctx context.Context) error {
	ctx, sc, err := s.start(ctx)
	if err != nil {
		return err
	}
	if sc != nil {
		s.startScheduler(ctx, sc)
	}
	return nil
}

// start launches everything but the scheduler's jobs and returns the scheduler, if any, and the
// context the work runs on (ended by Stop).
func (s *Service) start(ctx context.Context) (context.Context, *scheduler, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		return nil, nil, errors.New("service: already started")
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var sc *scheduler
	if s.cfg.Scheduler != nil {
		var err error
		if sc, err = s.newScheduler(ctx, *s.cfg.Scheduler); err != nil {
			cancel()
			return nil, nil, err
		}
	}
	s.cancel = cancel
	s.sched = sc
	s.running = true
	if n, err := s.cleanTemp(); err != nil {
		s.log.Warn("clean temp files", "err", err)
	} else if n > 0 {
		s.log.Info("removed temp files left by a process that died", "count", n)
	}
	s.backfillIdentities(ctx)
	// Syncs this replica held when it died are rescued at once, not after a poll.
	if r, err := s.store.RescueCount(ctx); err != nil {
		s.log.Warn("rescue at start", "err", err)
	} else if r.Total > 0 {
		s.met.leasesExpired.Add(float64(r.LeaseExpired))
		s.log.Info("rescued syncs at start", "count", r.Total, "lease_expired", r.LeaseExpired)
	}
	s.goLoop(func() { s.wake.run(ctx, s.store.Wake(ctx)) })
	for i := 0; i < s.cfg.FetchWorkers; i++ {
		owner := fmt.Sprintf("%s/fetch-%d", s.cfg.ReplicaID, i)
		s.goLoop(func() { s.fetchLoop(ctx, owner) })
	}
	for i := 0; i < s.cfg.ProcessWorkers; i++ {
		owner := fmt.Sprintf("%s/process-%d", s.cfg.ReplicaID, i)
		s.goLoop(func() { s.processLoop(ctx, owner) })
	}
	s.goLoop(func() { s.rescueLoop(ctx) })
	s.goLoop(func() { s.maintenanceLoop(ctx) })
	s.goLoop(func() { s.notifyLoop(ctx) })
	if len(s.cfg.OldSecretKeys) > 0 {
		s.goLoop(func() { s.reencryptAtStart(ctx) })
	}
	s.log.Info("engine started", "replica", s.cfg.ReplicaID, "fetch_workers", s.cfg.FetchWorkers, "process_workers", s.cfg.ProcessWorkers)
	return ctx, sc, nil
}

func (s *Service) goLoop(fn func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		fn()
	}()
}

// Stop stops the scheduler (running refreshes finish), then stops taking work, ends running
// work (its leases are released and its syncs left resumable) and the maintenance, and waits for
// all of them, at most until ctx ends.
func (s *Service) Stop(ctx context.Context) error {
	s.mu.Lock()
	if !s.running {
		s.mu.Unlock()
		return nil
	}
	s.running = false
	sc, cancel := s.sched, s.cancel
	s.sched = nil
	s.mu.Unlock()
	if sc != nil {
		if err := sc.cron.Shutdown(); err != nil {
			s.log.Warn("stop scheduler", "err", err)
		}
	}
	cancel()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		s.log.Info("engine stopped", "replica", s.cfg.ReplicaID)
		return nil
	case <-ctx.Done():
		return fmt.Errorf("service: stop: %w", ctx.Err())
	}
}

// Running reports whether the workers run (for readiness).
func (s *Service) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running
}

// Ready reports whether the service can do its work: the database answers and workers run.
func (s *Service) Ready(ctx context.Context) error {
	if !s.Running() {
		return fmt.Errorf("%w: workers are not running", ErrUnavailable)
	}
	if err := s.store.Ping(ctx); err != nil {
		return fmt.Errorf("%w: database: %v", ErrUnavailable, err)
	}
	return nil
}

// now is the time every replica agrees on: the store's clock (the database's, not this host's).
func (s *Service) now() time.Time { return s.store.Now() }

// Now is the service's time: the database's clock (see store.Clock), not this host's.
func (s *Service) Now() time.Time { return s.now() }

// ServiceAccountEmail is the default Google identity (the first of the pool); an account's own
// is Account.GoogleIdentity, a new account's NextGoogleIdentity.
func (s *Service) ServiceAccountEmail() string { return s.ids.order[0] }

// writerOf is the SheetWriter of an account: its Google identity's.
func (s *Service) writerOf(a store.Account) SheetWriter { return s.ids.writer(a.GoogleIdentity) }

// rescueLoop puts syncs whose fetch lease died back in the queue, so that a crashed replica's
// customers are free again within one lease TTL.
func (s *Service) rescueLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.LeaseTTL / 2)
	defer t.Stop()
	clean := time.NewTicker(tempMaxAge)
	defer clean.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-clean.C:
			if _, err := s.cleanTemp(); err != nil {
				s.log.Warn("clean temp files", "err", err)
			}
			continue
		case <-t.C:
		}
		if r, err := s.store.RescueCount(ctx); err != nil {
			if ctx.Err() == nil {
				s.log.Warn("rescue", "err", err)
			}
		} else if r.Total > 0 {
			s.met.leasesExpired.Add(float64(r.LeaseExpired))
			s.log.Info("rescued syncs whose lease expired", "count", r.Total, "lease_expired", r.LeaseExpired)
			s.wake.broadcast()
		}
	}
}

// closeQuietly closes c, logging a failure.
func closeQuietly(log *slog.Logger, c io.Closer, what string) {
	if err := c.Close(); err != nil {
		log.Warn("close", "what", what, "err", err)
	}
}
