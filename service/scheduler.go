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
//
// The syncs and the audit entry that records the run are committed together, in one
// transaction (an account whose sync could not be queued is left out of it, and named in the
// error).
func (s *Service) RunRefreshNow(ctx context.Context) (int, error) {
	var n int
	var partial error
	err := s.audited(ctx, func(ctx context.Context) ([]auditNote, error) {
		var picked int
		picked, n, partial = s.refresh(ctx, "manual refresh", "", func(store.Account) bool { return true })
		return []auditNote{{action: AuditRefreshRun, detail: runOutcome(n, picked, nil)}}, nil
	})
	if err != nil {
		return 0, mapStoreErr("refresh", err)
	}
	if n > 0 {
		s.wake.broadcast()
	}
	return n, partial
}

// runOutcome says what a refresh run did: queued syncs for picked accounts, with err's text.
func runOutcome(queued, picked int, err error) Message {
	if err != nil {
		return Msg(MsgRunQueuedErrors, fmt.Sprintf("queued %d syncs for %d accounts; errors: %v", queued, picked, err),
			"syncs", itoa(queued), "accounts", itoa(picked), "error", err.Error())
	}
	return Msg(MsgRunQueued, fmt.Sprintf("queued %d syncs for %d accounts", queued, picked), "syncs", itoa(queued), "accounts", itoa(picked))
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
	outcome := runOutcome(n, picked, err)
	if err != nil {
		s.log.Error("scheduled refresh", "run", key, "err", err)
	}
	if won {
		if err := s.store.RecordRunCoded(ctx, key, outcome.Text, string(outcome.Code), encodeParams(outcome.Params)); err != nil {
			s.log.Warn("scheduler: record run", "key", key, "err", err)
		}
	}
}

// refresh enqueues one sync per picked account in the order of the morning's plan (planMorning),
// each sync carrying its rank so that the fetch queue is claimed in that order (store.ClaimFetch).
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
	picked = len(accts)
	if day != "" {
		// Accounts whose scheduled sync of the day exists already (the own-time refresh runs
		// every minute; another replica fired first) are neither planned nor queued again.
		done, err := s.store.ScheduledAccounts(ctx, day, s.now().Add(-48*time.Hour))
		if err != nil {
			return picked, 0, fmt.Errorf("refresh: %w", err)
		}
		accts = slices.DeleteFunc(accts, func(a store.Account) bool { return done[a.ID] })
	}
	var errs []error
	plan, err := s.planMorning(ctx, accts)
	if err != nil {
		// Without the files' state the plan falls back to the stalest first: still a plan.
		s.log.Warn("refresh: planning", "err", err)
	}
	for i, a := range plan {
		trigger := TriggerScheduled
		_, created, err := s.EnqueueSync(ctx, SyncRequest{AccountID: a.ID, Trigger: trigger, ScheduledFor: day, PlanRank: int64(i + 1)})
		if err != nil {
			errs = append(errs, fmt.Errorf("account %s: %w", a.ID, err))
			continue
		}
		if created {
			queued++
		}
	}
	return picked, queued, errors.Join(errs...)
}

// runPendingRetry refreshes accounts whose recent days were not ready at the morning refresh
// (reports of a type Naver no longer serves for the day are not waited for: servedFrom).
func (s *Service) runPendingRetry(ctx context.Context) {
	from := s.today().AddDate(0, 0, -s.cfg.PendingDays).Format(dayLayout)
	to := s.today().AddDate(0, 0, -1).Format(dayLayout)
	pending := map[string]bool{}
	_, _, err := s.refresh(ctx, "pending retry", "", func(a store.Account) bool {
		if v, ok := pending[a.CustomerID]; ok {
			return v
		}
		files, err := s.store.ReportFiles(ctx, a.CustomerID, reportTypes(a), from, to)
		if err != nil {
			return false
		}
		for _, f := range files {
			day, _ := time.Parse(dayLayout, f.StatDate)
			if (!f.Final() || f.Recheck) && s.served(f.ReportType, day) {
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
	var err error
	s.mu.Lock()
	sc := s.sched
	s.mu.Unlock()
	if sc != nil {
		st.Schedule = sc.cfg.Schedule
		if next, err := sc.global.NextRuns(3); err == nil {
			st.NextRuns = next
		}
	}
	if st.Morning, err = s.MorningProgress(ctx); err != nil {
		return st, err
	}
	runs, err := s.store.LastRuns(ctx, 10)
	if err != nil {
		return st, mapStoreErr("scheduler status", err)
	}
	for _, r := range runs {
		st.LastRuns = append(st.LastRuns, RunView{Key: r.Key, Owner: r.Owner, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt, Outcome: r.Outcome,
			OutcomeCode: MessageCode(r.OutcomeCode), OutcomeParams: decodeParams(r.OutcomeParams)})
	}
	return st, nil
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
