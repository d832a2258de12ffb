package sheetstest

import (
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"google.golang.org/api/sheets/v4"
)

// handleBatchUpdate serves spreadsheets.batchUpdate. Requests are applied in
// order to a working copy of the spreadsheet which replaces the original only
// when every request succeeded and the result is within Google's limits. The
// copy is made lazily (spreadsheet.edit): a batch costs what it touches, not
// the size of the spreadsheet.
func (s *Server) handleBatchUpdate(r *http.Request, book *spreadsheet, body []byte) (int, any) {
	req, err := decodeBatch(body)
	if err != nil {
		return badRequest("Invalid JSON payload received. %v", err)
	}
	if len(req.Requests) == 0 {
		return badRequest("Must specify at least one request.")
	}
	work := book.edit()
	resp := &sheets.BatchUpdateSpreadsheetResponse{SpreadsheetId: book.id}
	for i, rq := range req.Requests {
		kind, reply, msg := apply(work, rq)
		if msg != "" {
			return badRequest("Invalid requests[%d].%s: %s", i, kind, msg)
		}
		// Each request is checked as it is applied, so a batch cannot pass
		// through a state above the limit.
		if work.cells() > MaxCells {
			return badRequest("Invalid requests[%d].%s: This action would increase the number of cells in the workbook above the limit of %d cells.",
				i, kind, MaxCells)
		}
		resp.Replies = append(resp.Replies, reply)
	}
	work.commit()
	s.books[book.id] = work
	s.recordHistory(work)
	return http.StatusOK, resp
}

// apply runs one request against book; msg is Google's error text, or "".
func apply(book *spreadsheet, rq *request) (kind string, reply *sheets.Response, msg string) {
	reply = &sheets.Response{}
	switch {
	case rq == nil:
		return "request", nil, "empty request"
	case rq.AddSheet != nil:
		kind = "addSheet"
		reply.AddSheet, msg = addSheet(book, rq.AddSheet)
	case rq.UpdateSheetProperties != nil:
		kind = "updateSheetProperties"
		msg = updateSheetProperties(book, rq.UpdateSheetProperties)
	case rq.UpdateCells != nil:
		kind = "updateCells"
		msg = updateCells(book, rq.UpdateCells)
	case rq.AppendCells != nil:
		kind = "appendCells"
		msg = appendCells(book, rq.AppendCells)
	case rq.RepeatCell != nil:
		kind = "repeatCell"
		msg = repeatCell(book, rq.RepeatCell)
	case rq.AppendDimension != nil:
		kind = "appendDimension"
		msg = appendDimension(book, rq.AppendDimension)
	case rq.DeleteDimension != nil:
		kind = "deleteDimension"
		msg = deleteDimension(book, rq.DeleteDimension)
	case rq.InsertDimension != nil:
		kind = "insertDimension"
		msg = insertDimension(book, rq.InsertDimension)
	case rq.CopyPaste != nil:
		kind = "copyPaste"
		msg = copyPaste(book, rq.CopyPaste)
	case rq.DeleteSheet != nil:
		kind = "deleteSheet"
		msg = deleteSheet(book, rq.DeleteSheet)
	case rq.SortRange != nil:
		kind = "sortRange"
		msg = sortRange(book, rq.SortRange)
	case rq.SetBasicFilter != nil:
		kind = "setBasicFilter"
		msg = setBasicFilter(book, rq.SetBasicFilter)
	case rq.ClearBasicFilter != nil:
		kind = "clearBasicFilter"
		msg = clearBasicFilter(book, rq.ClearBasicFilter)
	case rq.MoveDimension != nil:
		kind = "moveDimension"
		msg = moveDimension(book, rq.MoveDimension)
	case rq.CreateDeveloperMetadata != nil:
		kind = "createDeveloperMetadata"
		reply.CreateDeveloperMetadata, msg = createMetadata(book, rq.CreateDeveloperMetadata)
	case rq.UpdateDeveloperMetadata != nil:
		kind = "updateDeveloperMetadata"
		reply.UpdateDeveloperMetadata, msg = updateMetadata(book, rq.UpdateDeveloperMetadata)
	case rq.DeleteDeveloperMetadata != nil:
		kind = "deleteDeveloperMetadata"
		reply.DeleteDeveloperMetadata, msg = deleteMetadata(book, rq.DeleteDeveloperMetadata)
	default:
		return "request", nil, "request kind not supported by the stand-in"
	}
	return kind, reply, msg
}

