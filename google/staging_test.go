package google_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/api/sheets/v4"

	"github.com/naversync/naversync/google"
	"github.com/naversync/naversync/google/sheetstest"
)

// stagingTabs are the titles of the spreadsheet's staging tabs.
func stagingTabs(e env) []string {
	var out []string
	for _, title := range e.srv.Sheets(book) {
		if strings.Contains(title, "staging") {
			out = append(out, title)
		}
	}
	return out
}

// failStaged makes a staged write of days to tab for owner fail after its first batch, leaving
// a hidden staging tab behind.
func failStaged(t *testing.T, e env, tab, owner string, days []reportDay) {
	t.Helper()
	e.srv.InjectBatchFault(book, sheetstest.BatchFault{Nth: 2, Code: http.StatusBadRequest, Status: "FAILED_PRECONDITION"})
	tbl, _ := reportTable(days)
	tbl.Owner = owner
	if _, err := e.w.WriteTableFrom(t.Context(), book, tab, nil, tbl, google.Status{}); err == nil {
		t.Fatal("the failed batch went unnoticed")
	}
}

// A staging tab belongs to its owner, not to a tab title: after a failed big write, the
// owner's tab is renamed (by the account, or by a person in Sheets) and the next write, to the
// new title, removes the stale staging tab; another owner's staging tab is left alone.
func TestStaleStagingTabIsFoundByItsOwnerAfterARename(t *testing.T) {
	const limit = 8 << 10
	e := setup(t, google.Config{MaxRequestBytes: limit}, sheetstest.Options{MaxRequestBytes: limit})
	days := window(day(2026, 7, 1), 30, func(i int) int { return 8 + i%5 })
	tbl, _ := reportTable(days)
	tbl.Owner = "acct-1"
	if res, err := e.w.WriteTable(t.Context(), book, "Daily", tbl, google.Status{}); err != nil || !res.Staged {
		t.Fatalf("first write = %+v, %v; want staged", res, err)
	}
	failStaged(t, e, "Daily", "acct-1", refresh(days, 1))
	failStaged(t, e, "Weekly", "acct-2", days) // another account's, in the same spreadsheet
	if got := stagingTabs(e); len(got) != 2 {
		t.Fatalf("staging tabs %q, want 2 left by the failed writes", got)
	}
	if !e.srv.RenameSheet(book, "Daily", "Report") {
		t.Fatal("rename")
	}
	again, want := reportTable(refresh(days, 1))
	again.Owner = "acct-1"
	if _, err := e.w.WriteTable(t.Context(), book, "Report", again, google.Status{}); err != nil {
		t.Fatal(err)
	}
	checkTab(t, e, "Report", want)
	if got := stagingTabs(e); len(got) != 1 || !strings.HasPrefix(got[0], "Weekly") {
		t.Errorf("staging tabs after the write to the renamed tab: %q, want only acct-2's (Weekly)", got)
	}
}

