package google

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"

	"google.golang.org/api/sheets/v4"
)

// cellFields is the updateCells mask: every written cell's value and format
// are replaced (an empty CellData clears both).
const cellFields = "userEnteredValue,userEnteredFormat"

// tabInfo is what the writer learned about a spreadsheet's tabs.
type tabInfo struct {
	target, status *sheets.SheetProperties
	otherCells     int64
	used           map[int64]bool
}

// WriteTable replaces tab's content in spreadsheetID with t and records st in
// the status tab. The tab keeps its sheetId; it is created if missing and
// its grid resized to the table (NumRows+1 rows, at least 2 so the frozen
// header never covers the whole grid; len(Columns) columns). Google's limits
// are checked before anything is written (*TooLargeError). A table that fits
// in MaxRequestBytes is written in one atomic batchUpdate; a bigger one in
// several (the first resizes and writes the header, the status row goes with
// the last), so a failure part-way can leave the tab partly written but the
// status tab unchanged. Each batch's body is at most MaxRequestBytes.
func (w *Writer) WriteTable(ctx context.Context, spreadsheetID, tab string, t Table, st Status) (WriteResult, error) {
	var res WriteResult
	if err := w.validate(spreadsheetID, tab, t); err != nil {
		return res, err
	}
	unlock, err := w.lock(ctx, spreadsheetID)
	if err != nil {
		return res, fmt.Errorf("google: write %q: %w", tab, err)
	}
	defer unlock()
	log := w.log.With("spreadsheet_id", spreadsheetID, "tab", tab, "sync_id", st.SyncID)

	info, err := w.readTabs(ctx, spreadsheetID, tab, &res)
	if err != nil {
		return res, err
	}
	statusRow, err := w.statusRow(ctx, spreadsheetID, tab, info.status, &res)
	if err != nil {
		return res, err
	}

	cols := len(t.Columns)
	gridRows := max(t.NumRows+1, 2)
	statusRows, statusCols := int64(max(statusRow+1, 2)), int64(len(statusHeader()))
	if s := info.status; s != nil {
		statusRows = max(statusRows, s.GridProperties.RowCount)
		statusCols = max(statusCols, s.GridProperties.ColumnCount)
	}
	needed := info.otherCells + int64(gridRows)*int64(cols) + statusRows*statusCols
	if needed > LimitCells {
		return res, &TooLargeError{
			SpreadsheetID: spreadsheetID, Tab: tab, NeededCells: needed, LimitCells: LimitCells,
			OtherCells: info.otherCells, Rows: gridRows, Columns: cols,
		}
	}

	sheetID, prefix := w.tabRequests(info, tab, t, gridRows)
	res.SheetID = sheetID
	prefix = append(prefix, formatRequests(sheetID, t, gridRows)...)
	status := w.statusRequests(info, tab, st, statusRow, statusRows, statusCols)
	statusJSON := make([][]byte, len(status))
	s := newStream(ctx, w, spreadsheetID, tab, sheetID, cols, gridRows, &res)
	for i, r := range status {
		if statusJSON[i], err = marshalRequest(r); err != nil {
			return res, fmt.Errorf("google: write %q: %w", tab, err)
		}
		s.reserve += 1 + len(statusJSON[i])
	}
	for _, r := range prefix {
		b, err := marshalRequest(r)
		if err != nil {
			return res, fmt.Errorf("google: write %q: %w", tab, err)
		}
		if err := s.add(b); err != nil {
			return res, err
		}
	}
	if err := s.rows(t); err != nil {
		return res, err
	}
	for _, b := range statusJSON {
		s.addFinal(b)
	}
	if err := s.flush(); err != nil {
		return res, err
	}
	res.Cells = (t.NumRows+1)*cols + 2*len(statusHeader())
	log.DebugContext(ctx, "google: table written", "rows", t.NumRows, "columns", cols,
		"chunks", res.Chunks, "requests", res.Requests, "sheet_id", sheetID)
	return res, nil
}

// validate checks the arguments and the limits known without a request.
func (w *Writer) validate(spreadsheetID, tab string, t Table) error {
	switch {
	case spreadsheetID == "":
		return errors.New("google: write: empty spreadsheet id")
	case tab == "":
		return errors.New("google: write: empty tab name")
	case strings.EqualFold(tab, w.status):
		return fmt.Errorf("google: write %q: the tab is reserved for the sync status", tab)
	case len(t.Columns) == 0:
		return fmt.Errorf("google: write %q: a table needs at least one column", tab)
	case t.NumRows < 0:
		return fmt.Errorf("google: write %q: negative NumRows %d", tab, t.NumRows)
	case t.NumRows > 0 && t.Rows == nil:
		return fmt.Errorf("google: write %q: NumRows is %d but Rows is nil", tab, t.NumRows)
	case len(t.Columns) > LimitColumns:
		return &TooLargeError{SpreadsheetID: spreadsheetID, Tab: tab, Rows: t.NumRows + 1,
			Columns: len(t.Columns), LimitColumns: LimitColumns}
	}
	for _, c := range t.Columns {
		if _, n, _ := cellValue(c.Name); n > 0 {
			return &TooLargeError{SpreadsheetID: spreadsheetID, Tab: tab, CellChars: n,
				LimitCellChars: LimitCellChars, Row: 1, Column: fmt.Sprintf("%.32s…", c.Name)}
		}
	}
	return nil
}

