package google_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/naversync/naversync/google"
	"github.com/naversync/naversync/google/sheetstest"
)

// TestCheckAccess: the writer tells edit, view-only and no access apart without changing
// anything a user sees (no tab, no value, no metadata left behind), describes the asked tab
// (missing, holding someone's data, written by naversync) and names a wrong id.
func TestCheckAccess(t *testing.T) {
	e := setup(t, google.Config{ServiceAccountEmail: sheetstest.DefaultCaller}, sheetstest.Options{})
	ctx := t.Context()
	if got := e.w.ServiceAccountEmail(); got != sheetstest.DefaultCaller {
		t.Errorf("ServiceAccountEmail() = %q, want the configured %q", got, sheetstest.DefaultCaller)
	}
	e.srv.AddSheet(book, "Budget", 10, 5)
	cols := []google.Column{{Name: "Day", Type: google.Date}, {Name: "Clicks", Type: google.Integer}}
	if _, err := e.w.WriteTable(ctx, book, "naver_ads", table(cols, [][]any{{day(2026, 7, 1), int64(3)}}), google.Status{SyncID: "s1"}); err != nil {
		t.Fatal(err)
	}
	// A user's tab with a value in it.
	e.srv.AddSheet(book, "Notes", 3, 3)
	e.srv.SetValues(book, "Notes", [][]any{nil, {nil, "budget: 3M"}})
	before := e.srv.Sheets(book)
	beforeBatches := e.srv.BatchUpdateCount()

	acc, err := e.w.CheckAccess(ctx, book, "naver_ads")
	if err != nil {
		t.Fatal(err)
	}
	if acc.Level != google.AccessEdit || acc.Title != book || len(acc.Tabs) != len(before) {
		t.Fatalf("edit access: %+v", acc)
	}
	if len(acc.Asked) != 1 || !acc.Asked[0].Exists || !acc.Asked[0].HasData || !acc.Asked[0].Naversync {
		t.Errorf("naversync's own tab: %+v", acc.Asked)
	}
	if e.srv.BatchUpdateCount() != beforeBatches+1 {
		t.Errorf("%d batchUpdates for the check, want 1", e.srv.BatchUpdateCount()-beforeBatches)
	}
	if after := e.srv.Sheets(book); len(after) != len(before) {
		t.Errorf("tabs %q after the check, want %q", after, before)
	}
	for _, tab := range before {
		if info, _ := e.srv.Sheet(book, tab); len(info.Metadata) > 0 && info.Metadata["naversync.access-check"] != "" {
			t.Errorf("tab %q keeps the check's metadata", tab)
		}
	}

	for _, tc := range []struct {
		tab                        string
		exists, hasData, naversync bool
	}{
		{"budget", true, false, false}, // an empty tab, found ignoring case
		{"Notes", true, true, false},
		{"Missing", false, false, false},
	} {
		acc, err := e.w.CheckAccess(ctx, book, tc.tab)
		if err != nil {
			t.Fatal(err)
		}
		if got := acc.Asked[0]; got.Exists != tc.exists || got.HasData != tc.hasData || got.Naversync != tc.naversync {
			t.Errorf("tab %q: %+v", tc.tab, got)
		}
	}
	// Several tabs in one check (an account's tabs), each described in the order asked.
	acc, err = e.w.CheckAccess(ctx, book, "Missing", "notes", "naver_ads")
	if err != nil {
		t.Fatal(err)
	}
	notes, _ := e.srv.Sheet(book, "Notes")
	ads, _ := e.srv.Sheet(book, "naver_ads")
	want := []google.TabState{{Title: "Missing"}, {Title: "Notes", SheetID: notes.SheetID, Exists: true, HasData: true},
		{Title: "naver_ads", SheetID: ads.SheetID, Exists: true, HasData: true, Naversync: true}}
	if !slices.Equal(acc.Asked, want) {
		t.Errorf("three tabs asked: %+v, want %+v", acc.Asked, want)
	}

	e.srv.ShareReadOnly(book, sheetstest.DefaultCaller)
	acc, err = e.w.CheckAccess(ctx, book, "naver_ads")
	if err != nil || acc.Level != google.AccessRead || len(acc.Tabs) == 0 {
		t.Errorf("view-only: %+v, %v; want read with the tabs", acc, err)
	}
	e.srv.Unshare(book, sheetstest.DefaultCaller)
	acc, err = e.w.CheckAccess(ctx, book, "naver_ads")
	if err != nil || acc.Level != google.AccessNone {
		t.Errorf("not shared: %+v, %v; want none", acc, err)
	}
	if _, err := e.w.CheckAccess(ctx, "no-such-book", ""); !errors.Is(err, google.ErrSpreadsheetNotFound) {
		t.Errorf("wrong id: %v, want ErrSpreadsheetNotFound", err)
	}
}
