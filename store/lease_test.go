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
		e.clock.Advance(time.Minute)
		a2 := mustEnqueue(t, e.s, store.Sync{CustomerID: "A", From: "2026-02-02", To: "2026-02-02"})
		e.clock.Advance(time.Minute)
		b1 := mustEnqueue(t, e.s, store.Sync{CustomerID: "B"})
		e.clock.Advance(time.Minute)

		s1, c1, err := e.s.ClaimFetch(ctx, "w1", ttl)
		must(t, err)
		if s1 == nil || s1.ID != a1.ID {
			t.Fatalf("first claim = %v, want oldest %s", s1, a1.ID)
		}
		now := e.clock.Now()
		if s1.Status != store.StatusFetching || s1.Phase != store.PhaseFetching || s1.Attempts != 1 || s1.Worker != "w1" ||
			s1.LeaseToken != c1.Token || s1.FetchStartedAt == nil || !near(*s1.LockAcquiredAt, now) ||
			s1.LockWait < 3*time.Minute || s1.LockWait > 3*time.Minute+slack {
			t.Fatalf("claimed sync = %+v", s1)
		}
		if c1.Kind != store.ClaimFetch || c1.CustomerID != "A" || c1.SyncID != a1.ID || c1.Owner != "w1" || c1.Token != 1 ||
			!c1.ExpiresAt.Equal(c1.AcquiredAt.Add(ttl)) || !near(c1.ExpiresAt, now.Add(ttl)) {
			t.Fatalf("claim = %+v", c1)
		}

		// a2 is older than b1 but its customer is busy.
		s2, c2, err := e.s.ClaimFetch(ctx, "w2", ttl)
		must(t, err)
		if s2 == nil || s2.ID != b1.ID || c2.CustomerID != "B" {
			t.Fatalf("second claim = %v, want %s of the free customer", s2, b1.ID)
		}
		s3, c3, err := e.s.ClaimFetch(ctx, "w3", ttl)
		must(t, err)
		if s3 != nil || c3 != nil {
			t.Fatalf("third claim = %v, want nothing (A busy)", s3)
		}
		behind, err := e.s.QueuedBehind(ctx, "A")
		must(t, err)
		if len(behind) != 1 || behind[0].ID != a2.ID {
			t.Fatalf("QueuedBehind(A) = %v", behind)
		}
		leases, err := e.s.Leases(ctx)
		must(t, err)
		if len(leases) != 2 || leases[0].CustomerID != "A" || leases[1].CustomerID != "B" || leases[0].HolderSyncID != a1.ID {
			t.Fatalf("Leases = %+v", leases)
		}

		// Renew, then release: A's next sync gets token 2.
		e.clock.Advance(10 * time.Second)
		r, cancel, err := e.s.Renew(ctx, *c1, ttl)
		must(t, err)
		if cancel || !near(r.ExpiresAt, e.clock.Now().Add(ttl)) || !r.ExpiresAt.After(c1.ExpiresAt) {
			t.Fatalf("renewed = %+v (cancel %v)", r, cancel)
		}
		must(t, e.s.ReleaseLease(ctx, r.Lease()))
		wantErr(t, e.s.ReleaseLease(ctx, r.Lease()), store.ErrLeaseLost)
		s4, c4, err := e.s.ClaimFetch(ctx, "w3", ttl)
		must(t, err)
		if s4 == nil || s4.ID != a2.ID || c4.Token != 2 {
			t.Fatalf("claim after release = %v %v, want %s with token 2", s4, c4, a2.ID)
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
		e.clock.Advance(ttl - 5*time.Second)
		if s, _, err := e.s.ClaimFetch(ctx, "new", ttl); err != nil || s != nil {
			t.Fatalf("claim before expiry = %v, %v", s, err)
		}
		e.clock.Advance(5 * time.Second) // expires_at <= now: expired
		replica := e.open(t)
		s, l, err := replica.ClaimFetch(ctx, "new", ttl)
		must(t, err)
		if s == nil || s.ID != second.ID || l.Token != old.Token+1 {
			t.Fatalf("takeover = %v %v, want %s with token %d", s, l, second.ID, old.Token+1)
		}

		_, _, err = e.s.Renew(ctx, *old, ttl)
		wantErr(t, err, store.ErrLeaseLost)
		wantErr(t, e.s.PutReportFile(ctx, *old, store.ReportFile{ReportType: "AD", StatDate: "2026-02-01", Key: "stale", State: store.FileBuilt}), store.ErrLeaseLost)
		wantErr(t, e.s.FinishFetch(ctx, *old), store.ErrLeaseLost)
		wantErr(t, e.s.ReleaseLease(ctx, old.Lease()), store.ErrLeaseLost)

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
		if _, _, err := replica.Renew(ctx, *l, ttl); err != nil {
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
		_, c, err := e.s.ClaimFetch(ctx, "f1", ttl)
		must(t, err)
		must(t, e.s.SetPhase(ctx, *c, store.PhaseFetching))
		total, rows := 5, int64(42)
		must(t, e.s.UpdateProgress(ctx, *c, store.Progress{ReportsTotal: &total, RowsProcessed: &rows}))
		if got, _ := e.s.GetSync(ctx, q.ID); got.ReportsTotal != 5 || got.RowsProcessed != 42 || got.ReportsFetched != 0 {
			t.Fatalf("progress = %+v", got)
		}
		forged := *c
		forged.Token++
		wantErr(t, e.s.SetPhase(ctx, forged, store.PhaseFetching), store.ErrLeaseLost)
		missing := *c
		missing.SyncID = "missing"
		wantErr(t, e.s.SetPhase(ctx, missing, store.PhaseFetching), store.ErrNotFound)
		if p, _, err := e.s.ClaimProcess(ctx, "p1", ttl); err != nil || p != nil {
			t.Fatalf("ClaimProcess while fetching = %v, %v", p, err)
		}

		e.clock.Advance(time.Second)
		must(t, e.s.FinishFetch(ctx, *c))
		got, _ := e.s.GetSync(ctx, q.ID)
		if got.Status != store.StatusProcessing || got.Phase != store.PhaseAwaitingProcessing || got.Worker != "" ||
			got.LockReleasedAt == nil || !near(*got.LockReleasedAt, e.clock.Now()) {
			t.Fatalf("after FinishFetch = %+v", got)
		}
		if leases, _ := e.s.Leases(ctx); len(leases) != 0 {
			t.Fatalf("lease still live after FinishFetch: %+v", leases)
		}

		p, pc, err := e.s.ClaimProcess(ctx, "p1", ttl)
		must(t, err)
		if p == nil || p.ID != q.ID || p.Phase != store.PhaseProcessing || p.Worker != "p1" || p.ProcessingStartedAt == nil ||
			!near(*p.LockedUntil, e.clock.Now().Add(ttl)) || pc.Kind != store.ClaimProcess || pc.Token != 1 || p.ClaimToken != 1 {
			t.Fatalf("ClaimProcess = %+v %+v", p, pc)
		}
		if p2, _, _ := e.s.ClaimProcess(ctx, "p2", ttl); p2 != nil {
			t.Fatal("claimed a sync that is being processed")
		}
		_, _, err = e.s.Renew(ctx, *pc, ttl)
		must(t, err)

		// p1 stalls; its claim expires and p2 takes over with the next token.
		e.clock.Advance(ttl + time.Second)
		_, _, err = e.s.Renew(ctx, *pc, ttl)
		wantErr(t, err, store.ErrLeaseLost)
		p2, pc2, err := e.s.ClaimProcess(ctx, "p2", ttl)
		must(t, err)
		if p2 == nil || p2.ID != q.ID || !p2.ProcessingStartedAt.Equal(*p.ProcessingStartedAt) || pc2.Token != 2 {
			t.Fatalf("takeover of processing = %+v %+v", p2, pc2)
		}
		wantErr(t, e.s.CompleteSync(ctx, *pc, 1, store.SheetRecord{}), store.ErrLeaseLost)
		must(t, e.s.SetPhase(ctx, *pc2, store.PhaseWriting))
		got, _ = e.s.GetSync(ctx, q.ID)
		if got.Phase != store.PhaseWriting || got.WriteStartedAt == nil {
			t.Fatalf("writing phase = %+v", got)
		}
		must(t, e.s.CompleteSync(ctx, *pc2, 1234, store.SheetRecord{}))
		got, _ = e.s.GetSync(ctx, q.ID)
		if got.Status != store.StatusSucceeded || got.Phase != store.PhaseDone || got.RowsProcessed != 1234 ||
			got.FinishedAt == nil || got.LockedUntil != nil {
			t.Fatalf("completed = %+v", got)
		}
		wantErr(t, e.s.CompleteSync(ctx, *pc2, 1, store.SheetRecord{}), store.ErrLeaseLost)
	})
}

