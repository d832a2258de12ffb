package store_test

import (
	"sync"
	"testing"
	"time"

	"github.com/naversync/naversync/store"
)

func TestIdempotencyKeys(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := ctxT(t)
		key := func(k, fp string) store.IdempotencyKey {
			return store.IdempotencyKey{Scope: "POST /syncs", Key: k, Fingerprint: fp, TTL: 24 * time.Hour}
		}
		in := store.Sync{AccountID: "a1", CustomerID: "c1", From: "2026-02-01", To: "2026-02-02"}
		first, err := e.s.EnqueueSyncOnce(ctx, &in, key("k1", "fp1"))
		must(t, err)
		if !first.Created || first.Replayed || first.Sync.IdempotencyKey != "" {
			t.Fatalf("first %+v", first)
		}
		again, err := e.s.EnqueueSyncOnce(ctx, &in, key("k1", "fp1"))
		must(t, err)
		if !again.Replayed || !again.Created || again.Sync.ID != first.Sync.ID {
			t.Fatalf("replay %+v", again)
		}
		_, err = e.s.EnqueueSyncOnce(ctx, &in, key("k1", "fp2"))
		wantErr(t, err, store.ErrKeyReused)
		// Another scope is another key.
		other := key("k1", "fp2")
		other.Scope = "POST /syncs/{id}/retry"
		_, err = e.s.EnqueueSyncOnce(ctx, &store.Sync{AccountID: "a1", CustomerID: "c1", From: "2026-02-03", To: "2026-02-03"}, other)
		must(t, err)

		// Merged into the equal queued sync: the key is kept with that outcome.
		merged, err := e.s.EnqueueSyncOnce(ctx, &in, key("k2", "fp1"))
		must(t, err)
		if merged.Created || merged.Replayed || merged.Sync.ID != first.Sync.ID {
			t.Fatalf("merged %+v", merged)
		}
		_, err = e.s.CancelSync(ctx, first.Sync.ID)
		must(t, err)
		replay, err := e.s.EnqueueSyncOnce(ctx, &in, key("k2", "fp1"))
		must(t, err)
		if !replay.Replayed || replay.Created || replay.Sync.ID != first.Sync.ID || replay.Sync.Status != store.StatusCanceled {
			t.Fatalf("replay of merged %+v", replay)
		}

		// Retry: the sync is checked before the key.
		r1, err := e.s.RetrySyncOnce(ctx, first.Sync.ID, key("r1", "retry-1"))
		must(t, err)
		if !r1.Created || r1.Sync.RetryOf != first.Sync.ID {
			t.Fatalf("retry %+v", r1)
		}
		_, err = e.s.RetrySyncOnce(ctx, "nope", key("r1", "retry-1"))
		wantErr(t, err, store.ErrNotFound)
		_, err = e.s.RetrySyncOnce(ctx, r1.Sync.ID, key("r1", "retry-1")) // queued: not retryable
		wantErr(t, err, store.ErrConflict)

		// After the expiry the key is free again, and expired keys are deleted.
		e.clock.Advance(24*time.Hour + time.Second)
		n, err := e.s.DeleteExpiredKeys(ctx, 0)
		must(t, err)
		if n != 4 {
			t.Fatalf("deleted %d expired keys, want 4", n)
		}
		later, err := e.s.EnqueueSyncOnce(ctx, &store.Sync{AccountID: "a1", CustomerID: "c1", From: "2026-02-05", To: "2026-02-05"}, key("k1", "fp9"))
		must(t, err)
		if !later.Created || later.Replayed {
			t.Fatalf("after expiry %+v", later)
		}
	})
}

// TestIdempotencyKeyConcurrent: many replicas repeating one request with one key at once create
// one sync, and every caller gets it.
func TestIdempotencyKeyConcurrent(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		stores := []*store.Store{e.s, e.open(t), e.open(t)}
		k := store.IdempotencyKey{Scope: "POST /syncs", Key: "burst", Fingerprint: "fp", TTL: time.Hour}
		const n = 12
		ids := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				in := store.Sync{AccountID: "a1", CustomerID: "c1", From: "2026-02-01", To: "2026-02-01"}
				out, err := stores[i%len(stores)].EnqueueSyncOnce(ctxT(t), &in, k)
				ids[i], errs[i] = out.Sync.ID, err
			}()
		}
		wg.Wait()
		for i := range n {
			must(t, errs[i])
			if ids[i] != ids[0] {
				t.Fatalf("answers name %s and %s", ids[0], ids[i])
			}
		}
		counts, err := e.s.CountSyncs(ctxT(t))
		must(t, err)
		if counts[store.StatusQueued] != 1 {
			t.Fatalf("%d syncs queued, want 1", counts[store.StatusQueued])
		}
	})
}
