package store_test

import (
	"testing"
	"time"

	"github.com/naversync/naversync/store"
)

const ttl = 30 * time.Second

func TestClaimFetchSkipsBusyCustomer(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := ctxT(t)
		a1 := mustEnqueue(t, e.s, store.Sync{CustomerID: "A", From: "2026-02-01", To: "2026-02-01"})
		e.clock.Advance(time.Second)
		a2 := mustEnqueue(t, e.s, store.Sync{CustomerID: "A", From: "2026-02-02", To: "2026-02-02"})
		e.clock.Advance(time.Second)
		b1 := mustEnqueue(t, e.s, store.Sync{CustomerID: "B"})
		e.clock.Advance(time.Second)

		s1, l1, err := e.s.ClaimFetch(ctx, "w1", ttl)
		must(t, err)
		if s1 == nil || s1.ID != a1.ID {
			t.Fatalf("first claim = %v, want oldest %s", s1, a1.ID)
		}
		now := e.clock.Now()
		if s1.Status != store.StatusFetching || s1.Phase != store.PhaseFetching || s1.Attempts != 1 || s1.Worker != "w1" ||
			s1.LeaseToken != l1.Token || s1.FetchStartedAt == nil || !s1.LockAcquiredAt.Equal(now) || s1.LockWait != 3*time.Second {
			t.Fatalf("claimed sync = %+v", s1)
		}
		if l1.CustomerID != "A" || l1.HolderSyncID != a1.ID || l1.Owner != "w1" || l1.Token != 1 || !l1.ExpiresAt.Equal(now.Add(ttl)) {
			t.Fatalf("lease = %+v", l1)
		}

		// a2 is older than b1 but its customer is busy.
		s2, l2, err := e.s.ClaimFetch(ctx, "w2", ttl)
		must(t, err)
		if s2 == nil || s2.ID != b1.ID || l2.CustomerID != "B" {
			t.Fatalf("second claim = %v, want %s of the free customer", s2, b1.ID)
		}
		s3, l3, err := e.s.ClaimFetch(ctx, "w3", ttl)
		must(t, err)
		if s3 != nil || l3 != nil {
			t.Fatalf("third claim = %v, want nothing (A busy)", s3)
		}
		behind, err := e.s.QueuedBehind(ctx, "A")
		must(t, err)
		if len(behind) != 1 || behind[0].ID != a2.ID {
			t.Fatalf("QueuedBehind(A) = %v", behind)
		}
		leases, err := e.s.Leases(ctx)
		must(t, err)
		if len(leases) != 2 || leases[0].CustomerID != "A" || leases[1].CustomerID != "B" {
			t.Fatalf("Leases = %+v", leases)
		}

		// Renew, then release: A's next sync gets token 2.
		e.clock.Advance(10 * time.Second)
		r, err := e.s.RenewLease(ctx, *l1, ttl)
		must(t, err)
		if !r.ExpiresAt.Equal(e.clock.Now().Add(ttl)) || !r.RenewedAt.Equal(e.clock.Now()) {
			t.Fatalf("renewed = %+v", r)
		}
		must(t, e.s.ReleaseLease(ctx, r))
		wantErr(t, e.s.ReleaseLease(ctx, r), store.ErrLeaseLost)
		s4, l4, err := e.s.ClaimFetch(ctx, "w3", ttl)
		must(t, err)
		if s4 == nil || s4.ID != a2.ID || l4.Token != 2 {
			t.Fatalf("claim after release = %v %v, want %s with token 2", s4, l4, a2.ID)
		}
	})
}

func TestClaimFetchRespectsRunAfterAndCancel(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := ctxT(t)
		later := mustEnqueue(t, e.s, store.Sync{CustomerID: "A", RunAfter: e.clock.Now().Add(time.Minute)})
		s, _, err := e.s.ClaimFetch(ctx, "w", ttl)
		must(t, err)
		if s != nil {
			t.Fatalf("claimed %s before its run_after", s.ID)
		}
		e.clock.Advance(time.Minute)
		s, _, err = e.s.ClaimFetch(ctx, "w", ttl)
		must(t, err)
		if s == nil || s.ID != later.ID {
			t.Fatalf("claim at run_after = %v", s)
		}
	})
}