func addSheet(book *spreadsheet, rq *sheets.AddSheetRequest) (*sheets.AddSheetResponse, string) {
	p := rq.Properties
	if p == nil {
		p = &sheets.SheetProperties{}
	}
	g := &grid{id: p.SheetId, title: p.Title, rows: DefaultRows, cols: DefaultCols, batch: book.batch}
	if g.id == 0 {
		g.id = book.nextID()
	} else if g.id < 0 {
		return nil, fmt.Sprintf("Invalid sheetId: %d", g.id)
	} else if book.byID(g.id) != nil {
		return nil, fmt.Sprintf("A sheet with the id %d already exists.", g.id)
	}
	if g.title == "" {
		for n := len(book.grids) + 1; ; n++ {
			if t := fmt.Sprintf("Sheet%d", n); book.byTitle(t) == nil {
				g.title = t
				break
			}
		}
	}
	if book.byTitle(g.title) != nil {
		return nil, fmt.Sprintf("A sheet with the name \"%s\" already exists. Please enter another name.", g.title)
	}
	if gp := p.GridProperties; gp != nil {
		if gp.RowCount > 0 {
			g.rows = gp.RowCount
		}
		if gp.ColumnCount > 0 {
			g.cols = gp.ColumnCount
		}
		g.frozenRows, g.frozenCols = gp.FrozenRowCount, gp.FrozenColumnCount
	}
	g.hidden = p.Hidden
	if msg := checkGrid(g); msg != "" {
		return nil, msg
	}
	book.grids = append(book.grids, g)
	return &sheets.AddSheetResponse{Properties: g.props(len(book.grids) - 1)}, ""
}

// checkGrid validates a tab's dimensions and frozen counts.
func checkGrid(g *grid) string {
	switch {
	case g.rows < 1 || g.cols < 1:
		return "Sheet must have at least one row and one column."
	case g.cols > MaxColumns:
		return fmt.Sprintf("This action would increase the number of columns in the sheet above the limit of %d.", MaxColumns)
	case g.frozenRows < 0 || g.frozenCols < 0:
		return "Frozen counts must not be negative."
	case g.frozenRows >= g.rows:
		return "You can't freeze all visible rows on the sheet."
	case g.frozenCols >= g.cols:
		return "You can't freeze all visible columns on the sheet."
	}
	return ""
}

func updateSheetProperties(book *spreadsheet, rq *sheets.UpdateSheetPropertiesRequest) string {
	p := rq.Properties
	if p == nil {
		return "properties are required"
	}
	g := book.editByID(p.SheetId)
	if g == nil {
		return fmt.Sprintf("No grid with id: %d", p.SheetId)
	}
	if rq.Fields == "" {
		return "At least one field must be specified in 'fields'."
	}
	gp := p.GridProperties
	if gp == nil {
		gp = &sheets.GridProperties{}
	}
	for f := range strings.SplitSeq(rq.Fields, ",") {
		switch strings.TrimSpace(f) {
		case "title":
			if p.Title == "" {
				return "Sheet title must not be empty."
			}
			if other := book.byTitle(p.Title); other != nil && other != g {
				return fmt.Sprintf("A sheet with the name \"%s\" already exists. Please enter another name.", p.Title)
			}
			g.title = p.Title
		case "gridProperties":
			g.rows, g.cols, g.frozenRows, g.frozenCols = gp.RowCount, gp.ColumnCount, gp.FrozenRowCount, gp.FrozenColumnCount
		case "gridProperties.rowCount":
			g.rows = gp.RowCount
		case "gridProperties.columnCount":
			g.cols = gp.ColumnCount
		case "gridProperties.frozenRowCount":
			g.frozenRows = gp.FrozenRowCount
		case "gridProperties.frozenColumnCount":
			g.frozenCols = gp.FrozenColumnCount
		case "hidden":
			g.hidden = p.Hidden
		default:
			return fmt.Sprintf("field %q not supported by the stand-in", f)
		}
	}
	if msg := checkGrid(g); msg != "" {
		return msg
	}
	if book.visible() == 0 {
		return "You can't hide all the sheets in a document."
	}
	g.truncate()
	return ""
}

// fieldMask says which parts of a cell a write replaces.
type fieldMask struct{ value, format, note bool }

func parseCellFields(fields string) (fieldMask, string) {
	var m fieldMask
	if fields == "" {
		return m, "At least one field must be specified in 'fields'."
	}
	for f := range strings.SplitSeq(fields, ",") {
		switch strings.TrimSpace(f) {
		case "*":
			m.value, m.format, m.note = true, true, true
		case "userEnteredValue":
			m.value = true
		case "userEnteredFormat":
			m.format = true
		case "note":
			m.note = true
		default:
			return m, fmt.Sprintf("field %q not supported by the stand-in", f)
		}
	}
	return m, ""
}

