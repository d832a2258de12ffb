package storetest_test

import (
	"testing"

	"github.com/naversync/naversync/store"
	"github.com/naversync/naversync/store/storetest"
)

// Two Stores on one DB share data (replicas); two DBs are isolated.
func TestDatabasesAreSharedAndIsolated(t *testing.T) {
	first := storetest.Databases(t)
	second := storetest.Databases(t)
	if len(first) != len(second) || len(first) == 0 {
		t.Fatalf("Databases returned %d and %d entries", len(first), len(second))
	}
	for i, db := range first {
		t.Run(db.Name, func(t *testing.T) {
			if db.URL == second[i].URL {
				t.Fatalf("two calls returned the same URL %s", db.URL)
			}
			a := storetest.Open(t, db, store.Options{})
			b := storetest.Open(t, db, store.Options{})
			if a.Dialect() != db.Name {
				t.Fatalf("Dialect = %s, want %s", a.Dialect(), db.Name)
			}
			acc := &store.Account{Name: "x", CustomerID: "1", SpreadsheetID: "s", SheetTab: "t", Level: "campaign"}
			if err := a.CreateAccount(t.Context(), acc); err != nil {
				t.Fatal(err)
			}
			if _, err := b.GetAccount(t.Context(), acc.ID); err != nil {
				t.Fatalf("replica does not see the account: %v", err)
			}
			other := storetest.Open(t, second[i], store.Options{})
			list, err := other.ListAccounts(t.Context(), store.AccountFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 0 {
				t.Fatalf("another database sees %d accounts", len(list))
			}
		})
	}
}
