package api_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/service/servicetest"
)

func TestCreateSyncRunsToSuccess(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	a := e.account("2001")
	var s service.Sync
	r := e.c.do("POST", "/syncs", map[string]any{"account_id": a.ID, "days": 2}, nil).want(http.StatusAccepted)
	r.decode(&s)
	if loc := r.Header.Get("Location"); loc != "/syncs/"+s.ID {
		t.Fatalf("Location %q", loc)
	}
	if s.AccountID != a.ID || s.From != day(2) || s.To != day(1) || s.Trigger != service.TriggerManual {
		t.Fatalf("sync %+v", s)
	}
	if fin := e.waitTerminal(s.ID); fin.Status != service.StatusSucceeded {
		t.Fatalf("finished %+v", fin)
	}
	e.c.do("GET", "/syncs/"+s.ID, nil, nil).want(http.StatusOK).decode(&s)
	if s.Status != service.StatusSucceeded || s.Progress.Percent != 100 {
		t.Fatalf("got %+v", s)
	}
	// A finished sync can be neither canceled nor retried.
	if p := e.c.do("POST", "/syncs/"+s.ID+"/cancel", nil, nil).want(http.StatusConflict).problem(); p.Type != "https://naversync.dev/problems/conflict" {
		t.Fatalf("problem %+v", p)
	}
	e.c.do("POST", "/syncs/"+s.ID+"/retry", nil, nil).want(http.StatusConflict)
}

func TestCreateSyncIdempotencyKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	a := e.account("2002")
	key := http.Header{"Idempotency-Key": {"k-2002-1"}}
	var first, second service.Sync
	e.c.do("POST", "/syncs", map[string]any{"account_id": a.ID, "from": day(3), "to": day(2)}, key).want(http.StatusAccepted).decode(&first)
	e.waitTerminal(first.ID) // no longer queued: only the key can match it now
	// The replay is the first answer: 202, the same sync and Location.
	r := e.c.do("POST", "/syncs", map[string]any{"account_id": a.ID, "from": day(3), "to": day(2)}, key).want(http.StatusAccepted)
	r.decode(&second)
	if second.ID != first.ID || r.Header.Get("Location") != "/syncs/"+first.ID || second.Status != service.StatusSucceeded {
		t.Fatalf("replay gave %s %s (Location %q), want %s", second.ID, second.Status, r.Header.Get("Location"), first.ID)
	}
	if n := e.syncCount(); n != 1 {
		t.Fatalf("%d syncs, want 1", n)
	}
	// Without the key, the same request after the first finished is a new sync.
	e.c.do("POST", "/syncs", map[string]any{"account_id": a.ID, "from": day(3), "to": day(2)}, nil).want(http.StatusAccepted)
	bad := http.Header{"Idempotency-Key": {strings.Repeat("k", 201)}}
	before := e.syncCount()
	e.c.do("POST", "/syncs", map[string]any{"account_id": a.ID, "days": 1}, bad).want(http.StatusBadRequest)
	if e.syncCount() != before {
		t.Fatal("a refused request created a sync")
	}
}

func TestCreateSyncDedupesQueued(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noStart: true}) // nothing runs: the first sync stays queued
	a := e.account("2003")
	var first, second service.Sync
	e.c.do("POST", "/syncs", map[string]any{"account_id": a.ID, "days": 3}, nil).want(http.StatusAccepted).decode(&first)
	e.c.do("POST", "/syncs", map[string]any{"account_id": a.ID, "days": 3}, nil).want(http.StatusOK).decode(&second)
	if first.ID != second.ID || e.syncCount() != 1 {
		t.Fatalf("dedupe gave %s and %s, %d syncs", first.ID, second.ID, e.syncCount())
	}
}

func TestCancelAndRetry(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noStart: true})
	a := e.account("2004")
	var s, c, r1, r2 service.Sync
	e.c.do("POST", "/syncs", map[string]any{"account_id": a.ID, "days": 1}, nil).want(http.StatusAccepted).decode(&s)
	// A queued sync cannot be retried.
	e.c.do("POST", "/syncs/"+s.ID+"/retry", nil, nil).want(http.StatusConflict)
	e.c.do("POST", "/syncs/"+s.ID+"/cancel", nil, nil).want(http.StatusOK).decode(&c)
	if c.Status != service.StatusCanceled {
		t.Fatalf("canceled %+v", c)
	}
	e.c.do("POST", "/syncs/"+s.ID+"/cancel", nil, nil).want(http.StatusConflict)

	key := http.Header{"Idempotency-Key": {"retry-2004"}}
	resp := e.c.do("POST", "/syncs/"+s.ID+"/retry", nil, key).want(http.StatusAccepted)
	resp.decode(&r1)
	if r1.RetryOf != s.ID || r1.Trigger != service.TriggerRetry || resp.Header.Get("Location") != "/syncs/"+r1.ID {
		t.Fatalf("retry %+v, Location %q", r1, resp.Header.Get("Location"))
	}
	e.c.do("POST", "/syncs/"+s.ID+"/retry", nil, key).want(http.StatusAccepted).decode(&r2)
	if r2.ID != r1.ID || e.syncCount() != 2 {
		t.Fatalf("retry replay gave %s, want %s; %d syncs", r2.ID, r1.ID, e.syncCount())
	}
	unknown := "0192f3c4-0000-7000-8000-000000000000"
	e.c.do("POST", "/syncs/"+unknown+"/cancel", nil, nil).want(http.StatusNotFound)
	e.c.do("POST", "/syncs/"+unknown+"/retry", nil, nil).want(http.StatusNotFound)
	e.c.do("GET", "/syncs/"+unknown, nil, nil).want(http.StatusNotFound)
}

