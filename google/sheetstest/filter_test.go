package sheetstest_test

import (
	"net/http"
	"testing"

	"google.golang.org/api/sheets/v4"

	"github.com/naversync/naversync/google/sheetstest"
)

// getByDataFilter answers only the tabs the filters touch, one GridData per
// range matched on a tab in the filters' order, effective values with
// trailing empties left out; errors as Google answers ranges it cannot use.
func TestGetByDataFilter(t *testing.T) {
	srv, svc := setup(t, sheetstest.Options{})
	a := srv.AddSheet(book, "A", 5, 3)
	srv.AddSheet(book, "B", 4, 2)
	c := srv.AddSheet(book, "C", 4, 2)
	srv.SetValues(book, "A", [][]any{{"h1", "h2", "h3"}, {1.0, "x", nil}, {2.0, nil, true}})
	if _, err := svc.Spreadsheets.BatchUpdate(book, &sheets.BatchUpdateSpreadsheetRequest{Requests: []*sheets.Request{{
		CreateDeveloperMetadata: &sheets.CreateDeveloperMetadataRequest{DeveloperMetadata: &sheets.DeveloperMetadata{
			MetadataId: 7, MetadataKey: "k", MetadataValue: "v", Visibility: "DOCUMENT",
			Location: &sheets.DeveloperMetadataLocation{SheetId: c, ForceSendFields: []string{"SheetId"}}}}}}}).Do(); err != nil {
		t.Fatal(err)
	}
	get := func(filters ...*sheets.DataFilter) (*sheets.Spreadsheet, error) {
		return svc.Spreadsheets.GetByDataFilter(book, &sheets.GetSpreadsheetByDataFilterRequest{DataFilters: filters}).
			Fields("sheets(properties(sheetId,title),developerMetadata(metadataKey),data(startRow,startColumn,rowData(values(effectiveValue))))").Do()
	}
	got, err := get(
		&sheets.DataFilter{GridRange: &sheets.GridRange{SheetId: a, StartRowIndex: 1, EndRowIndex: 4, StartColumnIndex: 0, EndColumnIndex: 3}},
		&sheets.DataFilter{GridRange: &sheets.GridRange{SheetId: a, EndRowIndex: 1, EndColumnIndex: 1}},
		&sheets.DataFilter{DeveloperMetadataLookup: &sheets.DeveloperMetadataLookup{MetadataKey: "k"}},
		&sheets.DataFilter{DeveloperMetadataLookup: &sheets.DeveloperMetadataLookup{MetadataKey: "none"}},
	)
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, sh := range got.Sheets {
		titles = append(titles, sh.Properties.Title)
	}
	if len(titles) != 2 || titles[0] != "A" || titles[1] != "C" {
		t.Fatalf("tabs answered = %v, want [A C] (B touched by no filter)", titles)
	}
	data := got.Sheets[0].Data
	if len(data) != 2 || data[0].StartRow != 1 || data[1].StartRow != 0 {
		t.Fatalf("A's data = %d ranges, want 2 in the filters' order", len(data))
	}
	rows := data[0].RowData
	if len(rows) != 2 || len(rows[0].Values) != 2 || *rows[0].Values[0].EffectiveValue.NumberValue != 1 ||
		*rows[0].Values[1].EffectiveValue.StringValue != "x" || len(rows[1].Values) != 3 ||
		rows[1].Values[1].EffectiveValue != nil || !*rows[1].Values[2].EffectiveValue.BoolValue {
		t.Errorf("A!A2:C4 = %+v, want [[1 x] [2 {} true]] (trailing empties left out)", rows)
	}
	if v := data[1].RowData[0].Values[0].EffectiveValue; v == nil || *v.StringValue != "h1" {
		t.Errorf("A!A1 = %+v", v)
	}
	if len(got.Sheets[1].DeveloperMetadata) != 1 || len(got.Sheets[1].Data) != 1 {
		t.Errorf("C (matched by its metadata) = %+v, want its metadata and its whole grid", got.Sheets[1])
	}

	_, err = get(&sheets.DataFilter{GridRange: &sheets.GridRange{SheetId: 999}})
	apiError(t, err, http.StatusBadRequest, "No grid with id: 999")
	_, err = get(&sheets.DataFilter{GridRange: &sheets.GridRange{SheetId: a, EndRowIndex: 6}})
	apiError(t, err, http.StatusBadRequest, "exceeds grid limits")
	_, err = get(&sheets.DataFilter{A1Range: "Nope!A1"})
	apiError(t, err, http.StatusBadRequest, "Unable to parse range")

	// A read: a viewer may make it.
	srv.Unshare(book, sheetstest.DefaultCaller)
	_, err = get(&sheets.DataFilter{A1Range: "A!A1"})
	apiError(t, err, http.StatusForbidden, "permission")
}
