package api_test

import (
	"bufio"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/naversync/naversync/api"
	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/service/servicetest"
	"github.com/naversync/naversync/store/storetest"
)

// countingService is the real engine, counting how often the sync list is read.
type countingService struct {
	api.Service
	lists atomic.Int64
}

func (c *countingService) ListSyncs(ctx context.Context, f service.SyncFilter) ([]service.Sync, string, error) {
	c.lists.Add(1)
	return c.Service.ListSyncs(ctx, f)
}

// listReader follows one list stream and remembers the data of its last event.
type listReader struct {
	mu   sync.Mutex
	last string
}

func (l *listReader) has(id string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Contains(l.last, id)
}

func followList(t *testing.T, url string) *listReader {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("list stream: %v", err)
	}
	lr := &listReader{}
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				lr.mu.Lock()
				lr.last = data
				lr.mu.Unlock()
			}
		}
	}()
	return lr
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestListStreamsShareReads: streams that follow the same list share its reads: a change costs
// about one read of the list, not one per stream.
func TestListStreamsShareReads(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noStart: true})
	a := e.account("8201")
	counting := &countingService{Service: e.svc}
	srv := httptest.NewServer(api.New(counting, api.Options{}))
	t.Cleanup(srv.Close)
	const streams, changes = 10, 3
	var readers []*listReader
	for range streams {
		readers = append(readers, followList(t, srv.URL+"/syncs/events?account_id="+a.ID))
	}
	opened := counting.lists.Load()
	for i := range changes {
		s, _, err := e.svc.EnqueueSync(t.Context(), service.SyncRequest{AccountID: a.ID, Days: i + 1})
		if err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "every stream to show the new sync", func() bool {
			for _, r := range readers {
				if !r.has(s.ID) {
					return false
				}
			}
			return true
		})
	}
	reads := counting.lists.Load() - opened
	t.Logf("%d streams, %d changes: %d list reads after the streams opened (%d to open them)", streams, changes, reads, opened)
	if reads > 3*changes {
		t.Fatalf("%d list reads for %d changes followed by %d streams: the streams do not share them", reads, changes, streams)
	}
}

// TestStreamsSeeOtherReplicas: a change made by another replica reaches both kinds of event
// streams through the change feed.
func TestStreamsSeeOtherReplicas(t *testing.T) {
	t.Parallel()
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := servicetest.NewWorld(t, db, servicetest.WorldOptions{})
			opts := servicetest.EngineOptions{NoStart: true, LogLevel: slog.LevelWarn}
			one, two := w.Engine(opts), w.Engine(opts)
			a := w.Account(one, "A", "8301", "sheet-8301", service.LevelCampaign)
			s, _, err := one.Service.EnqueueSync(t.Context(), service.SyncRequest{AccountID: a.ID, Days: 1})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(api.New(one.Service, api.Options{}))
			t.Cleanup(srv.Close)
			c := newClient(t, srv.URL, "")
			list := followList(t, srv.URL+"/syncs/events?status=canceled")
			var statuses []string
			c.stream("/syncs/"+s.ID+"/events", func(ev event, _ int) bool {
				if ev.Name == "sync" {
					statuses = append(statuses, ev.Data)
					if len(statuses) == 1 {
						if _, err := two.Service.CancelSync(t.Context(), s.ID); err != nil { // on the other replica
							t.Fatal(err)
						}
					}
				}
				return true
			}).want(http.StatusOK)
			if !strings.Contains(statuses[len(statuses)-1], `"status":"canceled"`) {
				t.Fatalf("the sync stream ended with %s", statuses[len(statuses)-1])
			}
			waitUntil(t, "the list stream to show the canceled sync", func() bool { return list.has(s.ID) })
		})
	}
}
