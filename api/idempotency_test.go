package api_test

import (
	"net/http"
	"sync"
	"testing"

	"github.com/naversync/naversync/service"
)

const (
	problemKeyReused = "https://naversync.dev/problems/idempotency-key-reused"
	problemKeyInUse  = "https://naversync.dev/problems/idempotency-key-in-use"
)

// TestIdempotencyKeyReplaysOnlyTheSameRequest: a key is scoped to its route and bound to a
// fingerprint of the request. The same request replays the first answer (same status, same
// sync, Idempotent-Replayed); a different request with the key is a 422 and changes nothing.
func TestIdempotencyKeyReplaysOnlyTheSameRequest(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noStart: true})
	a := e.account("7001")
	k := http.Header{"Idempotency-Key": {"k-7001"}}
	var first, again service.Sync
	r1 := e.c.do("POST", "/syncs", map[string]any{"account_id": a.ID, "days": 2}, k).want(http.StatusAccepted)
	r1.decode(&first)
	r2 := e.c.do("POST", "/syncs", map[string]any{"account_id": a.ID, "days": 2}, k).want(http.StatusAccepted)
	r2.decode(&again)
	if again.ID != first.ID || r2.Header.Get("Location") != r1.Header.Get("Location") || r2.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %s Location %q replayed %q; want %s %q true", again.ID, r2.Header.Get("Location"), r2.Header.Get("Idempotent-Replayed"), first.ID, r1.Header.Get("Location"))
	}
	if r1.Header.Get("Idempotent-Replayed") != "" {
		t.Fatal("the first answer is marked as a replay")
	}
	before := e.syncCount()
	for _, body := range []map[string]any{
		{"account_id": a.ID, "days": 3},
		{"account_id": a.ID, "days": 2, "full": true},
		{"account_id": a.ID, "from": day(2), "to": day(1)}, // the same days, asked differently: another request
	} {
		p := e.c.do("POST", "/syncs", body, k).want(http.StatusUnprocessableEntity).problem()
		if p.Type != problemKeyReused {
			t.Fatalf("key reused with %v: problem %+v", body, p)
		}
	}
	if e.syncCount() != before {
		t.Fatal("a refused request created a sync")
	}

	// Keys are scoped to the route: the same key on a retry is another key.
	e.c.do("POST", "/syncs/"+first.ID+"/cancel", nil, nil).want(http.StatusOK)
	var retry service.Sync
	e.c.do("POST", "/syncs/"+first.ID+"/retry", nil, k).want(http.StatusAccepted).decode(&retry)
	if retry.ID == first.ID || retry.RetryOf != first.ID {
		t.Fatalf("retry with a key used on POST /syncs: %+v", retry)
	}
}

// TestIdempotencyKeyOnRetryChecksTheSyncFirst: a retry with a key used for another sync's retry
// does not answer that other retry: an unknown sync is a 404, a sync that cannot be retried a
// 409, another retryable sync a 422.
func TestIdempotencyKeyOnRetryChecksTheSyncFirst(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noStart: true})
	a := e.account("7101")
	var x, y, z, rx, again service.Sync
	e.c.do("POST", "/syncs", map[string]any{"account_id": a.ID, "days": 1}, nil).want(http.StatusAccepted).decode(&x)
	e.c.do("POST", "/syncs", map[string]any{"account_id": a.ID, "days": 2}, nil).want(http.StatusAccepted).decode(&y)
	e.c.do("POST", "/syncs", map[string]any{"account_id": a.ID, "days": 3}, nil).want(http.StatusAccepted).decode(&z)
	e.c.do("POST", "/syncs/"+x.ID+"/cancel", nil, nil).want(http.StatusOK)
	e.c.do("POST", "/syncs/"+z.ID+"/cancel", nil, nil).want(http.StatusOK)
	k := http.Header{"Idempotency-Key": {"retry-7101"}}
	e.c.do("POST", "/syncs/"+x.ID+"/retry", nil, k).want(http.StatusAccepted).decode(&rx)
	r := e.c.do("POST", "/syncs/"+x.ID+"/retry", nil, k).want(http.StatusAccepted)
	r.decode(&again)
	if again.ID != rx.ID || r.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry replay gave %s, want %s", again.ID, rx.ID)
	}
	before := e.syncCount()
	e.c.do("POST", "/syncs/0192f3c4-0000-7000-8000-000000000000/retry", nil, k).want(http.StatusNotFound)
	e.c.do("POST", "/syncs/"+y.ID+"/retry", nil, k).want(http.StatusConflict) // y is queued
	if p := e.c.do("POST", "/syncs/"+z.ID+"/retry", nil, k).want(http.StatusUnprocessableEntity).problem(); p.Type != problemKeyReused {
		t.Fatalf("problem %+v", p)
	}
	if e.syncCount() != before {
		t.Fatal("a refused retry created a sync")
	}
}

