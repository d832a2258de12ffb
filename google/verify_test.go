package google_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"google.golang.org/api/sheets/v4"

	"github.com/naversync/naversync/google"
	"github.com/naversync/naversync/google/sheetstest"
)

// keyedTable is reportTable with a name unique to each row of a day, as
// naversync's rows are (a day and an entity): a person's sort of whole
// rows always changes the key columns of the rows it moves.
func keyedTable(days []reportDay) (google.Table, [][]any) {
	t := google.Table{Columns: allTypes}
	want := [][]any{{"Date", "Campaign", "Clicks", "Avg. rank", "Cost", "CTR"}}
	row := func(d reportDay, i int) (in, out []any) {
		in, out = d.row(i)
		name := fmt.Sprintf("캠페인 %d v%d", i, d.version)
		in[1], out[1] = name, name
		return in, out
	}
	for _, d := range days {
		t.Blocks = append(t.Blocks, google.Block{Key: d.key(), Rows: d.rows, Changed: d.changed})
		t.NumRows += d.rows
		for i := range d.rows {
			_, out := row(d, i)
			want = append(want, out)
		}
	}
	t.Rows = func(yield func([]any) bool) {
		for _, d := range days {
			for i := range d.rows {
				in, _ := row(d, i)
				if !yield(in) {
					return
				}
			}
		}
	}
	return t, want
}

// person is what a person does to the tab between two syncs: user edits
// through the API as Google's menus make them.
type person func(t *testing.T, e env, sheetID int64, days []reportDay)

func edits(reqs ...func(sheetID int64, days []reportDay) *sheets.Request) person {
	return func(t *testing.T, e env, sheetID int64, days []reportDay) {
		t.Helper()
		var rs []*sheets.Request
		for _, r := range reqs {
			rs = append(rs, r(sheetID, days))
		}
		userEdit(t, userClient(t, e), rs...)
	}
}

func tableRows(days []reportDay) int64 {
	n := 0
	for _, d := range days {
		n += d.rows
	}
	return int64(n)
}

// sortRows sorts grid rows [r0, r1) of the table's columns by column col.
func sortRows(r0, r1 func(days []reportDay) int64, col int64, order string) func(int64, []reportDay) *sheets.Request {
	return func(id int64, days []reportDay) *sheets.Request {
		return &sheets.Request{SortRange: &sheets.SortRangeRequest{
			Range:     &sheets.GridRange{SheetId: id, StartRowIndex: r0(days), EndRowIndex: r1(days), StartColumnIndex: 0, EndColumnIndex: 6},
			SortSpecs: []*sheets.SortSpec{{DimensionIndex: col, SortOrder: order}},
		}}
	}
}

func at(n int64) func([]reportDay) int64 { return func([]reportDay) int64 { return n } }

// dayRows are the grid rows of days[i] (the oldest days are left alone by
// a refresh).
func dayStart(i int) func([]reportDay) int64 {
	return func(days []reportDay) int64 { return int64(rowOf(days, days[i].key(), 0)) }
}

func dayEnd(i int) func([]reportDay) int64 {
	return func(days []reportDay) int64 { return int64(rowOf(days, days[i].key(), 0) + days[i].rows) }
}

func end(days []reportDay) int64 { return 1 + tableRows(days) }

func typeText(row, col int64, text string) func(int64, []reportDay) *sheets.Request {
	return func(id int64, _ []reportDay) *sheets.Request {
		return &sheets.Request{UpdateCells: &sheets.UpdateCellsRequest{
			Start:  &sheets.GridCoordinate{SheetId: id, RowIndex: row, ColumnIndex: col},
			Rows:   []*sheets.RowData{{Values: []*sheets.CellData{{UserEnteredValue: &sheets.ExtendedValue{StringValue: &text}}}}},
			Fields: "userEnteredValue"}}
	}
}

