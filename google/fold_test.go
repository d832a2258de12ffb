package google_test

import (
	"net/http"
	"strings"
	"testing"

	"google.golang.org/api/sheets/v4"

	"github.com/naversync/naversync/google"
	"github.com/naversync/naversync/google/sheetstest"
)

// An incremental refresh reads the spreadsheet once (spreadsheets:
// getByDataFilter: the tabs, the status row and the cells that verify the
// tab) and writes once: two requests, where reading the tabs and then the
// cells took three. First writes make no more requests than before.
func TestRefreshReadsOnce(t *testing.T) {
	e := setup(t, google.Config{}, sheetstest.Options{})
	count := func(name string, want int, write func() (google.WriteResult, error)) google.WriteResult {
		t.Helper()
		before, batches := e.srv.RequestCount(), e.srv.BatchUpdateCount()
		res, err := write()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, writes := e.srv.RequestCount()-before, e.srv.BatchUpdateCount()-batches
		if got != want || res.Requests != want || writes != 1 {
			t.Errorf("%s: %d requests (writer %d), %d of them batchUpdates; want %d, one batchUpdate", name, got, res.Requests, writes, want)
		}
		return res
	}
	days := window(day(2026, 3, 1), 60, func(i int) int { return 20 + i%7 })
	t1, _ := reportTable(days)
	// A first write into a spreadsheet without a status tab: the tabs, then the write.
	first := count("first write", 2, func() (google.WriteResult, error) {
		return e.w.WriteTableFrom(t.Context(), book, "Daily", nil, t1, google.Status{SyncID: "s1"})
	})
	// A first write beside it: the tabs, the status row, the write.
	t0, _ := reportTable(days[:3])
	count("first write of another tab", 3, func() (google.WriteResult, error) {
		return e.w.WriteTableFrom(t.Context(), book, "Other", nil, t0, google.Status{SyncID: "s0"})
	})
	next := refresh(days, 1)
	t2, want2 := reportTable(next)
	inc := count("refresh", 2, func() (google.WriteResult, error) {
		return e.w.WriteTableFrom(t.Context(), book, "Daily", &first.Layout, t2, google.Status{SyncID: "s2"})
	})
	if !inc.Incremental {
		t.Errorf("refresh not incremental: %+v", inc)
	}
	t.Logf("refresh read %d bytes (%d unzipped)", inc.ReadBytes, inc.ReadRawBytes)
	checkTab(t, e, "Daily", want2)
	// A person sorts the tab: the folded read's key cells see it, and the
	// refresh rewrites the displaced days, still in two requests.
	user := userClient(t, e)
	userEdit(t, user, &sheets.Request{SortRange: &sheets.SortRangeRequest{
		Range:     &sheets.GridRange{SheetId: inc.SheetID, StartRowIndex: 1, EndRowIndex: int64(1 + t2.NumRows), StartColumnIndex: 0, EndColumnIndex: int64(len(t2.Columns))},
		SortSpecs: []*sheets.SortSpec{{DimensionIndex: 0, SortOrder: "ASCENDING"}}}})
	again := refresh(next, 2)
	t3, want3 := reportTable(again)
	count("refresh after a sort", 2, func() (google.WriteResult, error) {
		return e.w.WriteTableFrom(t.Context(), book, "Daily", &inc.Layout, t3, google.Status{SyncID: "s3"})
	})
	checkTab(t, e, "Daily", want3)
}

