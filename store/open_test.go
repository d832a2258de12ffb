package store_test

import (
	"path/filepath"
	"testing"

	"github.com/naversync/naversync/store"
)

func TestOpenSQLiteURLForms(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, u := range []string{
		"sqlite://" + filepath.Join(dir, "a.db"),
		"file:" + filepath.Join(dir, "b.db"),
		filepath.Join(dir, "c.db"),
		"file:" + filepath.Join(dir, "d.db") + "?_pragma=cache_size(-2000)",
		":memory:",
	} {
		t.Run(u, func(t *testing.T) {
			s, err := store.Open(t.Context(), u, store.Options{})
			if err != nil {
				t.Fatalf("Open(%q): %v", u, err)
			}
			defer s.Close()
			if s.Dialect() != store.DialectSQLite {
				t.Fatalf("Dialect = %s", s.Dialect())
			}
			a := &store.Account{Name: "x", CustomerID: "1", SpreadsheetID: "s", SheetTab: "t", Level: "campaign"}
			must(t, s.CreateAccount(t.Context(), a))
			if _, err := s.GetAccount(t.Context(), a.ID); err != nil {
				t.Fatalf("GetAccount: %v", err)
			}
		})
	}
	if _, err := store.Open(t.Context(), "sqlite://", store.Options{}); err == nil {
		t.Fatal("Open with an empty path: want error")
	}
}