// RemoveStaging deletes exactly an owner's stale staging tabs (and, by the old markers that
// named a tab, those of the tabs it is given), in one batchUpdate: a person's tabs, the data
// tabs and other owners' staging tabs stay.
func TestRemoveStagingDeletesOnlyTheOwnersTabs(t *testing.T) {
	const limit = 8 << 10
	e := setup(t, google.Config{MaxRequestBytes: limit}, sheetstest.Options{MaxRequestBytes: limit})
	days := window(day(2026, 7, 1), 30, func(i int) int { return 8 + i%5 })
	failStaged(t, e, "Daily", "acct-1", days)
	failStaged(t, e, "Weekly", "acct-2", days)
	// A staging tab left by a writer before owners: marked with its tab's title only.
	legacy := e.srv.AddSheet(book, "Monthly · naversync staging", 10, 6)
	user := userClient(t, e)
	userEdit(t, user, &sheets.Request{CreateDeveloperMetadata: &sheets.CreateDeveloperMetadataRequest{DeveloperMetadata: &sheets.DeveloperMetadata{
		MetadataKey: "naversync.staging", MetadataValue: "monthly", Visibility: "DOCUMENT",
		Location: &sheets.DeveloperMetadataLocation{SheetId: legacy, ForceSendFields: []string{"SheetId"}},
	}}})
	e.srv.AddSheet(book, "My notes", 5, 5)
	if got := stagingTabs(e); len(got) != 3 {
		t.Fatalf("staging tabs %q, want 3", got)
	}
	before := e.srv.BatchUpdateCount()
	n, err := e.w.RemoveStaging(t.Context(), book, "acct-1", "Monthly")
	if err != nil || n != 2 {
		t.Fatalf("RemoveStaging = %d, %v; want 2 removed", n, err)
	}
	if got := e.srv.BatchUpdateCount() - before; got != 1 {
		t.Errorf("%d batchUpdates, want 1", got)
	}
	if got := stagingTabs(e); len(got) != 1 || !strings.HasPrefix(got[0], "Weekly") {
		t.Errorf("staging tabs left %q, want only acct-2's (Weekly)", got)
	}
	if _, ok := e.srv.Sheet(book, "My notes"); !ok {
		t.Error("a person's tab was removed")
	}
	if n, err := e.w.RemoveStaging(t.Context(), book, "acct-1", "Monthly"); err != nil || n != 0 {
		t.Errorf("second RemoveStaging = %d, %v; want 0, nil", n, err)
	}
	e.srv.DeleteSpreadsheet(book)
	if _, err := e.w.RemoveStaging(t.Context(), book, "acct-2"); err == nil || !strings.Contains(err.Error(), "remove staging") && !strings.Contains(err.Error(), "not found") {
		t.Errorf("RemoveStaging of a deleted spreadsheet: %v, want an error", err)
	}
}

// When a write leaves the spreadsheet at 80% of Google's cell limit or more, the status row
// says so and names the tabs that take the room; WriteResult.Usage carries the figures. Below
// that, the note says nothing of it.
func TestStatusRowSaysWhenTheSpreadsheetIsNearTheCellLimit(t *testing.T) {
	e := setup(t, google.Config{}, sheetstest.Options{})
	days := window(day(2026, 7, 1), 5, func(int) int { return 10 })
	tbl, _ := reportTable(days)
	res, err := e.w.WriteTable(t.Context(), book, "Daily", tbl, google.Status{Note: "ok"})
	if err != nil {
		t.Fatal(err)
	}
	if st := e.srv.Values(book, google.DefaultStatusTab); st[1][6] != "ok" || res.Usage.Near() {
		t.Errorf("status note %q, usage %+v; want just \"ok\", not near", st[1][6], res.Usage)
	}
	if res.Usage.Cells != e.srv.Cells(book) || res.Usage.Limit != google.LimitCells {
		t.Errorf("usage %d of %d cells, the spreadsheet holds %d", res.Usage.Cells, res.Usage.Limit, e.srv.Cells(book))
	}
	e.srv.AddSheet(book, "Archive", int(google.LimitCells*85/100), 1)
	res, err = e.w.WriteTable(t.Context(), book, "Daily", tbl, google.Status{Note: "ok"})
	if err != nil {
		t.Fatal(err)
	}
	cells := e.srv.Cells(book)
	if res.Usage.Cells != cells || !res.Usage.Near() || len(res.Usage.Tabs) != 4 || res.Usage.Tabs[0] != (google.TabCells{Title: "Archive", Cells: google.LimitCells * 85 / 100}) {
		t.Errorf("usage %+v, the spreadsheet holds %d cells; want near, Archive first", res.Usage, cells)
	}
	note := e.srv.Values(book, google.DefaultStatusTab)[1][6].(string)
	want := fmt.Sprintf("ok; spreadsheet near Google's cell limit: %s of 10,000,000 cells (85%%); largest tabs: \"Archive\" 8,500,000, \"Sheet1\" 26,000, \"Daily\" 306", commas(cells))
	if !strings.HasPrefix(note, want) {
		t.Errorf("status note %q, want it to start with %q", note, want)
	}
}

// commas writes n with thousands separators.
func commas(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