func dimension(kind string, start, n int64, insert bool) func(int64, []reportDay) *sheets.Request {
	return func(id int64, _ []reportDay) *sheets.Request {
		r := &sheets.DimensionRange{SheetId: id, Dimension: kind, StartIndex: start, EndIndex: start + n}
		if insert {
			return &sheets.Request{InsertDimension: &sheets.InsertDimensionRequest{Range: r, InheritFromBefore: start > 0}}
		}
		return &sheets.Request{DeleteDimension: &sheets.DeleteDimensionRequest{Range: r}}
	}
}

func moveColumns(start, n, to int64) func(int64, []reportDay) *sheets.Request {
	return func(id int64, _ []reportDay) *sheets.Request {
		return &sheets.Request{MoveDimension: &sheets.MoveDimensionRequest{
			Source:           &sheets.DimensionRange{SheetId: id, Dimension: "COLUMNS", StartIndex: start, EndIndex: start + n},
			DestinationIndex: to}}
	}
}

func filter(sort []*sheets.SortSpec, hidden map[string]sheets.FilterCriteria) func(int64, []reportDay) *sheets.Request {
	return func(id int64, days []reportDay) *sheets.Request {
		return &sheets.Request{SetBasicFilter: &sheets.SetBasicFilterRequest{Filter: &sheets.BasicFilter{
			Range:     &sheets.GridRange{SheetId: id, StartRowIndex: 0, EndRowIndex: end(days), StartColumnIndex: 0, EndColumnIndex: 6},
			SortSpecs: sort, Criteria: hidden}}}
	}
}

func renameTab(title string) func(int64, []reportDay) *sheets.Request {
	return func(id int64, _ []reportDay) *sheets.Request {
		return &sheets.Request{UpdateSheetProperties: &sheets.UpdateSheetPropertiesRequest{
			Properties: &sheets.SheetProperties{SheetId: id, Title: title}, Fields: "title"}}
	}
}

// personCases are what people do to a tab, and what the next refresh does:
// incremental (patching the days it refreshes) or a full write, and the
// tab's title after it.
var personCases = []struct {
	name        string
	do          person
	incremental bool
	title       string
}{
	{"sorted whole table", edits(sortRows(at(1), end, 2, "DESCENDING")), false, "Daily"},
	{"sorted a few old days", edits(sortRows(dayStart(11), dayEnd(14), 4, "DESCENDING")), true, "Daily"},
	{"sorted within one old day", edits(sortRows(dayStart(12), dayEnd(12), 5, "DESCENDING")), true, "Daily"},
	{"sorted by a basic filter", edits(filter([]*sheets.SortSpec{{DimensionIndex: 3, SortOrder: "DESCENDING"}}, nil)), false, "Daily"},
	{"a basic filter hides rows", edits(filter(nil, map[string]sheets.FilterCriteria{"1": {HiddenValues: []string{"캠페인 0 v0", "캠페인 1 v0"}}})), true, "Daily"},
	{"typed over a name", edits(func(id int64, days []reportDay) *sheets.Request {
		return typeText(int64(rowOf(days, days[13].key(), 2)), 1, "my campaign")(id, days)
	}), true, "Daily"},
	{"typed over a date", edits(func(id int64, days []reportDay) *sheets.Request {
		return typeText(int64(rowOf(days, days[15].key(), 0)), 0, "yesterday")(id, days)
	}), true, "Daily"},
	{"typed over the header", edits(typeText(0, 2, "Klicks")), false, "Daily"},
	{"rows inserted", edits(dimension("ROWS", 30, 2, true)), false, "Daily"},
	{"rows deleted", edits(dimension("ROWS", 30, 2, false)), false, "Daily"},
	{"a row inserted and another deleted", edits(dimension("ROWS", 100, 1, true), dimension("ROWS", 150, 1, false)), true, "Daily"},
	{"columns inserted", edits(dimension("COLUMNS", 2, 1, true)), false, "Daily"},
	{"a column deleted", edits(dimension("COLUMNS", 3, 1, false)), false, "Daily"},
	{"a column moved", edits(moveColumns(2, 1, 5)), false, "Daily"},
	{"tab renamed", edits(renameTab("Daily (team)")), true, "Daily (team)"},
	{"tab deleted", edits(func(id int64, _ []reportDay) *sheets.Request {
		return &sheets.Request{DeleteSheet: &sheets.DeleteSheetRequest{SheetId: id}}
	}), false, "Daily"},
	// A person's own columns to the right of the table are removed: the
	// tab holds exactly the table (README, "What a tab keeps").
	{"own columns to the right", func(t *testing.T, e env, id int64, days []reportDay) {
		edits(func(id int64, _ []reportDay) *sheets.Request {
			return &sheets.Request{AppendDimension: &sheets.AppendDimensionRequest{SheetId: id, Dimension: "COLUMNS", Length: 2}}
		}, typeText(0, 6, "My note"), typeText(5, 6, "call them"))(t, e, id, days)
	}, false, "Daily"},
}

