package sheetstest_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"
	"google.golang.org/api/sheets/v4"

	"github.com/naversync/naversync/google/sheetstest"
)

const book = "book"

func setup(t *testing.T, opts sheetstest.Options) (*sheetstest.Server, *sheets.Service) {
	t.Helper()
	srv := sheetstest.NewServer(opts)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	srv.CreateSpreadsheet(book, sheetstest.DefaultCaller)
	svc, err := sheets.NewService(t.Context(), option.WithEndpoint(hs.URL+"/"), option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	return srv, svc
}

func str(s string) *string   { return &s }
func num(f float64) *float64 { return &f }
func cells(vs ...*sheets.ExtendedValue) *sheets.RowData {
	r := &sheets.RowData{}
	for _, v := range vs {
		r.Values = append(r.Values, &sheets.CellData{UserEnteredValue: v})
	}
	return r
}

func write(sheetID, row, col int64, rows ...*sheets.RowData) *sheets.Request {
	return &sheets.Request{UpdateCells: &sheets.UpdateCellsRequest{
		Start: &sheets.GridCoordinate{SheetId: sheetID, RowIndex: row, ColumnIndex: col},
		Rows:  rows, Fields: "userEnteredValue",
	}}
}

// apiError asserts err is a *googleapi.Error with code and a message containing msg.
func apiError(t *testing.T, err error, code int, msg string) {
	t.Helper()
	var ge *googleapi.Error
	if !errors.As(err, &ge) || ge.Code != code || !strings.Contains(ge.Message, msg) {
		t.Errorf("err = %v, want %d %q", err, code, msg)
	}
}

func TestBatchUpdateIsAtomicAndStrict(t *testing.T) {
	srv, svc := setup(t, sheetstest.Options{})
	ok := write(0, 0, 0, cells(&sheets.ExtendedValue{StringValue: str("a")}, &sheets.ExtendedValue{NumberValue: num(2)}))
	tests := []struct {
		name string
		req  *sheets.Request
		code int
		msg  string
	}{
		{"past the last row", write(0, 1000, 0, cells(&sheets.ExtendedValue{StringValue: str("x")})), 400,
			"Invalid requests[1].updateCells: Requested writing within range [Sheet1!A1:Z1000], but tried writing to row [1001]"},
		{"past the last column", write(0, 0, 26, cells(&sheets.ExtendedValue{StringValue: str("x")})), 400, "tried writing to column [AA]"},
		{"range past the grid", &sheets.Request{UpdateCells: &sheets.UpdateCellsRequest{
			Range: &sheets.GridRange{SheetId: 0, StartRowIndex: 0, EndRowIndex: 5000, EndColumnIndex: 26}, Fields: "userEnteredValue"}},
			400, "Range (Sheet1!A1:Z5000) exceeds grid limits. Max rows: 1000, max columns: 26"},
		{"unknown sheetId", write(77, 0, 0, cells()), 400, "No grid with id: 77"},
		{"cell limit", &sheets.Request{AppendDimension: &sheets.AppendDimensionRequest{SheetId: 0, Dimension: "ROWS", Length: 400_000}},
			400, "above the limit of 10000000 cells"},
		{"too long a cell", write(0, 0, 0, cells(&sheets.ExtendedValue{StringValue: str(strings.Repeat("x", 50_001))})),
			400, "more than the maximum of 50000 characters"},
		{"duplicate title", &sheets.Request{AddSheet: &sheets.AddSheetRequest{Properties: &sheets.SheetProperties{Title: "sheet1"}}},
			400, "already exists"},
		{"freeze every row", &sheets.Request{UpdateSheetProperties: &sheets.UpdateSheetPropertiesRequest{
			Properties: &sheets.SheetProperties{GridProperties: &sheets.GridProperties{RowCount: 1, FrozenRowCount: 1}},
			Fields:     "gridProperties.rowCount,gridProperties.frozenRowCount"}}, 400, "You can't freeze all visible rows"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.Spreadsheets.BatchUpdate(book, &sheets.BatchUpdateSpreadsheetRequest{
				Requests: []*sheets.Request{ok, tc.req}}).Context(t.Context()).Do()
			apiError(t, err, tc.code, tc.msg)
			if got := srv.Values(book, "Sheet1"); len(got) != 0 {
				t.Errorf("a failed batch changed the sheet: %v", got)
			}
		})
	}
	if _, err := svc.Spreadsheets.BatchUpdate(book, &sheets.BatchUpdateSpreadsheetRequest{
		Requests: []*sheets.Request{ok}}).Context(t.Context()).Do(); err != nil {
		t.Fatal(err)
	}
	if got, want := srv.Values(book, "Sheet1"), [][]any{{"a", 2.0}}; !reflect.DeepEqual(got, want) {
		t.Errorf("values = %v, want %v", got, want)
	}
}

