package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/naversync/naversync/store"
)

// TestRetentionKeepsWhatIsNeeded: the retention job deletes old finished syncs in batches, and
// never a sync that is not finished, the newest succeeded sync of an account (its last
// success), nor a scheduled sync of a day the scheduler still looks at.
func TestRetentionKeepsWhatIsNeeded(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := ctxT(t)
		for _, id := range []string{"a", "b", "c"} {
			must(t, e.s.CreateAccount(ctx, &store.Account{ID: id, Name: id, CustomerID: "c-" + id, SpreadsheetID: "s", SheetTab: id, Level: "campaign"}))
		}
		day := 0
		mk := func(account, status, scheduledFor string) store.Sync {
			t.Helper()
			day++
			in := store.Sync{AccountID: account, CustomerID: "c-" + account, ScheduledFor: scheduledFor,
				From: time.Date(2026, 1, day, 0, 0, 0, 0, time.UTC).Format("2006-01-02"), To: "2026-02-28"}
			s := mustEnqueue(t, e.s, in)
			if status != store.StatusQueued {
				must(t, e.s.ExecForTest(ctx, `UPDATE syncs SET status = ?, finished_at = ? WHERE id = ?`, status, e.clock.Now().UTC(), s.ID))
			}
			e.clock.Advance(time.Minute)
			return s
		}
		// Old: 100 days ago.
		oldA1 := mk("a", store.StatusSucceeded, "")
		oldA2 := mk("a", store.StatusFailed, "")
		oldA3 := mk("a", store.StatusCanceled, "")
		lastA := mk("a", store.StatusSucceeded, "") // a's newest success: kept
		oldB := mk("b", store.StatusSucceeded, "")  // b's only success: kept
		queued := mk("b", store.StatusQueued, "")   // not finished: kept
		schedOld := mk("c", store.StatusFailed, "2025-11-20")
		schedKept := mk("c", store.StatusFailed, "2026-06-09") // the day the scheduler still needs
		e.clock.Advance(100 * 24 * time.Hour)
		// Recent.
		recent := mk("d", store.StatusFailed, "")
		cutoff := e.clock.Now().Add(-90 * 24 * time.Hour)

		total := 0
		for {
			n, err := e.s.DeleteFinishedSyncs(ctx, store.Retention{FinishedBefore: cutoff, KeepScheduledFrom: "2026-06-08", Batch: 2})
			must(t, err)
			total += n
			if n < 2 {
				break
			}
		}
		if total != 4 {
			t.Errorf("deleted %d syncs, want 4", total)
		}
		for _, s := range []store.Sync{oldA1, oldA2, oldA3, schedOld} {
			_, err := e.s.GetSync(ctx, s.ID)
			wantErr(t, err, store.ErrNotFound)
		}
		for _, s := range []store.Sync{lastA, oldB, queued, schedKept, recent} {
			if _, err := e.s.GetSync(ctx, s.ID); err != nil {
				t.Errorf("sync %s (from %s) was deleted: %v", s.ID, s.From, err)
			}
		}
		last, err := e.s.LastSuccesses(ctx, []string{"a", "b", "c", "x"})
		must(t, err)
		if len(last) != 2 || last["a"].IsZero() || last["b"].IsZero() {
			t.Errorf("last successes %v, want a and b", last)
		}
	})
}

// TestRecentSyncChangesAndActiveCounts: the change feed's view (syncs not finished, and those
// finished lately) and the active counts read by metrics.
func TestRecentSyncChangesAndActiveCounts(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := ctxT(t)
		old := mustEnqueue(t, e.s, store.Sync{CustomerID: "0"})
		_, err := e.s.CancelSync(ctx, old.ID)
		must(t, err)
		e.clock.Advance(time.Minute)
		since := e.clock.Now()
		a := mustEnqueue(t, e.s, store.Sync{CustomerID: "1"})
		b := mustEnqueue(t, e.s, store.Sync{CustomerID: "2"})
		_, err = e.s.CancelSync(ctx, a.ID)
		must(t, err)
		got, err := e.s.RecentSyncChanges(ctx, since, 0)
		must(t, err)
		ids := map[string]bool{}
		for _, c := range got {
			ids[c.ID] = true
		}
		if len(got) != 2 || !ids[a.ID] || !ids[b.ID] {
			t.Fatalf("recent changes since %s: %+v; want %s (canceled now) and %s (queued)", since, got, a.ID, b.ID)
		}
		counts, err := e.s.CountActiveSyncs(ctx)
		must(t, err)
		if counts[store.StatusQueued] != 1 || len(counts) != 1 {
			t.Fatalf("active counts %v", counts)
		}
	})
}

// TestListSyncsSeveralStatuses: a list of several statuses is merged in order and paginates.
func TestListSyncsSeveralStatuses(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := ctxT(t)
		var want []string
		for i := range 7 {
			s := mustEnqueue(t, e.s, store.Sync{CustomerID: "1", From: time.Date(2026, 1, i+1, 0, 0, 0, 0, time.UTC).Format("2006-01-02"), To: "2026-02-01"})
			if i%3 == 0 {
				_, err := e.s.CancelSync(ctx, s.ID)
				must(t, err)
			}
			want = append([]string{s.ID}, want...) // newest first
			e.clock.Advance(time.Second)
		}
		var got []string
		cursor := ""
		for {
			page, next, err := e.s.ListSyncs(ctx, store.SyncFilter{Statuses: []string{store.StatusCanceled, store.StatusQueued, store.StatusCanceled}, Limit: 2, Cursor: cursor})
			must(t, err)
			for _, s := range page {
				got = append(got, s.ID)
			}
			if next == "" {
				break
			}
			cursor = next
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("got %v, want %v", got, want)
		}
		// One status of the two: only the canceled ones.
		page, _, err := e.s.ListSyncs(ctx, store.SyncFilter{Statuses: []string{store.StatusCanceled, store.StatusFailed}})
		must(t, err)
		if len(page) != 3 {
			t.Fatalf("%d canceled or failed, want 3", len(page))
		}
	})
}
