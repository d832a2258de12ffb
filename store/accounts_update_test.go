package store_test

import (
	"fmt"
	"testing"

	"github.com/naversync/naversync/store"
)

// TestUpdateAccountKeepsConcurrentChanges: an update changes only the columns it sets; a
// worker's last_error and another request's new secret written meanwhile stay. (Before partial
// updates, the update wrote back every column of the copy it had read, losing both.)
func TestUpdateAccountKeepsConcurrentChanges(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := ctxT(t)
		a := &store.Account{Name: "A", CustomerID: "111", APIKey: "k", SecretEnc: []byte{1},
			SpreadsheetID: "sheet1", SheetTab: "Data", Level: "campaign", RefreshEnabled: true}
		must(t, e.s.CreateAccount(ctx, a))
		// A PATCH of the name has read the account; meanwhile a worker records an error and
		// another PATCH sets a new secret; then the first PATCH writes its name.
		must(t, e.s.SetAccountError(ctx, a.ID, "auth failed"))
		_, err := e.s.UpdateAccount(ctx, a.ID, store.AccountUpdate{SecretEnc: &[]byte{2}})
		must(t, err)
		got, err := e.s.UpdateAccount(ctx, a.ID, store.AccountUpdate{Name: ptr("A2")})
		must(t, err)
		if got.Name != "A2" || string(got.SecretEnc) != "\x02" || got.LastError != "auth failed" || got.Level != "campaign" {
			t.Fatalf("after concurrent updates: %+v; want name A2, secret [2], last_error auth failed", got)
		}
		// A compare-and-swap of the secret fails once the secret changed, and changes nothing.
		_, err = e.s.UpdateAccount(ctx, a.ID, store.AccountUpdate{SecretEnc: &[]byte{3}, IfSecretEnc: &[]byte{1}})
		wantErr(t, err, store.ErrConflict)
		got, err = e.s.UpdateAccount(ctx, a.ID, store.AccountUpdate{SecretEnc: &[]byte{3}, IfSecretEnc: &[]byte{2}})
		must(t, err)
		if string(got.SecretEnc) != "\x03" {
			t.Fatalf("secret %v after compare-and-swap, want [3]", got.SecretEnc)
		}
		_, err = e.s.UpdateAccount(ctx, "nope", store.AccountUpdate{Name: ptr("x")})
		wantErr(t, err, store.ErrNotFound)
	})
}

func ptr[T any](v T) *T { return &v }

// TestSheetTabUniqueIgnoringCase: a live tab is unique in its spreadsheet ignoring case, as
// Google compares tab names (strings.EqualFold), also for non-ASCII letters.
func TestSheetTabUniqueIgnoringCase(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := ctxT(t)
		create := func(name, sheet, tab string) (*store.Account, error) {
			a := &store.Account{Name: name, CustomerID: "1", SpreadsheetID: sheet, SheetTab: tab, Level: "campaign"}
			return a, e.s.CreateAccount(ctx, a)
		}
		a, err := create("A", "s1", "Data")
		must(t, err)
		_, err = create("B", "s1", "DATA")
		wantErr(t, err, store.ErrDuplicate)
		_, err = create("B", "s1", "Übersicht")
		must(t, err)
		_, err = create("C", "s1", "üBERSICHT")
		wantErr(t, err, store.ErrDuplicate)
		c, err := create("C", "s2", "data") // another spreadsheet
		must(t, err)
		_, err = e.s.UpdateAccount(ctx, c.ID, store.AccountUpdate{SpreadsheetID: ptr("s1")})
		wantErr(t, err, store.ErrDuplicate)
		// An account may change the case of its own tab.
		_, err = e.s.UpdateAccount(ctx, a.ID, store.AccountUpdate{SheetTab: ptr("data")})
		must(t, err)
		must(t, e.s.DeleteAccount(ctx, a.ID))
		_, err = e.s.UpdateAccount(ctx, c.ID, store.AccountUpdate{SpreadsheetID: ptr("s1")})
		must(t, err)
	})
}

// TestMigrationBackfillsTabKeys: accounts stored before the case-insensitive key get it when the
// schema is migrated; two live accounts that already shared a tab ignoring case both stay.
func TestMigrationBackfillsTabKeys(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := ctxT(t)
		for i, name := range []string{"Data", "data"} {
			a := &store.Account{Name: name, CustomerID: "1", SpreadsheetID: "s1", SheetTab: fmt.Sprint("tab", i), Level: "campaign"}
			must(t, e.s.CreateAccount(ctx, a))
		}
		// The schema as it was: a case-sensitive key, and no sheet_tab_key values.
		must(t, e.s.ExecForTest(ctx, `DROP INDEX accounts_live_sheet_key`))
		must(t, e.s.ExecForTest(ctx, `UPDATE accounts SET sheet_tab = name, sheet_tab_key = ''`))
		must(t, e.s.MigrateDownForTest(ctx, 1, true)) // as release 10e4a02 left it
		e.open(t)                                     // adopts it
		list, err := e.s.ListAccounts(ctx, store.AccountFilter{})
		must(t, err)
		if len(list) != 2 {
			t.Fatalf("%d accounts after migration, want 2", len(list))
		}
		x := &store.Account{Name: "x", CustomerID: "1", SpreadsheetID: "s1", SheetTab: "DATA", Level: "campaign"}
		wantErr(t, e.s.CreateAccount(ctx, x), store.ErrDuplicate)
	})
}

// TestMigrationAddsGoogleIdentity: a database stored before Google identities gets the column
// when the schema is migrated, its accounts without an identity; BackfillGoogleIdentity binds
// them (deleted ones too) to the default, and leaves bound ones alone. AccountsPerIdentity
// counts live accounts only.
func TestMigrationAddsGoogleIdentity(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := ctxT(t)
		for i := range 3 {
			a := &store.Account{Name: fmt.Sprint("a", i), CustomerID: "1", SpreadsheetID: "s1", SheetTab: fmt.Sprint("tab", i), Level: "campaign"}
			must(t, e.s.CreateAccount(ctx, a))
			if i == 2 {
				must(t, e.s.DeleteAccount(ctx, a.ID))
			}
		}
		// The schema as it was (version 1): no google_identity column.
		must(t, e.s.MigrateDownForTest(ctx, 1, false))
		e.open(t) // migrates
		bound := &store.Account{Name: "b", CustomerID: "1", SpreadsheetID: "s1", SheetTab: "tabB", Level: "campaign", GoogleIdentity: "two@p.iam.gserviceaccount.com"}
		must(t, e.s.CreateAccount(ctx, bound))
		n, err := e.s.BackfillGoogleIdentity(ctx, "one@p.iam.gserviceaccount.com")
		must(t, err)
		if n != 3 {
			t.Fatalf("backfilled %d accounts, want 3 (two live, one deleted)", n)
		}
		counts, err := e.s.AccountsPerIdentity(ctx)
		must(t, err)
		if len(counts) != 2 || counts["one@p.iam.gserviceaccount.com"] != 2 || counts["two@p.iam.gserviceaccount.com"] != 1 {
			t.Fatalf("accounts per identity = %v", counts)
		}
		if n, err := e.s.BackfillGoogleIdentity(ctx, "one@p.iam.gserviceaccount.com"); err != nil || n != 0 {
			t.Fatalf("second backfill: %d, %v; want nothing left", n, err)
		}
	})
}
