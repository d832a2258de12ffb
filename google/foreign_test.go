package google_test

import (
	"errors"
	"testing"

	"github.com/naversync/naversync/google"
	"github.com/naversync/naversync/google/sheetstest"
)

// TestTabHoldsForeignData: a tab naversync wrote (its layout record) is never foreign; a
// person's tab is foreign as soon as one cell holds a value, wherever it is (near the top, or
// far below the first rows the check reads first); an empty or missing tab is not; titles
// match ignoring case; the check changes nothing and names a sheet not shared or missing.
func TestTabHoldsForeignData(t *testing.T) {
	e := setup(t, google.Config{ServiceAccountEmail: sheetstest.DefaultCaller}, sheetstest.Options{})
	ctx := t.Context()
	cols := []google.Column{{Name: "Day", Type: google.Date}, {Name: "Clicks", Type: google.Integer}}
	if _, err := e.w.WriteTable(ctx, book, "naver_ads", table(cols, [][]any{{day(2026, 7, 1), int64(3)}}), google.Status{SyncID: "s1"}); err != nil {
		t.Fatal(err)
	}
	e.srv.AddSheet(book, "Budget", 10, 5)
	e.srv.SetValues(book, "Budget", [][]any{nil, {nil, "budget: 3M"}})
	e.srv.AddSheet(book, "Long", 1000, 5)
	far := make([][]any, 700)
	far[699] = []any{nil, nil, "note far below"}
	e.srv.SetValues(book, "Long", far)
	e.srv.AddSheet(book, "Empty", 1000, 26)
	before := e.srv.BatchUpdateCount()

	for _, tc := range []struct {
		tab                  string
		exists, nvs, foreign bool
		first                string
		requests             int
	}{
		{"naver_ads", true, true, false, "", 1}, // naversync's own: the metadata settles it, no values read
		{"NAVER_ADS", true, true, false, "", 1},
		{"budget", true, false, true, "B2", 2},
		{"Long", true, false, true, "C700", 3},
		{"Empty", true, false, false, "", 3},
		{"Missing", false, false, false, "", 1},
	} {
		got, err := e.w.TabHoldsForeignData(ctx, book, tc.tab)
		if err != nil {
			t.Fatalf("%s: %v", tc.tab, err)
		}
		if got.Exists != tc.exists || got.Naversync != tc.nvs || got.Foreign() != tc.foreign || got.FirstCell != tc.first || got.Requests != tc.requests {
			t.Errorf("%s: %+v (foreign %v); want exists %v, naversync %v, foreign %v, first cell %q, %d requests",
				tc.tab, got, got.Foreign(), tc.exists, tc.nvs, tc.foreign, tc.first, tc.requests)
		}
	}
	if n := e.srv.BatchUpdateCount(); n != before {
		t.Errorf("the check sent %d batchUpdates, want none", n-before)
	}

	e.srv.ShareReadOnly(book, sheetstest.DefaultCaller)
	if got, err := e.w.TabHoldsForeignData(ctx, book, "Budget"); err != nil || !got.Foreign() {
		t.Errorf("view-only: %+v, %v; want the data found (a viewer may read)", got, err)
	}
	e.srv.Unshare(book, sheetstest.DefaultCaller)
	if _, err := e.w.TabHoldsForeignData(ctx, book, "Budget"); !errors.Is(err, google.ErrNotShared) {
		t.Errorf("not shared: %v, want ErrNotShared", err)
	}
	if _, err := e.w.TabHoldsForeignData(ctx, "no-such-book", "Budget"); !errors.Is(err, google.ErrSpreadsheetNotFound) {
		t.Errorf("wrong id: %v, want ErrSpreadsheetNotFound", err)
	}
}