// TestWriteTableFromAfterPersonEdits: whatever a person did to the tab, the
// next refresh leaves it cell for cell as a tab written once from the same
// data, on both write paths (one request; staged through a hidden tab).
func TestWriteTableFromAfterPersonEdits(t *testing.T) {
	for _, path := range []struct {
		name  string
		limit int
	}{{"direct", 0}, {"staged", 6 << 10}} {
		for _, tc := range personCases {
			t.Run(path.name+"/"+tc.name, func(t *testing.T) {
				// The key columns' check alone (no block's figures read back).
				e := setup(t, google.Config{MaxRequestBytes: path.limit, ScrubDays: -1}, sheetstest.Options{MaxRequestBytes: path.limit})
				days := window(day(2026, 5, 20), 20, func(i int) int { return 8 + i%5 })
				t1, _ := keyedTable(days)
				first, err := e.w.WriteTableFrom(t.Context(), book, "Daily", nil, t1, google.Status{})
				if err != nil {
					t.Fatal(err)
				}
				tc.do(t, e, first.SheetID, days)
				next := refresh(days, 1)
				t2, want := keyedTable(next)
				res, err := e.w.WriteTableFrom(t.Context(), book, "Daily", &first.Layout, t2, google.Status{})
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("refresh: incremental %v, staged %v, %d requests, %d bytes sent, %d read (%d unzipped)",
					res.Incremental, res.Staged, res.Requests, res.Bytes, res.ReadBytes, res.ReadRawBytes)
				checkTab(t, e, tc.title, want)
				noStaging(t, e)
				if res.Tab != tc.title {
					t.Errorf("result tab = %q, want %q", res.Tab, tc.title)
				}
				if tc.title != "Daily" {
					if _, ok := e.srv.Sheet(book, "Daily"); ok {
						t.Errorf("a new tab %q was created beside the renamed one (tabs %q)", "Daily", e.srv.Sheets(book))
					}
				}
				// One status row, under the tab's title.
				if st := e.srv.Values(book, google.DefaultStatusTab); len(st) != 2 || st[1][0] != tc.title {
					t.Errorf("status tab = %v, want one row for %q", st, tc.title)
				}
				if res.Incremental != tc.incremental {
					t.Errorf("incremental = %v, want %v", res.Incremental, tc.incremental)
				}
				if res.Staged != (path.limit > 0) {
					t.Errorf("staged = %v on the %s path", res.Staged, path.name)
				}
				// The next refresh, with nothing more done by the person, patches.
				third := refresh(next, 2)
				t3, want3 := keyedTable(third)
				again, err := e.w.WriteTableFrom(t.Context(), book, res.Tab, &res.Layout, t3, google.Status{})
				if err != nil {
					t.Fatal(err)
				}
				checkTab(t, e, tc.title, want3)
				if !again.Incremental {
					t.Errorf("the refresh after the repair was not incremental")
				}
			})
		}
	}
}

