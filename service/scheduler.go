package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/jonboulle/clockwork"
	"github.com/robfig/cron/v3"

	"github.com/naversync/naversync/store"
)

// SchedulerConfig sets the morning refresh.
type SchedulerConfig struct {
	// Schedule is a five-field cron expression in the service's time zone; default "0 6 * * *"
	// (after Naver usually has yesterday ready).
	Schedule string
	// PendingRetry re-runs the refresh for accounts whose recent days were not ready yet;
	// default "0 9,12 * * *". Empty string after defaults: set "-" to turn it off.
	PendingRetry string
}

// schedulerClock is gocron's clock: its timers run in real time, and "now", from which it picks
// the next run, is the store's time, the one every replica agrees on (and the one tests set).
type schedulerClock struct {
	clockwork.Clock
	now func() time.Time
}

func (c schedulerClock) Now() time.Time                  { return c.now() }
func (c schedulerClock) Since(t time.Time) time.Duration { return c.now().Sub(t) }
func (c schedulerClock) Until(t time.Time) time.Duration { return t.Sub(c.now()) }

// scheduler owns the gocron scheduler of one replica (Config.Scheduler), run from Start to Stop.
type scheduler struct {
	cfg    SchedulerConfig
	cron   gocron.Scheduler
	global gocron.Job
}

// newScheduler builds the refresh scheduler of this replica (Config.Scheduler), not started; its
// jobs run on ctx. Every replica may run one: a scheduled sync is unique per account and day in
// the database, so however many replicas fire, each account gets exactly one refresh a day. A
// refresh missed while no replica ran (a restart across the hour) is caught up at Start.
func (s *Service) newScheduler(ctx context.Context, cfg SchedulerConfig) (*scheduler, error) {
	if cfg.Schedule == "" {
		cfg.Schedule = "0 6 * * *"
	}
	if cfg.PendingRetry == "" {
		cfg.PendingRetry = "0 9,12 * * *"
	}
	if _, err := cron.ParseStandard(cfg.Schedule); err != nil {
		return nil, fmt.Errorf("scheduler: NAVERSYNC_REFRESH_SCHEDULE %q: %w", cfg.Schedule, err)
	}
	c, err := gocron.NewScheduler(gocron.WithLocation(s.cfg.Location), gocron.WithLogger(gocronLogger{s.log}),
		gocron.WithClock(schedulerClock{Clock: clockwork.NewRealClock(), now: s.now}))
	if err != nil {
		return nil, fmt.Errorf("scheduler: %w", err)
	}
	sc := &scheduler{cfg: cfg, cron: c}
	sc.global, err = c.NewJob(gocron.CronJob(cfg.Schedule, false), gocron.NewTask(func() {
		s.runRefresh(ctx, "refresh", false, globalSchedule)
	}), gocron.WithName("refresh"), gocron.WithSingletonMode(gocron.LimitModeReschedule))
	if err != nil {
		return nil, fmt.Errorf("scheduler: %w", err)
	}
	// Accounts with their own refresh time: checked every minute.
	if _, err := c.NewJob(gocron.CronJob("* * * * *", false), gocron.NewTask(func() {
		// Accounts whose time has come today; each gets one scheduled sync a day however
		// often this runs, so a minute missed (a restart, a slow tick) is made up.
		hhmm := s.now().In(s.cfg.Location).Format("15:04")
		s.runRefresh(ctx, "own-time refresh", false, func(a store.Account) bool { return a.RefreshTime != "" && a.RefreshTime <= hhmm })
		// A run that no replica made (all were down at the hour) is caught up within a minute.
		s.catchUp(ctx, cfg.Schedule)
	}), gocron.WithName("own-time refresh"), gocron.WithSingletonMode(gocron.LimitModeReschedule)); err != nil {
		return nil, fmt.Errorf("scheduler: %w", err)
	}
	if cfg.PendingRetry != "-" {
		if _, err := c.NewJob(gocron.CronJob(cfg.PendingRetry, false), gocron.NewTask(func() {
			s.runPendingRetry(ctx)
		}), gocron.WithName("pending retry"), gocron.WithSingletonMode(gocron.LimitModeReschedule)); err != nil {
			return nil, fmt.Errorf("scheduler: %w", err)
		}
	}
	return sc, nil
}

