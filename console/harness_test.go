package console_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	_ "gocloud.dev/blob/fileblob"

	"github.com/naversync/naversync/api"
	"github.com/naversync/naversync/console"
	"github.com/naversync/naversync/google/sheetstest"
	"github.com/naversync/naversync/naver/navertest"
	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/service/servicetest"
	"github.com/naversync/naversync/store/storetest"
)

// testToken is the bearer token of environments with authentication on.
const testToken = "t0ken"

// env is the real service (SQLite, Naver simulator behind a gate, Sheets stand-in) behind the
// API, with the console mounted at /ui/, on an httptest server.
type env struct {
	t      *testing.T
	svc    *service.Service
	naver  *navertest.Server
	gate   *gate
	sheets *sheetstest.Server
	srv    *httptest.Server
}

// newEnv starts an environment; with auth, the API requires testToken.
func newEnv(t *testing.T, auth bool) *env {
	t.Helper()
	var tokens []string
	if auth {
		tokens = []string{testToken}
	}
	return newEnvWith(t, envOptions{tokens: tokens})
}

// envOptions shape an environment.
type envOptions struct {
	// tokens the API accepts ("[role:]token"); none turns authentication off.
	tokens []string
	// scheduler starts the refresh scheduler (at 06:00, Naver's time zone), before any account
	// exists, so that its catch-up of the day's refresh queues nothing.
	scheduler bool
	// identities are Google identities besides the default (servicetest's GoogleIdentities).
	identities []string
}

// newEnvWith starts an environment shaped by o.
func newEnvWith(t *testing.T, o envOptions) *env {
	t.Helper()
	db := storetest.Databases(t)[0] // SQLite
	log := slog.New(slog.NewTextHandler(servicetest.Writer(t), &slog.HandlerOptions{Level: slog.LevelWarn}))

	g := &gate{}
	t.Cleanup(g.release) // never leave a request blocked at shutdown
	w := servicetest.NewWorld(t, db, servicetest.WorldOptions{WrapNaver: g.wrap})
	eo := servicetest.EngineOptions{PollInterval: 100 * time.Millisecond, LogLevel: slog.LevelWarn, GoogleIdentities: o.identities}
	if o.scheduler {
		eo.Scheduler = &service.SchedulerConfig{Schedule: "0 6 * * *", PendingRetry: "-"}
	}
	e := w.Engine(eo)
	t.Cleanup(g.release) // runs before the engine's stop (cleanups run last first)
	svc, nv, sh := e.Service, w.Naver, w.Sheets
	srv := httptest.NewServer(api.New(svc, api.Options{Tokens: o.tokens, Logger: log, UI: console.Handler()}))
	t.Cleanup(srv.Close)
	return &env{t: t, svc: svc, naver: nv, gate: g, sheets: sh, srv: srv}
}

// account creates an account of a small simulated customer whose spreadsheet exists and is
// shared with the writer, so that its syncs succeed.
func (e *env) account(name, customer, sheet string) service.Account {
	e.t.Helper()
	e.naver.AddCustomer(navertest.Customer{ID: customer, APIKey: "key-" + customer, SecretKey: "secret-" + customer,
		Campaigns: 2, AdgroupsPerCampaign: 2, KeywordsPerAdgroup: 3, Seed: 7})
	e.sheets.CreateSpreadsheet(sheet, sheetstest.DefaultCaller)
	a, err := e.svc.CreateAccount(e.t.Context(), service.AccountInput{Name: name, CustomerID: customer,
		APIKey: "key-" + customer, SecretKey: "secret-" + customer, SpreadsheetID: sheet, Level: service.LevelCampaign})
	if err != nil {
		e.t.Fatalf("create account %s: %v", name, err)
	}
	return a
}

// syncAndWait runs one sync of the account through the service until it is terminal.
func (e *env) syncAndWait(accountID string, days int) service.Sync {
	e.t.Helper()
	s, _, err := e.svc.EnqueueSync(e.t.Context(), service.SyncRequest{AccountID: accountID, Days: days, Trigger: service.TriggerManual})
	if err != nil {
		e.t.Fatalf("enqueue: %v", err)
	}
	return e.waitTerminal(s.ID)
}

// waitTerminal follows a sync on the service's change feed until it is terminal.
func (e *env) waitTerminal(id string) service.Sync {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.t.Context(), 90*time.Second)
	defer cancel()
	var last service.Sync
	if err := e.svc.Follow(ctx, id, func(s service.Sync) error { last = s; return nil }); err != nil {
		e.t.Fatalf("sync %s did not finish: %v (last %+v)", id, err, last)
	}
	return last
}

// syncsOf lists every sync of an account, newest first.
func (e *env) syncsOf(accountID string) []service.Sync {
	e.t.Helper()
	items, _, err := e.svc.ListSyncs(e.t.Context(), service.SyncFilter{AccountID: accountID, Limit: 200})
	if err != nil {
		e.t.Fatalf("list syncs: %v", err)
	}
	return items
}

// gate holds every request to the Naver simulator while it is closed, so that a test can keep
// a customer's lease held (the sync is talking to Naver) for as long as it needs.
type gate struct {
	mu sync.Mutex
	ch chan struct{} // nil or closed: open
}

// hold closes the gate: requests from now on wait.
func (g *gate) hold() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ch == nil {
		g.ch = make(chan struct{})
	}
}

// release opens the gate and lets the waiting requests through.
func (g *gate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ch != nil {
		close(g.ch)
		g.ch = nil
	}
}

func (g *gate) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		ch := g.ch
		g.mu.Unlock()
		if ch != nil {
			select {
			case <-ch:
			case <-r.Context().Done():
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// accounts lists the live accounts, through the service.
func (e *env) accounts() []service.Account {
	e.t.Helper()
	items, _, err := e.svc.ListAccounts(e.t.Context(), 200, "")
	if err != nil {
		e.t.Fatalf("list accounts: %v", err)
	}
	return items
}