// toCell converts one CellData, checking Google's per-cell limits.
func toCell(cd *cellData) (cell, string) {
	var c cell
	if cd == nil {
		return c, ""
	}
	if v := cd.UserEnteredValue; v != nil {
		set := 0
		if v.NumberValue != nil {
			c.value, set = *v.NumberValue, set+1
		}
		if v.StringValue != nil {
			if utf8.RuneCountInString(*v.StringValue) > MaxCellChars {
				return c, fmt.Sprintf("Your input contains more than the maximum of %d characters in a single cell.", MaxCellChars)
			}
			c.value, set = *v.StringValue, set+1
		}
		if v.BoolValue != nil {
			c.value, set = *v.BoolValue, set+1
		}
		if v.FormulaValue != nil || v.ErrorValue != nil {
			return c, "formulaValue and errorValue are not supported by the stand-in"
		}
		if set > 1 {
			return c, "Only one value may be set in userEnteredValue."
		}
	}
	c.format = cd.UserEnteredFormat
	if cd.Note != "" {
		c.note = &cd.Note
	}
	return c, ""
}

// put writes c at (r, col) through the mask.
func put(g *grid, r, col int64, c cell, m fieldMask) {
	old := g.get(r, col)
	if m.value {
		old.value = c.value
	}
	if m.format {
		old.format = c.format
	}
	if m.note {
		old.note = c.note
	}
	g.set(r, col, old)
}

func updateCells(book *spreadsheet, rq *updateCellsRequest) string {
	m, msg := parseCellFields(rq.Fields)
	if msg != "" {
		return msg
	}
	switch {
	case rq.Start != nil && rq.Range != nil:
		return "Only one of start or range may be set."
	case rq.Start != nil:
		g := book.editByID(rq.Start.SheetId)
		if g == nil {
			return fmt.Sprintf("No grid with id: %d", rq.Start.SheetId)
		}
		r0, c0 := rq.Start.RowIndex, rq.Start.ColumnIndex
		for i, row := range rq.Rows {
			r := r0 + int64(i)
			if r >= g.rows {
				return fmt.Sprintf("Requested writing within range [%s], but tried writing to row [%d]",
					a1(g.title, 0, g.rows, 0, g.cols), r+1)
			}
			for j, ic := range row {
				col := c0 + int64(j)
				if col >= g.cols {
					return fmt.Sprintf("Requested writing within range [%s], but tried writing to column [%s]",
						a1(g.title, 0, g.rows, 0, g.cols), columnName(col))
				}
				if ic.msg != "" {
					return ic.msg
				}
				put(g, r, col, ic.c, m)
			}
		}
		return ""
	case rq.Range != nil:
		g, r0, r1, c0, c1, msg := gridRange(book, rq.Range)
		if msg != "" {
			return msg
		}
		// Every cell of the range is written; cells the rows do not cover are cleared.
		for r := r0; r < r1; r++ {
			var row inRow
			if i := r - r0; i < int64(len(rq.Rows)) {
				row = rq.Rows[i]
			}
			for col := c0; col < c1; col++ {
				var ic inCell
				if j := col - c0; j < int64(len(row)) {
					ic = row[j]
				}
				if ic.msg != "" {
					return ic.msg
				}
				put(g, r, col, ic.c, m)
			}
		}
		return ""
	default:
		return "One of start or range must be set."
	}
}

// gridRange resolves a GridRange to a tab (made writable) and bounds, with
// Google's messages for a bad range.
func gridRange(book *spreadsheet, gr *sheets.GridRange) (g *grid, r0, r1, c0, c1 int64, msg string) {
	return resolveRange(book, gr, true)
}

// resolveRange resolves a GridRange to a tab and bounds; edit makes the tab
// writable (a source range is only read).
func resolveRange(book *spreadsheet, gr *sheets.GridRange, edit bool) (g *grid, r0, r1, c0, c1 int64, msg string) {
	if edit {
		g = book.editByID(gr.SheetId)
	} else {
		g = book.byID(gr.SheetId)
	}
	if g == nil {
		return nil, 0, 0, 0, 0, fmt.Sprintf("No grid with id: %d", gr.SheetId)
	}
	// Missing (zero) end indexes mean unbounded.
	r0, r1, c0, c1 = gr.StartRowIndex, gr.EndRowIndex, gr.StartColumnIndex, gr.EndColumnIndex
	if r1 == 0 {
		r1 = g.rows
	}
	if c1 == 0 {
		c1 = g.cols
	}
	if r0 < 0 || c0 < 0 || r1 <= r0 || c1 <= c0 {
		return nil, 0, 0, 0, 0, "Invalid range."
	}
	if r1 > g.rows || c1 > g.cols {
		return nil, 0, 0, 0, 0, fmt.Sprintf("Range (%s) exceeds grid limits. Max rows: %d, max columns: %d",
			a1(g.title, r0, r1, c0, c1), g.rows, g.cols)
	}
	return g, r0, r1, c0, c1, ""
}

