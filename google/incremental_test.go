package google_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/api/option"
	"google.golang.org/api/sheets/v4"

	"github.com/naversync/naversync/google"
	"github.com/naversync/naversync/google/sheetstest"
)

// reportDay is one day of a report-like table: its rows differ by version
// (a re-fetched day has new numbers).
type reportDay struct {
	date    time.Time
	rows    int
	version int
	changed bool
}

// window is n days ending at end, newest first, rows(i) rows on the i-th
// newest day (version 0, unchanged).
func window(end time.Time, n int, rows func(i int) int) []reportDay {
	out := make([]reportDay, n)
	for i := range out {
		out[i] = reportDay{date: end.AddDate(0, 0, -i), rows: rows(i)}
	}
	return out
}

func (d reportDay) key() string { return d.date.Format(time.DateOnly) }

// row is row i of day d, as the table yields it and as the stand-in reads
// it back.
func (d reportDay) row(i int) (in, out []any) {
	serial := float64(d.date.Sub(time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)) / (24 * time.Hour))
	campaign := fmt.Sprintf("캠페인 %d v%d", i%7, d.version)
	clicks, rank, cost, ctr := i*10+d.version, float64(i)/4+float64(d.version), 1000*i+d.version, float64(i%50)/100
	return []any{d.date, campaign, int64(clicks), rank, int64(cost), ctr},
		[]any{serial, campaign, float64(clicks), rank, float64(cost), ctr}
}

// reportTable is the table of days with blocks, and the values a reader
// should see (header included).
func reportTable(days []reportDay) (google.Table, [][]any) {
	t := google.Table{Columns: allTypes}
	want := [][]any{{"Date", "Campaign", "Clicks", "Avg. rank", "Cost", "CTR"}}
	for _, d := range days {
		t.Blocks = append(t.Blocks, google.Block{Key: d.key(), Rows: d.rows, Changed: d.changed})
		t.NumRows += d.rows
		for i := range d.rows {
			_, out := d.row(i)
			want = append(want, out)
		}
	}
	t.Rows = func(yield func([]any) bool) {
		for _, d := range days {
			for i := range d.rows {
				in, _ := d.row(i)
				if !yield(in) {
					return
				}
			}
		}
	}
	return t, want
}

