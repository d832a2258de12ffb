package api_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	_ "gocloud.dev/blob/fileblob"

	"github.com/naversync/naversync/api"
	"github.com/naversync/naversync/google/sheetstest"
	"github.com/naversync/naversync/naver/navertest"
	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/service/servicetest"
	"github.com/naversync/naversync/store"
	"github.com/naversync/naversync/store/storetest"
)

// The engine must satisfy the interface the handlers are written against.
var _ api.Service = (*service.Service)(nil)

// envOptions shape one test environment.
type envOptions struct {
	// db selects the database; default the SQLite entry of storetest.Databases.
	db *storetest.DB
	// tokens configure authentication; the client sends tokens[0] when set.
	tokens []string
	// noStart leaves the engine's workers stopped: syncs stay queued.
	noStart bool
	// heartbeat of event streams; default the package's.
	heartbeat time.Duration
	// maxBody bounds request bodies; default the package's.
	maxBody int64
	// wrapNaver wraps the Naver simulator's handler (to make Naver unreachable, slow, ...).
	wrapNaver func(http.Handler) http.Handler
	// api adjusts the handler's options.
	api func(*api.Options)
	// identities are Google identities besides the default (servicetest's GoogleIdentities).
	identities []string
}

// env is a real engine (store, Naver simulator, Sheets stand-in) behind the API on an
// httptest server, and a client that checks every exchange against openapi.yaml.
type env struct {
	t      *testing.T
	svc    *service.Service
	store  *store.Store
	naver  *navertest.Server
	sheets *sheetstest.Server
	srv    *httptest.Server
	c      *client
}

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	db := o.db
	if db == nil {
		db = &storetest.Databases(t)[0]
	}
	log := slog.New(slog.NewTextHandler(servicetest.Writer(t), &slog.HandlerOptions{Level: slog.LevelWarn}))

	w := servicetest.NewWorld(t, *db, servicetest.WorldOptions{WrapNaver: o.wrapNaver})
	e := w.Engine(servicetest.EngineOptions{PollInterval: 100 * time.Millisecond, NoStart: o.noStart, LogLevel: slog.LevelWarn,
		GoogleIdentities: o.identities})
	svc, nv, sh := e.Service, w.Naver, w.Sheets
	opts := api.Options{Tokens: o.tokens, Logger: log, Heartbeat: o.heartbeat, MaxBodyBytes: o.maxBody}
	if o.api != nil {
		o.api(&opts)
	}
	h := api.New(svc, opts)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	token := ""
	if len(o.tokens) > 0 {
		token = o.tokens[0]
	}
	return &env{t: t, svc: svc, store: e.Store, naver: nv, sheets: sh, srv: srv, c: newClient(t, srv.URL, token)}
}

// account creates, through the API, an account of a small simulated customer whose
// spreadsheet exists and is shared with the writer, so its syncs succeed.
func (e *env) account(customer string) service.Account {
	e.t.Helper()
	e.naver.AddCustomer(navertest.Customer{ID: customer, APIKey: "key-" + customer, SecretKey: "secret-" + customer,
		Campaigns: 1, AdgroupsPerCampaign: 1, KeywordsPerAdgroup: 2, Seed: 7})
	sheet := "sheet" + customer
	e.sheets.CreateSpreadsheet(sheet, sheetstest.DefaultCaller)
	var a service.Account
	r := e.c.do("POST", "/accounts", map[string]any{
		"name": "acct " + customer, "customer_id": customer, "api_key": "key-" + customer,
		"secret_key": "secret-" + customer, "spreadsheet_id": sheet, "level": "campaign",
	}, nil)
	r.want(http.StatusCreated).decode(&a)
	return a
}

// syncCount is the number of syncs in the database, read through the service.
func (e *env) syncCount() int {
	e.t.Helper()
	n, cursor := 0, ""
	for {
		items, next, err := e.svc.ListSyncs(e.t.Context(), service.SyncFilter{Limit: 200, Cursor: cursor})
		if err != nil {
			e.t.Fatalf("list syncs: %v", err)
		}
		n += len(items)
		if next == "" {
			return n
		}
		cursor = next
	}
}

// accountCount is the number of accounts, read through the service.
func (e *env) accountCount() int {
	e.t.Helper()
	n, after := 0, ""
	for {
		items, next, err := e.svc.ListAccounts(e.t.Context(), 200, after)
		if err != nil {
			e.t.Fatalf("list accounts: %v", err)
		}
		n += len(items)
		if next == "" {
			return n
		}
		after = next
	}
}

// waitTerminal follows a sync (on the service's change feed) until it is terminal.
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

// day is the Naver (KST) day n days before today, as YYYY-MM-DD. Today is the world's:
// servicetest.DefaultStart's day, whatever day the suite runs.
func day(n int) string { return servicetest.Day(servicetest.DefaultStart(), n) }

// navertestCustomer is a small simulated customer with the keys the tests use.
func navertestCustomer(id string) navertest.Customer {
	return navertest.Customer{ID: id, APIKey: "key-" + id, SecretKey: "secret-" + id,
		Campaigns: 1, AdgroupsPerCampaign: 1, KeywordsPerAdgroup: 2, Seed: 7}
}
