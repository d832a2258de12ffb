package bench

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"gocloud.dev/blob"
	"golang.org/x/sync/errgroup"

	"github.com/naversync/naversync/config"
	"github.com/naversync/naversync/google"
	"github.com/naversync/naversync/google/sheetstest"
	"github.com/naversync/naversync/naver"
	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/store"
)

// Fleet is scenario 8, an agency's morning: Accounts accounts on Customers Naver customers (each
// account with its own spreadsheet), written by Identities Google identities, served by Replicas
// service instances on one database. Naver's costs are scenario 7's (latency, build time, a link
// and a rate limit per customer); the Sheets stand-in enforces Google's quotas per identity and
// per project. The first sync of every account runs, then the morning refresh.
type Fleet struct {
	Accounts, Customers, Identities, Replicas int
	// Database is where the replicas keep their state (PostgreSQL unless unreachable and one replica).
	Database string
	// FetchWorkers and ProcessWorkers are per replica.
	FetchWorkers, ProcessWorkers int
	// Keywords per customer (its accounts share it).
	Keywords int
	// SheetsLatency is the stand-in's latency per request.
	SheetsLatency time.Duration
	// Quota is what the stand-in enforces.
	Quota FleetQuota
	// Naver's costs (scenario 7's).
	Latency, Build, Spread time.Duration
	Link                   int64
	Limit                  float64
	Phases                 []FleetPhase
	// Unmeasured says which phase ran as setup (Config.FleetMorningOnly).
	Unmeasured string
}

// FleetQuota is Google's Sheets quota as the stand-in enforces it: requests per Window per user
// (identity) and per project.
type FleetQuota struct {
	Window                            time.Duration
	ReadsPerUser, WritesPerUser       int
	ReadsPerProject, WritesPerProject int
}

// FleetPhase is one phase of the fleet's day: the first sync of every account, or the morning
// refresh.
type FleetPhase struct {
	Name string
	// Days each sync covers (the refresh: the days it fetches again from Naver).
	Days int
	// Syncs queued; Succeeded and Failed of them; Retried those that took more than one attempt.
	Syncs, Succeeded, Failed, Retried int
	// FailedKinds counts the failed syncs' error kinds.
	FailedKinds map[string]int
	// QuotaErrors are the Sheets writes that ended on Google's quota (the service's
	// naversync_sheet_errors_total{kind="quota"}, all replicas): each one sent its sync back to
	// the queue.
	QuotaErrors int
	// Makespan is from the first sync queued to the last finished; Fetched from the first sync
	// queued to the last fetch's end (the last lease released).
	Makespan, Fetched time.Duration
	// NaverBound: every customer's fewest calls at its allowed rate (or its bytes over its link,
	// whichever is longer), spread over all fetch workers, but never less than the busiest
	// customer's own, plus the shortest build.
	NaverBound time.Duration
	// GoogleBound: the requests the phase's syncs needed (those Google accepted) at the
	// identities' and the projects' quotas, as a steady rate (n ÷ limit × window), the slowest of
	// them. A rolling window admits a first burst of a whole window's limit at once, so a client
	// that bursts may end up to one window sooner; one that paces evenly cannot.
	GoogleBound time.Duration
	// GoogleBy names what sets GoogleBound.
	GoogleBy string
	// NaverCalls made, NaverMinCalls the fewest needed, NaverLimited the 429s.
	NaverCalls, NaverMinCalls, NaverLimited int
	// Identities and Projects: requests, 429s and the busiest window of each.
	Identities, Projects []QuotaUse
	// SheetRequests is the Sheets requests (reads and writes accepted) per sync.
	SheetReads, SheetWrites int
	// Err, when set, is why the phase ended early (a timeout).
	Err string
}

// Bound is the larger of the Naver and Google bounds.
func (p FleetPhase) Bound() time.Duration { return max(p.NaverBound, p.GoogleBound) }

// OverBound is Makespan ÷ Bound.
func (p FleetPhase) OverBound() float64 { return ratio(float64(p.Makespan), float64(p.Bound())) }

