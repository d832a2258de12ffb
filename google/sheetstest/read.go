package sheetstest

import (
	"net/http"
	"strconv"

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

// handleValuesGet serves spreadsheets.values.get with majorDimension ROWS.
// valueRenderOption UNFORMATTED_VALUE returns numbers as numbers; otherwise
// they are rendered as plain decimal strings (formats are not applied).
func (s *Server) handleValuesGet(r *http.Request, book *spreadsheet, _ []byte) (int, any) {
	rng, err := parseA1(r.PathValue("range"))
	if err != nil {
		return badRequest("%s", err.Error())
	}
	g := book.byTitle(rng.title)
	if g == nil {
		return badRequest("Unable to parse range: %s", r.PathValue("range"))
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
		return badRequest("Range (%s) exceeds grid limits. Max rows: %d, max columns: %d",
			a1(g.title, rng.r0, rng.r1, rng.c0, rng.c1), g.rows, g.cols)
	}
	unformatted := r.URL.Query().Get("valueRenderOption") == "UNFORMATTED_VALUE"
	var values [][]any
	for row := rng.r0; row < rng.r1; row++ {
		var line []any
		for col := rng.c0; col < rng.c1; col++ {
			v := g.get(row, col).value
			if f, ok := v.(float64); ok && !unformatted {
				v = strconv.FormatFloat(f, 'f', -1, 64)
			}
			if v == nil {
				v = ""
			}
			line = append(line, v)
		}
		values = append(values, trimRow(line))
	}
	values = trimRows(values)
	return http.StatusOK, &sheets.ValueRange{
		Range:          a1(g.title, rng.r0, rng.r1, rng.c0, rng.c1),
		MajorDimension: "ROWS",
		Values:         values,
	}
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