// userClient is a sheets client acting as a user of the spreadsheet.
func userClient(t *testing.T, e env) *sheets.Service {
	t.Helper()
	svc, err := sheets.NewService(t.Context(), option.WithEndpoint(e.url+"/"), option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func userEdit(t *testing.T, svc *sheets.Service, reqs ...*sheets.Request) {
	t.Helper()
	if _, err := svc.Spreadsheets.BatchUpdate(book, &sheets.BatchUpdateSpreadsheetRequest{Requests: reqs}).Context(t.Context()).Do(); err != nil {
		t.Fatalf("user edit: %v", err)
	}
}

// checkTab asserts the tab holds want, with the column formats on every
// data row, a bold frozen header and exactly the table's grid.
func checkTab(t *testing.T, e env, tab string, want [][]any) {
	t.Helper()
	got := e.srv.Values(book, tab)
	if !reflect.DeepEqual(got, want) {
		for i := range max(len(got), len(want)) {
			if i >= len(got) || i >= len(want) || !reflect.DeepEqual(got[i], want[i]) {
				t.Fatalf("tab %q differs from row %d (of %d, want %d)", tab, i, len(got), len(want))
			}
		}
	}
	info, _ := e.srv.Sheet(book, tab)
	if info.Rows != max(len(want), 2) || info.Cols != len(allTypes) || info.FrozenRows != 1 || info.Hidden {
		t.Errorf("tab %q grid = %+v, want %d rows x %d columns, header frozen, visible", tab, info, len(want), len(allTypes))
	}
	patterns := []string{"yyyy-mm-dd", "", "#,##0", "#,##0.00", "₩#,##0", "0.00%"}
	for r := 1; r < len(want); r++ {
		for c, p := range patterns {
			if cell, _ := e.srv.Cell(book, tab, r, c); cell.Pattern != p || c == 0 && cell.Bold {
				t.Fatalf("tab %q cell (%d,%d) = %+v, want pattern %q (and column A not bold)", tab, r, c, cell, p)
			}
		}
	}
	if c, _ := e.srv.Cell(book, tab, 0, 0); !c.Bold {
		t.Errorf("tab %q header not bold", tab)
	}
}

// noStaging asserts that no staging tab is left.
func noStaging(t *testing.T, e env) {
	t.Helper()
	for _, title := range e.srv.Sheets(book) {
		if strings.Contains(title, "staging") {
			t.Errorf("staging tab %q left behind (tabs %q)", title, e.srv.Sheets(book))
		}
	}
}

// rowOf is the grid row of row i of the day with key in days.
func rowOf(days []reportDay, key string, i int) int {
	r := 1
	for _, d := range days {
		if d.key() == key {
			return r + i
		}
		r += d.rows
	}
	return -1
}

// refresh is the 7-day sync of days after one more day: a new newest day,
// the six days under it re-fetched (one grows, one shrinks, one loses all
// its rows), the oldest day gone.
func refresh(days []reportDay, version int) []reportDay {
	next := append([]reportDay{{date: days[0].date.AddDate(0, 0, 1), rows: 23, version: version, changed: true}},
		slices.Clone(days[:len(days)-1])...)
	for i := 1; i < len(next); i++ {
		next[i].changed = i < 7
		if next[i].changed {
			next[i].version = version
		}
	}
	next[1].rows += 5
	next[3].rows -= 3
	next[5].rows = 0
	return next
}

func TestWriteTableFromIncremental(t *testing.T) {
	e := setup(t, google.Config{}, sheetstest.Options{})
	user := userClient(t, e)
	days := window(day(2026, 3, 1), 60, func(i int) int { return 20 + i%7 })
	t1, want1 := reportTable(days)
	full, err := e.w.WriteTableFrom(t.Context(), book, "Daily", nil, t1, google.Status{SyncID: "s1", Rows: t1.NumRows})
	if err != nil {
		t.Fatalf("first write: %v", err)
	}
	if full.Incremental || full.Staged || full.Chunks != 1 || len(full.Layout.Blocks) != 60 || full.Layout.SheetID != full.SheetID {
		t.Fatalf("first write = %+v", full)
	}
	checkTab(t, e, "Daily", want1)

	// A user adds a tab, a note and a colour on rows of days the refresh
	// leaves alone.
	other := e.srv.AddSheet(book, "My notes", 10, 3)
	noted, coloured := rowOf(days, "2026-02-01", 3), rowOf(days, "2026-01-10", 0)
	userEdit(t, user,
		&sheets.Request{UpdateCells: &sheets.UpdateCellsRequest{Start: &sheets.GridCoordinate{SheetId: other},
			Rows:   []*sheets.RowData{{Values: []*sheets.CellData{{UserEnteredValue: &sheets.ExtendedValue{StringValue: ptr("mine")}}}}},
			Fields: "userEnteredValue"}},
		&sheets.Request{UpdateCells: &sheets.UpdateCellsRequest{Start: &sheets.GridCoordinate{SheetId: full.SheetID, RowIndex: int64(noted), ColumnIndex: 1},
			Rows: []*sheets.RowData{{Values: []*sheets.CellData{{Note: "checked"}}}}, Fields: "note"}},
		&sheets.Request{RepeatCell: &sheets.RepeatCellRequest{
			Range: &sheets.GridRange{SheetId: full.SheetID, StartRowIndex: int64(coloured), EndRowIndex: int64(coloured) + 1, StartColumnIndex: 1, EndColumnIndex: 2},
			Cell:  &sheets.CellData{UserEnteredFormat: &sheets.CellFormat{TextFormat: &sheets.TextFormat{Bold: true}}}, Fields: "userEnteredFormat"}})

	next := refresh(days, 1)
	t2, want2 := reportTable(next)
	batches := e.srv.BatchUpdateCount()
	inc, err := e.w.WriteTableFrom(t.Context(), book, "Daily", &full.Layout, t2, google.Status{SyncID: "s2", Rows: t2.NumRows})
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	t.Logf("full write: %d bytes, %d requests; refresh: %d bytes, %d requests", full.Bytes, full.Requests, inc.Bytes, inc.Requests)
	if !inc.Incremental || inc.Staged || inc.SheetID != full.SheetID || inc.Chunks != 1 || e.srv.BatchUpdateCount() != batches+1 || inc.Requests != 2 {
		t.Errorf("refresh = %+v (batchUpdates %d); want incremental, one batchUpdate, the same sheetId", inc, e.srv.BatchUpdateCount()-batches)
	}
	checkTab(t, e, "Daily", want2)
	changed := 0
	for _, d := range next[:7] {
		changed += d.rows
	}
	share := float64(full.Bytes) * float64(changed) / float64(t2.NumRows)
	if float64(inc.Bytes) > 2*share {
		t.Errorf("refresh sent %d bytes; the changed days' share of the full write is %.0f bytes", inc.Bytes, share)
	}
	want := google.Layout{SheetID: full.SheetID, Columns: full.Layout.Columns, Tabs: full.Layout.Tabs,
		StatusSheetID: full.Layout.StatusSheetID, Folds: 1}
	for _, d := range next {
		want.Blocks = append(want.Blocks, google.LayoutBlock{Key: d.key(), Rows: d.rows})
	}
	got := inc.Layout
	got.Blocks = slices.Clone(got.Blocks)
	for i := range got.Blocks {
		if got.Blocks[i].Check == "" || got.Blocks[i].Full == "" {
			t.Errorf("block %q has no checks", got.Blocks[i].Key)
		}
		got.Blocks[i].Check, got.Blocks[i].Full = "", ""
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("layout = %+v, want %+v", inc.Layout, want)
	}
	// What the user added is still there, on the rows it was on.
	if c, _ := e.srv.Cell(book, "Daily", rowOf(next, "2026-02-01", 3), 1); c.Note != "checked" || c.Value != want2[rowOf(next, "2026-02-01", 3)][1] {
		t.Errorf("noted cell = %+v", c)
	}
	if c, _ := e.srv.Cell(book, "Daily", rowOf(next, "2026-01-10", 0), 1); !c.Bold {
		t.Errorf("the user's format is gone: %+v", c)
	}
	if got := e.srv.Values(book, "My notes"); !reflect.DeepEqual(got, [][]any{{"mine"}}) {
		t.Errorf("the user's tab = %v", got)
	}
	if st := e.srv.Values(book, google.DefaultStatusTab); len(st) != 2 || st[1][5] != "s2" || st[1][4] != float64(t2.NumRows) {
		t.Errorf("status = %v", st)
	}

	// Nothing changed: nothing but the status row is sent.
	t3, _ := reportTable(next)
	for i := range t3.Blocks {
		t3.Blocks[i].Changed = false
	}
	same, err := e.w.WriteTableFrom(t.Context(), book, "Daily", &inc.Layout, t3, google.Status{SyncID: "s3"})
	if err != nil {
		t.Fatal(err)
	}
	if !same.Incremental || same.Chunks != 1 || same.Bytes > 3000 {
		t.Errorf("unchanged write = %+v", same)
	}
	checkTab(t, e, "Daily", want2)
}

func ptr[T any](v T) *T { return &v }

// TestWriteTableFromDecides checks when a write is incremental and that a
// full write is exact whatever happened to the tab.
func TestWriteTableFromDecides(t *testing.T) {
	days := window(day(2026, 5, 1), 12, func(i int) int { return 3 + i%4 })
	next := refresh(days, 1)
	tests := []struct {
		name string
		cfg  google.Config
		// between runs after the first write and returns the layout to pass.
		between     func(t *testing.T, e env, first google.WriteResult) *google.Layout
		columns     []google.Column
		incremental bool
	}{
		{"incremental", google.Config{}, func(_ *testing.T, _ env, first google.WriteResult) *google.Layout { return &first.Layout }, nil, true},
		{"no previous layout", google.Config{}, func(*testing.T, env, google.WriteResult) *google.Layout { return nil }, nil, false},
		{"columns changed", google.Config{}, func(_ *testing.T, _ env, first google.WriteResult) *google.Layout { return &first.Layout },
			[]google.Column{{Name: "Date", Type: google.Date}, {Name: "Campaign"}, {Name: "Clicks", Type: google.Decimal},
				{Name: "Avg. rank", Type: google.Decimal}, {Name: "Cost", Type: google.Currency}, {Name: "CTR", Type: google.Percent}}, false},
		{"a user inserted a row", google.Config{}, func(t *testing.T, e env, first google.WriteResult) *google.Layout {
			userEdit(t, userClient(t, e), &sheets.Request{InsertDimension: &sheets.InsertDimensionRequest{
				Range: &sheets.DimensionRange{SheetId: first.SheetID, Dimension: "ROWS", StartIndex: 5, EndIndex: 6}}})
			return &first.Layout
		}, nil, false},
		{"a user replaced the tab", google.Config{}, func(t *testing.T, e env, first google.WriteResult) *google.Layout {
			user := userClient(t, e)
			userEdit(t, user, &sheets.Request{DeleteSheet: &sheets.DeleteSheetRequest{SheetId: first.SheetID}})
			userEdit(t, user, &sheets.Request{AddSheet: &sheets.AddSheetRequest{Properties: &sheets.SheetProperties{
				Title: "Daily", GridProperties: &sheets.GridProperties{RowCount: int64(1 + rowsOf(first.Layout)), ColumnCount: 6}}}})
			return &first.Layout
		}, nil, false},
		{"the previous write's answer was lost", google.Config{MaxRetries: -1}, func(t *testing.T, e env, first google.WriteResult) *google.Layout {
			// A write applied by Google whose answer was lost: the caller
			// keeps the older layout, and the tab has the same row count.
			e.srv.InjectBatchFault(book, sheetstest.BatchFault{Nth: 1, Code: http.StatusServiceUnavailable, Status: "UNAVAILABLE", AfterCommit: true})
			mid := slices.Clone(days)
			mid[0].version, mid[0].changed, mid[0].rows = 7, true, mid[0].rows+2
			mid[2].version, mid[2].changed, mid[2].rows = 7, true, mid[2].rows-2
			tbl, _ := reportTable(mid)
			if _, err := e.w.WriteTableFrom(t.Context(), book, "Daily", &first.Layout, tbl, google.Status{}); err == nil {
				t.Fatal("the lost answer was not an error")
			}
			return &first.Layout
		}, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, tc.cfg, sheetstest.Options{})
			t1, _ := reportTable(days)
			first, err := e.w.WriteTableFrom(t.Context(), book, "Daily", nil, t1, google.Status{})
			if err != nil {
				t.Fatal(err)
			}
			prev := tc.between(t, e, first)
			t2, want := reportTable(next)
			if tc.columns != nil {
				t2.Columns = tc.columns
			}
			res, err := e.w.WriteTableFrom(t.Context(), book, "Daily", prev, t2, google.Status{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Incremental != tc.incremental {
				t.Errorf("incremental = %v, want %v", res.Incremental, tc.incremental)
			}
			if tc.columns == nil {
				checkTab(t, e, "Daily", want)
			} else if got := e.srv.Values(book, "Daily"); !reflect.DeepEqual(got, want) {
				t.Errorf("values differ")
			}
			if info, _ := e.srv.Sheet(book, "Daily"); info.SheetID != res.SheetID || res.Layout.SheetID != res.SheetID {
				t.Errorf("sheetId %d, result %d, layout %d", info.SheetID, res.SheetID, res.Layout.SheetID)
			}
		})
	}
}

func rowsOf(l google.Layout) int {
	n := 0
	for _, b := range l.Blocks {
		n += b.Rows
	}
	return n
}

// TestWriteTableFromAtomic writes tables larger than one request and fails
// batches in between: every state of the tab a reader could have seen is
// one of the tables written, whole.
func TestWriteTableFromAtomic(t *testing.T) {
	const limit = 8 << 10
	e := setup(t, google.Config{MaxRequestBytes: limit}, sheetstest.Options{MaxRequestBytes: limit})
	e.srv.Track(book, "Daily")
	var tables [][][]any // what the tab held after each successful write
	write := func(name string, prev *google.Layout, days []reportDay, fail *sheetstest.BatchFault) (google.WriteResult, error) {
		t.Helper()
		if fail != nil {
			e.srv.InjectBatchFault(book, *fail)
		}
		tbl, want := reportTable(days)
		res, err := e.w.WriteTableFrom(t.Context(), book, "Daily", prev, tbl, google.Status{SyncID: name})
		t.Logf("%s: incremental %v, staged %v, %d batchUpdates, %d requests, %d bytes; err %v",
			name, res.Incremental, res.Staged, res.Chunks, res.Requests, res.Bytes, err)
		if err == nil {
			checkTab(t, e, "Daily", want)
			noStaging(t, e)
			tables = append(tables, want)
		}
		return res, err
	}
	unavailable := func(nth int) *sheetstest.BatchFault {
		return &sheetstest.BatchFault{Nth: nth, Code: http.StatusBadRequest, Status: "FAILED_PRECONDITION"}
	}

	days := window(day(2026, 7, 1), 30, func(i int) int { return 8 + i%5 })
	a, err := write("new tab", nil, days, nil)
	if err != nil || !a.Staged || a.Chunks < 3 {
		t.Fatalf("first write = %+v, %v; want staged in several batches", a, err)
	}

	rewrite := refresh(days, 1)
	if _, err := write("rewrite, failing", nil, rewrite, unavailable(2)); err == nil {
		t.Fatal("the failed batch went unnoticed")
	}
	if tabs := e.srv.Sheets(book); len(tabs) != 4 || !strings.Contains(tabs[3], "staging") {
		t.Fatalf("tabs = %q, want a stale staging tab", tabs)
	} else if info, _ := e.srv.Sheet(book, tabs[3]); !info.Hidden {
		t.Errorf("staging tab %+v is visible", info)
	}
	b, err := write("rewrite", nil, rewrite, nil) // removes the stale staging tab
	if err != nil || !b.Staged || b.Incremental || b.SheetID != a.SheetID {
		t.Fatalf("rewrite = %+v, %v", b, err)
	}

	// A refresh of 7 days does not fit one request: staged, incremental.
	third := refresh(rewrite, 2)
	// Refused after a folded read, the write is planned again on the whole
	// spreadsheet (fold.go), and that one is refused too.
	e.srv.InjectBatchFault(book, *unavailable(4))
	if _, err := write("refresh, failing", &b.Layout, third, unavailable(2)); err == nil {
		t.Fatal("the failed batch went unnoticed")
	}
	// The caller does not know the write failed late or early: it passes
	// the last layout it stored.
	c, err := write("refresh", &b.Layout, third, nil)
	if err != nil || !c.Staged || !c.Incremental || c.SheetID != a.SheetID {
		t.Fatalf("refresh = %+v, %v", c, err)
	}
	if c.Bytes > b.Bytes/2 {
		t.Errorf("staged refresh sent %d bytes, the full rewrite %d", c.Bytes, b.Bytes)
	}

	// The final batch is applied but its answer lost (503): the retry
	// sees the layout token and does not apply it twice.
	fourth := refresh(third, 3)
	d, err := write("refresh, answer lost", &c.Layout, fourth,
		&sheetstest.BatchFault{Nth: 3, Code: http.StatusServiceUnavailable, Status: "UNAVAILABLE", AfterCommit: true})
	if err != nil || !d.Incremental {
		t.Fatalf("refresh with a lost answer = %+v, %v", d, err)
	}
	// A refresh that fits one request, whose answer is lost.
	fifth := slices.Clone(fourth)
	for i := range fifth {
		fifth[i].changed = false
	}
	for i := range 3 {
		fifth[i].version, fifth[i].changed, fifth[i].rows = 5, true, 1+i
	}
	f, err := write("small refresh, answer lost", &d.Layout, fifth,
		&sheetstest.BatchFault{Nth: 1, Code: http.StatusServiceUnavailable, Status: "UNAVAILABLE", AfterCommit: true})
	if err != nil || !f.Incremental || f.Staged || f.Chunks != 1 || f.Requests != 3 {
		// One batchUpdate, found applied by a read after its lost answer.
		t.Fatalf("small refresh with a lost answer = %+v, %v", f, err)
	}

	history := e.srv.History(book, "Daily")
	want := append([][][]any{nil}, tables...)
	if len(history) != len(want) {
		t.Fatalf("readers saw %d states, want %d (absent, then each table)", len(history), len(want))
	}
	for i := range history {
		if !reflect.DeepEqual(history[i], want[i]) {
			t.Errorf("state %d a reader could see is not table %d", i, i)
		}
	}
}

// TestWriteTableFromCellLimit fills the spreadsheet so that only the newest
// days fit: the oldest are left out and named, and the staging copy of a
// big rewrite counts.
func TestWriteTableFromCellLimit(t *testing.T) {
	days := window(day(2026, 7, 1), 40, func(int) int { return 10 })
	for _, tc := range []struct {
		name     string
		maxBytes int
		existing bool // the tab exists (a staged write needs room for a copy)
		kept     int
	}{
		// 1,500 cells are free: 250 rows of 6 columns, a header and 24 days.
		{"one request", 0, false, 24},
		{"staged, new tab", 8 << 10, false, 24}, // the staging tab becomes the tab
		// The old tab's 66 cells are free too: 26 days; a staging copy of
		// the rows (and a row of formats) must fit beside the tab: 12 days.
		{"one request, rewrite", 0, true, 26},
		{"staged, rewrite", 8 << 10, true, 12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, google.Config{MaxRequestBytes: tc.maxBytes}, sheetstest.Options{MaxRequestBytes: tc.maxBytes})
			if tc.existing {
				small, _ := reportTable(days[:1])
				if _, err := e.w.WriteTable(t.Context(), book, "Daily", small, google.Status{}); err != nil {
					t.Fatal(err)
				}
			}
			// Everything but 1,500 cells (the status tab's 14 counted).
			room := int64(1500)
			used := e.srv.Cells(book)
			if !tc.existing {
				used += 14
			}
			e.srv.AddSheet(book, "Other", int(google.LimitCells-used-room), 1)
			tbl, want := reportTable(days)
			res, err := e.w.WriteTableFrom(t.Context(), book, "Daily", nil, tbl, google.Status{Rows: tbl.NumRows, Note: "ok"})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("result: staged %v, kept %d blocks, dropped %d", res.Staged, len(res.Layout.Blocks), len(res.Dropped))
			if got := len(res.Layout.Blocks); got != tc.kept || res.Staged != (tc.maxBytes > 0) {
				t.Errorf("kept %d days, want %d", got, tc.kept)
			}
			kept := len(res.Layout.Blocks)
			var dropped []string
			for i := len(days) - 1; i >= kept; i-- {
				dropped = append(dropped, days[i].key())
			}
			if !reflect.DeepEqual(res.Dropped, dropped) {
				t.Errorf("dropped = %v, want %v", res.Dropped, dropped)
			}
			checkTab(t, e, "Daily", want[:1+10*kept])
			note := fmt.Sprintf("ok; left out for Google's 10000000-cell limit: %s..%s (%d)", dropped[0], dropped[len(dropped)-1], len(dropped))
			// The spreadsheet is full: the note goes on to say so (TestStatusRowSaysWhenTheSpreadsheetIsNearTheCellLimit).
			note += "; spreadsheet near Google's cell limit: "
			if st := e.srv.Values(book, google.DefaultStatusTab); !strings.HasPrefix(fmt.Sprint(st[1][6]), note) || st[1][4] != float64(10*kept) {
				t.Errorf("status row = %v, want note %q and %d rows", st[1], note, 10*kept)
			}
			if e.srv.Cells(book) > google.LimitCells {
				t.Errorf("spreadsheet holds %d cells", e.srv.Cells(book))
			}
		})
	}
}

