package sheetstest_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"google.golang.org/api/sheets/v4"

	"github.com/naversync/naversync/google/sheetstest"
)

func TestSortRange(t *testing.T) {
	srv, svc := setup(t, sheetstest.Options{})
	yes := true
	do(t, svc, write(0, 0, 0,
		cells(&sheets.ExtendedValue{StringValue: str("h")}, &sheets.ExtendedValue{StringValue: str("k")}),
		cells(&sheets.ExtendedValue{NumberValue: num(3)}, &sheets.ExtendedValue{StringValue: str("three")}),
		cells(&sheets.ExtendedValue{StringValue: str("b")}, &sheets.ExtendedValue{StringValue: str("bee")}),
		cells(&sheets.ExtendedValue{NumberValue: num(1)}, &sheets.ExtendedValue{StringValue: str("one")}),
		cells(nil, &sheets.ExtendedValue{StringValue: str("empty")}),
		cells(&sheets.ExtendedValue{StringValue: str("A")}, &sheets.ExtendedValue{StringValue: str("ay")}),
		cells(&sheets.ExtendedValue{BoolValue: &yes}, &sheets.ExtendedValue{StringValue: str("true")}),
	), boldRow(0, 3))
	sortBy := func(order string) *sheets.Request {
		return &sheets.Request{SortRange: &sheets.SortRangeRequest{
			Range:     &sheets.GridRange{SheetId: 0, StartRowIndex: 1, EndRowIndex: 7, StartColumnIndex: 0, EndColumnIndex: 2},
			SortSpecs: []*sheets.SortSpec{{DimensionIndex: 0, SortOrder: order}}}}
	}
	// Numbers, then text (case-insensitive), then booleans; empty cells last
	// in either order. Whole rows of the range move, formats included.
	do(t, svc, sortBy("ASCENDING"))
	want := [][]any{{"h", "k"}, {1.0, "one"}, {3.0, "three"}, {"A", "ay"}, {"b", "bee"}, {true, "true"}, {nil, "empty"}}
	if got := srv.Values(book, "Sheet1"); !reflect.DeepEqual(got, want) {
		t.Errorf("ascending = %v, want %v", got, want)
	}
	if c, _ := srv.Cell(book, "Sheet1", 1, 1); !c.Bold {
		t.Errorf("the bold row's format did not move with it: %+v", c)
	}
	do(t, svc, sortBy("DESCENDING"))
	want = [][]any{{"h", "k"}, {true, "true"}, {"b", "bee"}, {"A", "ay"}, {3.0, "three"}, {1.0, "one"}, {nil, "empty"}}
	if got := srv.Values(book, "Sheet1"); !reflect.DeepEqual(got, want) {
		t.Errorf("descending = %v, want %v", got, want)
	}
	if info, _ := srv.Sheet(book, "Sheet1"); info.Rows != 1000 || info.Cols != 26 {
		t.Errorf("the sort changed the grid: %+v", info)
	}
	fails(t, svc, "Invalid requests[0].sortRange: Sort column 5 is outside the range.", &sheets.Request{SortRange: &sheets.SortRangeRequest{
		Range:     &sheets.GridRange{SheetId: 0, StartRowIndex: 1, EndRowIndex: 7, StartColumnIndex: 0, EndColumnIndex: 2},
		SortSpecs: []*sheets.SortSpec{{DimensionIndex: 5}}}})
}