func TestExpiredLeaseIsTakenOver(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := ctxT(t)
		first := mustEnqueue(t, e.s, store.Sync{CustomerID: "A", From: "2026-02-01", To: "2026-02-01"})
		second := mustEnqueue(t, e.s, store.Sync{CustomerID: "A", From: "2026-02-02", To: "2026-02-02"})
		_, old, err := e.s.ClaimFetch(ctx, "old", ttl)
		must(t, err)
		must(t, e.s.PutReportFile(ctx, *old, store.ReportFile{ReportType: "AD", StatDate: "2026-02-01", Key: "k1", State: store.FileBuilt, SyncID: first.ID}))

		// Not expired yet: nobody else gets A.
		e.clock.Advance(ttl - time.Microsecond)
		if s, _, err := e.s.ClaimFetch(ctx, "new", ttl); err != nil || s != nil {
			t.Fatalf("claim before expiry = %v, %v", s, err)
		}
		e.clock.Advance(time.Microsecond) // expires_at <= now: expired
		replica := e.open(t)
		s, l, err := replica.ClaimFetch(ctx, "new", ttl)
		must(t, err)
		if s == nil || s.ID != second.ID || l.Token != old.Token+1 {
			t.Fatalf("takeover = %v %v, want %s with token %d", s, l, second.ID, old.Token+1)
		}

		_, err = e.s.RenewLease(ctx, *old, ttl)
		wantErr(t, err, store.ErrLeaseLost)
		wantErr(t, e.s.PutReportFile(ctx, *old, store.ReportFile{ReportType: "AD", StatDate: "2026-02-01", Key: "stale", State: store.FileBuilt}), store.ErrLeaseLost)
		wantErr(t, e.s.FinishFetch(ctx, *old, first.ID), store.ErrLeaseLost)
		wantErr(t, e.s.ReleaseLease(ctx, *old), store.ErrLeaseLost)

		files, err := e.s.ReportFiles(ctx, "A", nil, "2026-02-01", "2026-02-01")
		must(t, err)
		if len(files) != 1 || files[0].Key != "k1" {
			t.Fatalf("stale holder overwrote the file: %+v", files)
		}
		got, _ := e.s.GetSync(ctx, first.ID)
		if got.Status != store.StatusFetching {
			t.Fatalf("failed FinishFetch changed the sync: %s", got.Status)
		}
		// The new holder's lease is intact.
		if _, err := replica.RenewLease(ctx, *l, ttl); err != nil {
			t.Fatalf("new holder renew: %v", err)
		}

		// Rescue puts the orphaned first sync back in the queue.
		n, err := e.s.Rescue(ctx)
		must(t, err)
		if n != 1 {
			t.Fatalf("Rescue = %d, want 1", n)
		}
		got, _ = e.s.GetSync(ctx, first.ID)
		if got.Status != store.StatusQueued || got.Phase != store.PhaseQueued || got.Worker != "" {
			t.Fatalf("rescued = %+v", got)
		}
		if n, _ := e.s.Rescue(ctx); n != 0 {
			t.Fatalf("second Rescue = %d, want 0 (new holder is live)", n)
		}
	})
}