// repeatCell writes one cell through the mask to every cell of a range.
func repeatCell(book *spreadsheet, rq *repeatCellRequest) string {
	m, msg := parseCellFields(rq.Fields)
	if msg != "" {
		return msg
	}
	if rq.Range == nil {
		return "range is required"
	}
	g, r0, r1, c0, c1, msg := gridRange(book, rq.Range)
	if msg != "" {
		return msg
	}
	c, msg := toCell(rq.Cell)
	if msg != "" {
		return msg
	}
	for r := r0; r < r1; r++ {
		for col := c0; col < c1; col++ {
			put(g, r, col, c, m)
		}
	}
	return ""
}

func appendCells(book *spreadsheet, rq *appendCellsRequest) string {
	m, msg := parseCellFields(rq.Fields)
	if msg != "" {
		return msg
	}
	g := book.editByID(rq.SheetId)
	if g == nil {
		return fmt.Sprintf("No grid with id: %d", rq.SheetId)
	}
	r0 := g.lastDataRow() + 1
	for i, row := range rq.Rows {
		r := r0 + int64(i)
		if r >= g.rows {
			g.rows = r + 1 // appendCells grows rows, never columns
		}
		for j, ic := range row {
			col := int64(j)
			if col >= g.cols {
				return fmt.Sprintf("Requested writing within range [%s], but tried writing to column [%s]",
					a1(g.title, 0, g.rows, 0, g.cols), columnName(col))
			}
			if ic.msg != "" {
				return ic.msg
			}
			put(g, r, col, ic.c, m)
		}
	}
	return ""
}

func appendDimension(book *spreadsheet, rq *sheets.AppendDimensionRequest) string {
	g := book.editByID(rq.SheetId)
	if g == nil {
		return fmt.Sprintf("No grid with id: %d", rq.SheetId)
	}
	if rq.Length <= 0 {
		return "length must be positive"
	}
	switch rq.Dimension {
	case "ROWS":
		g.rows += rq.Length
	case "COLUMNS":
		g.cols += rq.Length
	default:
		return fmt.Sprintf("Invalid dimension: %q", rq.Dimension)
	}
	return checkGrid(g)
}

func deleteDimension(book *spreadsheet, rq *sheets.DeleteDimensionRequest) string {
	dr := rq.Range
	if dr == nil {
		return "range is required"
	}
	g := book.editByID(dr.SheetId)
	if g == nil {
		return fmt.Sprintf("No grid with id: %d", dr.SheetId)
	}
	start, end := dr.StartIndex, dr.EndIndex
	switch dr.Dimension {
	case "ROWS":
		if end == 0 {
			end = g.rows
		}
		if start < 0 || end > g.rows || start >= end {
			return "Invalid dimension range."
		}
		if start == 0 && end == g.rows {
			return "You can't delete all the rows on the sheet."
		}
		if g.frozenRows > 0 && start >= g.frozenRows && end-start == g.rows-g.frozenRows {
			return "Sorry, it is not possible to delete all non-frozen rows."
		}
		if start < int64(len(g.data)) {
			tail := []([]cell){}
			if end < int64(len(g.data)) {
				tail = g.data[end:]
			}
			g.data = append(g.data[:start:start], tail...)
		}
		g.rows -= end - start
		g.frozenRows -= overlap(start, end, 0, g.frozenRows)
	case "COLUMNS":
		if end == 0 {
			end = g.cols
		}
		if start < 0 || end > g.cols || start >= end {
			return "Invalid dimension range."
		}
		if start == 0 && end == g.cols {
			return "You can't delete all the columns on the sheet."
		}
		if g.frozenCols > 0 && start >= g.frozenCols && end-start == g.cols-g.frozenCols {
			return "Sorry, it is not possible to delete all non-frozen columns."
		}
		for i, row := range g.data {
			if start < int64(len(row)) {
				var tail []cell
				if end < int64(len(row)) {
					tail = row[end:]
				}
				g.data[i] = append(row[:start:start], tail...)
			}
		}
		g.cols -= end - start
		g.frozenCols -= overlap(start, end, 0, g.frozenCols)
	default:
		return fmt.Sprintf("Invalid dimension: %q", dr.Dimension)
	}
	return ""
}