// OverQuota lists the identities and projects whose busiest window exceeded their quota.
func (p FleetPhase) OverQuota(q FleetQuota) []string {
	var out []string
	for _, u := range p.Identities {
		if u.MaxReads > q.ReadsPerUser || u.MaxWrites > q.WritesPerUser {
			out = append(out, u.Name)
		}
	}
	for _, u := range p.Projects {
		if u.MaxReads > q.ReadsPerProject || u.MaxWrites > q.WritesPerProject {
			out = append(out, "project "+u.Name)
		}
	}
	return out
}

// Limited is the 429s Google answered in the phase.
func (p FleetPhase) Limited() int {
	n := 0
	for _, u := range p.Identities {
		n += u.ReadsLimited + u.WritesLimited
	}
	return n
}

// Targets of scenario 8 (issue 26).
const (
	TargetFleetOverBound = 1.25             // the morning within 1.25× of its bound
	TargetFleetMakespan  = 15 * time.Minute // and under 15 minutes
)

// Met tells whether the phase met issue 26's targets: every sync succeeded, no 429 turned into a
// retry, no identity above its quota in any window, within 1.25× of the bound and 15 minutes.
func (p FleetPhase) Met(q FleetQuota) bool {
	return p.Err == "" && p.Failed == 0 && p.QuotaErrors == 0 && len(p.OverQuota(q)) == 0 &&
		p.OverBound() <= TargetFleetOverBound && p.Makespan < TargetFleetMakespan
}

// fleetReplica is one service instance of the fleet.
type fleetReplica struct {
	svc     *service.Service
	store   *store.Store
	writers []*google.Writer
}

// fleetWorld is the fleet scenario's running system.
type fleetWorld struct {
	r          *runner
	sims       *sims
	log        *sheetLog
	clock      *quotaClock
	files      *blob.Bucket
	replicas   []*fleetReplica
	identities []string
	drop       func()
}

func (w *fleetWorld) close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, rp := range w.replicas {
		if rp.svc != nil {
			_ = rp.svc.Stop(ctx)
		}
		_ = rp.store.Close()
	}
	if w.files != nil {
		_ = w.files.Close()
	}
	if w.drop != nil {
		w.drop()
	}
	w.sims.close()
}

// fleetIdentity is the e-mail of identity i, all in one Google Cloud project.
func fleetIdentity(i int) string {
	return fmt.Sprintf("naversync-%d@naversync-fleet.iam.gserviceaccount.com", i+1)
}