func TestRequeueAndFail(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := ctxT(t)
		q := mustEnqueue(t, e.s, store.Sync{CustomerID: "A"})
		_, c, err := e.s.ClaimFetch(ctx, "w", ttl)
		must(t, err)
		retryAt := e.clock.Now().Add(time.Minute)
		must(t, e.s.RequeueSync(ctx, *c, store.Requeue{RunAfter: retryAt, Kind: "rate_limited", Message: "429"}))
		got, _ := e.s.GetSync(ctx, q.ID)
		if got.Status != store.StatusQueued || got.Phase != store.PhaseQueued || !got.RunAfter.Equal(retryAt.UTC().Truncate(time.Microsecond)) ||
			got.ErrorKind != "rate_limited" || got.Error != "429" || got.Worker != "" {
			t.Fatalf("requeued = %+v", got)
		}
		if leases, _ := e.s.Leases(ctx); len(leases) != 0 {
			t.Fatalf("requeue kept the lease: %+v", leases)
		}
		if s, _, _ := e.s.ClaimFetch(ctx, "w", ttl); s != nil {
			t.Fatal("claimed before run_after")
		}
		e.clock.Advance(time.Minute)
		s, c, err := e.s.ClaimFetch(ctx, "w", ttl)
		must(t, err)
		if s == nil || s.Attempts != 2 {
			t.Fatalf("second attempt = %+v", s)
		}
		// Waiting for room among Naver's jobs: queued again, phase waiting_naver_jobs, since when kept.
		must(t, e.s.RequeueSync(ctx, *c, store.Requeue{RunAfter: e.clock.Now(), Kind: "naver_jobs", Message: "full", Wait: store.RoomWaitStarts}))
		got, _ = e.s.GetSync(ctx, q.ID)
		if got.Status != store.StatusQueued || got.Phase != store.PhaseWaitingNaverJobs || got.WaitingSince == nil || got.Attempts != 1 {
			t.Fatalf("waiting = %+v, want the wait's attempt given back (1)", got)
		}
		since := *got.WaitingSince
		if rw, err := e.s.RoomWaits(ctx); err != nil || rw.Syncs != 1 || rw.Oldest == nil || !rw.Oldest.Equal(since) {
			t.Fatalf("room waits = %+v %v, want 1 since %v", rw, err, since)
		}
		_, c, err = e.s.ClaimFetch(ctx, "w", ttl)
		must(t, err)
		e.clock.Advance(10 * time.Second)
		must(t, e.s.RequeueSync(ctx, *c, store.Requeue{RunAfter: e.clock.Now(), Wait: store.RoomWaitGoesOn}))
		got, _ = e.s.GetSync(ctx, q.ID)
		if got.WaitingSince == nil || !got.WaitingSince.Equal(since) {
			t.Fatalf("second wait moved waiting_since: %v, want %v", got.WaitingSince, since)
		}
		// A claim that had room and ran out again starts a new wait; any other requeue ends it.
		_, c, err = e.s.ClaimFetch(ctx, "w", ttl)
		must(t, err)
		e.clock.Advance(10 * time.Second)
		must(t, e.s.RequeueSync(ctx, *c, store.Requeue{RunAfter: e.clock.Now(), Wait: store.RoomWaitStarts}))
		got, _ = e.s.GetSync(ctx, q.ID)
		if got.WaitingSince == nil || !got.WaitingSince.After(since) || got.Attempts != 1 {
			t.Fatalf("a new wait: waiting_since %v (first wait %v), attempts %d; want it moved, 1 attempt", got.WaitingSince, since, got.Attempts)
		}
		_, c, err = e.s.ClaimFetch(ctx, "w", ttl)
		must(t, err)
		must(t, e.s.RequeueSync(ctx, *c, store.Requeue{RunAfter: e.clock.Now(), Kind: "maintenance", Message: "503"}))
		got, _ = e.s.GetSync(ctx, q.ID)
		if got.WaitingSince != nil || got.Phase != store.PhaseQueued || got.Attempts != 2 {
			t.Fatalf("a retry: %+v, want the wait ended and the attempt counted", got)
		}
		if rw, err := e.s.RoomWaits(ctx); err != nil || rw.Syncs != 0 || rw.Oldest != nil {
			t.Fatalf("room waits after the wait ended = %+v %v, want none", rw, err)
		}
		_, c, err = e.s.ClaimFetch(ctx, "w", ttl)
		must(t, err)
		must(t, e.s.FinishFetch(ctx, *c))
		got, _ = e.s.GetSync(ctx, q.ID)
		if got.WaitingSince != nil {
			t.Fatalf("waiting_since kept after the fetch finished: %v", got.WaitingSince)
		}

		_, pc, err := e.s.ClaimProcess(ctx, "p", ttl)
		must(t, err)
		must(t, e.s.RequeueSync(ctx, *pc, store.Requeue{RunAfter: e.clock.Now(), Kind: "sheets", Message: "503"}))
		got, _ = e.s.GetSync(ctx, q.ID)
		if got.Status != store.StatusProcessing || got.Phase != store.PhaseAwaitingProcessing || got.LockedUntil != nil {
			t.Fatalf("requeued to processing = %+v", got)
		}
		wantErr(t, e.s.RequeueSync(ctx, *pc, store.Requeue{RunAfter: e.clock.Now()}), store.ErrLeaseLost) // claim gone

		_, pc, err = e.s.ClaimProcess(ctx, "p", ttl)
		must(t, err)
		must(t, e.s.FailSync(ctx, *pc, "auth", "bad key"))
		got, _ = e.s.GetSync(ctx, q.ID)
		if got.Status != store.StatusFailed || got.ErrorKind != "auth" || got.FinishedAt == nil {
			t.Fatalf("failed = %+v", got)
		}
		wantErr(t, e.s.FailSync(ctx, *pc, "auth", "again"), store.ErrLeaseLost)
		wantErr(t, e.s.RequeueSync(ctx, *pc, store.Requeue{RunAfter: e.clock.Now()}), store.ErrLeaseLost)
		wantErr(t, e.s.CancelClaimed(ctx, *pc), store.ErrLeaseLost)
	})
}

