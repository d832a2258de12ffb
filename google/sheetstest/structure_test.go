package sheetstest_test

import (
	"net/http"
	"reflect"
	"testing"

	"google.golang.org/api/sheets/v4"

	"github.com/naversync/naversync/google/sheetstest"
)

// do applies one batch through the real client and fails the test on error.
func do(t *testing.T, svc *sheets.Service, reqs ...*sheets.Request) *sheets.BatchUpdateSpreadsheetResponse {
	t.Helper()
	resp, err := svc.Spreadsheets.BatchUpdate(book, &sheets.BatchUpdateSpreadsheetRequest{Requests: reqs}).Context(t.Context()).Do()
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// fails applies one batch and checks Google's answer.
func fails(t *testing.T, svc *sheets.Service, msg string, reqs ...*sheets.Request) {
	t.Helper()
	_, err := svc.Spreadsheets.BatchUpdate(book, &sheets.BatchUpdateSpreadsheetRequest{Requests: reqs}).Context(t.Context()).Do()
	apiError(t, err, http.StatusBadRequest, msg)
}

func column(vals ...string) []*sheets.RowData {
	var out []*sheets.RowData
	for _, v := range vals {
		out = append(out, cells(&sheets.ExtendedValue{StringValue: str(v)}))
	}
	return out
}

func rowsRange(sheetID, start, end int64) *sheets.DimensionRange {
	return &sheets.DimensionRange{SheetId: sheetID, Dimension: "ROWS", StartIndex: start, EndIndex: end}
}

func boldRow(sheetID, row int64) *sheets.Request {
	return &sheets.Request{RepeatCell: &sheets.RepeatCellRequest{
		Range:  &sheets.GridRange{SheetId: sheetID, StartRowIndex: row, EndRowIndex: row + 1, EndColumnIndex: 2},
		Cell:   &sheets.CellData{UserEnteredFormat: &sheets.CellFormat{TextFormat: &sheets.TextFormat{Bold: true}}},
		Fields: "userEnteredFormat",
	}}
}

func TestInsertDimension(t *testing.T) {
	srv, svc := setup(t, sheetstest.Options{})
	freeze := &sheets.Request{UpdateSheetProperties: &sheets.UpdateSheetPropertiesRequest{
		Properties: &sheets.SheetProperties{GridProperties: &sheets.GridProperties{RowCount: 4, ColumnCount: 2, FrozenRowCount: 1}},
		Fields:     "gridProperties.rowCount,gridProperties.columnCount,gridProperties.frozenRowCount"}}
	do(t, svc, freeze, write(0, 0, 0, column("h", "a", "b", "c")...), boldRow(0, 0))
	// Two rows under the header, inheriting from the row after (a, not bold).
	do(t, svc, &sheets.Request{InsertDimension: &sheets.InsertDimensionRequest{Range: rowsRange(0, 1, 3)}})
	if got, want := srv.Values(book, "Sheet1"), [][]any{{"h"}, {}, {}, {"a"}, {"b"}, {"c"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("values = %v, want %v", got, want)
	}
	if c, _ := srv.Cell(book, "Sheet1", 1, 0); c.Bold {
		t.Error("row inserted under the header inherited from before")
	}
	info, _ := srv.Sheet(book, "Sheet1")
	if info.Rows != 6 || info.FrozenRows != 1 {
		t.Errorf("sheet = %+v, want 6 rows, 1 frozen", info)
	}
	// inheritFromBefore takes the formats (not the values) of the row above.
	do(t, svc, &sheets.Request{InsertDimension: &sheets.InsertDimensionRequest{Range: rowsRange(0, 1, 2), InheritFromBefore: true}})
	if c, _ := srv.Cell(book, "Sheet1", 1, 0); !c.Bold || c.Value != nil {
		t.Errorf("inherited cell = %+v, want bold and empty", c)
	}
	// At the end of the grid.
	do(t, svc, &sheets.Request{InsertDimension: &sheets.InsertDimensionRequest{Range: rowsRange(0, 7, 9), InheritFromBefore: true}})
	if info, _ := srv.Sheet(book, "Sheet1"); info.Rows != 9 {
		t.Errorf("rows = %d, want 9", info.Rows)
	}
	// Columns.
	do(t, svc, &sheets.Request{InsertDimension: &sheets.InsertDimensionRequest{
		Range: &sheets.DimensionRange{Dimension: "COLUMNS", StartIndex: 0, EndIndex: 1}}})
	if got := srv.Values(book, "Sheet1"); !reflect.DeepEqual(got[0], []any{nil, "h"}) {
		t.Errorf("row 0 after a column insert = %v", got[0])
	}
	for _, tc := range []struct {
		name string
		rq   *sheets.InsertDimensionRequest
		msg  string
	}{
		{"before index 0", &sheets.InsertDimensionRequest{Range: rowsRange(0, 0, 1), InheritFromBefore: true}, "start index must be greater than 0"},
		{"past the end", &sheets.InsertDimensionRequest{Range: rowsRange(0, 10, 11)}, "past the last row"},
		{"empty", &sheets.InsertDimensionRequest{Range: rowsRange(0, 3, 3)}, "Invalid dimension range"},
		{"cell limit", &sheets.InsertDimensionRequest{Range: rowsRange(0, 1, 5_000_000)}, "above the limit of 10000000 cells"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fails(t, svc, tc.msg, &sheets.Request{InsertDimension: tc.rq})
		})
	}
}

func TestDeleteDimensionKeepsAFrozenRowsWorth(t *testing.T) {
	srv, svc := setup(t, sheetstest.Options{})
	do(t, svc, &sheets.Request{UpdateSheetProperties: &sheets.UpdateSheetPropertiesRequest{
		Properties: &sheets.SheetProperties{GridProperties: &sheets.GridProperties{RowCount: 5, FrozenRowCount: 2}},
		Fields:     "gridProperties.rowCount,gridProperties.frozenRowCount"}})
	fails(t, svc, "not possible to delete all non-frozen rows",
		&sheets.Request{DeleteDimension: &sheets.DeleteDimensionRequest{Range: rowsRange(0, 2, 5)}})
	// Deleting inside the frozen rows shrinks the frozen area.
	do(t, svc, &sheets.Request{DeleteDimension: &sheets.DeleteDimensionRequest{Range: rowsRange(0, 1, 3)}})
	if info, _ := srv.Sheet(book, "Sheet1"); info.Rows != 3 || info.FrozenRows != 1 {
		t.Errorf("sheet = %+v, want 3 rows, 1 frozen", info)
	}
}

func TestCopyPaste(t *testing.T) {
	srv, svc := setup(t, sheetstest.Options{})
	resp := do(t, svc, &sheets.Request{AddSheet: &sheets.AddSheetRequest{Properties: &sheets.SheetProperties{
		Title: "Stage", Hidden: true, GridProperties: &sheets.GridProperties{RowCount: 3, ColumnCount: 2}}}})
	stage := resp.Replies[0].AddSheet.Properties.SheetId
	if !resp.Replies[0].AddSheet.Properties.Hidden {
		t.Error("addSheet reply not hidden")
	}
	do(t, svc,
		write(stage, 0, 0, cells(&sheets.ExtendedValue{StringValue: str("x")}, &sheets.ExtendedValue{NumberValue: num(1)}),
			cells(&sheets.ExtendedValue{StringValue: str("y")})),
		boldRow(stage, 0),
		write(0, 0, 0, column("old0", "old1", "old2", "old3", "old4")...),
		&sheets.Request{UpdateCells: &sheets.UpdateCellsRequest{Start: &sheets.GridCoordinate{SheetId: 0, RowIndex: 1},
			Rows: []*sheets.RowData{{Values: []*sheets.CellData{{Note: "user note"}}}}, Fields: "note"}})
	src := &sheets.GridRange{SheetId: stage, StartRowIndex: 0, EndRowIndex: 2, StartColumnIndex: 0, EndColumnIndex: 2}
	// Normal: values, formats, notes; the empty source cell clears.
	do(t, svc, &sheets.Request{CopyPaste: &sheets.CopyPasteRequest{Source: src,
		Destination: &sheets.GridRange{SheetId: 0, StartRowIndex: 1, EndRowIndex: 2, StartColumnIndex: 0, EndColumnIndex: 1},
		PasteType:   "PASTE_NORMAL"}})
	want := [][]any{{"old0"}, {"x", 1.0}, {"y"}, {"old3"}, {"old4"}}
	if got := srv.Values(book, "Sheet1"); !reflect.DeepEqual(got, want) {
		t.Errorf("after paste (smaller destination, pasted whole) = %v, want %v", got, want)
	}
	if c, _ := srv.Cell(book, "Sheet1", 1, 1); !c.Bold || c.Note != "" {
		t.Errorf("pasted cell = %+v, want bold, no note", c)
	}
	// A destination twice the source's height repeats it.
	do(t, svc, &sheets.Request{CopyPaste: &sheets.CopyPasteRequest{Source: src,
		Destination: &sheets.GridRange{SheetId: 0, StartRowIndex: 0, EndRowIndex: 4, StartColumnIndex: 2, EndColumnIndex: 4},
		PasteType:   "PASTE_VALUES"}})
	if got := srv.Values(book, "Sheet1"); !reflect.DeepEqual(got[3], []any{"old3", nil, "y"}) {
		t.Errorf("repeated paste, row 3 = %v", got[3])
	}
	if c, _ := srv.Cell(book, "Sheet1", 0, 2); c.Bold {
		t.Error("PASTE_VALUES copied a format")
	}
	fails(t, svc, "copyPaste: Range (Sheet1!A999:B1001) exceeds grid limits", &sheets.Request{CopyPaste: &sheets.CopyPasteRequest{
		Source: &sheets.GridRange{SheetId: stage}, Destination: &sheets.GridRange{SheetId: 0, StartRowIndex: 998}}})
	fails(t, svc, "copyPaste: No grid with id: 99", &sheets.Request{CopyPaste: &sheets.CopyPasteRequest{
		Source: &sheets.GridRange{SheetId: 99}, Destination: &sheets.GridRange{SheetId: 0}}})
}

func TestHiddenAndDeleteSheet(t *testing.T) {
	srv, svc := setup(t, sheetstest.Options{})
	hide := func(id int64) *sheets.Request {
		return &sheets.Request{UpdateSheetProperties: &sheets.UpdateSheetPropertiesRequest{
			Properties: &sheets.SheetProperties{SheetId: id, Hidden: true}, Fields: "hidden"}}
	}
	fails(t, svc, "You can't hide all the sheets", hide(0))
	fails(t, svc, "You can't remove all the sheets", &sheets.Request{DeleteSheet: &sheets.DeleteSheetRequest{SheetId: 0}})
	id := srv.AddSheet(book, "Two", 10, 2)
	do(t, svc, hide(id))
	book, err := svc.Spreadsheets.Get(book).Context(t.Context()).Do()
	if err != nil || len(book.Sheets) != 2 || !book.Sheets[1].Properties.Hidden || book.Sheets[0].Properties.Hidden {
		t.Fatalf("get = %+v, %v", book, err)
	}
	fails(t, svc, "You can't remove all the visible sheets", &sheets.Request{DeleteSheet: &sheets.DeleteSheetRequest{SheetId: 0}})
	do(t, svc, &sheets.Request{DeleteSheet: &sheets.DeleteSheetRequest{SheetId: id}})
	if got := srv.Sheets(book.SpreadsheetId); !reflect.DeepEqual(got, []string{"Sheet1"}) {
		t.Errorf("tabs = %v", got)
	}
	fails(t, svc, "deleteSheet: No grid with id", &sheets.Request{DeleteSheet: &sheets.DeleteSheetRequest{SheetId: id}})
}

func TestDeveloperMetadata(t *testing.T) {
	srv, svc := setup(t, sheetstest.Options{})
	onSheet0 := &sheets.DeveloperMetadataLocation{SheetId: 0, ForceSendFields: []string{"SheetId"}}
	create := &sheets.Request{CreateDeveloperMetadata: &sheets.CreateDeveloperMetadataRequest{DeveloperMetadata: &sheets.DeveloperMetadata{
		MetadataId: 7, MetadataKey: "k", MetadataValue: "v1", Location: onSheet0, Visibility: "DOCUMENT"}}}
	resp := do(t, svc, create)
	if m := resp.Replies[0].CreateDeveloperMetadata.DeveloperMetadata; m.MetadataId != 7 || m.Location.LocationType != "SHEET" {
		t.Errorf("reply = %+v", m)
	}
	fails(t, svc, "Metadata with ID 7 already exists", create)
	fails(t, svc, "must have a location", &sheets.Request{CreateDeveloperMetadata: &sheets.CreateDeveloperMetadataRequest{
		DeveloperMetadata: &sheets.DeveloperMetadata{MetadataKey: "k", Location: &sheets.DeveloperMetadataLocation{SheetId: 0}, Visibility: "DOCUMENT"}}})
	byID := []*sheets.DataFilter{{DeveloperMetadataLookup: &sheets.DeveloperMetadataLookup{MetadataId: 7}}}
	do(t, svc, &sheets.Request{UpdateDeveloperMetadata: &sheets.UpdateDeveloperMetadataRequest{
		DataFilters: byID, DeveloperMetadata: &sheets.DeveloperMetadata{MetadataValue: "v2"}, Fields: "metadataValue"}})
	book, err := svc.Spreadsheets.Get(book).Context(t.Context()).Do()
	if err != nil || len(book.Sheets[0].DeveloperMetadata) != 1 || book.Sheets[0].DeveloperMetadata[0].MetadataValue != "v2" {
		t.Fatalf("get = %+v, %v", book.Sheets[0], err)
	}
	// A failed batch leaves the metadata as it was.
	fails(t, svc, "No grid with id", &sheets.Request{UpdateDeveloperMetadata: &sheets.UpdateDeveloperMetadataRequest{
		DataFilters: byID, DeveloperMetadata: &sheets.DeveloperMetadata{MetadataValue: "v3"}, Fields: "metadataValue"}},
		write(99, 0, 0))
	if info, _ := srv.Sheet(book.SpreadsheetId, "Sheet1"); info.Metadata["k"] != "v2" {
		t.Errorf("metadata = %v", info.Metadata)
	}
	do(t, svc, &sheets.Request{DeleteDeveloperMetadata: &sheets.DeleteDeveloperMetadataRequest{DataFilter: &sheets.DataFilter{
		DeveloperMetadataLookup: &sheets.DeveloperMetadataLookup{MetadataKey: "k", MetadataLocation: onSheet0}}}})
	if info, _ := srv.Sheet(book.SpreadsheetId, "Sheet1"); len(info.Metadata) != 0 {
		t.Errorf("metadata after delete = %v", info.Metadata)
	}
}

func TestHistoryAndBatchFaults(t *testing.T) {
	srv, svc := setup(t, sheetstest.Options{})
	srv.Track(book, "sheet1")
	srv.Track(book, "Later")
	do(t, svc, write(0, 0, 0, column("a")...))
	srv.InjectBatchFault(book, sheetstest.BatchFault{Nth: 2, Code: http.StatusServiceUnavailable, Status: "UNAVAILABLE"})
	srv.InjectBatchFault(book, sheetstest.BatchFault{Nth: 3, Code: http.StatusInternalServerError, Status: "INTERNAL", AfterCommit: true})
	do(t, svc, write(0, 0, 0, column("b")...))
	_, err := svc.Spreadsheets.BatchUpdate(book, &sheets.BatchUpdateSpreadsheetRequest{Requests: []*sheets.Request{write(0, 0, 0, column("c")...)}}).Context(t.Context()).Do()
	apiError(t, err, http.StatusServiceUnavailable, "unavailable")
	_, err = svc.Spreadsheets.BatchUpdate(book, &sheets.BatchUpdateSpreadsheetRequest{Requests: []*sheets.Request{
		write(0, 0, 0, column("d")...),
		{AddSheet: &sheets.AddSheetRequest{Properties: &sheets.SheetProperties{Title: "Later"}}}}}).Context(t.Context()).Do()
	apiError(t, err, http.StatusInternalServerError, "unavailable")
	do(t, svc, write(srv.AddSheet(book, "Other", 5, 5), 0, 0, column("z")...)) // another tab: not recorded
	want := [][][]any{{}, {{"a"}}, {{"b"}}, {{"d"}}}
	if got := srv.History(book, "Sheet1"); !reflect.DeepEqual(got, want) {
		t.Errorf("history = %v, want %v", got, want)
	}
	if got, want := srv.History(book, "Later"), [][][]any{nil, {}}; !reflect.DeepEqual(got, want) {
		t.Errorf("history of the added tab = %#v, want %#v", got, want)
	}
}
