package store_test

import (
	"testing"
	"time"

	"github.com/naversync/naversync/store"
)

func TestEnqueueDedupe(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := ctxT(t)
		base := store.Sync{AccountID: "acc1", CustomerID: "111", From: "2026-02-01", To: "2026-02-07", ReuseBefore: "2026-02-05"}

		first, created, err := e.s.EnqueueSync(ctx, &base)
		must(t, err)
		if !created || first.ID == "" || first.Status != store.StatusQueued || first.Phase != store.PhaseQueued ||
			!near(first.RunAfter, e.clock.Now()) || first.Trigger != store.TriggerManual {
			t.Fatalf("first enqueue = %+v created=%v", first, created)
		}

		tests := []struct {
			name    string
			in      store.Sync
			created bool
			sameAs  string // "" = a new sync
		}{
			{"equal queued sync is reused", base, false, first.ID},
			{"other range is new", store.Sync{AccountID: "acc1", CustomerID: "111", From: "2026-02-01", To: "2026-02-08"}, true, ""},
			{"idempotency key first use", store.Sync{AccountID: "acc2", CustomerID: "222", From: "2026-01-01", To: "2026-01-01", IdempotencyKey: "k1"}, true, ""},
			{"scheduled day first use", store.Sync{AccountID: "acc3", CustomerID: "333", From: "2026-01-01", To: "2026-01-03", ScheduledFor: "2026-03-01", Trigger: store.TriggerScheduled}, true, ""},
		}
		ids := map[string]string{}
		for _, tc := range tests {
			in := tc.in
			got, created, err := e.s.EnqueueSync(ctx, &in)
			must(t, err)
			if created != tc.created || (tc.sameAs != "" && got.ID != tc.sameAs) || (tc.sameAs == "" && got.ID == first.ID) {
				t.Fatalf("%s: got %s created=%v", tc.name, got.ID, created)
			}
			ids[tc.name] = got.ID
		}

		// The idempotency key wins even with a different range.
		got, created, err := e.s.EnqueueSync(ctx, &store.Sync{AccountID: "acc9", CustomerID: "999", From: "2025-01-01", To: "2025-01-01", IdempotencyKey: "k1"})
		must(t, err)
		if created || got.ID != ids["idempotency key first use"] {
			t.Fatalf("idempotency replay: %s created=%v", got.ID, created)
		}
		// One scheduled sync per account and day, even once it is no longer queued.
		sched := ids["scheduled day first use"]
		_, err = e.s.CancelSync(ctx, sched)
		must(t, err)
		got, created, err = e.s.EnqueueSync(ctx, &store.Sync{AccountID: "acc3", CustomerID: "333", From: "2026-01-02", To: "2026-01-04", ScheduledFor: "2026-03-01"})
		must(t, err)
		if created || got.ID != sched {
			t.Fatalf("scheduled replay: %s created=%v", got.ID, created)
		}
		// The same day for another account is separate.
		mustEnqueue(t, e.s, store.Sync{AccountID: "acc4", CustomerID: "444", ScheduledFor: "2026-03-01"})

		// An equal sync that is no longer queued does not dedupe.
		_, err = e.s.CancelSync(ctx, first.ID)
		must(t, err)
		again, created, err := e.s.EnqueueSync(ctx, &base)
		must(t, err)
		if !created || again.ID == first.ID {
			t.Fatalf("after cancel: %s created=%v", again.ID, created)
		}

		_, _, err = e.s.EnqueueSync(ctx, &store.Sync{AccountID: "a"})
		if err == nil {
			t.Fatal("enqueue without range: want error")
		}
	})
}

func TestGetListCount(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := ctxT(t)
		var made []store.Sync
		for i := range 7 {
			cust := []string{"111", "222"}[i%2]
			made = append(made, mustEnqueue(t, e.s, store.Sync{CustomerID: cust, From: "2026-02-0" + string(rune('1'+i)), To: "2026-02-09"}))
			e.clock.Advance(time.Second)
		}
		got, err := e.s.GetSync(ctx, made[3].ID)
		must(t, err)
		if got.ID != made[3].ID || got.CustomerID != made[3].CustomerID || got.From != made[3].From || !got.CreatedAt.Equal(made[3].CreatedAt) {
			t.Fatalf("GetSync = %+v, want %+v", got, made[3])
		}
		_, err = e.s.GetSync(ctx, "missing")
		wantErr(t, err, store.ErrNotFound)

		// Pages of 3, newest first, cover everything once.
		var seen []string
		cursor := ""
		for page := 0; ; page++ {
			list, next, err := e.s.ListSyncs(ctx, store.SyncFilter{Limit: 3, Cursor: cursor})
			must(t, err)
			for _, s := range list {
				seen = append(seen, s.ID)
			}
			if next == "" {
				break
			}
			if page > 5 {
				t.Fatal("pagination does not end")
			}
			cursor = next
		}
		if len(seen) != len(made) {
			t.Fatalf("listed %d syncs, want %d", len(seen), len(made))
		}
		for i, id := range seen {
			if want := made[len(made)-1-i].ID; id != want {
				t.Fatalf("position %d: %s, want %s (newest first)", i, id, want)
			}
		}

		list, _, err := e.s.ListSyncs(ctx, store.SyncFilter{CustomerID: "222"})
		must(t, err)
		if len(list) != 3 {
			t.Fatalf("customer filter: %d syncs, want 3", len(list))
		}
		_, err = e.s.CancelSync(ctx, made[0].ID)
		must(t, err)
		list, _, err = e.s.ListSyncs(ctx, store.SyncFilter{Statuses: []string{store.StatusCanceled}, AccountID: made[0].AccountID})
		must(t, err)
		if len(list) != 1 || list[0].ID != made[0].ID {
			t.Fatalf("status filter: %+v", list)
		}
		list, _, err = e.s.ListSyncs(ctx, store.SyncFilter{CreatedAfter: made[4].CreatedAt})
		must(t, err)
		if len(list) != 3 { // made[4..6]
			t.Fatalf("CreatedAfter: %d syncs, want 3", len(list))
		}
		list, _, err = e.s.ListSyncs(ctx, store.SyncFilter{CreatedBefore: made[1].CreatedAt})
		must(t, err)
		if len(list) != 1 || list[0].ID != made[0].ID {
			t.Fatalf("CreatedBefore: %+v", list)
		}
		if _, _, err := e.s.ListSyncs(ctx, store.SyncFilter{Cursor: "!!"}); err == nil {
			t.Fatal("bad cursor: want error")
		}

		counts, err := e.s.CountSyncs(ctx)
		must(t, err)
		if counts[store.StatusQueued] != 6 || counts[store.StatusCanceled] != 1 {
			t.Fatalf("CountSyncs = %v", counts)
		}
		behind, err := e.s.QueuedBehind(ctx, "111")
		must(t, err)
		if len(behind) != 3 || behind[0].ID != made[2].ID || behind[2].ID != made[6].ID {
			t.Fatalf("QueuedBehind = %d syncs", len(behind))
		}
	})
}
