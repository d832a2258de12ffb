package google

import (
	"fmt"
	"strings"
	"time"

	"google.golang.org/api/sheets/v4"
)

// statusHeader is the status tab's header; each data tab has one row.
func statusHeader() []string {
	return []string{"Tab", "Last successful sync", "From", "To", "Rows", "Sync ID", "Note"}
}

// statusRange is the status tab's first column, where each data tab's row
// is found (read with the write's other values, see tableWrite.readBack).
func statusRange(status *sheets.SheetProperties) string {
	return "'" + strings.ReplaceAll(status.Title, "'", "''") + "'!A:A"
}

// statusRowOf finds the status tab's row for the first of tabs that has
// one (0-based; row 0 is the header) in the status tab's first column, or
// the first free row when none has.
func statusRowOf(col []any, tabs ...string) int {
	for _, tab := range tabs {
		for i, v := range col {
			if i > 0 && fmt.Sprint(v) == tab {
				return i
			}
		}
	}
	return max(len(col), 1)
}

// statusRequests create or grow the status tab and write its header and tab's row.
func (w *Writer) statusRequests(info tabInfo, tab string, st Status, row int, rows, cols int64) []*sheets.Request {
	var reqs []*sheets.Request
	var id int64
	if p := info.status; p != nil {
		id = p.SheetId
		if g := p.GridProperties; rows > g.RowCount || cols > g.ColumnCount {
			reqs = append(reqs, &sheets.Request{UpdateSheetProperties: &sheets.UpdateSheetPropertiesRequest{
				Properties: &sheets.SheetProperties{SheetId: id,
					GridProperties: &sheets.GridProperties{RowCount: rows, ColumnCount: cols}},
				Fields: "gridProperties.rowCount,gridProperties.columnCount",
			}})
		}
	} else {
		if id = info.newStatus; id == 0 {
			id = newSheetID(info.used)
		}
		reqs = append(reqs, &sheets.Request{AddSheet: &sheets.AddSheetRequest{
			Properties: &sheets.SheetProperties{SheetId: id, Title: w.status,
				GridProperties: &sheets.GridProperties{RowCount: rows, ColumnCount: cols, FrozenRowCount: 1}},
		}})
	}
	reqs = append(reqs, headerRequest(id, statusHeader()))

	at := st.SyncedAt
	if at.IsZero() {
		at = w.now()
	}
	date := func(t time.Time) *sheets.CellData {
		cd := &sheets.CellData{UserEnteredFormat: &sheets.CellFormat{NumberFormat: Date.numberFormat()}}
		if !t.IsZero() {
			cd.UserEnteredValue, _, _ = cellValue(t)
		}
		return cd
	}
	text := func(s string) *sheets.CellData {
		ev, _, _ := cellValue(s)
		return &sheets.CellData{UserEnteredValue: ev}
	}
	rowsCell, _, _ := cellValue(int64(st.Rows))
	values := []*sheets.CellData{
		text(tab),
		text(at.Format("2006-01-02 15:04:05 -07:00")),
		date(st.From),
		date(st.To),
		{UserEnteredValue: rowsCell, UserEnteredFormat: &sheets.CellFormat{NumberFormat: Integer.numberFormat()}},
		text(st.SyncID),
		text(st.Note),
	}
	reqs = append(reqs, &sheets.Request{UpdateCells: &sheets.UpdateCellsRequest{
		Start:  &sheets.GridCoordinate{SheetId: id, RowIndex: int64(row)},
		Rows:   []*sheets.RowData{{Values: values}},
		Fields: cellFields,
	}})
	return reqs
}
