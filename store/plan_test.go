package store_test

import (
	"testing"
	"time"

	"github.com/naversync/naversync/store"
)

// The fetch queue is claimed in the refresh's plan order (PlanRank), not in the order the syncs
// were inserted; a sync no plan queued (rank 0, a person's) goes first; a busy customer is
// stepped over so no worker idles, and its next planned sync is claimed as soon as it is free.
func TestClaimFetchFollowsThePlan(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := ctxT(t)
		enqueue := func(customer, account string, rank int64) store.Sync {
			s := mustEnqueue(t, e.s, store.Sync{CustomerID: customer, AccountID: account, PlanRank: rank, Trigger: store.TriggerScheduled})
			if s.PlanRank != rank {
				t.Fatalf("stored plan rank %d, want %d", s.PlanRank, rank)
			}
			e.clock.Advance(time.Second)
			return s
		}
		a := enqueue("A", "a1", 3) // inserted first, third in the plan
		b1 := enqueue("B", "b1", 1)
		b2 := enqueue("B", "b2", 2)
		c := enqueue("C", "c1", 4)
		manual := enqueue("D", "d1", 0) // inserted last, not planned
		claim := func(owner string) (*store.Sync, *store.Claim) {
			t.Helper()
			s, cl, err := e.s.ClaimFetch(ctx, owner, ttl)
			must(t, err)
			return s, cl
		}
		var claims []*store.Claim
		for i, want := range []store.Sync{manual, b1, a, c} {
			s, cl := claim("w")
			if s == nil || s.ID != want.ID {
				t.Fatalf("claim %d = %+v, want %s of customer %s (rank %d)", i+1, s, want.ID, want.CustomerID, want.PlanRank)
			}
			claims = append(claims, cl)
		}
		// b2 waits for its customer: nothing else is runnable.
		if s, _ := claim("w"); s != nil {
			t.Fatalf("claimed %s of customer %s while B is busy", s.ID, s.CustomerID)
		}
		must(t, e.s.FinishFetch(ctx, *claims[1]))
		if s, _ := claim("w"); s == nil || s.ID != b2.ID {
			t.Fatalf("after B's first sync the claim is %+v, want B's second (%s)", s, b2.ID)
		}
	})
}

// An account's history_days is stored as given; an account that never set it (and every account
// stored before the column existed) reads 0, the served window; an update of another field
// keeps it.
func TestAccountHistoryDays(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := ctxT(t)
		a := &store.Account{Name: "A", CustomerID: "111", APIKey: "k", SecretEnc: []byte{1},
			SpreadsheetID: "sheet1", SheetTab: "Data", Level: "campaign", RefreshEnabled: true}
		must(t, e.s.CreateAccount(ctx, a))
		got, err := e.s.GetAccount(ctx, a.ID)
		must(t, err)
		if got.HistoryDays != 0 {
			t.Fatalf("history_days %d by default, want 0 (the served window)", got.HistoryDays)
		}
		days := 90
		got, err = e.s.UpdateAccount(ctx, a.ID, store.AccountUpdate{HistoryDays: &days})
		must(t, err)
		if got.HistoryDays != 90 {
			t.Fatalf("history_days %d after setting 90", got.HistoryDays)
		}
		got, err = e.s.UpdateAccount(ctx, a.ID, store.AccountUpdate{Name: ptr("A2")})
		must(t, err)
		if got.HistoryDays != 90 {
			t.Fatalf("history_days %d after renaming, want 90 kept", got.HistoryDays)
		}
		b := &store.Account{Name: "B", CustomerID: "112", APIKey: "k", SecretEnc: []byte{1},
			SpreadsheetID: "sheet2", SheetTab: "Data", Level: "campaign", HistoryDays: 30}
		must(t, e.s.CreateAccount(ctx, b))
		if got, err := e.s.GetAccount(ctx, b.ID); err != nil || got.HistoryDays != 30 {
			t.Fatalf("created with 30 days: %d (%v)", got.HistoryDays, err)
		}
	})
}