// TestIdempotencyKeyStoredForMergedRequest: a request merged into an equal queued sync (200)
// keeps its key: repeating it replays that answer even after the sync left the queue, and the
// key cannot be reused for another request.
func TestIdempotencyKeyStoredForMergedRequest(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noStart: true})
	a := e.account("7201")
	var s1, merged, replay service.Sync
	e.c.do("POST", "/syncs", map[string]any{"account_id": a.ID, "days": 3}, nil).want(http.StatusAccepted).decode(&s1)
	k := http.Header{"Idempotency-Key": {"merged-7201"}}
	e.c.do("POST", "/syncs", map[string]any{"account_id": a.ID, "days": 3}, k).want(http.StatusOK).decode(&merged)
	if merged.ID != s1.ID {
		t.Fatalf("merged into %s, want %s", merged.ID, s1.ID)
	}
	e.c.do("POST", "/syncs/"+s1.ID+"/cancel", nil, nil).want(http.StatusOK) // no longer an equal queued sync
	r := e.c.do("POST", "/syncs", map[string]any{"account_id": a.ID, "days": 3}, k).want(http.StatusOK)
	r.decode(&replay)
	if replay.ID != s1.ID || r.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay of a merged request gave %s, want %s", replay.ID, s1.ID)
	}
	before := e.syncCount()
	if p := e.c.do("POST", "/syncs", map[string]any{"account_id": a.ID, "days": 5}, k).want(http.StatusUnprocessableEntity).problem(); p.Type != problemKeyReused {
		t.Fatalf("problem %+v", p)
	}
	if e.syncCount() != before {
		t.Fatal("the reused key created a sync")
	}
}

// TestIdempotencyKeyConcurrentRepeats: the same request sent many times at once with one key
// creates one sync; every answer is that sync, or a 409 telling that the first is in flight.
func TestIdempotencyKeyConcurrentRepeats(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noStart: true})
	a := e.account("7301")
	k := http.Header{"Idempotency-Key": {"burst-7301"}}
	const n = 16
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.c.do("POST", "/syncs", map[string]any{"account_id": a.ID, "days": 4}, k).want(http.StatusAccepted, http.StatusConflict)
			if r.Status == http.StatusConflict {
				if p := r.problem(); p.Type != problemKeyInUse || r.Header.Get("Retry-After") == "" {
					t.Errorf("409 %+v (Retry-After %q)", p, r.Header.Get("Retry-After"))
				}
				return
			}
			var s service.Sync
			r.decode(&s)
			ids[i] = s.ID
		}()
	}
	wg.Wait()
	got := map[string]bool{}
	for _, id := range ids {
		if id != "" {
			got[id] = true
		}
	}
	if len(got) != 1 || e.syncCount() != 1 {
		t.Fatalf("answers named %d syncs, %d syncs exist; want 1 and 1", len(got), e.syncCount())
	}
}