// startScheduler starts the scheduler's jobs and runs the day's refresh if no replica has run it yet.
func (s *Service) startScheduler(ctx context.Context, sc *scheduler) {
	sc.cron.Start()
	s.catchUp(ctx, sc.cfg.Schedule)
	if next, err := sc.global.NextRun(); err == nil {
		s.log.Info("scheduler started", "schedule", sc.cfg.Schedule, "timezone", s.cfg.Location.String(), "next_run", next)
	}
}

// catchUp runs today's refresh if its time has passed: a no-op when it already ran (each
// account's scheduled sync of a day is unique), a rescue when the process was down at the hour.
func (s *Service) catchUp(ctx context.Context, schedule string) {
	sched, err := cron.ParseStandard(schedule)
	if err != nil {
		return
	}
	now := s.now().In(s.cfg.Location)
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, s.cfg.Location)
	if first := sched.Next(midnight.Add(-time.Second)); !first.After(now) {
		s.runRefresh(ctx, "refresh", true, globalSchedule)
	}
}

// RunRefreshNow enqueues a refresh of every active account now (operators' button). Accounts
// that already have an equal sync queued are not queued twice. It returns how many were queued.
func (s *Service) RunRefreshNow(ctx context.Context) (int, error) {
	picked, n, err := s.refresh(ctx, "manual refresh", "", func(store.Account) bool { return true })
	s.audit(ctx, AuditRefreshRun, "", "", []string{}, fmt.Sprintf("queued %d syncs for %d accounts", n, picked))
	return n, err
}

// globalSchedule picks the accounts refreshed at the service-wide time.
func globalSchedule(a store.Account) bool { return a.RefreshTime == "" }

// runRefresh is a scheduled run. Every replica that fires enqueues (a scheduled sync is unique
// per account and day, so that is safe, and a replica dying half way through loses nothing); the
// first replica to claim the run's key records its outcome. A catch-up runs only when no replica
// has claimed the day's run yet.
func (s *Service) runRefresh(ctx context.Context, name string, catchUp bool, pick func(store.Account) bool) {
	day := s.today().Format(dayLayout)
	key := name + ":" + day
	won := false
	claim := func() {
		var err error
		if won, err = s.store.ClaimRun(ctx, key, s.cfg.ReplicaID); err != nil {
			s.log.Warn("scheduler: claim run", "key", key, "err", err)
		}
	}
	if catchUp {
		if claim(); !won {
			return
		}
		s.log.Info("catching up a refresh no replica ran", "run", key)
	}
	picked, n, err := s.refresh(ctx, name, day, pick)
	if n == 0 && err == nil && !catchUp && name != "refresh" {
		return // an own-time minute with nothing new to queue: nothing to record
	}
	s.log.Info("refresh run", "run", key, "accounts", picked, "queued", n)
	if !catchUp {
		claim()
	}
	outcome := fmt.Sprintf("queued %d syncs for %d accounts", n, picked)
	if err != nil {
		outcome = fmt.Sprintf("queued %d syncs for %d accounts; errors: %v", n, picked, err)
		s.log.Error("scheduled refresh", "run", key, "err", err)
	}
	if won {
		if err := s.store.RecordRun(ctx, key, outcome); err != nil {
			s.log.Warn("scheduler: record run", "key", key, "err", err)
		}
	}
}