// TestWriteTableInPlaceWithoutRoomToStage: a table without blocks that fits
// the cell limit only without a staging copy is written in place over
// several batches, as before; the tab's layout token says "writing" while
// it is mixed.
func TestWriteTableInPlaceWithoutRoomToStage(t *testing.T) {
	const limit = 8 << 10
	e := setup(t, google.Config{MaxRequestBytes: limit}, sheetstest.Options{MaxRequestBytes: limit})
	small, _ := reportTable(window(day(2026, 7, 1), 1, func(int) int { return 10 }))
	if _, err := e.w.WriteTable(t.Context(), book, "Daily", small, google.Status{}); err != nil {
		t.Fatal(err)
	}
	// 300 rows (1,806 cells with the header) fit beside the rest, not twice.
	e.srv.AddSheet(book, "Other", int(google.LimitCells-e.srv.Cells(book)-1800), 1)
	days := window(day(2026, 7, 1), 30, func(int) int { return 10 })
	tbl, want := reportTable(days)
	tbl.Blocks = nil
	res, err := e.w.WriteTable(t.Context(), book, "Daily", tbl, google.Status{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Staged || res.Chunks < 2 {
		t.Errorf("result = %+v, want in place in several batches", res)
	}
	checkTab(t, e, "Daily", want)
	if info, _ := e.srv.Sheet(book, "Daily"); strings.Contains(info.Metadata["naversync.layout"], "writing") {
		t.Errorf("layout token = %q after the write", info.Metadata["naversync.layout"])
	}
	e.srv.InjectBatchFault(book, sheetstest.BatchFault{Nth: 2, Code: http.StatusBadRequest, Status: "FAILED_PRECONDITION"})
	if _, err := e.w.WriteTable(t.Context(), book, "Daily", tbl, google.Status{}); err == nil {
		t.Fatal("the failed batch went unnoticed")
	}
	if info, _ := e.srv.Sheet(book, "Daily"); info.Metadata["naversync.layout"] != "writing" {
		t.Errorf("layout token = %q after a failure part-way, want writing", info.Metadata["naversync.layout"])
	}
}

// TestWriteTableFromRandomEdits applies rounds of random edits (blocks
// changed anywhere, grown, shrunk, emptied, removed, inserted anywhere, left
// unchanged) and checks after each incremental write that the tab is the
// table, and that every state a reader could see was one of the tables.
func TestWriteTableFromRandomEdits(t *testing.T) {
	for _, limit := range []int{0, 6 << 10} {
		t.Run(fmt.Sprint("max bytes ", limit), func(t *testing.T) {
			e := setup(t, google.Config{MaxRequestBytes: limit}, sheetstest.Options{MaxRequestBytes: limit})
			e.srv.Track(book, "Daily")
			rng := rand.New(rand.NewPCG(17, uint64(limit)))
			days := window(day(2026, 1, 31), 20, func(int) int { return rng.IntN(7) })
			days[0].rows = 3 // some rows, so the tab is not empty
			tbl, want := reportTable(days)
			res, err := e.w.WriteTableFrom(t.Context(), book, "Daily", nil, tbl, google.Status{})
			if err != nil {
				t.Fatal(err)
			}
			states := [][][]any{nil, want}
			nextDate := day(2027, 1, 1)
			for round := range 25 {
				next := slices.Clone(days)
				for i := range next {
					next[i].changed = false
				}
				for range 1 + rng.IntN(4) {
					switch i := rng.IntN(len(next)); rng.IntN(4) {
					case 0: // re-fetched, other rows
						next[i].version, next[i].rows, next[i].changed = round+1, rng.IntN(8), true
					case 1: // re-fetched, same rows
						next[i].version, next[i].changed = round+1, true
					case 2: // gone
						if len(next) > 2 {
							next = slices.Delete(next, i, i+1)
						}
					case 3: // a new block anywhere
						next = slices.Insert(next, i, reportDay{date: nextDate, rows: rng.IntN(6), version: round + 1, changed: true})
						nextDate = nextDate.AddDate(0, 0, 1)
					}
				}
				if rows := func() (n int) {
					for _, d := range next {
						n += d.rows
					}
					return n
				}(); rows == 0 {
					next[0].rows, next[0].changed, next[0].version = 2, true, round+1
				}
				tbl, want := reportTable(next)
				prev := res.Layout
				if res, err = e.w.WriteTableFrom(t.Context(), book, "Daily", &prev, tbl, google.Status{}); err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
				checkTab(t, e, "Daily", want)
				noStaging(t, e)
				if !res.Incremental && slices.ContainsFunc(next, func(d reportDay) bool { return !d.changed && d.rows > 0 }) {
					// Full only when no unchanged block with rows is left to anchor on.
					t.Errorf("round %d: full write although unchanged blocks remained", round)
				}
				if !reflect.DeepEqual(states[len(states)-1], want) {
					states = append(states, want)
				}
				days = next
			}
			if got := e.srv.History(book, "Daily"); !reflect.DeepEqual(got, states) {
				t.Errorf("readers saw %d states, want the %d tables in order", len(got), len(states))
			}
		})
	}
}

// TestIncrementalWriteInPlaceWhenTheSpreadsheetIsFull: a tab that filled the spreadsheet to
// Google's cell limit gets a morning's incremental write too big for one request, with no room
// for a staging copy beside it. It is written in place over several batches: every day stays,
// the changed ones new (the bench's year with three tabs saw the tab emptied, every day dropped).
func TestIncrementalWriteInPlaceWhenTheSpreadsheetIsFull(t *testing.T) {
	const limit = 8 << 10
	e := setup(t, google.Config{MaxRequestBytes: limit}, sheetstest.Options{MaxRequestBytes: limit})
	days := window(day(2026, 7, 1), 30, func(int) int { return 10 })
	tbl, _ := reportTable(days)
	first, err := e.w.WriteTableFrom(t.Context(), book, "Daily", nil, tbl, google.Status{})
	if err != nil {
		t.Fatal(err)
	}
	// The spreadsheet is full but for 20 cells: no staging copy of the changed rows fits.
	e.srv.AddSheet(book, "Other", int(google.LimitCells-e.srv.Cells(book)-20), 1)
	for i := range 15 { // 150 rows revised: more than one request carries
		days[i].version++
		days[i].changed = true
	}
	tbl, want := reportTable(days)
	layout := first.Layout
	res, err := e.w.WriteTableFrom(t.Context(), book, "Daily", &layout, tbl, google.Status{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Dropped) != 0 || len(res.Layout.Blocks) != len(days) || res.Staged || res.Chunks < 2 {
		t.Errorf("result: dropped %v, %d blocks kept, staged %v, %d batches; want every day kept, in place in several batches",
			res.Dropped, len(res.Layout.Blocks), res.Staged, res.Chunks)
	}
	checkTab(t, e, "Daily", want)
	if e.srv.Cells(book) > google.LimitCells {
		t.Errorf("spreadsheet holds %d cells", e.srv.Cells(book))
	}
	if info, _ := e.srv.Sheet(book, "Daily"); strings.Contains(info.Metadata["naversync.layout"], "writing") {
		t.Errorf("layout token = %q after the write", info.Metadata["naversync.layout"])
	}
}