func TestFetchThenProcess(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := ctxT(t)
		q := mustEnqueue(t, e.s, store.Sync{CustomerID: "A"})
		s, l, err := e.s.ClaimFetch(ctx, "f1", ttl)
		must(t, err)
		must(t, e.s.SetPhase(ctx, s.ID, "f1", store.PhaseFetching))
		wantErr(t, e.s.SetPhase(ctx, s.ID, "other", store.PhaseFetching), store.ErrLeaseLost)
		wantErr(t, e.s.SetPhase(ctx, "missing", "f1", store.PhaseFetching), store.ErrNotFound)
		if p, err := e.s.ClaimProcess(ctx, "p1", ttl); err != nil || p != nil {
			t.Fatalf("ClaimProcess while fetching = %v, %v", p, err)
		}

		e.clock.Advance(time.Second)
		must(t, e.s.FinishFetch(ctx, *l, s.ID))
		got, _ := e.s.GetSync(ctx, q.ID)
		if got.Status != store.StatusProcessing || got.Phase != store.PhaseAwaitingProcessing || got.Worker != "" ||
			got.LockReleasedAt == nil || !got.LockReleasedAt.Equal(e.clock.Now()) {
			t.Fatalf("after FinishFetch = %+v", got)
		}
		if leases, _ := e.s.Leases(ctx); len(leases) != 0 {
			t.Fatalf("lease still live after FinishFetch: %+v", leases)
		}

		p, err := e.s.ClaimProcess(ctx, "p1", ttl)
		must(t, err)
		if p == nil || p.ID != q.ID || p.Phase != store.PhaseProcessing || p.Worker != "p1" || p.ProcessingStartedAt == nil ||
			!p.LockedUntil.Equal(e.clock.Now().Add(ttl)) {
			t.Fatalf("ClaimProcess = %+v", p)
		}
		if p2, _ := e.s.ClaimProcess(ctx, "p2", ttl); p2 != nil {
			t.Fatal("claimed a sync that is being processed")
		}
		must(t, e.s.RenewProcess(ctx, q.ID, "p1", ttl))
		wantErr(t, e.s.RenewProcess(ctx, q.ID, "p2", ttl), store.ErrLeaseLost)

		// p1 stalls; its claim expires and p2 takes over.
		e.clock.Advance(ttl + time.Second)
		wantErr(t, e.s.RenewProcess(ctx, q.ID, "p1", ttl), store.ErrLeaseLost)
		p2, err := e.s.ClaimProcess(ctx, "p2", ttl)
		must(t, err)
		if p2 == nil || p2.ID != q.ID || !p2.ProcessingStartedAt.Equal(*p.ProcessingStartedAt) {
			t.Fatalf("takeover of processing = %+v", p2)
		}
		wantErr(t, e.s.CompleteSync(ctx, q.ID, "p1", 1), store.ErrLeaseLost)
		must(t, e.s.SetPhase(ctx, q.ID, "p2", store.PhaseWriting))
		got, _ = e.s.GetSync(ctx, q.ID)
		if got.Phase != store.PhaseWriting || got.WriteStartedAt == nil {
			t.Fatalf("writing phase = %+v", got)
		}
		must(t, e.s.CompleteSync(ctx, q.ID, "p2", 1234))
		got, _ = e.s.GetSync(ctx, q.ID)
		if got.Status != store.StatusSucceeded || got.Phase != store.PhaseDone || got.RowsProcessed != 1234 ||
			got.FinishedAt == nil || got.LockedUntil != nil {
			t.Fatalf("completed = %+v", got)
		}
		wantErr(t, e.s.CompleteSync(ctx, "missing", "p2", 1), store.ErrNotFound)
	})
}

func TestRequeueAndFail(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := ctxT(t)
		q := mustEnqueue(t, e.s, store.Sync{CustomerID: "A"})
		s, l, err := e.s.ClaimFetch(ctx, "w", ttl)
		must(t, err)
		must(t, e.s.ReleaseLease(ctx, *l))
		retryAt := e.clock.Now().Add(time.Minute)
		must(t, e.s.RequeueSync(ctx, s.ID, store.StatusQueued, retryAt, "rate_limited", "429"))
		got, _ := e.s.GetSync(ctx, q.ID)
		if got.Status != store.StatusQueued || got.Phase != store.PhaseQueued || !got.RunAfter.Equal(retryAt) ||
			got.ErrorKind != "rate_limited" || got.Error != "429" || got.Worker != "" {
			t.Fatalf("requeued = %+v", got)
		}
		if s, _, _ := e.s.ClaimFetch(ctx, "w", ttl); s != nil {
			t.Fatal("claimed before run_after")
		}
		e.clock.Advance(time.Minute)
		s, l, err = e.s.ClaimFetch(ctx, "w", ttl)
		must(t, err)
		if s == nil || s.Attempts != 2 {
			t.Fatalf("second attempt = %+v", s)
		}
		must(t, e.s.FinishFetch(ctx, *l, s.ID))
		_, err = e.s.ClaimProcess(ctx, "p", ttl)
		must(t, err)
		must(t, e.s.RequeueSync(ctx, s.ID, store.StatusProcessing, e.clock.Now(), "sheets", "503"))
		got, _ = e.s.GetSync(ctx, q.ID)
		if got.Status != store.StatusProcessing || got.Phase != store.PhaseAwaitingProcessing || got.LockedUntil != nil {
			t.Fatalf("requeued to processing = %+v", got)
		}
		wantErr(t, e.s.RequeueSync(ctx, s.ID, store.StatusFailed, e.clock.Now(), "", ""), store.ErrConflict)

		must(t, e.s.FailSync(ctx, s.ID, "auth", "bad key"))
		got, _ = e.s.GetSync(ctx, q.ID)
		if got.Status != store.StatusFailed || got.ErrorKind != "auth" || got.FinishedAt == nil {
			t.Fatalf("failed = %+v", got)
		}
		wantErr(t, e.s.FailSync(ctx, s.ID, "auth", "again"), store.ErrConflict)
		wantErr(t, e.s.RequeueSync(ctx, s.ID, store.StatusQueued, e.clock.Now(), "", ""), store.ErrConflict)
		wantErr(t, e.s.MarkCanceled(ctx, s.ID), store.ErrConflict)
		wantErr(t, e.s.FailSync(ctx, "missing", "x", "y"), store.ErrNotFound)
	})
}