// When the spreadsheet is not as the previous write left it, the folded
// read's guess is wrong and the write stays right: it reads as before.
func TestRefreshFoldFallbacks(t *testing.T) {
	days := window(day(2026, 3, 1), 30, func(i int) int { return 5 + i%4 })
	start := func(t *testing.T, cfg google.Config) (env, google.WriteResult) {
		e := setup(t, cfg, sheetstest.Options{})
		tbl, _ := reportTable(days)
		res, err := e.w.WriteTableFrom(t.Context(), book, "Daily", nil, tbl, google.Status{})
		if err != nil {
			t.Fatal(err)
		}
		return e, res
	}
	t.Run("a known tab deleted", func(t *testing.T) {
		e, first := start(t, google.Config{})
		userEdit(t, userClient(t, e), &sheets.Request{DeleteSheet: &sheets.DeleteSheetRequest{SheetId: 0}}) // Sheet1
		tbl, want := reportTable(refresh(days, 1))
		res, err := e.w.WriteTableFrom(t.Context(), book, "Daily", &first.Layout, tbl, google.Status{})
		if err != nil || !res.Incremental || res.Requests != 4 {
			t.Fatalf("refresh = %+v, %v; want incremental in 4 requests (the folded read refused, the tabs, the cells, the write)", res, err)
		}
		checkTab(t, e, "Daily", want)
	})
	t.Run("renamed", func(t *testing.T) {
		e, first := start(t, google.Config{})
		userEdit(t, userClient(t, e), &sheets.Request{UpdateSheetProperties: &sheets.UpdateSheetPropertiesRequest{
			Properties: &sheets.SheetProperties{SheetId: first.SheetID, Title: "Renamed"}, Fields: "title"}})
		tbl, want := reportTable(refresh(days, 1))
		res, err := e.w.WriteTableFrom(t.Context(), book, "Daily", &first.Layout, tbl, google.Status{})
		if err != nil || !res.Incremental || res.Tab != "Renamed" || res.Requests != 2 {
			t.Fatalf("refresh = %+v, %v; want incremental, under the new title, in 2 requests", res, err)
		}
		checkTab(t, e, "Renamed", want)
	})
	t.Run("a failed write's staging tab", func(t *testing.T) {
		const limit = 8 << 10
		e, first := start(t, google.Config{MaxRequestBytes: limit, MaxRetries: -1})
		big := refresh(days, 1)
		for i := range big[:7] {
			big[i].rows += 20
		}
		e.srv.InjectBatchFault(book, sheetstest.BatchFault{Nth: 2, Code: http.StatusServiceUnavailable, Status: "UNAVAILABLE"})
		tbl, _ := reportTable(big)
		if _, err := e.w.WriteTableFrom(t.Context(), book, "Daily", &first.Layout, tbl, google.Status{}); err == nil {
			t.Fatal("the failed batch went unnoticed")
		}
		if !hasStaging(e) {
			t.Fatal("the failed staged write left no staging tab")
		}
		small := refresh(days, 2)
		tbl, want := reportTable(small)
		res, err := e.w.WriteTableFrom(t.Context(), book, "Daily", &first.Layout, tbl, google.Status{})
		if err != nil || !res.Incremental {
			t.Fatalf("refresh = %+v, %v", res, err)
		}
		checkTab(t, e, "Daily", want)
		if hasStaging(e) {
			t.Errorf("the stale staging tab was not deleted: %v", e.srv.Sheets(book))
		}
	})
	t.Run("a person's tab past the cell limit", func(t *testing.T) {
		e, first := start(t, google.Config{})
		used := int64(0)
		for _, title := range e.srv.Sheets(book) {
			info, _ := e.srv.Sheet(book, title)
			used += int64(info.Rows * info.Cols)
		}
		// Room for the tab as it is and a few rows, not for a refresh that grows it.
		e.srv.AddSheet(book, "Big", int((google.LimitCells-used)/10)-20, 10)
		grown := refresh(days, 1)
		for i := range grown[:5] {
			grown[i].rows += 30
		}
		tbl, _ := reportTable(grown)
		// Planned on the tabs the first write knew, Google refuses it; the
		// writer reads the whole spreadsheet and writes again, leaving out
		// the oldest days: the folded read, the refused write, the tabs, the
		// cells, the write.
		res, err := e.w.WriteTableFrom(t.Context(), book, "Daily", &first.Layout, tbl, google.Status{})
		if err != nil || len(res.Dropped) == 0 || res.Requests != 5 {
			t.Fatalf("refresh = dropped %v, %d requests, %v; want the oldest days left out, 5 requests", res.Dropped, res.Requests, err)
		}
		if hasStaging(e) {
			t.Errorf("a staging tab is left: %v", e.srv.Sheets(book))
		}
	})
}

func hasStaging(e env) bool {
	for _, title := range e.srv.Sheets(book) {
		if strings.Contains(title, "naversync staging") {
			return true
		}
	}
	return false
}
