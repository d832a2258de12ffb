package api_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/naversync/naversync/service"
)

// syncsEvent decodes the data of one "syncs" event, checking it against the SyncList schema.
func syncsEvent(t *testing.T, c *client, ev event) []service.Sync {
	t.Helper()
	if ev.Name != "syncs" || ev.ID == "" {
		t.Fatalf("event %+v", ev)
	}
	c.validateSchema("SyncList", []byte(ev.Data))
	var p struct {
		Items []service.Sync `json:"items"`
	}
	if err := json.Unmarshal([]byte(ev.Data), &p); err != nil {
		t.Fatal(err)
	}
	return p.Items
}

func TestSyncListEvents(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noStart: true}) // syncs stay queued until canceled
	a := e.account("2010")
	other := e.account("2011")
	var s service.Sync
	e.c.do("POST", "/syncs", map[string]any{"account_id": a.ID, "days": 1}, nil).want(http.StatusAccepted).decode(&s)
	e.c.do("POST", "/syncs", map[string]any{"account_id": other.ID, "days": 1}, nil).want(http.StatusAccepted)

	var lists [][]service.Sync
	e.c.stream("/syncs/events?account_id="+a.ID+"&status=queued,canceled&limit=10", func(ev event, _ int) bool {
		if ev.Name == "" {
			return true // a heartbeat
		}
		lists = append(lists, syncsEvent(t, e.c, ev))
		if len(lists) == 1 {
			if _, err := e.svc.CancelSync(t.Context(), s.ID); err != nil {
				t.Fatal(err)
			}
			return true
		}
		return lists[len(lists)-1][0].Status != service.StatusCanceled
	}).want(http.StatusOK)
	if first := lists[0]; len(first) != 1 || first[0].ID != s.ID || first[0].Status != service.StatusQueued {
		t.Fatalf("first event %+v: want only the queued sync of the account", first)
	}
	for i, l := range lists[1:] {
		if len(l) != 1 || l[0].ID != s.ID {
			t.Fatalf("event %d: %+v", i+2, l)
		}
	}

	// A filter nothing matches still starts with an (empty) list.
	e.c.stream("/syncs/events?status=succeeded", func(ev event, _ int) bool {
		if ev.Name == "" {
			return true
		}
		if got := syncsEvent(t, e.c, ev); len(got) != 0 {
			t.Fatalf("succeeded syncs %+v", got)
		}
		return false
	}).want(http.StatusOK)

	for _, q := range []string{"limit=0", "status=done", "created_after=yesterday", "customer_id=12a", "account_id=../x", "cursor=abc"} {
		e.c.stream("/syncs/events?"+q, nil).want(http.StatusBadRequest)
	}
	e.c.do("POST", "/syncs/events", nil, nil).want(http.StatusMethodNotAllowed)
}
