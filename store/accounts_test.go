package store_test

import (
	"testing"
	"time"

	"github.com/naversync/naversync/store"
)

func TestOpenDialect(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		if got := e.s.Dialect(); got != e.db.Name {
			t.Fatalf("Dialect = %q, want %q", got, e.db.Name)
		}
		must(t, e.s.Ping(ctxT(t)))
		// Reopening migrates an existing schema without error.
		e.open(t)
	})
}

func TestAccounts(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := ctxT(t)
		a := &store.Account{Name: "A", CustomerID: "111", APIKey: "k", SecretEnc: []byte{1, 2, 3},
			SpreadsheetID: "sheet1", SheetTab: "Data", Level: "campaign", RefreshEnabled: true, RefreshTime: "06:30"}
		must(t, e.s.CreateAccount(ctx, a))
		if a.ID == "" || !near(a.CreatedAt, e.clock.Now()) {
			t.Fatalf("CreateAccount did not set ID/CreatedAt: %+v", a)
		}
		got, err := e.s.GetAccount(ctx, a.ID)
		must(t, err)
		if got.Name != "A" || got.CustomerID != "111" || string(got.SecretEnc) != "\x01\x02\x03" ||
			got.RefreshTime != "06:30" || !got.RefreshEnabled || !got.CreatedAt.Equal(a.CreatedAt) || got.DeletedAt != nil {
			t.Fatalf("GetAccount = %+v", got)
		}

		// Same live (spreadsheet, tab) is refused; another tab is fine.
		dup := &store.Account{Name: "B", CustomerID: "222", SpreadsheetID: "sheet1", SheetTab: "Data", Level: "keyword"}
		wantErr(t, e.s.CreateAccount(ctx, dup), store.ErrDuplicate)
		b := &store.Account{Name: "B", CustomerID: "222", SpreadsheetID: "sheet1", SheetTab: "Other", Level: "keyword"}
		must(t, e.s.CreateAccount(ctx, b))
		_, err = e.s.UpdateAccount(ctx, b.ID, store.AccountUpdate{SheetTab: ptr("Data")})
		wantErr(t, err, store.ErrDuplicate)

		e.clock.Advance(time.Minute)
		_, err = e.s.UpdateAccount(ctx, a.ID, store.AccountUpdate{Name: ptr("A2"), RefreshEnabled: ptr(false)})
		must(t, err)
		got, err = e.s.GetAccount(ctx, a.ID)
		must(t, err)
		if got.Name != "A2" || got.RefreshEnabled || !near(got.UpdatedAt, e.clock.Now()) {
			t.Fatalf("after update: %+v", got)
		}
		must(t, e.s.SetAccountError(ctx, a.ID, "auth failed"))
		got, _ = e.s.GetAccount(ctx, a.ID)
		if got.LastError != "auth failed" {
			t.Fatalf("LastError = %q", got.LastError)
		}

		on := true
		list, err := e.s.ListAccounts(ctx, store.AccountFilter{RefreshEnabled: &on})
		must(t, err)
		if len(list) != 0 {
			t.Fatalf("refresh-enabled accounts = %d, want 0", len(list))
		}
		list, err = e.s.ListAccounts(ctx, store.AccountFilter{Limit: 1})
		must(t, err)
		if len(list) != 1 || list[0].ID != a.ID {
			t.Fatalf("first page = %+v", list)
		}
		list, err = e.s.ListAccounts(ctx, store.AccountFilter{After: list[0].ID})
		must(t, err)
		if len(list) != 1 || list[0].ID != b.ID {
			t.Fatalf("second page = %+v", list)
		}

		// Soft delete: gone from lists, still readable, its tab reusable.
		must(t, e.s.DeleteAccount(ctx, a.ID))
		wantErr(t, e.s.DeleteAccount(ctx, a.ID), store.ErrNotFound)
		_, err = e.s.UpdateAccount(ctx, a.ID, store.AccountUpdate{Name: ptr("A3")})
		wantErr(t, err, store.ErrNotFound)
		got, err = e.s.GetAccount(ctx, a.ID)
		must(t, err)
		if got.DeletedAt == nil {
			t.Fatal("DeletedAt not set")
		}
		list, _ = e.s.ListAccounts(ctx, store.AccountFilter{})
		if len(list) != 1 || list[0].ID != b.ID {
			t.Fatalf("after delete = %+v", list)
		}
		c := &store.Account{Name: "C", CustomerID: "333", SpreadsheetID: "sheet1", SheetTab: "Data", Level: "adgroup"}
		must(t, e.s.CreateAccount(ctx, c))

		_, err = e.s.GetAccount(ctx, "nope")
		wantErr(t, err, store.ErrNotFound)
		wantErr(t, e.s.SetAccountError(ctx, "nope", "x"), store.ErrNotFound)
	})
}