// fleet runs scenario 8.
func (r *runner) fleet(ctx context.Context) (Fleet, error) {
	c := r.cfg
	q := FleetQuota{Window: c.FleetQuotaWindow, ReadsPerUser: c.FleetReadsPerUser, WritesPerUser: c.FleetWritesPerUser,
		ReadsPerProject: c.FleetReadsPerProject, WritesPerProject: c.FleetWritesPerProject}
	res := Fleet{Accounts: c.FleetAccounts, Customers: min(c.FleetCustomers, c.FleetAccounts), Identities: c.FleetIdentities,
		Replicas: c.FleetReplicas, FetchWorkers: c.FleetFetchWorkers, ProcessWorkers: c.FleetProcessWorkers,
		Keywords: fleetCampaigns * fleetAdgroups * fleetKeywords, SheetsLatency: c.FleetSheetsLatency, Quota: q,
		Latency: c.FetchLatency, Build: c.FetchBuild, Spread: c.FetchBuildSpread, Link: c.FetchLink, Limit: c.FetchLimit}
	w, err := r.newFleetWorld(ctx, &res)
	if err != nil {
		return res, err
	}
	defer w.close()

	c.Progress(fmt.Sprintf("fleet: creating %d accounts on %d customers (%s, %s on %s)", res.Accounts, res.Customers,
		plural(res.Identities, "identity", "identities"), plural(res.Replicas, "replica", "replicas"), res.Database))
	setupStart := time.Now()
	accounts, err := w.setup(ctx, res.Customers, res.Accounts)
	if err != nil {
		return res, err
	}
	c.Progress(fmt.Sprintf("fleet: %d accounts created in %s", len(accounts), secs(time.Since(setupStart))))
	if !c.FleetMorningOnly {
		w.clock.setup.Store(false)
		w.sims.sheetDelay.Store(int64(c.FleetSheetsLatency))
	}
	c.Progress(fmt.Sprintf("fleet: first sync of %d days of %d accounts", c.FleetFirstDays, len(accounts)))
	first, err := w.phase(ctx, &res, "first sync", c.FleetFirstDays, func(ctx context.Context) ([]string, error) {
		// Queued by a few API clients at once, as an onboarding script would.
		ids := make([]string, len(accounts))
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(8)
		for i, a := range accounts {
			g.Go(func() error {
				sy, created, err := w.replicas[i%len(w.replicas)].svc.EnqueueSync(gctx, service.SyncRequest{AccountID: a, Days: c.FleetFirstDays, Trigger: service.TriggerBackfill})
				if err != nil {
					return fmt.Errorf("bench: fleet: enqueue: %w", err)
				}
				if !created {
					return fmt.Errorf("bench: fleet: enqueue of %s returned the existing sync %s", a, sy.ID)
				}
				ids[i] = sy.ID
				return nil
			})
		}
		err := g.Wait()
		return slices.DeleteFunc(ids, func(id string) bool { return id == "" }), err
	})
	if c.FleetMorningOnly {
		// The first sync was setup: unpaced, without Sheets latency, not measured.
		res.Unmeasured = fmt.Sprintf("the first sync (%d of %d succeeded) ran as setup, without Google's quotas or latency, in %s", first.Succeeded, first.Syncs, secs(first.Makespan))
		c.Progress("fleet: " + res.Unmeasured)
		w.clock.setup.Store(false)
		w.sims.sheetDelay.Store(int64(c.FleetSheetsLatency))
	} else {
		res.Phases = append(res.Phases, first)
	}
	if err != nil {
		return res, err
	}
	// A quiet window between the phases, so the morning starts with every identity's quota whole
	// (after an unmeasured first sync the quotas are whole already).
	if !c.FleetMorningOnly {
		if err := sleep(ctx, q.Window); err != nil {
			return res, err
		}
	}
	c.Progress(fmt.Sprintf("fleet: morning refresh (%d days fetched again) of %d accounts", c.FleetRefreshDays, len(accounts)))
	morning, err := w.phase(ctx, &res, "morning refresh", c.FleetRefreshDays, w.morning)
	res.Phases = append(res.Phases, morning)
	return res, err
}

// Size of every fleet customer: small accounts, so the morning is about the limits, not the CPU.
const (
	fleetCampaigns = 2
	fleetAdgroups  = 3
	fleetKeywords  = 5
)

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// newFleetWorld starts the simulators and the replicas on one fresh database.
func (r *runner) newFleetWorld(ctx context.Context, res *Fleet) (*fleetWorld, error) {
	c := r.cfg
	q := res.Quota
	log := &sheetLog{}
	// A year back: room for 525,600 setup requests a minute apart before it reaches now.
	clock := &quotaClock{base: time.Now().AddDate(-1, 0, 0), window: q.Window}
	clock.setup.Store(true)
	s := newSimsWith(c.naverCosts(), fleetStandIn(q, clock), log)
	w := &fleetWorld{r: r, sims: s, log: log, clock: clock}
	for i := range res.Identities {
		w.identities = append(w.identities, fleetIdentity(i))
	}
	dialect := Postgres
	if c.SkipPostgres || pingPostgres(ctx, c.PostgresURL) != nil {
		if res.Replicas > 1 {
			s.close()
			return nil, errors.New("bench: fleet: several replicas need PostgreSQL (-postgres-url), which is unreachable or skipped")
		}
		dialect = SQLite
	}
	res.Database = dialect
	dbURL, drop, err := r.freshDB(ctx, dialect)
	if err != nil {
		s.close()
		return nil, err
	}
	w.drop = drop
	fu := url.URL{Scheme: "file", Path: filepath.Join(r.dir, fmt.Sprintf("fleet-files-%d", r.next())), RawQuery: "create_dir=1&metadata=skip&no_tmp_dir=1"}
	if w.files, err = blob.OpenBucket(ctx, fu.String()); err != nil {
		w.close()
		return nil, fmt.Errorf("bench: fleet: file store: %w", err)
	}
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	for i := range res.Replicas {
		rp, err := w.newReplica(ctx, dbURL, i, secret, res)
		if rp != nil {
			w.replicas = append(w.replicas, rp)
		}
		if err != nil {
			w.close()
			return nil, err
		}
	}
	return w, nil
}