// A worker whose claim was taken over (its lease expired while it still ran) can change
// nothing: its fail, requeue, cancel, progress, phase, file and master writes are refused while
// the new holder runs, and the new holder finishes and gives the customer back.
func TestStaleWorkerWritesAreRefused(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := ctxT(t)
		q := mustEnqueue(t, e.s, store.Sync{CustomerID: "A"})
		_, stale, err := e.s.ClaimFetch(ctx, "stale", ttl)
		must(t, err)
		e.clock.Advance(ttl + time.Second)
		replica := e.open(t)
		n, err := replica.Rescue(ctx)
		must(t, err)
		if n != 1 {
			t.Fatalf("Rescue = %d", n)
		}
		_, fresh, err := replica.ClaimFetch(ctx, "fresh", ttl)
		must(t, err)
		if fresh == nil || fresh.SyncID != q.ID {
			t.Fatalf("new holder claim = %+v", fresh)
		}
		ten := 10
		refused := map[string]error{
			"fail":     e.s.FailSync(ctx, *stale, "naver", "boom"),
			"requeue":  e.s.RequeueSync(ctx, *stale, store.Requeue{RunAfter: e.clock.Now().Add(time.Hour), Kind: "x", Message: "y"}),
			"cancel":   e.s.CancelClaimed(ctx, *stale),
			"progress": e.s.UpdateProgress(ctx, *stale, store.Progress{ReportsFetched: &ten}),
			"phase":    e.s.SetPhase(ctx, *stale, store.PhaseWriting),
			"file":     e.s.PutReportFile(ctx, *stale, store.ReportFile{ReportType: "AD", StatDate: "2026-02-01", State: store.FileBuilt, Key: "stale"}),
			"masters":  e.s.UpsertMasterEntities(ctx, *stale, []store.MasterEntity{{CustomerID: "A", Kind: "campaign", ID: "c1", Name: "stale"}}),
			"state":    e.s.SetMasterState(ctx, *stale, "Campaign", e.clock.Now()),
			"job":      second(e.s.JournalCreate(ctx, *stale, store.NaverJob{Kind: store.JobStat, ReportType: "AD", StatDate: "2026-02-01"})),
			"finish":   e.s.FinishFetch(ctx, *stale),
		}
		for what, err := range refused {
			if !errorsIs(err, store.ErrLeaseLost) {
				t.Errorf("stale %s: err = %v, want ErrLeaseLost", what, err)
			}
		}
		got, _ := e.s.GetSync(ctx, q.ID)
		if got.Status != store.StatusFetching || got.LeaseToken != fresh.Token || got.ReportsFetched != 0 || got.Error != "" || got.Phase != store.PhaseFetching {
			t.Fatalf("a stale write changed the sync: %+v", got)
		}
		// Every table a refused write aims at is read back: a write that went through before
		// its fence said no would show here, whatever error it returned.
		files, err := e.s.ReportFiles(ctx, "A", nil, "2026-02-01", "2026-02-01")
		must(t, err)
		if len(files) != 0 {
			t.Errorf("a stale file write left %+v", files)
		}
		var masters []store.MasterEntity
		must(t, e.s.MasterEntities(ctx, "A", func(m store.MasterEntity) error { masters = append(masters, m); return nil }))
		if len(masters) != 0 {
			t.Errorf("a stale master write left %+v", masters)
		}
		if at, err := e.s.MasterState(ctx, "A", "Campaign"); err != nil || !at.IsZero() {
			t.Errorf("a stale master-state write left %s (%v)", at, err)
		}
		if jobs, err := e.s.NaverJobs(ctx, "A"); err != nil || len(jobs) != 0 {
			t.Errorf("a stale journal write left %+v (%v)", jobs, err)
		}
		leases, err := e.s.Leases(ctx)
		must(t, err)
		if len(leases) != 1 || leases[0].Token != fresh.Token || leases[0].Owner != "fresh" {
			t.Errorf("after the stale writes the leases are %+v, want the new holder's (token %d) alone", leases, fresh.Token)
		}
		must(t, replica.PutReportFile(ctx, *fresh, store.ReportFile{ReportType: "AD", StatDate: "2026-02-01", State: store.FileBuilt, Key: "fresh"}))
		must(t, replica.FinishFetch(ctx, *fresh))
		if leases, _ := e.s.Leases(ctx); len(leases) != 0 {
			t.Fatalf("the new holder did not give the customer back: %+v", leases)
		}
		files, _ = e.s.ReportFiles(ctx, "A", nil, "2026-02-01", "2026-02-01")
		if len(files) != 1 || files[0].Key != "fresh" {
			t.Fatalf("files = %+v", files)
		}

		// The same for processing claims: a stale worker's requeue does not clear a live claim.
		_, p1, err := e.s.ClaimProcess(ctx, "p1", ttl)
		must(t, err)
		e.clock.Advance(ttl + time.Second)
		_, p2, err := replica.ClaimProcess(ctx, "p2", ttl)
		must(t, err)
		wantErr(t, e.s.RequeueSync(ctx, *p1, store.Requeue{RunAfter: e.clock.Now()}), store.ErrLeaseLost)
		wantErr(t, e.s.FailSync(ctx, *p1, "sheet", "x"), store.ErrLeaseLost)
		if p3, _, _ := e.s.ClaimProcess(ctx, "p3", ttl); p3 != nil {
			t.Fatal("a third worker claimed a sync whose live claim a stale worker tried to clear")
		}
		must(t, replica.CompleteSync(ctx, *p2, 7, store.SheetRecord{}))
		got, _ = e.s.GetSync(ctx, q.ID)
		if got.Status != store.StatusSucceeded || got.RowsProcessed != 7 {
			t.Fatalf("completed = %+v", got)
		}
	})
}

