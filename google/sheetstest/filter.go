package sheetstest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"google.golang.org/api/sheets/v4"
)

// handleGetByDataFilter serves POST spreadsheets/{id}:getByDataFilter
// (GetSpreadsheetByDataFilterRequest{dataFilters, includeGridData}). As
// Google documents, the answer holds only the portions of the spreadsheet
// that intersect the ranges the filters match: the tabs no filter touches
// are left out of sheets, and each tab's data holds one GridData per range
// matched on it, in the filters' order. Grid data is returned when the
// fields mask names sheets.data, or without a mask when includeGridData is
// set. No filter at all answers as spreadsheets.get.
//
// Filters: gridRange (by sheetId; open bounds run to the grid's end), a1Range
// and developerMetadataLookup (metadataId, metadataKey, metadataValue,
// locationType; a tab's metadata matches its whole tab, the spreadsheet's
// every tab). A gridRange naming no tab is answered 400 INVALID_ARGUMENT
// "No grid with id", an A1 range naming none "Unable to parse range", and
// a range past the grid "exceeds grid limits", as Google answers ranges in
// other calls; a lookup that matches nothing selects nothing.
func (s *Server) handleGetByDataFilter(r *http.Request, book *spreadsheet, body []byte) (int, any) {
	var req struct {
		DataFilters     []*sheets.DataFilter `json:"dataFilters"`
		IncludeGridData bool                 `json:"includeGridData"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return badRequest("Invalid JSON payload received. %v", err)
	}
	if len(req.DataFilters) == 0 {
		return s.handleGet(r, book, nil)
	}
	fields := r.URL.Query().Get("fields")
	withData := req.IncludeGridData
	if fields != "" {
		withData = strings.Contains(fields, "data(") || strings.Contains(fields, ".data")
	}
	type span struct{ r0, r1, c0, c1 int64 }
	matched := make([][]span, len(book.grids)) // by grid index
	hit := make([]bool, len(book.grids))
	whole := func(i int) {
		g := book.grids[i]
		hit[i] = true
		matched[i] = append(matched[i], span{0, g.rows, 0, g.cols})
	}
	for n, f := range req.DataFilters {
		set := 0
		if f.GridRange != nil {
			set++
		}
		if f.A1Range != "" {
			set++
		}
		if f.DeveloperMetadataLookup != nil {
			set++
		}
		if set != 1 {
			return badRequest("Invalid dataFilters[%d]: exactly one of gridRange, a1Range or developerMetadataLookup must be set.", n)
		}
		switch {
		case f.GridRange != nil:
			gr := f.GridRange
			i := -1
			for k, g := range book.grids {
				if g.id == gr.SheetId {
					i = k
				}
			}
			if i < 0 {
				return badRequest("Invalid dataFilters[%d]: No grid with id: %d", n, gr.SheetId)
			}
			g := book.grids[i]
			sp := span{gr.StartRowIndex, g.rows, gr.StartColumnIndex, g.cols}
			if gr.EndRowIndex > 0 {
				sp.r1 = gr.EndRowIndex
			}
			if gr.EndColumnIndex > 0 {
				sp.c1 = gr.EndColumnIndex
			}
			if sp.r1 > g.rows || sp.c1 > g.cols || sp.r0 < 0 || sp.c0 < 0 || sp.r0 > sp.r1 || sp.c0 > sp.c1 {
				return badRequest("Invalid dataFilters[%d]: Range (%s) exceeds grid limits. Max rows: %d, max columns: %d",
					n, a1(g.title, sp.r0, sp.r1, sp.c0, sp.c1), g.rows, g.cols)
			}
			hit[i] = true
			matched[i] = append(matched[i], sp)
		case f.A1Range != "":
			rng, err := parseA1(f.A1Range)
			if err != nil {
				return badRequest("%s", err.Error())
			}
			i := -1
			for k, g := range book.grids {
				if strings.EqualFold(g.title, rng.title) {
					i = k
				}
			}
			if i < 0 {
				return badRequest("Unable to parse range: %s", f.A1Range)
			}
			g := book.grids[i]
			sp := span{rng.r0, rng.r1, rng.c0, rng.c1}
			if rng.wholeSheet {
				sp = span{0, g.rows, 0, g.cols}
			}
			if sp.r1 < 0 {
				sp.r1 = g.rows
			}
			if sp.c1 < 0 {
				sp.c1 = g.cols
			}
			if sp.r1 > g.rows || sp.c1 > g.cols {
				return badRequest("Range (%s) exceeds grid limits. Max rows: %d, max columns: %d",
					a1(g.title, sp.r0, sp.r1, sp.c0, sp.c1), g.rows, g.cols)
			}
			hit[i] = true
			matched[i] = append(matched[i], sp)
		default:
			l := f.DeveloperMetadataLookup
			match := func(m *sheets.DeveloperMetadata) bool {
				return (l.MetadataId == 0 || m.MetadataId == l.MetadataId) &&
					(l.MetadataKey == "" || m.MetadataKey == l.MetadataKey) &&
					(l.MetadataValue == "" || m.MetadataValue == l.MetadataValue) &&
					(l.Visibility == "" || m.Visibility == l.Visibility)
			}
			if l.LocationType == "" || l.LocationType == "SPREADSHEET" {
				for _, m := range book.meta {
					if match(m) {
						for i := range book.grids {
							whole(i)
						}
						break
					}
				}
			}
			if l.LocationType == "" || l.LocationType == "SHEET" {
				for i, g := range book.grids {
					for _, m := range g.meta {
						if match(m) {
							whole(i)
							break
						}
					}
				}
			}
		}
	}
	out := &sheets.Spreadsheet{
		SpreadsheetId: book.id,
		Properties:    &sheets.SpreadsheetProperties{Title: book.id, Locale: "en_US", TimeZone: "Asia/Seoul"},
	}
	for i, g := range book.grids {
		if !hit[i] {
			continue
		}
		sh := &sheets.Sheet{Properties: g.props(i), DeveloperMetadata: g.meta}
		if withData {
			for _, sp := range matched[i] {
				sh.Data = append(sh.Data, gridData(g, sp.r0, sp.r1, sp.c0, sp.c1))
			}
		}
		out.Sheets = append(out.Sheets, sh)
	}
	out.DeveloperMetadata = book.meta
	return http.StatusOK, out
}

// gridData is rows [r0, r1) x columns [c0, c1) of g as Google returns grid
// data: each cell's effectiveValue (and userEnteredValue), empty cells as
// {}, trailing empty cells of a row and trailing empty rows left out.
func gridData(g *grid, r0, r1, c0, c1 int64) *sheets.GridData {
	gd := &sheets.GridData{StartRow: r0, StartColumn: c0}
	for row := r0; row < r1; row++ {
		rd := &sheets.RowData{}
		last := -1
		for col := c0; col < c1; col++ {
			cd := &sheets.CellData{}
			if ev := extValue(g.get(row, col).value); ev != nil {
				cd.EffectiveValue, cd.UserEnteredValue = ev, ev
				last = len(rd.Values)
			}
			rd.Values = append(rd.Values, cd)
		}
		rd.Values = rd.Values[:last+1]
		gd.RowData = append(gd.RowData, rd)
	}
	for n := len(gd.RowData); n > 0 && len(gd.RowData[n-1].Values) == 0; n-- {
		gd.RowData = gd.RowData[:n-1]
	}
	return gd
}

// extValue is a stored value as an ExtendedValue (nil: empty).
func extValue(v any) *sheets.ExtendedValue {
	switch x := v.(type) {
	case float64:
		return &sheets.ExtendedValue{NumberValue: &x}
	case string:
		if x == "" {
			return nil
		}
		return &sheets.ExtendedValue{StringValue: &x}
	case bool:
		return &sheets.ExtendedValue{BoolValue: &x, ForceSendFields: []string{"BoolValue"}}
	case nil:
		return nil
	}
	s := fmt.Sprint(v)
	return &sheets.ExtendedValue{StringValue: &s}
}