func TestListSyncsFiltersAndPagination(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noStart: true})
	a := e.account("2005")
	b := e.account("2006")
	var ids []string
	for i := 1; i <= 5; i++ {
		var s service.Sync
		e.c.do("POST", "/syncs", map[string]any{"account_id": a.ID, "days": i}, nil).want(http.StatusAccepted).decode(&s)
		ids = append(ids, s.ID)
	}
	var other service.Sync
	e.c.do("POST", "/syncs", map[string]any{"account_id": b.ID, "days": 1}, nil).want(http.StatusAccepted).decode(&other)
	e.c.do("POST", "/syncs/"+ids[0]+"/cancel", nil, nil).want(http.StatusOK)

	type page struct {
		Items      []service.Sync `json:"items"`
		NextCursor string         `json:"next_cursor"`
	}
	list := func(q url.Values) []service.Sync {
		t.Helper()
		var all []service.Sync
		q.Set("limit", "2")
		for {
			var pg page
			e.c.do("GET", "/syncs?"+q.Encode(), nil, nil).want(http.StatusOK).decode(&pg)
			all = append(all, pg.Items...)
			if pg.NextCursor == "" {
				return all
			}
			q.Set("cursor", pg.NextCursor)
		}
	}
	if got := list(url.Values{"account_id": {a.ID}}); len(got) != 5 || got[0].ID != ids[4] {
		t.Fatalf("account filter: %d syncs, first %s", len(got), got[0].ID)
	}
	if got := list(url.Values{"customer_id": {"2006"}}); len(got) != 1 || got[0].ID != other.ID {
		t.Fatalf("customer filter: %+v", got)
	}
	if got := list(url.Values{"status": {"canceled"}}); len(got) != 1 || got[0].ID != ids[0] {
		t.Fatalf("status filter: %+v", got)
	}
	if got := list(url.Values{"status": {"canceled,queued"}}); len(got) != 6 {
		t.Fatalf("status list: %d", len(got))
	}
	if got := list(url.Values{"status": {"canceled", "failed"}}); len(got) != 1 {
		t.Fatalf("repeated status: %d", len(got))
	}
	future := servicetest.DefaultStart().Add(time.Hour).UTC().Format(time.RFC3339)
	if got := list(url.Values{"created_after": {future}}); len(got) != 0 {
		t.Fatalf("created_after: %d", len(got))
	}
	if got := list(url.Values{"created_before": {future}}); len(got) != 6 {
		t.Fatalf("created_before: %d", len(got))
	}
	for _, q := range []string{"limit=0", "limit=201", "status=done", "created_after=yesterday", "created_before=2026-01-01",
		"cursor=not-a-cursor", "cursor=" + strings.Repeat("A", 20), "customer_id=12a", "account_id=../x"} {
		e.c.do("GET", "/syncs?"+q, nil, nil).want(http.StatusBadRequest)
	}
}

func TestSyncEventsUntilTerminal(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	a := e.account("2007")
	var s service.Sync
	e.c.do("POST", "/syncs", map[string]any{"account_id": a.ID, "days": 2}, nil).want(http.StatusAccepted).decode(&s)
	var events []service.Sync
	e.c.stream("/syncs/"+s.ID+"/events", func(ev event, _ int) bool {
		if ev.Name == "" {
			return true // a heartbeat
		}
		if ev.Name != "sync" || ev.ID == "" {
			t.Fatalf("event %+v", ev)
		}
		e.c.validateSchema("Sync", []byte(ev.Data))
		var got service.Sync
		if err := json.Unmarshal([]byte(ev.Data), &got); err != nil {
			t.Fatal(err)
		}
		events = append(events, got)
		return true // read until the server ends the stream
	}).want(http.StatusOK)
	if len(events) == 0 || !events[len(events)-1].Terminal() {
		t.Fatalf("events %+v: the stream must end with a terminal status", events)
	}
	for _, ev := range events[:len(events)-1] {
		if ev.Terminal() {
			t.Fatalf("terminal event before the last: %+v", events)
		}
	}
	if last := events[len(events)-1]; last.ID != s.ID || last.Status != service.StatusSucceeded {
		t.Fatalf("last event %+v", last)
	}
	e.c.stream("/syncs/0192f3c4-0000-7000-8000-000000000000/events", nil).want(http.StatusNotFound)
	e.c.stream("/syncs/..%2F..%2Fetc/events", nil).want(http.StatusNotFound)
}

func TestSyncEventsHeartbeat(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noStart: true, heartbeat: time.Millisecond}) // the sync stays queued
	a := e.account("2008")
	var s service.Sync
	e.c.do("POST", "/syncs", map[string]any{"account_id": a.ID, "days": 1}, nil).want(http.StatusAccepted).decode(&s)
	syncs := 0
	e.c.stream("/syncs/"+s.ID+"/events", func(ev event, comments int) bool {
		if ev.Name == "sync" {
			syncs++
		}
		return comments < 2 // stop (disconnect) after two heartbeats
	}).want(http.StatusOK)
	if syncs != 1 {
		t.Fatalf("%d sync events before the heartbeats, want 1", syncs)
	}
	// The stream of a queued sync ends when it is canceled.
	var statuses []string
	e.c.stream("/syncs/"+s.ID+"/events", func(ev event, _ int) bool {
		if ev.Name == "sync" {
			var got service.Sync
			if err := json.Unmarshal([]byte(ev.Data), &got); err != nil {
				t.Fatal(err)
			}
			statuses = append(statuses, got.Status)
			if len(statuses) == 1 {
				if _, err := e.svc.CancelSync(t.Context(), s.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
		return true
	}).want(http.StatusOK)
	if len(statuses) < 2 || statuses[len(statuses)-1] != service.StatusCanceled {
		t.Fatalf("statuses %v", statuses)
	}
}