// TestWriteTableFromRandomPersonEdits interleaves syncs (days revised,
// added, leaving) with what people do to the tab (sorts, filters, typing
// over names, rows and columns inserted, deleted or moved, renames, the
// tab deleted) over many seeds: after every sync the tab is the table.
func TestWriteTableFromRandomPersonEdits(t *testing.T) {
	for _, limit := range []int{0, 6 << 10} {
		for seed := range uint64(12) {
			t.Run(fmt.Sprintf("max bytes %d seed %d", limit, seed), func(t *testing.T) {
				// Every value read back at every write: figures typed over are found too.
				e := setup(t, google.Config{MaxRequestBytes: limit, ScrubDays: 1}, sheetstest.Options{MaxRequestBytes: limit})
				rng := rand.New(rand.NewPCG(seed, uint64(limit)))
				days := window(day(2026, 3, 31), 15, func(int) int { return 1 + rng.IntN(9) })
				tbl, _ := keyedTable(days)
				tab := "Daily"
				res, err := e.w.WriteTableFrom(t.Context(), book, tab, nil, tbl, google.Status{})
				if err != nil {
					t.Fatal(err)
				}
				nextDate := day(2026, 4, 1)
				for round := range 8 {
					for range rng.IntN(3) {
						randomEdit(t, e, rng, res.SheetID, days, round)
					}
					next := slices.Clone(days)
					for i := range next {
						next[i].changed = false
					}
					for range rng.IntN(4) {
						switch i := rng.IntN(len(next)); rng.IntN(3) {
						case 0: // revised
							next[i].version, next[i].rows, next[i].changed = round+1, rng.IntN(10), true
						case 1: // left
							if len(next) > 3 {
								next = slices.Delete(next, i, i+1)
							}
						case 2: // a new day
							next = slices.Insert(next, 0, reportDay{date: nextDate, rows: 1 + rng.IntN(9), version: round + 1, changed: true})
							nextDate = nextDate.AddDate(0, 0, 1)
						}
					}
					if tableRows(next) == 0 {
						next[0].rows, next[0].changed, next[0].version = 2, true, round+1
					}
					tbl, want := keyedTable(next)
					prev := res.Layout
					if res, err = e.w.WriteTableFrom(t.Context(), book, tab, &prev, tbl, google.Status{}); err != nil {
						t.Fatalf("round %d: %v", round, err)
					}
					tab = res.Tab // the caller follows a rename
					checkTab(t, e, tab, want)
					noStaging(t, e)
					days = next
				}
			})
		}
	}
}

