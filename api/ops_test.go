package api_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/naversync/naversync/api"
	"github.com/naversync/naversync/google/sheetstest"
	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/store/storetest"
)

func TestHealthReadyMetrics(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	var st map[string]string
	e.c.do("GET", "/healthz", nil, nil).want(http.StatusOK).decode(&st)
	if st["status"] != "ok" {
		t.Fatalf("healthz %v", st)
	}
	e.c.do("GET", "/readyz", nil, nil).want(http.StatusOK)
	m := e.c.do("GET", "/metrics", nil, nil).want(http.StatusOK)
	if !bytes.Contains(m.Body, []byte("naversync_syncs{")) {
		t.Fatalf("metrics lack the queue depth:\n%.500s", m.Body)
	}

	stopped := newEnv(t, envOptions{noStart: true})
	p := stopped.c.do("GET", "/readyz", nil, nil).want(http.StatusServiceUnavailable).problem()
	if strings.Contains(p.Detail, "workers") {
		t.Fatalf("readyz leaks the cause: %+v", p)
	}
	stopped.c.do("GET", "/healthz", nil, nil).want(http.StatusOK)
}

func TestInfoLeasesScheduler(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noStart: true})
	r := e.c.do("GET", "/info", nil, nil).want(http.StatusOK)
	var raw map[string]any
	r.decode(&raw)
	if raw["served_to"] != day(1) || raw["version"] == "" {
		t.Fatalf("info %v", raw)
	}

	var leases struct{ Items []service.Lease }
	e.c.do("GET", "/leases", nil, nil).want(http.StatusOK).decode(&leases)
	if len(leases.Items) != 0 {
		t.Fatalf("leases %+v", leases)
	}

	var sched service.SchedulerStatus
	e.c.do("GET", "/scheduler", nil, nil).want(http.StatusOK).decode(&sched)

	e.account("3001")
	e.account("3002")
	var q struct{ Queued int }
	e.c.do("POST", "/scheduler/run", nil, nil).want(http.StatusAccepted).decode(&q)
	if q.Queued != 2 || e.syncCount() != 2 {
		t.Fatalf("queued %d, %d syncs", q.Queued, e.syncCount())
	}
	e.c.do("POST", "/scheduler/run", nil, nil).want(http.StatusAccepted).decode(&q)
	if q.Queued != 0 || e.syncCount() != 2 {
		t.Fatalf("second run queued %d, %d syncs", q.Queued, e.syncCount())
	}
}

func TestLeasesWhileFetching(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	a := e.account("3003")
	var s service.Sync
	e.c.do("POST", "/syncs", map[string]any{"account_id": a.ID, "days": 1}, nil).want(http.StatusAccepted).decode(&s)
	e.waitTerminal(s.ID)
	var leases struct{ Items []service.Lease }
	e.c.do("GET", "/leases", nil, nil).want(http.StatusOK).decode(&leases)
	if len(leases.Items) != 0 {
		t.Fatalf("a lease outlived its sync: %+v", leases.Items)
	}
}

// TestRequestIDAndAccessLog: the request id is echoed (a hostile one replaced), and the access
// log names the request without its Authorization header or body.
func TestRequestIDAndAccessLog(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noStart: true})
	e.sheets.CreateSpreadsheet("s", sheetstest.DefaultCaller)
	var mu sync.Mutex
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(lockedWriter{&mu, &buf}, nil))
	srv := httptest.NewServer(api.New(e.svc, api.Options{Tokens: []string{"tok-secret"}, Logger: log}))
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL, "tok-secret")

	r := c.do("GET", "/accounts", nil, http.Header{"X-Request-Id": {"client-id-1"}}).want(http.StatusOK)
	if r.Header.Get("X-Request-Id") != "client-id-1" {
		t.Fatalf("X-Request-Id %q", r.Header.Get("X-Request-Id"))
	}
	r = c.do("GET", "/accounts", nil, http.Header{"X-Request-Id": {"evil\" id <script>"}}).want(http.StatusOK)
	if id := r.Header.Get("X-Request-Id"); id == "" || strings.ContainsAny(id, "\" <") {
		t.Fatalf("hostile X-Request-Id echoed: %q", id)
	}
	c.do("POST", "/accounts", map[string]any{"name": "n", "customer_id": "1", "api_key": "k", "secret_key": "BODY-SECRET", "spreadsheet_id": "s"}, nil).want(http.StatusCreated)
	mu.Lock()
	out := buf.String()
	mu.Unlock()
	if strings.Contains(out, "tok-secret") || strings.Contains(out, "BODY-SECRET") {
		t.Fatalf("log leaks a secret:\n%s", out)
	}
	for _, want := range []string{`"method":"POST"`, `"path":"/accounts"`, `"status":201`, `"request_id":"client-id-1"`, `"bytes":`, `"duration":`} {
		if !strings.Contains(out, want) {
			t.Fatalf("access log lacks %s:\n%s", want, out)
		}
	}
}

func TestUIAndUnknownRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noStart: true})
	ui := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ui:" + r.URL.Path)) })
	srv := httptest.NewServer(api.New(e.svc, api.Options{UI: ui, Tokens: []string{"t"}}))
	t.Cleanup(srv.Close)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/ui/" {
		t.Fatalf("/ -> %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, err = http.Get(srv.URL + "/ui/app.js")
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	_, _ = body.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || body.String() != "ui:/ui/app.js" {
		t.Fatalf("ui: %d %q", resp.StatusCode, body.String())
	}

	e.c.do("GET", "/nope", nil, nil).want(http.StatusNotFound)
	e.c.do("GET", "/", nil, nil).want(http.StatusNotFound) // no UI configured
	r := e.c.do("PUT", "/accounts", nil, nil).want(http.StatusMethodNotAllowed)
	if allow := r.Header.Get("Allow"); allow != "GET, POST" {
		t.Fatalf("Allow %q", allow)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// TestSchedulerMorningProgress: GET /scheduler tells the progress of the day's scheduled syncs
// (planned, done, remaining, when they started), and /metrics the same; on both databases.
func TestSchedulerMorningProgress(t *testing.T) {
	t.Parallel()
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) { testSchedulerMorningProgress(t, newEnv(t, envOptions{db: &db})) })
	}
}

func testSchedulerMorningProgress(t *testing.T, e *env) {
	var ids []string
	for _, c := range []string{"3101", "3102"} {
		a := e.account(c)
		e.c.do("PATCH", "/accounts/"+a.ID, map[string]any{"history_days": 2}, nil).want(http.StatusOK)
		ids = append(ids, a.ID)
	}
	var sched service.SchedulerStatus
	e.c.do("GET", "/scheduler", nil, nil).want(http.StatusOK).decode(&sched)
	if m := sched.Morning; m.Planned != 0 || m.Day != day(0) || m.ExpectedEnd != nil {
		t.Fatalf("morning before any refresh: %+v", m)
	}
	e.c.do("POST", "/scheduler/run", nil, nil).want(http.StatusAccepted)
	e.c.do("GET", "/scheduler", nil, nil).want(http.StatusOK).decode(&sched)
	if m := sched.Morning; m.Planned != 2 || m.Done+m.Failed+m.Remaining != 2 {
		t.Fatalf("morning after queuing 2: %+v", m)
	}
	var syncIDs []string
	for _, id := range ids {
		var list struct{ Items []service.Sync }
		e.c.do("GET", "/syncs?account_id="+id, nil, nil).want(http.StatusOK).decode(&list)
		if len(list.Items) != 1 {
			t.Fatalf("syncs of %s: %+v", id, list.Items)
		}
		syncIDs = append(syncIDs, list.Items[0].ID)
	}
	for _, id := range syncIDs {
		e.waitTerminal(id)
	}
	e.c.do("GET", "/scheduler", nil, nil).want(http.StatusOK).decode(&sched)
	if m := sched.Morning; m.Planned != 2 || m.Done != 2 || m.Remaining != 0 || m.StartedAt == nil || m.ExpectedEnd != nil {
		t.Fatalf("morning once done: %+v", m)
	}
	body := e.c.do("GET", "/metrics", nil, nil).want(http.StatusOK).Body
	for _, want := range []string{`naversync_morning_syncs{state="done"} 2`, `naversync_morning_syncs{state="planned"} 2`, `naversync_morning_syncs{state="remaining"} 0`} {
		if !bytes.Contains(body, []byte(want)) {
			t.Fatalf("metrics lack %s:\n%s", want, grepLines(body, "naversync_morning"))
		}
	}
}

func grepLines(b []byte, prefix string) string {
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestManualSyncClippedToHistory: a manual sync reaching further back than the account's
// history_days is clipped to the window, and the answer says so; one wholly older is refused.
func TestManualSyncClippedToHistory(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noStart: true})
	a := e.account("3201")
	e.c.do("PATCH", "/accounts/"+a.ID, map[string]any{"history_days": 10}, nil).want(http.StatusOK)
	var s service.Sync
	e.c.do("POST", "/syncs", map[string]any{"account_id": a.ID, "days": 30}, nil).want(http.StatusAccepted).decode(&s)
	if s.From != day(10) || s.To != day(1) || len(s.Warnings) != 1 || s.Warnings[0].Field != "days" ||
		!strings.Contains(s.Warnings[0].Reason, "history_days") {
		t.Fatalf("a 30-day sync of an account keeping 10 days: %s..%s, warnings %+v", s.From, s.To, s.Warnings)
	}
	s = service.Sync{}
	e.c.do("POST", "/syncs", map[string]any{"account_id": a.ID, "from": day(5), "to": day(2)}, nil).want(http.StatusAccepted).decode(&s)
	if s.From != day(5) || len(s.Warnings) != 0 {
		t.Fatalf("a range inside the window: %s..%s, warnings %+v", s.From, s.To, s.Warnings)
	}
	p := e.c.do("POST", "/syncs", map[string]any{"account_id": a.ID, "from": day(40), "to": day(35)}, nil).want(http.StatusBadRequest).problem()
	if len(p.Errors) != 1 || p.Errors[0].Field != "from" {
		t.Fatalf("a range wholly older than the window: %+v", p)
	}
	// Without a range, a sync covers the account's window: the same range as the clipped one,
	// still queued, so the request is merged into it (200).
	s = service.Sync{}
	e.c.do("POST", "/syncs", map[string]any{"account_id": a.ID}, nil).want(http.StatusOK).decode(&s)
	if s.From != day(10) || s.To != day(1) {
		t.Fatalf("a sync without a range: %s..%s, want the account's 10 days", s.From, s.To)
	}
}