// Replicas whose own clocks differ by an hour agree on leases: expiry and claims are decided
// by the database's time, not the host's.
func TestDriftingHostClocksNeverShareACustomer(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := ctxT(t)
		ahead := storetestOpenWithHostClock(t, e, func() time.Time { return time.Now().Add(time.Hour) })
		// Two different clocks on every dialect: the replica's host clock is an hour ahead of the
		// database's, and its store knows it (else this test proves nothing).
		if d := ahead.ClockSkew() + time.Hour; d > slack || d < -slack {
			t.Fatalf("the replica ahead measured a skew of %s, want about -1h: its host clock is not in play", ahead.ClockSkew())
		}
		if d := e.s.ClockSkew(); d > slack || d < -slack {
			t.Fatalf("the replica on time measured a skew of %s, want about 0", d)
		}
		mustEnqueue(t, e.s, store.Sync{CustomerID: "A", From: "2026-02-01", To: "2026-02-01"})
		mustEnqueue(t, e.s, store.Sync{CustomerID: "A", From: "2026-02-02", To: "2026-02-02"})
		s1, c1, err := e.s.ClaimFetch(ctx, "behind", ttl)
		must(t, err)
		if s1 == nil {
			t.Fatal("no claim")
		}
		if s, _, err := ahead.ClaimFetch(ctx, "ahead", ttl); err != nil || s != nil {
			t.Fatalf("a replica an hour ahead claimed a customer whose lease is live: %v %v", s, err)
		}
		if n, err := ahead.Rescue(ctx); err != nil || n != 0 {
			t.Fatalf("a replica an hour ahead rescued a live sync: %d %v", n, err)
		}
		if _, _, err := e.s.Renew(ctx, *c1, ttl); err != nil {
			t.Fatalf("renew: %v", err)
		}
		// Both tell the same time, whatever their hosts say.
		if d := ahead.Now().Sub(e.s.Now()); d > slack || d < -slack {
			t.Fatalf("the replicas' times differ by %s", d)
		}
	})
}