func TestGrowShrinkAndAppend(t *testing.T) {
	srv, svc := setup(t, sheetstest.Options{})
	do := func(reqs ...*sheets.Request) {
		t.Helper()
		if _, err := svc.Spreadsheets.BatchUpdate(book, &sheets.BatchUpdateSpreadsheetRequest{Requests: reqs}).Context(t.Context()).Do(); err != nil {
			t.Fatal(err)
		}
	}
	row := func(s string) *sheets.RowData { return cells(&sheets.ExtendedValue{StringValue: str(s)}) }
	do(write(0, 0, 0, row("a"), row("b"), row("c")),
		&sheets.Request{UpdateSheetProperties: &sheets.UpdateSheetPropertiesRequest{
			Properties: &sheets.SheetProperties{GridProperties: &sheets.GridProperties{RowCount: 2, ColumnCount: 1}},
			Fields:     "gridProperties.rowCount,gridProperties.columnCount"}})
	if got := srv.Values(book, "Sheet1"); !reflect.DeepEqual(got, [][]any{{"a"}, {"b"}}) {
		t.Errorf("after shrink = %v", got)
	}
	do(&sheets.Request{AppendCells: &sheets.AppendCellsRequest{SheetId: 0, Rows: []*sheets.RowData{row("c"), row("d")}, Fields: "userEnteredValue"}})
	info, _ := srv.Sheet(book, "Sheet1")
	if got := srv.Values(book, "Sheet1"); info.Rows != 4 || len(got) != 4 || got[3][0] != "d" {
		t.Errorf("after append: %+v %v", info, got)
	}
	vr, err := svc.Spreadsheets.Values.Get(book, "'Sheet1'!A:A").ValueRenderOption("UNFORMATTED_VALUE").Context(t.Context()).Do()
	if err != nil || len(vr.Values) != 4 || vr.Values[1][0] != "b" {
		t.Errorf("values.get = %+v, %v", vr, err)
	}
}

func TestAccessAndFaults(t *testing.T) {
	srv, svc := setup(t, sheetstest.Options{MaxRequestBytes: 2048})
	get := func() error {
		_, err := svc.Spreadsheets.Get(book).Context(t.Context()).Do()
		return err
	}
	if err := get(); err != nil {
		t.Fatal(err)
	}
	srv.InjectErrors(http.StatusTooManyRequests, "RESOURCE_EXHAUSTED", 1)
	apiError(t, get(), 429, "Quota exceeded")
	if err := get(); err != nil {
		t.Errorf("injected error not consumed: %v", err)
	}
	_, err := svc.Spreadsheets.BatchUpdate(book, &sheets.BatchUpdateSpreadsheetRequest{Requests: []*sheets.Request{
		write(0, 0, 0, cells(&sheets.ExtendedValue{StringValue: str(strings.Repeat("x", 3000))}))}}).Context(t.Context()).Do()
	apiError(t, err, 400, "Request payload size exceeds the limit: 2048 bytes.")
	srv.Unshare(book, sheetstest.DefaultCaller)
	apiError(t, get(), 403, "The caller does not have permission")
	srv.DeleteSpreadsheet(book)
	apiError(t, get(), 404, "Requested entity was not found.")
	if srv.RequestCount() != 6 || srv.BatchUpdateCount() != 1 {
		t.Errorf("counts = %d requests, %d batchUpdates", srv.RequestCount(), srv.BatchUpdateCount())
	}
}