func TestBasicFilter(t *testing.T) {
	srv, svc := setup(t, sheetstest.Options{})
	do(t, svc, write(0, 0, 0, column("name", "b", "c", "a", "d")...))
	do(t, svc, &sheets.Request{SetBasicFilter: &sheets.SetBasicFilterRequest{Filter: &sheets.BasicFilter{
		Range:     &sheets.GridRange{SheetId: 0, StartRowIndex: 0, EndRowIndex: 5, StartColumnIndex: 0, EndColumnIndex: 1},
		SortSpecs: []*sheets.SortSpec{{DimensionIndex: 0, SortOrder: "ASCENDING"}},
		Criteria:  map[string]sheets.FilterCriteria{"0": {HiddenValues: []string{"c"}}},
	}}})
	// The header stays; the rows under it are sorted; "c" is hidden where it is.
	if got, want := srv.Values(book, "Sheet1"), [][]any{{"name"}, {"a"}, {"b"}, {"c"}, {"d"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("values = %v, want %v", got, want)
	}
	if got := srv.HiddenRows(book, "Sheet1"); !reflect.DeepEqual(got, []int{3}) {
		t.Errorf("hidden rows = %v, want [3]", got)
	}
	do(t, svc, &sheets.Request{ClearBasicFilter: &sheets.ClearBasicFilterRequest{SheetId: 0}})
	if got := srv.HiddenRows(book, "Sheet1"); got != nil {
		t.Errorf("hidden rows after clearBasicFilter = %v", got)
	}
	if got, want := srv.Values(book, "Sheet1"), [][]any{{"name"}, {"a"}, {"b"}, {"c"}, {"d"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("values after clearBasicFilter = %v, want %v (the sort stays)", got, want)
	}
}

func TestMoveDimension(t *testing.T) {
	srv, svc := setup(t, sheetstest.Options{})
	row := func(vs ...string) *sheets.RowData {
		var evs []*sheets.ExtendedValue
		for _, v := range vs {
			evs = append(evs, &sheets.ExtendedValue{StringValue: str(v)})
		}
		return cells(evs...)
	}
	do(t, svc, write(0, 0, 0, row("a", "b", "c", "d"), row("1", "2", "3", "4")))
	move := func(dim string, s, e, to int64) *sheets.Request {
		return &sheets.Request{MoveDimension: &sheets.MoveDimensionRequest{
			Source: &sheets.DimensionRange{SheetId: 0, Dimension: dim, StartIndex: s, EndIndex: e}, DestinationIndex: to}}
	}
	// destinationIndex counts in the coordinates before the move.
	do(t, svc, move("COLUMNS", 1, 2, 4))
	if got, want := srv.Values(book, "Sheet1"), [][]any{{"a", "c", "d", "b"}, {"1", "3", "4", "2"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("after moving B after D = %v, want %v", got, want)
	}
	do(t, svc, move("COLUMNS", 2, 4, 0))
	if got, want := srv.Values(book, "Sheet1"), [][]any{{"d", "b", "a", "c"}, {"4", "2", "1", "3"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("after moving C:D to A = %v, want %v", got, want)
	}
	do(t, svc, move("ROWS", 1, 2, 0))
	if got, want := srv.Values(book, "Sheet1"), [][]any{{"4", "2", "1", "3"}, {"d", "b", "a", "c"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("after moving row 2 up = %v, want %v", got, want)
	}
	if info, _ := srv.Sheet(book, "Sheet1"); info.Rows != 1000 || info.Cols != 26 {
		t.Errorf("the move changed the grid: %+v", info)
	}
}

func TestValuesBatchGet(t *testing.T) {
	_, svc := setup(t, sheetstest.Options{})
	do(t, svc, write(0, 0, 0,
		cells(&sheets.ExtendedValue{StringValue: str("Date")}, &sheets.ExtendedValue{StringValue: str("Name")}, &sheets.ExtendedValue{StringValue: str("Clicks")}),
		cells(&sheets.ExtendedValue{NumberValue: num(46000)}, &sheets.ExtendedValue{StringValue: str("x")}, &sheets.ExtendedValue{NumberValue: num(1.5)}),
		cells(&sheets.ExtendedValue{NumberValue: num(46001)}, nil, &sheets.ExtendedValue{NumberValue: num(2)}),
	))
	got, err := svc.Spreadsheets.Values.BatchGet(book).Ranges("Sheet1!A1:C1", "'Sheet1'!A2:B4").
		MajorDimension("COLUMNS").ValueRenderOption("UNFORMATTED_VALUE").Context(t.Context()).Do()
	if err != nil {
		t.Fatal(err)
	}
	if len(got.ValueRanges) != 2 {
		t.Fatalf("value ranges = %+v", got.ValueRanges)
	}
	if r := got.ValueRanges[0]; r.Range != "Sheet1!A1:C1" || r.MajorDimension != "COLUMNS" ||
		!reflect.DeepEqual(r.Values, [][]any{{"Date"}, {"Name"}, {"Clicks"}}) {
		t.Errorf("header = %+v", r)
	}
	// Column-major; trailing empty cells of a column left out.
	if r := got.ValueRanges[1]; r.Range != "Sheet1!A2:B4" || !reflect.DeepEqual(r.Values, [][]any{{46000.0, 46001.0}, {"x"}}) {
		t.Errorf("columns = %+v", r)
	}
	got, err = svc.Spreadsheets.Values.BatchGet(book).Ranges("Sheet1!A2:C3").Context(t.Context()).Do()
	if err != nil {
		t.Fatal(err)
	}
	if r := got.ValueRanges[0]; !reflect.DeepEqual(r.Values, [][]any{{"46000", "x", "1.5"}, {"46001", "", "2"}}) {
		t.Errorf("rows, formatted = %+v", r.Values)
	}
}

// TestGzip: the answer is gzipped when the request accepts gzip and its
// User-Agent contains "gzip", as Google does, and the server counts both sizes.
func TestGzip(t *testing.T) {
	srv := sheetstest.NewServer(sheetstest.Options{})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	srv.CreateSpreadsheet(book, sheetstest.DefaultCaller)
	get := func(ua string) (*http.Response, []byte) {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, hs.URL+"/v4/spreadsheets/"+book, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Accept-Encoding", "gzip")
		req.Header.Set("User-Agent", ua)
		resp, err := hs.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, body
	}
	resp, plain := get("test")
	if resp.Header.Get("Content-Encoding") != "" || !json.Valid(plain) {
		t.Fatalf("without gzip in the User-Agent: encoding %q", resp.Header.Get("Content-Encoding"))
	}
	resp, zipped := get("test (gzip)")
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("with gzip in the User-Agent: encoding %q", resp.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil || string(unzipped) != string(plain) {
		t.Errorf("unzipped answer differs: %v", err)
	}
	if raw, wire := srv.ResponseBytes(); raw != int64(2*len(plain)) || wire != int64(len(plain)+len(zipped)) {
		t.Errorf("response bytes = %d raw, %d wire; want %d, %d", raw, wire, 2*len(plain), len(plain)+len(zipped))
	}
}
