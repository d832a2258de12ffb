package sheetstest_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/naversync/naversync/google/sheetstest"
)

// postRaw sends a raw batchUpdate body and returns the status and body.
func postRaw(srv *sheetstest.Server, body string) (int, string) {
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v4/spreadsheets/"+book+":batchUpdate", strings.NewReader(body)))
	return rec.Code, rec.Body.String()
}

// TestBatchUpdateCellDecoding checks that the fast row decoding and the
// strict one (taken for anything unusual) agree, and that the strict one
// still refuses fields outside Google's schema.
func TestBatchUpdateCellDecoding(t *testing.T) {
	const fmtInt = `{"numberFormat":{"type":"NUMBER","pattern":"#,##0"}}`
	tests := []struct {
		name  string
		rows  string
		want  [][]any
		code  int
		inMsg string
	}{
		{"plain", `[{"values":[{"userEnteredValue":{"numberValue":1.5}},{"userEnteredValue":{"stringValue":"a b"}},{"userEnteredValue":{"boolValue":true}}]}]`,
			[][]any{{1.5, "a b", true}}, 200, ""},
		{"escapes and unicode", `[{"values":[{"userEnteredValue":{"stringValue":"q\"\\\n\u00e9\ud83d\ude00 한글"}}]}]`,
			[][]any{{"q\"\\\né😀 한글"}}, 200, ""},
		{"null row, empty and null cells", `[null,{"values":[{},null,{"userEnteredValue":{"numberValue":-2e-7}}]},{}]`,
			[][]any{{}, {nil, nil, -2e-7}}, 200, ""},
		{"white space", " [ { \"values\" : [ { \"userEnteredValue\" : { \"numberValue\" : 3 } } ] } ] ",
			[][]any{{3.0}}, 200, ""},
		{"formats", `[{"values":[{"userEnteredValue":{"numberValue":1},"userEnteredFormat":` + fmtInt + `},{"userEnteredFormat":` + fmtInt + `}]}]`,
			[][]any{{1.0}}, 200, ""},
		{"strict path: a note", `[{"values":[{"userEnteredValue":{"numberValue":7},"note":"n"}]}]`,
			[][]any{{7.0}}, 200, ""},
		{"unknown cell field", `[{"values":[{"userEnteredValue":{"numberValue":7},"bogus":1}]}]`,
			nil, 400, `unknown field \"bogus`},
		{"unknown value field", `[{"values":[{"userEnteredValue":{"dateValue":7}}]}]`,
			nil, 400, `unknown field \"dateValue`},
		{"two values", `[{"values":[{"userEnteredValue":{"numberValue":7,"stringValue":"x"}}]}]`,
			nil, 400, "Only one value may be set"},
		{"formula", `[{"values":[{"userEnteredValue":{"formulaValue":"=1"}}]}]`,
			nil, 400, "formulaValue and errorValue are not supported"},
		{"too long", `[{"values":[{"userEnteredValue":{"stringValue":"` + strings.Repeat("é", 50_001) + `"}}]}]`,
			nil, 400, "more than the maximum of 50000 characters"},
		{"not a number", `[{"values":[{"userEnteredValue":{"numberValue":"x"}}]}]`,
			nil, 400, "Invalid JSON payload"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := sheetstest.NewServer(sheetstest.Options{})
			srv.CreateSpreadsheet(book, sheetstest.DefaultCaller)
			body := `{"requests":[{"updateCells":{"rows":` + tc.rows + `,"fields":"userEnteredValue,userEnteredFormat","start":{"sheetId":0}}}]}`
			code, out := postRaw(srv, body)
			if code != tc.code || !strings.Contains(out, tc.inMsg) {
				t.Fatalf("answer %d %s, want %d containing %q", code, out, tc.code, tc.inMsg)
			}
			if got := srv.Values(book, "Sheet1"); code == 200 && !reflect.DeepEqual(got, tc.want) {
				t.Errorf("values = %#v, want %#v", got, tc.want)
			}
		})
	}
}