// readTabs reads the spreadsheet's tab properties.
func (w *Writer) readTabs(ctx context.Context, id, tab string, res *WriteResult) (tabInfo, error) {
	var book *sheets.Spreadsheet
	n, err := w.call(ctx, false, func() error {
		var err error
		book, err = w.svc.Spreadsheets.Get(id).
			Fields("sheets.properties(sheetId,title,gridProperties(rowCount,columnCount,frozenRowCount,frozenColumnCount))").
			Context(ctx).Do()
		return err
	})
	res.Requests += n
	if err != nil {
		return tabInfo{}, w.classify(fmt.Sprintf("write %q: read spreadsheet", tab), id, err)
	}
	info := tabInfo{used: map[int64]bool{}}
	for _, sh := range book.Sheets {
		p := sh.Properties
		if p == nil {
			continue
		}
		if p.GridProperties == nil {
			p.GridProperties = &sheets.GridProperties{} // not a grid (e.g. a chart sheet): no cells
		}
		info.used[p.SheetId] = true
		switch {
		case info.target == nil && strings.EqualFold(p.Title, tab):
			info.target = p
		case info.status == nil && strings.EqualFold(p.Title, w.status):
			info.status = p
		default:
			info.otherCells += p.GridProperties.RowCount * p.GridProperties.ColumnCount
		}
	}
	return info, nil
}

// newSheetID picks an unused sheetId, so that later requests of the same
// batch can refer to a tab the batch creates.
func newSheetID(used map[int64]bool) int64 {
	for {
		id := 1 + rand.Int64N(1<<31-2)
		if !used[id] {
			used[id] = true
			return id
		}
	}
}

// tabRequests creates or resizes the tab and writes its header.
func (w *Writer) tabRequests(info tabInfo, tab string, t Table, gridRows int) (int64, []*sheets.Request) {
	cols := int64(len(t.Columns))
	grid := &sheets.GridProperties{RowCount: int64(gridRows), ColumnCount: cols, FrozenRowCount: 1}
	var reqs []*sheets.Request
	var sheetID int64
	if p := info.target; p != nil {
		sheetID = p.SheetId
		fields := "gridProperties.rowCount,gridProperties.columnCount,gridProperties.frozenRowCount"
		if p.GridProperties.FrozenColumnCount >= cols {
			grid.FrozenColumnCount = cols - 1
			grid.ForceSendFields = []string{"FrozenColumnCount"}
			fields += ",gridProperties.frozenColumnCount"
		}
		reqs = append(reqs, &sheets.Request{UpdateSheetProperties: &sheets.UpdateSheetPropertiesRequest{
			Properties: &sheets.SheetProperties{SheetId: sheetID, GridProperties: grid},
			Fields:     fields,
		}})
	} else {
		sheetID = newSheetID(info.used)
		reqs = append(reqs, &sheets.Request{AddSheet: &sheets.AddSheetRequest{
			Properties: &sheets.SheetProperties{SheetId: sheetID, Title: tab, GridProperties: grid},
		}})
	}
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
	}
	reqs = append(reqs, headerRequest(sheetID, names))
	if t.NumRows == 0 {
		// The grid keeps one empty row under the header; clear what it held.
		reqs = append(reqs, &sheets.Request{UpdateCells: &sheets.UpdateCellsRequest{
			Range: &sheets.GridRange{SheetId: sheetID, StartRowIndex: 1, EndRowIndex: 2,
				StartColumnIndex: 0, EndColumnIndex: cols},
			Fields: cellFields,
		}})
	}
	return sheetID, reqs
}

// formatRequests set each data column's number format once, with one
// repeatCell per run of adjacent columns of the same type, instead of in
// every cell; a Text run gets no format (its old formats are cleared).
func formatRequests(sheetID int64, t Table, gridRows int) []*sheets.Request {
	if t.NumRows == 0 {
		return nil // the cleared row under the header has no format
	}
	var reqs []*sheets.Request
	for start := 0; start < len(t.Columns); {
		typ := t.Columns[start].Type
		end := start + 1
		for end < len(t.Columns) && t.Columns[end].Type == typ {
			end++
		}
		cell := &sheets.CellData{}
		if nf := typ.numberFormat(); nf != nil {
			cell.UserEnteredFormat = &sheets.CellFormat{NumberFormat: nf}
		}
		reqs = append(reqs, &sheets.Request{RepeatCell: &sheets.RepeatCellRequest{
			Range: &sheets.GridRange{SheetId: sheetID, StartRowIndex: 1, EndRowIndex: int64(gridRows),
				StartColumnIndex: int64(start), EndColumnIndex: int64(end)},
			Cell:   cell,
			Fields: "userEnteredFormat",
		}})
		start = end
	}
	return reqs
}

// headerRequest writes a bold header row at the top of a tab.
func headerRequest(sheetID int64, names []string) *sheets.Request {
	bold := &sheets.CellFormat{TextFormat: &sheets.TextFormat{Bold: true}}
	row := &sheets.RowData{}
	for _, n := range names {
		ev, _, _ := cellValue(n)
		row.Values = append(row.Values, &sheets.CellData{UserEnteredValue: ev, UserEnteredFormat: bold})
	}
	return &sheets.Request{UpdateCells: &sheets.UpdateCellsRequest{
		Start:  &sheets.GridCoordinate{SheetId: sheetID},
		Rows:   []*sheets.RowData{row},
		Fields: cellFields,
	}}
}