// randomEdit is one thing a person does to the tab.
func randomEdit(t *testing.T, e env, rng *rand.Rand, id int64, days []reportDay, round int) {
	t.Helper()
	info := func() sheetstest.SheetInfo {
		for _, title := range e.srv.Sheets(book) {
			if s, ok := e.srv.Sheet(book, title); ok && s.SheetID == id {
				return s
			}
		}
		return sheetstest.SheetInfo{}
	}()
	if info.Title == "" {
		return // the tab is gone
	}
	rows, cols := int64(info.Rows), int64(info.Cols)
	row := func() int64 { return 1 + rng.Int64N(max(rows-1, 1)) }
	var r func(int64, []reportDay) *sheets.Request
	switch rng.IntN(11) {
	case 0: // sort all or part of the table by a column
		r0 := row()
		r1 := r0 + 1 + rng.Int64N(rows-r0)
		order := []string{"ASCENDING", "DESCENDING"}[rng.IntN(2)]
		r = func(id int64, _ []reportDay) *sheets.Request {
			return &sheets.Request{SortRange: &sheets.SortRangeRequest{
				Range:     &sheets.GridRange{SheetId: id, StartRowIndex: r0, EndRowIndex: r1, StartColumnIndex: 0, EndColumnIndex: cols},
				SortSpecs: []*sheets.SortSpec{{DimensionIndex: rng.Int64N(cols), SortOrder: order}},
			}}
		}
	case 1: // a basic filter, sorting and hiding
		r = func(id int64, _ []reportDay) *sheets.Request {
			return &sheets.Request{SetBasicFilter: &sheets.SetBasicFilterRequest{Filter: &sheets.BasicFilter{
				Range:     &sheets.GridRange{SheetId: id, StartRowIndex: 0, EndRowIndex: rows, StartColumnIndex: 0, EndColumnIndex: cols},
				SortSpecs: []*sheets.SortSpec{{DimensionIndex: rng.Int64N(cols), SortOrder: "DESCENDING"}},
				Criteria:  map[string]sheets.FilterCriteria{"1": {HiddenValues: []string{"캠페인 0 v0"}}}}}}
		}
	case 2: // a basic filter hiding rows only
		r = func(id int64, _ []reportDay) *sheets.Request {
			return &sheets.Request{SetBasicFilter: &sheets.SetBasicFilterRequest{Filter: &sheets.BasicFilter{
				Range:    &sheets.GridRange{SheetId: id, StartRowIndex: 0, EndRowIndex: rows, StartColumnIndex: 0, EndColumnIndex: cols},
				Criteria: map[string]sheets.FilterCriteria{"1": {HiddenValues: []string{"캠페인 1 v0", "캠페인 2 v1"}}}}}}
		}
	case 3: // a value typed over: a date, a name or a figure
		if col := rng.Int64N(cols); rng.IntN(2) == 0 {
			r = typeText(row(), col, fmt.Sprintf("typed %d", round))
		} else {
			r = typeNumber(row(), col, float64(rng.IntN(1000)))
		}
	case 4:
		r = dimension("ROWS", row(), 1+rng.Int64N(2), true)
	case 5:
		if rows > 3 {
			r = dimension("ROWS", row(), 1, false)
		}
	case 6:
		r = dimension("COLUMNS", rng.Int64N(cols), 1, true)
	case 7:
		if cols > 2 {
			r = dimension("COLUMNS", rng.Int64N(cols), 1, false)
		}
	case 8:
		if cols > 1 {
			r = moveColumns(rng.Int64N(cols-1), 1, cols)
		}
	case 9:
		r = renameTab(fmt.Sprintf("Daily %d", round))
	case 10:
		if rng.IntN(3) == 0 {
			r = func(id int64, _ []reportDay) *sheets.Request {
				return &sheets.Request{DeleteSheet: &sheets.DeleteSheetRequest{SheetId: id}}
			}
		}
	}
	if r != nil {
		edits(r)(t, e, id, days)
	}
}

func typeNumber(row, col int64, v float64) func(int64, []reportDay) *sheets.Request {
	return func(id int64, _ []reportDay) *sheets.Request {
		return &sheets.Request{UpdateCells: &sheets.UpdateCellsRequest{
			Start:  &sheets.GridCoordinate{SheetId: id, RowIndex: row, ColumnIndex: col},
			Rows:   []*sheets.RowData{{Values: []*sheets.CellData{{UserEnteredValue: &sheets.ExtendedValue{NumberValue: &v}}}}},
			Fields: "userEnteredValue"}}
	}
}