func TestRepeatCell(t *testing.T) {
	srv := sheetstest.NewServer(sheetstest.Options{})
	srv.CreateSpreadsheet(book, sheetstest.DefaultCaller)
	const setFormat = `{"repeatCell":{"range":{"sheetId":0,"startRowIndex":1,"endRowIndex":4,"startColumnIndex":1,"endColumnIndex":3},` +
		`"cell":{"userEnteredFormat":{"numberFormat":{"type":"DATE","pattern":"yyyy-mm-dd"}}},"fields":"userEnteredFormat"}}`
	if code, out := postRaw(srv, `{"requests":[`+setFormat+`]}`); code != 200 {
		t.Fatalf("repeatCell: %d %s", code, out)
	}
	for _, c := range []struct {
		row, col int
		pattern  string
	}{{1, 1, "yyyy-mm-dd"}, {3, 2, "yyyy-mm-dd"}, {0, 1, ""}, {4, 1, ""}, {1, 0, ""}, {1, 3, ""}} {
		if got, _ := srv.Cell(book, "Sheet1", c.row, c.col); got.Pattern != c.pattern {
			t.Errorf("cell (%d,%d) pattern %q, want %q", c.row, c.col, got.Pattern, c.pattern)
		}
	}
	// An empty cell with the format mask clears formats.
	const clearFormat = `{"repeatCell":{"range":{"sheetId":0,"startRowIndex":2},"cell":{},"fields":"userEnteredFormat"}}`
	if code, out := postRaw(srv, `{"requests":[`+clearFormat+`]}`); code != 200 {
		t.Fatalf("repeatCell: %d %s", code, out)
	}
	if got, _ := srv.Cell(book, "Sheet1", 2, 1); got.Pattern != "" {
		t.Errorf("format not cleared: %+v", got)
	}
	if got, _ := srv.Cell(book, "Sheet1", 1, 1); got.Pattern != "yyyy-mm-dd" {
		t.Errorf("format outside the range cleared: %+v", got)
	}
	const past = `{"repeatCell":{"range":{"sheetId":0,"endRowIndex":1001},"cell":{},"fields":"userEnteredFormat"}}`
	if code, out := postRaw(srv, `{"requests":[`+past+`]}`); code != 400 || !strings.Contains(out, "exceeds grid limits") {
		t.Errorf("range past the grid: %d %s", code, out)
	}
}

// TestBatchUpdateCopyOnWrite checks that a failed batch leaves no trace even
// when it changed rows, grids and data it shares with the committed version
// before failing, and that a shrink then regrow in one batch does not bring
// old cells back.
func TestBatchUpdateCopyOnWrite(t *testing.T) {
	srv := sheetstest.NewServer(sheetstest.Options{})
	srv.CreateSpreadsheet(book, sheetstest.DefaultCaller)
	post(t, srv, updateBody(0, 0, 3))
	before := srv.Values(book, "Sheet1")
	const shrink = `{"updateSheetProperties":{"properties":{"sheetId":0,"gridProperties":{"rowCount":2,"columnCount":1}},` +
		`"fields":"gridProperties.rowCount,gridProperties.columnCount"}}`
	const grow = `{"updateSheetProperties":{"properties":{"sheetId":0,"gridProperties":{"rowCount":10,"columnCount":20}},` +
		`"fields":"gridProperties.rowCount,gridProperties.columnCount"}}`
	const write = `{"updateCells":{"rows":[{"values":[{"userEnteredValue":{"stringValue":"new"}}]}],"fields":"userEnteredValue","start":{"sheetId":0,"rowIndex":1,"columnIndex":3}}}`
	const bad = `{"updateCells":{"rows":[{"values":[{}]}],"fields":"userEnteredValue","start":{"sheetId":99}}}`
	body := `{"requests":[` + shrink + `,` + grow + `,` + write + `,` + updateCellsJSON(0, 0, 1) + `,` + bad + `]}`
	if code, out := postRaw(srv, body); code != 400 || !strings.Contains(out, "requests[4]") {
		t.Fatalf("failing batch: %d %s", code, out)
	}
	if got := srv.Values(book, "Sheet1"); !reflect.DeepEqual(got, before) {
		t.Fatalf("a failed batch changed the sheet:\n got %v\nwant %v", got, before)
	}
	if info, _ := srv.Sheet(book, "Sheet1"); info.Rows != 1000 || info.Cols != 26 {
		t.Errorf("a failed batch changed the grid: %+v", info)
	}
	// Without the failing request the batch commits: row 1 (rewritten first,
	// so the batch owns it) keeps only its first cell and the new one; the
	// cut cells do not come back.
	body = `{"requests":[` + updateCellsJSON(0, 1, 1) + `,` + shrink + `,` + grow + `,` + write + `]}`
	if code, out := postRaw(srv, body); code != 200 {
		t.Fatalf("batch: %d %s", code, out)
	}
	want := [][]any{{before[0][0]}, {45292.0, nil, nil, "new"}} // updateBody numbers rows from 0
	if got := srv.Values(book, "Sheet1"); !reflect.DeepEqual(got, want) {
		t.Errorf("values = %#v, want %#v", got, want)
	}
}

// updateCellsJSON is one updateCells request of updateBody's rows.
func updateCellsJSON(sheetID int64, r0, n int) string {
	b := updateBody(sheetID, r0, n)
	b = bytes.TrimPrefix(b, []byte(`{"requests":[`))
	return string(bytes.TrimSuffix(b, []byte(`]}`)))
}
