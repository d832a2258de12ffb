package sheetstest

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"google.golang.org/api/sheets/v4"
)

// handleGet serves spreadsheets.get. The fields, ranges and includeGridData
// parameters are tolerated: the answer always carries every tab's properties
// and developer metadata, and never grid data.
func (s *Server) handleGet(r *http.Request, book *spreadsheet, _ []byte) (int, any) {
	out := &sheets.Spreadsheet{
		SpreadsheetId: book.id,
		Properties:    &sheets.SpreadsheetProperties{Title: book.id, Locale: "en_US", TimeZone: "Asia/Seoul"},
	}
	for i, g := range book.grids {
		out.Sheets = append(out.Sheets, &sheets.Sheet{Properties: g.props(i), DeveloperMetadata: g.meta})
	}
	out.DeveloperMetadata = book.meta
	return http.StatusOK, out
}

// handleValuesGet serves spreadsheets.values.get (see valueRange).
func (s *Server) handleValuesGet(r *http.Request, book *spreadsheet, _ []byte) (int, any) {
	q := r.URL.Query()
	vr, msg := valueRange(book, r.PathValue("range"), q.Get("valueRenderOption"), q.Get("majorDimension"))
	if msg != "" {
		return badRequest("%s", msg)
	}
	return http.StatusOK, vr
}

// handleValuesBatchGet serves spreadsheets.values.batchGet: one ValueRange
// per ranges parameter, in order. A fields mask keeps only the fields it
// names (spreadsheetId, valueRanges and their range, majorDimension and
// values), as Google does.
func (s *Server) handleValuesBatchGet(r *http.Request, book *spreadsheet, _ []byte) (int, any) {
	q := r.URL.Query()
	fields := q.Get("fields")
	has := func(f string) bool { return fields == "" || strings.Contains(fields, f) }
	inner := fields
	if i := strings.Index(fields, "valueRanges("); i >= 0 {
		inner = fields[i:]
	} else if strings.Contains(fields, "valueRanges") {
		inner = ""
	}
	hasInner := func(f string) bool { return inner == "" || strings.Contains(inner, f) }
	// Plain mirrors of sheets.BatchGetValuesResponse: the generated types'
	// MarshalJSON re-encodes every level, which is slow for big answers.
	type valueRangeOut struct {
		Range          string  `json:"range,omitempty"`
		MajorDimension string  `json:"majorDimension,omitempty"`
		Values         [][]any `json:"values,omitempty"`
	}
	out := struct {
		SpreadsheetID string          `json:"spreadsheetId,omitempty"`
		ValueRanges   []valueRangeOut `json:"valueRanges,omitempty"`
	}{}
	if has("spreadsheetId") {
		out.SpreadsheetID = book.id
	}
	for _, a := range q["ranges"] {
		vr, msg := valueRange(book, a, q.Get("valueRenderOption"), q.Get("majorDimension"))
		if msg != "" {
			return badRequest("%s", msg)
		}
		if !has("valueRanges") {
			continue
		}
		o := valueRangeOut{}
		if hasInner("range") {
			o.Range = vr.Range
		}
		if hasInner("majorDimension") {
			o.MajorDimension = vr.MajorDimension
		}
		if hasInner("values") {
			o.Values = vr.Values
		}
		out.ValueRanges = append(out.ValueRanges, o)
	}
	return http.StatusOK, out
}

// valueRange reads an A1 range as values.get does, with majorDimension
// ROWS (default) or COLUMNS. valueRenderOption UNFORMATTED_VALUE returns
// numbers as numbers; otherwise they are rendered as plain decimal strings
// (formats are not applied). Trailing empty cells of each row (column) and
// trailing empty rows (columns) are left out, as Google does; empty cells
// before a value are "".
func valueRange(book *spreadsheet, a string, render, major string) (*sheets.ValueRange, string) {
	rng, err := parseA1(a)
	if err != nil {
		return nil, err.Error()
	}
	g := book.byTitle(rng.title)
	if g == nil {
		return nil, "Unable to parse range: " + a
	}
	if rng.wholeSheet {
		rng.r0, rng.r1, rng.c0, rng.c1 = 0, g.rows, 0, g.cols
	}
	if rng.r1 < 0 {
		rng.r1 = g.rows
	}
	if rng.c1 < 0 {
		rng.c1 = g.cols
	}
	if rng.r1 > g.rows || rng.c1 > g.cols {
		return nil, fmt.Sprintf("Range (%s) exceeds grid limits. Max rows: %d, max columns: %d",
			a1(g.title, rng.r0, rng.r1, rng.c0, rng.c1), g.rows, g.cols)
	}
	if major == "" {
		major = "ROWS"
	}
	if major != "ROWS" && major != "COLUMNS" {
		return nil, fmt.Sprintf("Invalid value at 'major_dimension' (%s)", major)
	}
	unformatted := render == "UNFORMATTED_VALUE"
	value := func(row, col int64) any {
		v := g.get(row, col).value
		if f, ok := v.(float64); ok && !unformatted {
			v = strconv.FormatFloat(f, 'f', -1, 64)
		}
		if v == nil {
			v = ""
		}
		return v
	}
	var values [][]any
	if major == "ROWS" {
		for row := rng.r0; row < rng.r1; row++ {
			var line []any
			for col := rng.c0; col < rng.c1; col++ {
				line = append(line, value(row, col))
			}
			values = append(values, trimRow(line))
		}
	} else {
		for col := rng.c0; col < rng.c1; col++ {
			var line []any
			for row := rng.r0; row < rng.r1; row++ {
				line = append(line, value(row, col))
			}
			values = append(values, trimRow(line))
		}
	}
	return &sheets.ValueRange{
		Range:          a1(g.title, rng.r0, rng.r1, rng.c0, rng.c1),
		MajorDimension: major,
		Values:         trimRows(values),
	}, ""
}

// trimRow drops trailing empty cells ("" or nil), as Google does.
func trimRow(line []any) []any {
	for len(line) > 0 && (line[len(line)-1] == nil || line[len(line)-1] == "") {
		line = line[:len(line)-1]
	}
	if line == nil {
		return []any{}
	}
	return line
}

// trimRows drops trailing empty rows.
func trimRows(rows [][]any) [][]any {
	for len(rows) > 0 && len(rows[len(rows)-1]) == 0 {
		rows = rows[:len(rows)-1]
	}
	return rows
}