// TestWriteTableFromFindsTypedFigures: a figure typed over in a day no sync
// refreshes is found by reading back every value of the days whose turn it
// is (Config.ScrubDays): at the next write with ScrubDays 1, within
// ScrubDays daily writes by default; that day alone is written again.
func TestWriteTableFromFindsTypedFigures(t *testing.T) {
	for _, path := range []struct {
		name  string
		limit int
	}{{"direct", 0}, {"staged", 6 << 10}} {
		for _, scrub := range []int{1, 0} {
			t.Run(fmt.Sprintf("%s/scrub days %d", path.name, scrub), func(t *testing.T) {
				clock := time.Date(2026, 6, 1, 3, 0, 0, 0, time.UTC)
				e := setup(t, google.Config{MaxRequestBytes: path.limit, ScrubDays: scrub, Now: func() time.Time { return clock }},
					sheetstest.Options{MaxRequestBytes: path.limit})
				days := window(day(2026, 5, 20), 20, func(i int) int { return 8 + i%5 })
				t1, want := keyedTable(days)
				res, err := e.w.WriteTableFrom(t.Context(), book, "Daily", nil, t1, google.Status{})
				if err != nil {
					t.Fatal(err)
				}
				// Clicks and CTR typed over in an old day; a cell moved by a
				// sort of two figure columns alone.
				row := int64(rowOf(days, days[14].key(), 3))
				edits(typeNumber(row, 2, 123456), typeNumber(row, 5, 0.5), func(id int64, ds []reportDay) *sheets.Request {
					r0 := int64(rowOf(ds, ds[17].key(), 0))
					return &sheets.Request{SortRange: &sheets.SortRangeRequest{
						Range:     &sheets.GridRange{SheetId: id, StartRowIndex: r0, EndRowIndex: r0 + 3, StartColumnIndex: 3, EndColumnIndex: 5},
						SortSpecs: []*sheets.SortSpec{{DimensionIndex: 4, SortOrder: "DESCENDING"}}}}
				})(t, e, res.SheetID, days)
				fixed := 0
				for n := 1; n <= 30 && fixed == 0; n++ {
					clock = clock.AddDate(0, 0, 1)
					tbl, _ := keyedTable(days) // nothing changed at Naver
					if res, err = e.w.WriteTableFrom(t.Context(), book, "Daily", &res.Layout, tbl, google.Status{}); err != nil {
						t.Fatal(err)
					}
					if !res.Incremental {
						t.Fatalf("write %d was not incremental", n)
					}
					if reflect.DeepEqual(e.srv.Values(book, "Daily"), want) {
						fixed = n
					}
				}
				t.Logf("the tab was repaired by write %d", fixed)
				checkTab(t, e, "Daily", want)
				if scrub == 1 && fixed != 1 {
					t.Errorf("repaired by write %d, want the first", fixed)
				}
			})
		}
	}
}

// TestWriteTableFromLayoutWithoutChecks: a Layout stored before blocks had
// checks cannot be verified: one full write, then incremental again.
func TestWriteTableFromLayoutWithoutChecks(t *testing.T) {
	e := setup(t, google.Config{}, sheetstest.Options{})
	days := window(day(2026, 5, 20), 20, func(i int) int { return 8 + i%5 })
	t1, _ := keyedTable(days)
	first, err := e.w.WriteTableFrom(t.Context(), book, "Daily", nil, t1, google.Status{})
	if err != nil {
		t.Fatal(err)
	}
	old := first.Layout
	old.Blocks = slices.Clone(old.Blocks)
	for i := range old.Blocks {
		old.Blocks[i].Check, old.Blocks[i].Full = "", ""
	}
	next := refresh(days, 1)
	t2, want := keyedTable(next)
	res, err := e.w.WriteTableFrom(t.Context(), book, "Daily", &old, t2, google.Status{})
	if err != nil {
		t.Fatal(err)
	}
	checkTab(t, e, "Daily", want)
	if res.Incremental {
		t.Errorf("a layout without checks was trusted")
	}
	third := refresh(next, 2)
	t3, want3 := keyedTable(third)
	if res, err = e.w.WriteTableFrom(t.Context(), book, "Daily", &res.Layout, t3, google.Status{}); err != nil {
		t.Fatal(err)
	}
	checkTab(t, e, "Daily", want3)
	if !res.Incremental {
		t.Errorf("the write after the full one was not incremental")
	}
}