// A claim requeued with NoAttempt (it waited for Google's quota) uses no attempt: a fetch
// claim's attempt is given back, a processing claim is counted free.
func TestRequeueNoAttempt(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := ctxT(t)
		q := mustEnqueue(t, e.s, store.Sync{CustomerID: "A"})
		_, c, err := e.s.ClaimFetch(ctx, "w", ttl)
		must(t, err)
		must(t, e.s.RequeueSync(ctx, *c, store.Requeue{Kind: "quota", Message: "429", NoAttempt: true}))
		got, _ := e.s.GetSync(ctx, q.ID)
		if got.Status != store.StatusQueued || got.Attempts != 0 {
			t.Fatalf("fetch requeued without an attempt = %+v, want queued, 0 attempts", got)
		}
		_, c, err = e.s.ClaimFetch(ctx, "w", ttl)
		must(t, err)
		must(t, e.s.FinishFetch(ctx, *c))
		for range 3 {
			_, pc, err := e.s.ClaimProcess(ctx, "p", ttl)
			must(t, err)
			must(t, e.s.RequeueSync(ctx, *pc, store.Requeue{Kind: "quota", Message: "429", NoAttempt: true}))
		}
		_, pc, err := e.s.ClaimProcess(ctx, "p", ttl)
		must(t, err)
		must(t, e.s.RequeueSync(ctx, *pc, store.Requeue{Kind: "sheet", Message: "503"}))
		got, _ = e.s.GetSync(ctx, q.ID)
		if got.Attempts != 1 || got.ClaimToken != 4 || got.FreeClaims != 3 || got.Phase != store.PhaseAwaitingProcessing {
			t.Fatalf("after 3 free processing claims and a retry: %+v, want 1 fetch attempt, 4 claims of which 3 free", got)
		}
	})
}