// newReplica builds and starts one service instance as production wires it: the Naver client
// with its defaults (zip, adaptive rate kept in the database), one Sheets writer per identity.
func (w *fleetWorld) newReplica(ctx context.Context, dbURL string, i int, secret []byte, res *Fleet) (*fleetReplica, error) {
	c := w.r.cfg
	so := store.Options{Logger: c.Logger}
	if res.Database == Postgres {
		// As serve sizes the pool: a connection per worker, and a few for the rest.
		so.MaxOpenConns = res.FetchWorkers + res.ProcessWorkers + 8
	}
	st, err := store.Open(ctx, dbURL, so)
	if err != nil {
		return nil, fmt.Errorf("bench: fleet: open %s: %w", res.Database, err)
	}
	rp := &fleetReplica{store: st}
	nv, err := naver.NewClient(naver.Options{BaseURL: w.sims.naverSrv.URL, Logger: c.Logger, RateMemory: st})
	if err != nil {
		return rp, fmt.Errorf("bench: fleet: naver client: %w", err)
	}
	// The Sheets budget every replica shares through the database, as serve wires it, at the
	// stand-in's quota.
	q := res.Quota
	budget := setupBudget{setup: &w.clock.setup, shared: service.NewSharedBudget(st, service.QuotaConfig{
		User:         google.Quota{Reads: q.ReadsPerUser, Writes: q.WritesPerUser, Window: q.Window},
		ProjectReads: q.ReadsPerProject, ProjectWrites: q.WritesPerProject})}
	for _, id := range w.identities {
		gw, err := google.NewWriter(ctx, google.Config{Endpoint: w.sims.sheetsSrv.URL, Logger: c.Logger, ServiceAccountEmail: id,
			HTTPClient: &http.Client{Transport: callerTransport{email: id, base: http.DefaultTransport}}, Budget: budget})
		if err != nil {
			return rp, fmt.Errorf("bench: fleet: sheets writer: %w", err)
		}
		rp.writers = append(rp.writers, gw)
	}
	sheets := make([]service.SheetWriter, len(rp.writers))
	for i, gw := range rp.writers {
		sheets[i] = gw
	}
	svc, err := service.New(service.Config{
		ReplicaID:      fmt.Sprintf("fleet-%d", i+1),
		FetchWorkers:   res.FetchWorkers,
		ProcessWorkers: res.ProcessWorkers,
		ReportWindow:   config.DefaultReportWindow,
		SettleDays:     c.FleetRefreshDays,
		SecretKey:      secret,
		DataDir:        filepath.Join(w.r.dir, fmt.Sprintf("fleet-data-%d", w.r.next())),
		Files:          w.files,
		Logger:         c.Logger,
	}, st, nv, sheets...)
	if err != nil {
		return rp, fmt.Errorf("bench: fleet: service: %w", err)
	}
	if err := svc.Start(ctx); err != nil {
		return rp, fmt.Errorf("bench: fleet: start: %w", err)
	}
	rp.svc = svc
	return rp, nil
}

