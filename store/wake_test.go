package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/naversync/naversync/store"
)

// waitWake fails the test unless w receives within a generous bound (a
// hang guard, not a timing assertion).
func waitWake(t *testing.T, w <-chan struct{}, what string) {
	t.Helper()
	select {
	case _, ok := <-w:
		if !ok {
			t.Fatalf("%s: wake channel closed", what)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("%s: no wake-up", what)
	}
}

func TestWake(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := ctxT(t)
		// On PostgreSQL the listener is another replica, so the signal
		// crosses instances; on SQLite wake-ups are in-process.
		listener := e.s
		if e.db.Name == store.DialectPostgres {
			listener = e.open(t)
		}
		wctx, cancel := context.WithCancel(ctx)
		w := listener.Wake(wctx)
		if e.db.Name == store.DialectPostgres {
			waitWake(t, w, "listener connected")
		}
		select {
		case <-w:
			t.Fatal("wake-up before any change")
		default:
		}

		mustEnqueue(t, e.s, store.Sync{CustomerID: "A"})
		waitWake(t, w, "enqueue")
		_, l, err := e.s.ClaimFetch(ctx, "w", ttl)
		must(t, err)
		must(t, e.s.ReleaseLease(ctx, l.Lease()))
		waitWake(t, w, "release")
		e.clock.Advance(time.Second)
		must(t, rescueOne(ctx, e.s)) // the sync whose lease was given back goes back to the queue
		waitWake(t, w, "rescue")
		_, l, err = e.s.ClaimFetch(ctx, "w", ttl)
		must(t, err)
		must(t, e.s.RequeueSync(ctx, *l, store.Requeue{RunAfter: e.clock.Now()}))
		waitWake(t, w, "requeue")
		_, l, err = e.s.ClaimFetch(ctx, "w", ttl)
		must(t, err)
		must(t, e.s.FinishFetch(ctx, *l))
		waitWake(t, w, "finish fetch")

		cancel()
		for range w { // drains and ends once closed
		}
	})
}

func TestWakeClosedByClose(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		s := e.open(t)
		w := s.Wake(ctxT(t))
		must(t, s.Close())
		for range w {
		}
		if _, ok := <-s.Wake(ctxT(t)); ok {
			t.Fatal("Wake after Close returned an open channel")
		}
	})
}
