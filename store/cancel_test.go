package store_test

import (
	"testing"
	"time"

	"github.com/naversync/naversync/store"
)

func TestCancelRules(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := ctxT(t)

		// queued: canceled at once.
		q := mustEnqueue(t, e.s, store.Sync{CustomerID: "Q"})
		got, err := e.s.CancelSync(ctx, q.ID)
		must(t, err)
		if got.Status != store.StatusCanceled || got.FinishedAt == nil {
			t.Fatalf("cancel queued = %+v", got)
		}
		_, err = e.s.CancelSync(ctx, q.ID)
		wantErr(t, err, store.ErrConflict)
		_, err = e.s.CancelSync(ctx, "missing")
		wantErr(t, err, store.ErrNotFound)

		// fetching: only requested; FinishFetch then ends it as canceled.
		f := mustEnqueue(t, e.s, store.Sync{CustomerID: "F"})
		_, l, err := e.s.ClaimFetch(ctx, "w", ttl)
		must(t, err)
		got, err = e.s.CancelSync(ctx, f.ID)
		must(t, err)
		if got.Status != store.StatusFetching || !got.CancelRequested {
			t.Fatalf("cancel fetching = %+v", got)
		}
		if _, cancel, err := e.s.Renew(ctx, *l, ttl); err != nil || !cancel {
			t.Fatalf("renew after a cancel request = %v %v, want the request reported", cancel, err)
		}
		must(t, e.s.FinishFetch(ctx, *l))
		got, _ = e.s.GetSync(ctx, f.ID)
		if got.Status != store.StatusCanceled {
			t.Fatalf("FinishFetch of a canceled sync = %s", got.Status)
		}

		// processing, claimed: requested, the worker marks it; unclaimed: at once.
		p := mustEnqueue(t, e.s, store.Sync{CustomerID: "P"})
		_, l, err = e.s.ClaimFetch(ctx, "w", ttl)
		must(t, err)
		must(t, e.s.FinishFetch(ctx, *l))
		_, pc, err := e.s.ClaimProcess(ctx, "pw", ttl)
		must(t, err)
		got, err = e.s.CancelSync(ctx, p.ID)
		must(t, err)
		if got.Status != store.StatusProcessing || !got.CancelRequested {
			t.Fatalf("cancel processing = %+v", got)
		}
		must(t, e.s.CancelClaimed(ctx, *pc))
		got, _ = e.s.GetSync(ctx, p.ID)
		if got.Status != store.StatusCanceled || got.FinishedAt == nil {
			t.Fatalf("CancelClaimed = %+v", got)
		}

		u := mustEnqueue(t, e.s, store.Sync{CustomerID: "U"})
		_, l, err = e.s.ClaimFetch(ctx, "w", ttl)
		must(t, err)
		must(t, e.s.FinishFetch(ctx, *l))
		got, err = e.s.CancelSync(ctx, u.ID)
		must(t, err)
		if got.Status != store.StatusCanceled {
			t.Fatalf("cancel unclaimed processing = %+v", got)
		}
	})
}

func TestCancelRequestedIsNotResumed(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := ctxT(t)
		// A fetching sync whose cancel was requested and whose worker died is
		// canceled by Rescue, not requeued.
		f := mustEnqueue(t, e.s, store.Sync{CustomerID: "F"})
		_, _, err := e.s.ClaimFetch(ctx, "w", ttl)
		must(t, err)
		_, err = e.s.CancelSync(ctx, f.ID)
		must(t, err)
		// A processing sync in the same situation, too.
		p := mustEnqueue(t, e.s, store.Sync{CustomerID: "P"})
		_, l, err := e.s.ClaimFetch(ctx, "w", ttl)
		must(t, err)
		must(t, e.s.FinishFetch(ctx, *l))
		_, _, err = e.s.ClaimProcess(ctx, "pw", ttl)
		must(t, err)
		_, err = e.s.CancelSync(ctx, p.ID)
		must(t, err)
		// A transient failure of a cancel-requested sync ends it.
		r := mustEnqueue(t, e.s, store.Sync{CustomerID: "R"})
		_, rc, err := e.s.ClaimFetch(ctx, "w", ttl)
		must(t, err)
		_, err = e.s.CancelSync(ctx, r.ID)
		must(t, err)
		must(t, e.s.RequeueSync(ctx, *rc, store.Requeue{RunAfter: e.clock.Now(), Kind: "transient", Message: "x"}))

		e.clock.Advance(ttl + time.Second)
		n, err := e.s.Rescue(ctx)
		must(t, err)
		if n != 2 {
			t.Fatalf("Rescue = %d, want 2", n)
		}
		for _, id := range []string{f.ID, p.ID, r.ID} {
			got, _ := e.s.GetSync(ctx, id)
			if got.Status != store.StatusCanceled {
				t.Fatalf("sync %s = %s, want canceled", id, got.Status)
			}
		}
	})
}

func TestRetryRules(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := ctxT(t)
		fresh := e.clock.Now().Add(-time.Hour).UTC().Truncate(time.Microsecond)
		orig := mustEnqueue(t, e.s, store.Sync{CustomerID: "A", From: "2026-02-01", To: "2026-02-05", ReuseBefore: "2026-02-03", FreshAfter: fresh, MaxAttempts: 4})
		_, err := e.s.RetrySync(ctx, orig.ID, "")
		wantErr(t, err, store.ErrConflict) // queued
		_, err = e.s.RetrySync(ctx, "missing", "")
		wantErr(t, err, store.ErrNotFound)

		_, oc, err := e.s.ClaimFetch(ctx, "w", ttl)
		must(t, err)
		must(t, e.s.FailSync(ctx, *oc, "auth", "bad"))
		e.clock.Advance(time.Minute)
		r, err := e.s.RetrySync(ctx, orig.ID, "retry-1")
		must(t, err)
		if r.ID == orig.ID || r.RetryOf != orig.ID || r.Trigger != store.TriggerRetry || r.Status != store.StatusQueued ||
			r.From != orig.From || r.To != orig.To || r.ReuseBefore != orig.ReuseBefore || !r.FreshAfter.Equal(fresh) ||
			r.MaxAttempts != 4 || r.IdempotencyKey != "retry-1" {
			t.Fatalf("retry = %+v", r)
		}
		again, err := e.s.RetrySync(ctx, orig.ID, "retry-1")
		must(t, err)
		if again.ID != r.ID {
			t.Fatalf("idempotent retry made %s, want %s", again.ID, r.ID)
		}
		_, err = e.s.RetrySync(ctx, r.ID, "")
		wantErr(t, err, store.ErrConflict) // the retry itself is queued

		_, err = e.s.CancelSync(ctx, r.ID)
		must(t, err)
		r2, err := e.s.RetrySync(ctx, r.ID, "")
		must(t, err)
		if r2.RetryOf != r.ID {
			t.Fatalf("retry of canceled = %+v", r2)
		}
	})
}