// setup registers the customers at Naver and creates the accounts, each with a spreadsheet
// shared with every identity; it returns the account ids.
func (w *fleetWorld) setup(ctx context.Context, customers, accounts int) ([]string, error) {
	base := 800000 + 10000*w.r.next()
	for i := range customers {
		w.sims.customer(fmt.Sprintf("%d", base+int64(i)), fleetCampaigns, fleetAdgroups, fleetKeywords)
	}
	ids := make([]string, accounts)
	history := w.r.cfg.FleetFirstDays
	// One at a time: a new account goes to the least-loaded identity by the accounts counted
	// when it is created, so creates at once would all pick the same identity.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(1)
	for j := range accounts {
		g.Go(func() error {
			cust := fmt.Sprintf("%d", base+int64(j%customers))
			sheet := fmt.Sprintf("fleet-sheet-%d", j+1)
			w.sims.sheets.CreateSpreadsheet(sheet, w.identities...)
			rp := w.replicas[j%len(w.replicas)]
			a, err := rp.svc.CreateAccount(gctx, service.AccountInput{Name: fmt.Sprintf("fleet %d", j+1), CustomerID: cust,
				APIKey: "key-" + cust, SecretKey: "secret-" + cust, SpreadsheetID: sheet, SheetTab: "data", Level: service.LevelCampaign, HistoryDays: &history})
			if err != nil {
				return fmt.Errorf("bench: fleet: create account %d: %w", j+1, err)
			}
			ids[j] = a.ID
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return ids, nil
}

// morning queues the morning refresh as the scheduler does (RunRefreshNow: every account over
// its history, the settle window fetched again, in the planned order) and returns its syncs.
func (w *fleetWorld) morning(ctx context.Context) ([]string, error) {
	rp := w.replicas[0]
	since := time.Now().Add(-5 * time.Second) // the phases are a quota window apart
	n, err := rp.svc.RunRefreshNow(ctx)
	if err != nil {
		return nil, fmt.Errorf("bench: fleet: refresh: %w", err)
	}
	var ids []string
	cursor := ""
	for {
		page, next, err := rp.svc.ListSyncs(ctx, service.SyncFilter{CreatedAfter: since, Limit: 200, Cursor: cursor})
		if err != nil {
			return ids, fmt.Errorf("bench: fleet: list syncs: %w", err)
		}
		for _, sy := range page {
			if sy.Trigger == service.TriggerScheduled {
				ids = append(ids, sy.ID)
			}
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if len(ids) != n {
		return ids, fmt.Errorf("bench: fleet: the refresh queued %d syncs, %d found", n, len(ids))
	}
	return ids, nil
}

// phase queues a phase's syncs with enqueue, waits for every one to end and measures it.
func (w *fleetWorld) phase(ctx context.Context, f *Fleet, name string, days int, enqueue func(context.Context) ([]string, error)) (FleetPhase, error) {
	c := w.r.cfg
	p := FleetPhase{Name: name, Days: days, FailedKinds: map[string]int{}}
	quotaBefore := w.quotaErrors()
	bytesBefore := w.naverBytes()
	start := time.Now()
	ids, err := enqueue(ctx)
	p.Syncs = len(ids)
	if err != nil {
		return p, err
	}
	wctx, cancel := context.WithTimeout(ctx, c.FleetTimeout)
	defer cancel()
	var last time.Time
	done := 0
	progress := time.Now()
	for _, id := range ids {
		var sy service.Sync
		if err := w.replicas[0].svc.Follow(wctx, id, func(s service.Sync) error { sy = s; return nil }); err != nil {
			p.Err = fmt.Sprintf("%d of %d syncs ended when waiting stopped: %v", done, len(ids), err)
			break
		}
		done++
		if time.Since(progress) > 30*time.Second {
			c.Progress(fmt.Sprintf("fleet: %s: %d of %d syncs ended after %s", name, done, len(ids), secs(time.Since(start))))
			progress = time.Now()
		}
		switch {
		case sy.Status == service.StatusSucceeded:
			p.Succeeded++
		default:
			p.Failed++
			kind := sy.Status
			if sy.Error != nil {
				kind = string(sy.Error.Kind)
			}
			p.FailedKinds[kind]++
		}
		if sy.Attempts > 1 {
			p.Retried++
		}
		if sy.Timings.FinishedAt != nil && sy.Timings.FinishedAt.After(last) {
			last = *sy.Timings.FinishedAt
		}
		if t := sy.Timings.LockReleasedAt; t != nil && t.Sub(start) > p.Fetched {
			p.Fetched = t.Sub(start)
		}
	}
	end := time.Now()
	if p.Err == "" && !last.IsZero() {
		p.Makespan = last.Sub(start)
	} else {
		p.Makespan = end.Sub(start)
	}
	p.QuotaErrors = w.quotaErrors() - quotaBefore
	w.naverUse(&p, f, start, end, bytesBefore)
	w.googleUse(&p, f.Quota, start, end)
	if p.Err != "" {
		return p, fmt.Errorf("bench: fleet: %s: %s", name, p.Err)
	}
	return p, nil
}

// quotaErrors sums naversync_sheet_errors_total{kind="quota"} over the replicas.
func (w *fleetWorld) quotaErrors() int {
	n := 0
	for _, rp := range w.replicas {
		mfs, err := rp.svc.Gatherer().Gather()
		if err != nil {
			continue
		}
		for _, mf := range mfs {
			if mf.GetName() != "naversync_sheet_errors_total" {
				continue
			}
			for _, m := range mf.GetMetric() {
				for _, l := range m.GetLabel() {
					if l.GetName() == "kind" && l.GetValue() == string(service.KindQuota) {
						n += int(m.GetCounter().GetValue())
					}
				}
			}
		}
	}
	return n
}

// naverBytes is each customer's download bytes so far.
func (w *fleetWorld) naverBytes() map[string]int64 {
	out := map[string]int64{}
	for _, q := range w.sims.naver.Requests() {
		if _, ok := out[q.Customer]; !ok && q.Customer != "" {
			out[q.Customer] = w.sims.naver.LimitStats(q.Customer).DownloadBytes
		}
	}
	return out
}

// naverUse counts the phase's Naver calls per customer and computes the Naver bound.
func (w *fleetWorld) naverUse(p *FleetPhase, f *Fleet, from, to time.Time, bytesBefore map[string]int64) {
	minCalls := map[string]int{}
	for _, q := range w.sims.naver.Requests() {
		if q.Customer == "" || q.Start.Before(from) || q.Start.After(to) {
			continue
		}
		p.NaverCalls++
		switch {
		case q.Status == http.StatusTooManyRequests:
			p.NaverLimited++
		case q.Path == "/stat-reports" && q.Method == http.MethodPost && q.Status == http.StatusOK:
			minCalls[q.Customer] += 3 // create, one status poll, delete
		case strings.HasPrefix(q.Path, "/stat-reports/"):
			// polls and deletes: counted with their create
		default:
			minCalls[q.Customer]++ // downloads, master reports, job listings
		}
	}
	workers := max(f.FetchWorkers*f.Replicas, 1)
	var total, busiest time.Duration
	for cust, n := range minCalls {
		p.NaverMinCalls += n
		t := time.Duration(float64(n) / f.Limit * float64(time.Second))
		if f.Link > 0 {
			b := w.sims.naver.LimitStats(cust).DownloadBytes - bytesBefore[cust]
			t = max(t, time.Duration(float64(b)/float64(f.Link)*float64(time.Second)))
		}
		total += t
		busiest = max(busiest, t)
	}
	if len(minCalls) > 0 {
		p.NaverBound = max(total/time.Duration(workers), busiest) + f.Build
	}
}

// googleUse counts the phase's Sheets requests per identity and project and computes the
// Google bound: each identity's and each project's accepted reads and writes at its quota.
func (w *fleetWorld) googleUse(p *FleetPhase, q FleetQuota, from, to time.Time) {
	reqs := w.log.between(from, to)
	p.Identities = quotaUse(reqs, q.Window, func(id string) string { return id })
	p.Projects = quotaUse(reqs, q.Window, projectOf)
	at := func(n, perWindow int) time.Duration {
		if perWindow <= 0 {
			return 0
		}
		return time.Duration(float64(n) / float64(perWindow) * float64(q.Window))
	}
	consider := func(d time.Duration, by string) {
		if d > p.GoogleBound {
			p.GoogleBound, p.GoogleBy = d, by
		}
	}
	for _, u := range p.Identities {
		p.SheetReads += u.Reads
		p.SheetWrites += u.Writes
		consider(at(u.Reads, q.ReadsPerUser), "reads of "+u.Name)
		consider(at(u.Writes, q.WritesPerUser), "writes of "+u.Name)
	}
	for _, u := range p.Projects {
		consider(at(u.Reads, q.ReadsPerProject), "reads of project "+u.Name)
		consider(at(u.Writes, q.WritesPerProject), "writes of project "+u.Name)
	}
}

// quotaClock is the stand-in's quota clock. While setting up (creating the accounts, whose
// sheet access checks are reads) every reading is one window after the previous one, far in the
// past, so that no setup request counts against the measured phases' quota or waits for it;
// after setup it is the real time.
type quotaClock struct {
	setup  atomic.Bool
	base   time.Time
	window time.Duration
	n      atomic.Int64
}

func (c *quotaClock) now() time.Time {
	if c.setup.Load() {
		return c.base.Add(time.Duration(c.n.Add(1)) * c.window)
	}
	return time.Now()
}

// setupBudget is the replicas' Sheets budget: the shared one, except while the bench sets the
// fleet up (see quotaClock), when every request goes at once.
type setupBudget struct {
	setup  *atomic.Bool
	shared google.Budget
}

func (b setupBudget) Take(ctx context.Context, identity string, kind google.Kind) error {
	if b.setup.Load() {
		return ctx.Err()
	}
	return b.shared.Take(ctx, identity, kind)
}

func (b setupBudget) Hold(ctx context.Context, identity string, kind google.Kind, d time.Duration) error {
	if b.setup.Load() {
		return nil
	}
	return b.shared.Hold(ctx, identity, kind, d)
}

// fleetStandIn is the stand-in's configuration for the fleet: Google's quotas on clock.
func fleetStandIn(q FleetQuota, clock *quotaClock) sheetstest.Options {
	return sheetstest.Options{Quota: sheetstest.Quota{ReadsPerUser: q.ReadsPerUser, WritesPerUser: q.WritesPerUser,
		ReadsPerProject: q.ReadsPerProject, WritesPerProject: q.WritesPerProject, Window: q.Window, Now: clock.now}}
}

// fleetRows are the results of scenario 8.
func (r *Report) fleetRows() []row {
	f := r.Fleet
	if f == nil {
		return nil
	}
	q := f.Quota
	rows := []row{
		{"8 fleet: accounts on customers, identities, replicas", "", []string{fmt.Sprintf(
			"%d on %d (%d keywords each), %s in one project, %s on %s, %d fetch + %d processing workers each",
			f.Accounts, f.Customers, f.Keywords, plural(f.Identities, "identity", "identities"), plural(f.Replicas, "replica", "replicas"),
			f.Database, f.FetchWorkers, f.ProcessWorkers)}},
		{"  costs", "", []string{fmt.Sprintf("Naver: %s per call, built in %s–%s, link %.1f Mbit/s, %.0f calls/s per customer; "+
			"Sheets: %s per request, quota per %s: %d reads + %d writes per identity, %d + %d per project",
			f.Latency, f.Build, f.Build+f.Spread, float64(f.Link)*8/1e6, f.Limit, f.SheetsLatency, q.Window,
			q.ReadsPerUser, q.WritesPerUser, q.ReadsPerProject, q.WritesPerProject)}},
	}
	if f.Unmeasured != "" {
		rows = append(rows, row{"  not measured", "", []string{f.Unmeasured}})
	}
	for _, p := range f.Phases {
		target, verdictText := "", ""
		if p.Name == "morning refresh" {
			target = "≤ 1.25× bound, < 15 min"
			verdictText = ", " + verdict(p.OverBound() <= TargetFleetOverBound && p.Makespan < TargetFleetMakespan)
		}
		rows = append(rows,
			row{fmt.Sprintf("  %s (%d days): makespan vs bound", p.Name, p.Days), target, []string{fmt.Sprintf(
				"%s vs %s (%.2f×%s); Naver bound %s, Google bound %s (%s)", secs(p.Makespan), secs(p.Bound()), p.OverBound(), verdictText,
				secs(p.NaverBound), secs(p.GoogleBound), p.GoogleBy)}},
			row{"    syncs: succeeded, failed, retried; writes ended on quota", "all succeeded; 0 quota", []string{fmt.Sprintf(
				"%d of %d, %d%s, %d; %d (%s)", p.Succeeded, p.Syncs, p.Failed, kinds(p.FailedKinds), p.Retried, p.QuotaErrors,
				verdict(p.Failed == 0 && p.Succeeded == p.Syncs && p.QuotaErrors == 0))}},
			row{"    Naver calls (fewest), 429s; all fetched after", "", []string{fmt.Sprintf("%d (%d), %d; %s", p.NaverCalls, p.NaverMinCalls, p.NaverLimited, secs(p.Fetched))}},
			row{"    Sheets reads + writes per sync", "", []string{fmt.Sprintf("%.2f + %.2f (%d + %d accepted)",
				ratio(float64(p.SheetReads), float64(p.Syncs)), ratio(float64(p.SheetWrites), float64(p.Syncs)), p.SheetReads, p.SheetWrites)}},
		)
		over := p.OverQuota(q)
		rows = append(rows, row{"    identities above quota in a window; 429s", "none; 0", []string{fmt.Sprintf("%s; %d (%s)",
			orNone(over), p.Limited(), verdict(len(over) == 0 && p.Limited() == 0))}})
		for _, u := range p.Identities {
			rows = append(rows, row{"      " + u.Name, fmt.Sprintf("≤ %d + %d", q.ReadsPerUser, q.WritesPerUser), []string{quotaCell(u)}})
		}
		for _, u := range p.Projects {
			rows = append(rows, row{"      project " + u.Name, fmt.Sprintf("≤ %d + %d", q.ReadsPerProject, q.WritesPerProject), []string{quotaCell(u)}})
		}
	}
	return rows
}

func quotaCell(u QuotaUse) string {
	return fmt.Sprintf("%d reads (%d 429), %d writes (%d 429); busiest window %d reads, %d writes",
		u.Reads, u.ReadsLimited, u.Writes, u.WritesLimited, u.MaxReads, u.MaxWrites)
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

func kinds(m map[string]int) string {
	if len(m) == 0 {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// writeFleetMarkdown writes scenario 8 as a section of docs/benchmarks.md.
func (r *Report) writeFleetMarkdown(w io.Writer, command string) error {
	f, m := r.Fleet, r.Machine
	if f == nil {
		return errors.New("bench: no fleet result")
	}
	fmt.Fprintf(w, "### %d accounts, %s\n\n", f.Accounts, plural(f.Identities, "identity", "identities"))
	fmt.Fprintf(w, "`%s`, %s, on %d CPUs (nproc), %s, %s %s/%s; the run took %s.\n\n", command,
		r.At.UTC().Format("2006-01-02 15:04 UTC"), m.CPUs, m.CPUModel, m.GoVersion, m.OS, m.Arch, secs(r.Took))
	writeMDTable(w, []string{"metric", "target", "result"}, r.fleetRows())
	fmt.Fprintln(w)
	for _, p := range f.Phases {
		fmt.Fprintf(w, "- **%s:** %s\n", p.Name, p.finding(f))
	}
	return nil
}

// finding says what bounds a phase and whether it met the targets.
func (p FleetPhase) finding(f *Fleet) string {
	s := fmt.Sprintf("%d of %d syncs succeeded in %s, %.2f× the bound of %s", p.Succeeded, p.Syncs, secs(p.Makespan), p.OverBound(), secs(p.Bound()))
	if p.GoogleBound >= p.NaverBound {
		s += fmt.Sprintf(", which Google's quota sets (%s: %d reads and %d writes accepted over the phase)", p.GoogleBy, p.SheetReads, p.SheetWrites)
	} else {
		s += fmt.Sprintf(", which Naver sets (%d calls at %.0f/s per customer over %d fetch workers)", p.NaverMinCalls, f.Limit, f.FetchWorkers*f.Replicas)
	}
	s += fmt.Sprintf("; %d answered 429 by Google, %d writes ended on quota, %d syncs retried.", p.Limited(), p.QuotaErrors, p.Retried)
	if over := p.OverQuota(f.Quota); len(over) > 0 {
		s += " Above quota in some window: " + strings.Join(over, ", ") + "."
	}
	if p.Err != "" {
		s += " " + p.Err + "."
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