// refresh enqueues one sync per picked account, interleaving customers so that each customer's
// first refresh is near the head of the queue and no fetch worker idles behind one customer.
func (s *Service) refresh(ctx context.Context, name, day string, pick func(store.Account) bool) (picked, queued int, err error) {
	var accts []store.Account
	after := ""
	enabled := true
	for {
		page, err := s.store.ListAccounts(ctx, store.AccountFilter{Limit: 500, After: after, RefreshEnabled: &enabled})
		if err != nil {
			return 0, 0, fmt.Errorf("refresh: %w", err)
		}
		for _, a := range page {
			if pick(a) {
				accts = append(accts, a)
			}
		}
		if len(page) < 500 {
			break
		}
		after = page[len(page)-1].ID
	}
	var errs []error
	for _, a := range interleaveByCustomer(accts) {
		trigger := TriggerScheduled
		_, created, err := s.EnqueueSync(ctx, SyncRequest{AccountID: a.ID, Trigger: trigger, ScheduledFor: day})
		if err != nil {
			errs = append(errs, fmt.Errorf("account %s: %w", a.ID, err))
			continue
		}
		if created {
			queued++
		}
	}
	return len(accts), queued, errors.Join(errs...)
}

// runPendingRetry refreshes accounts whose recent days were not ready at the morning refresh.
func (s *Service) runPendingRetry(ctx context.Context) {
	from := s.today().AddDate(0, 0, -s.cfg.PendingDays).Format(dayLayout)
	to := s.today().AddDate(0, 0, -1).Format(dayLayout)
	pending := map[string]bool{}
	_, _, err := s.refresh(ctx, "pending retry", "", func(a store.Account) bool {
		if v, ok := pending[a.CustomerID]; ok {
			return v
		}
		files, err := s.store.ReportFiles(ctx, a.CustomerID, s.cfg.ReportTypes, from, to)
		if err != nil {
			return false
		}
		for _, f := range files {
			if !f.Final() || f.Recheck {
				pending[a.CustomerID] = true
				return true
			}
		}
		pending[a.CustomerID] = false
		return false
	})
	if err != nil {
		s.log.Warn("pending retry", "err", err)
	}
}

// SchedulerStatus tells the next refresh times and the last runs.
func (s *Service) SchedulerStatus(ctx context.Context) (SchedulerStatus, error) {
	st := SchedulerStatus{Timezone: s.cfg.Location.String(), NextRuns: []time.Time{}, LastRuns: []RunView{}}
	s.mu.Lock()
	sc := s.sched
	s.mu.Unlock()
	if sc != nil {
		st.Schedule = sc.cfg.Schedule
		if next, err := sc.global.NextRuns(3); err == nil {
			st.NextRuns = next
		}
	}
	runs, err := s.store.LastRuns(ctx, 10)
	if err != nil {
		return st, mapStoreErr("scheduler status", err)
	}
	for _, r := range runs {
		st.LastRuns = append(st.LastRuns, RunView{Key: r.Key, Owner: r.Owner, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt, Outcome: r.Outcome})
	}
	return st, nil
}

// interleaveByCustomer orders accounts round-robin across customers.
func interleaveByCustomer(accts []store.Account) []store.Account {
	groups := map[string][]store.Account{}
	var order []string
	for _, a := range accts {
		if _, ok := groups[a.CustomerID]; !ok {
			order = append(order, a.CustomerID)
		}
		groups[a.CustomerID] = append(groups[a.CustomerID], a)
	}
	slices.Sort(order)
	out := make([]store.Account, 0, len(accts))
	for len(out) < len(accts) {
		for _, c := range order {
			if g := groups[c]; len(g) > 0 {
				out = append(out, g[0])
				groups[c] = g[1:]
			}
		}
	}
	return out
}

// gocronLogger adapts slog to gocron's logger.
type gocronLogger struct {
	l interface {
		Debug(string, ...any)
		Info(string, ...any)
		Warn(string, ...any)
		Error(string, ...any)
	}
}

func (g gocronLogger) Debug(msg string, args ...any) { g.l.Debug("gocron: "+msg, args...) }
func (g gocronLogger) Info(msg string, args ...any)  { g.l.Debug("gocron: "+msg, args...) }
func (g gocronLogger) Warn(msg string, args ...any)  { g.l.Warn("gocron: "+msg, args...) }
func (g gocronLogger) Error(msg string, args ...any) { g.l.Error("gocron: "+msg, args...) }
