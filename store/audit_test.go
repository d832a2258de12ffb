package store_test

import (
	"slices"
	"testing"
	"time"

	"github.com/naversync/naversync/store"
)

// TestAuditLog: entries come back newest first, with their fields, filtered by account and
// paged by cursor; the sheet language of an account is stored and updated like its other fields.
func TestAuditLog(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := ctxT(t)
		add := func(action, account string, fields ...string) store.AuditEntry {
			a := store.AuditEntry{Actor: "operator token 0a1b2c3d", Role: "operator", Action: action, AccountID: account, Fields: fields, Detail: action + " detail"}
			must(t, e.s.AddAudit(ctx, &a))
			return a
		}
		first := add("account.create", "acc-1", "name", "secret_key")
		add("sync.create", "acc-2")
		third := add("account.update", "acc-1", "refresh_time")
		all, next, err := e.s.ListAudit(ctx, store.AuditFilter{})
		must(t, err)
		if len(all) != 3 || next != "" || all[0].ID != third.ID || all[2].ID != first.ID {
			t.Fatalf("list: %+v next %q; want 3 entries newest first", all, next)
		}
		if got := all[2]; !slices.Equal(got.Fields, []string{"name", "secret_key"}) || got.Actor != first.Actor || got.Role != "operator" ||
			got.Detail != "account.create detail" || got.At.IsZero() {
			t.Errorf("first entry read back as %+v", got)
		}
		if len(all[1].Fields) != 0 {
			t.Errorf("an entry without fields reads back with %q", all[1].Fields)
		}
		mine, _, err := e.s.ListAudit(ctx, store.AuditFilter{AccountID: "acc-1"})
		must(t, err)
		if len(mine) != 2 || mine[0].ID != third.ID || mine[1].ID != first.ID {
			t.Errorf("filtered by account: %+v", mine)
		}
		page, next, err := e.s.ListAudit(ctx, store.AuditFilter{Limit: 2})
		must(t, err)
		if len(page) != 2 || next == "" {
			t.Fatalf("page of 2: %d entries, next %q", len(page), next)
		}
		rest, next, err := e.s.ListAudit(ctx, store.AuditFilter{Limit: 2, Before: next})
		must(t, err)
		if len(rest) != 1 || rest[0].ID != first.ID || next != "" {
			t.Errorf("second page: %+v next %q", rest, next)
		}

		a := &store.Account{Name: "A", CustomerID: "1", SpreadsheetID: "s1", SheetTab: "Data", Level: "campaign", SheetLanguage: "ko"}
		must(t, e.s.CreateAccount(ctx, a))
		got, err := e.s.GetAccount(ctx, a.ID)
		must(t, err)
		if got.SheetLanguage != "ko" {
			t.Errorf("sheet language %q, want ko", got.SheetLanguage)
		}
		got, err = e.s.UpdateAccount(ctx, a.ID, store.AccountUpdate{SheetLanguage: ptr("en")})
		must(t, err)
		if got.SheetLanguage != "en" || got.Name != "A" {
			t.Errorf("after update: %+v", got)
		}
	})
}

// TestAuditRetention: DeleteAuditBefore deletes, batch by batch, the entries recorded before the
// cutoff and none after it.
func TestAuditRetention(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := ctxT(t)
		add := func(action string) store.AuditEntry {
			a := store.AuditEntry{Actor: "admin token 0a1b2c3d", Role: "admin", Action: action, AccountID: "acc-1", Detail: action}
			must(t, e.s.AddAudit(ctx, &a))
			return a
		}
		for range 5 {
			add("account.update")
		}
		e.clock.Advance(10 * 24 * time.Hour)
		kept := []store.AuditEntry{add("sync.create"), add("sync.cancel")}
		cutoff := e.clock.Now().Add(-5 * 24 * time.Hour)
		total, calls := 0, 0
		for {
			n, err := e.s.DeleteAuditBefore(ctx, cutoff, 2)
			must(t, err)
			total, calls = total+n, calls+1
			if n < 2 {
				break
			}
		}
		if total != 5 || calls != 3 {
			t.Errorf("deleted %d entries in %d calls, want 5 in 3 (batches of 2)", total, calls)
		}
		left, _, err := e.s.ListAudit(ctx, store.AuditFilter{})
		must(t, err)
		if len(left) != 2 || left[0].ID != kept[1].ID || left[1].ID != kept[0].ID {
			t.Errorf("left %+v, want the two recent entries", left)
		}
	})
}