// TestWriteTableFromLeavesAPersonsTabUnderTheOldTitle: a person renames the
// tab and makes a tab of their own under its old title; the next refresh
// writes the renamed tab (found by its sheetId) and leaves theirs alone, on
// both write paths.
func TestWriteTableFromLeavesAPersonsTabUnderTheOldTitle(t *testing.T) {
	for _, path := range []struct {
		name  string
		limit int
	}{{"direct", 0}, {"staged", 6 << 10}} {
		t.Run(path.name, func(t *testing.T) {
			e := setup(t, google.Config{MaxRequestBytes: path.limit}, sheetstest.Options{MaxRequestBytes: path.limit})
			days := window(day(2026, 5, 20), 20, func(i int) int { return 8 + i%5 })
			t1, _ := keyedTable(days)
			first, err := e.w.WriteTableFrom(t.Context(), book, "Daily", nil, t1, google.Status{})
			if err != nil {
				t.Fatal(err)
			}
			edits(renameTab("Daily (team)"), func(int64, []reportDay) *sheets.Request {
				return &sheets.Request{AddSheet: &sheets.AddSheetRequest{Properties: &sheets.SheetProperties{SheetId: 777, Title: "Daily"}}}
			}, func(int64, []reportDay) *sheets.Request {
				return typeText(0, 0, "my notes")(777, nil)
			})(t, e, first.SheetID, days)
			next := refresh(days, 1)
			t2, want := keyedTable(next)
			res, err := e.w.WriteTableFrom(t.Context(), book, "Daily", &first.Layout, t2, google.Status{})
			if err != nil {
				t.Fatal(err)
			}
			checkTab(t, e, "Daily (team)", want)
			noStaging(t, e)
			if got := e.srv.Values(book, "Daily"); !reflect.DeepEqual(got, [][]any{{"my notes"}}) {
				t.Errorf("the person's tab holds %d rows, want their one cell", len(got))
			}
			if res.Tab != "Daily (team)" || !res.Incremental {
				t.Errorf("result tab %q, incremental %v; want the renamed tab, patched", res.Tab, res.Incremental)
			}
		})
	}
}

// TestWriteTableFromStopsAtAPersonsTabUnderTheTitle: a person deletes the
// tab and makes one of their own, holding a value, under its title: the
// refresh writes nothing and says ErrTabReplaced; written without a
// previous layout (the caller's, after consent), the tab is the table.
func TestWriteTableFromStopsAtAPersonsTabUnderTheTitle(t *testing.T) {
	e := setup(t, google.Config{}, sheetstest.Options{})
	days := window(day(2026, 5, 20), 20, func(i int) int { return 8 + i%5 })
	t1, _ := keyedTable(days)
	first, err := e.w.WriteTableFrom(t.Context(), book, "Daily", nil, t1, google.Status{})
	if err != nil {
		t.Fatal(err)
	}
	edits(func(id int64, _ []reportDay) *sheets.Request {
		return &sheets.Request{DeleteSheet: &sheets.DeleteSheetRequest{SheetId: id}}
	}, func(int64, []reportDay) *sheets.Request {
		return &sheets.Request{AddSheet: &sheets.AddSheetRequest{Properties: &sheets.SheetProperties{SheetId: 777, Title: "Daily"}}}
	}, func(int64, []reportDay) *sheets.Request { return typeText(3, 1, "my notes")(777, nil) })(t, e, first.SheetID, days)
	t2, want := keyedTable(refresh(days, 1))
	if _, err := e.w.WriteTableFrom(t.Context(), book, "Daily", &first.Layout, t2, google.Status{}); !errors.Is(err, google.ErrTabReplaced) {
		t.Fatalf("err = %v, want ErrTabReplaced", err)
	}
	if got := e.srv.Values(book, "Daily"); len(got) != 4 || !reflect.DeepEqual(got[3], []any{nil, "my notes"}) {
		t.Fatalf("the person's tab holds %v, want their one cell", got)
	}
	if _, err := e.w.WriteTableFrom(t.Context(), book, "Daily", nil, t2, google.Status{}); err != nil {
		t.Fatal(err)
	}
	checkTab(t, e, "Daily", want)
}
