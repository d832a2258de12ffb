package google

import (
	"fmt"
	"iter"
	"math"
	"time"
	"unicode/utf8"

	"google.golang.org/api/sheets/v4"
)

// ColumnType selects how a column's values are formatted in the sheet.
type ColumnType int

// Column types and their number formats.
const (
	// Text is plain text, no number format.
	Text ColumnType = iota
	// Date is a date written as a serial number with format yyyy-mm-dd.
	Date
	// Integer has format #,##0.
	Integer
	// Decimal has format #,##0.00.
	Decimal
	// Currency is Korean won: ₩#,##0.
	Currency
	// Percent has format 0.00% (the value 0.125 shows as 12.50%).
	Percent
	// Won is Korean won as Korean readers write it: #,##0"원" (1,234원).
	Won
)

// numberFormat returns the column's format, nil for Text.
func (t ColumnType) numberFormat() *sheets.NumberFormat {
	switch t {
	case Date:
		return &sheets.NumberFormat{Type: "DATE", Pattern: "yyyy-mm-dd"}
	case Integer:
		return &sheets.NumberFormat{Type: "NUMBER", Pattern: "#,##0"}
	case Decimal:
		return &sheets.NumberFormat{Type: "NUMBER", Pattern: "#,##0.00"}
	case Currency:
		return &sheets.NumberFormat{Type: "CURRENCY", Pattern: "₩#,##0"}
	case Percent:
		return &sheets.NumberFormat{Type: "PERCENT", Pattern: "0.00%"}
	case Won:
		return &sheets.NumberFormat{Type: "NUMBER", Pattern: `#,##0"원"`}
	}
	return nil
}

// Column is one column of a Table.
type Column struct {
	Name string
	Type ColumnType
}

// Table is what WriteTable writes: a header from Columns and NumRows rows.
type Table struct {
	Columns []Column
	// NumRows is the number of rows Rows yields, known up front so that the
	// grid is sized and Google's limits checked before any write.
	NumRows int
	// Rows yields each row, one value per column. The slice may be reused
	// between yields. Values: string, int64 (or int), float64, bool,
	// time.Time (a date: only its year, month and day count), nil (empty).
	// NaN and infinite floats are written as empty cells. Rows may be
	// iterated again: a write Google refuses after a folded read (fold.go)
	// is planned and sent again.
	Rows iter.Seq[[]any]
	// Blocks, when set, cut the rows into runs that belong together (for
	// naversync, one day each), in the order Rows yields them; their Rows
	// sum to NumRows. Blocks let WriteTableFrom rewrite only what changed
	// and leave out the last (oldest) blocks when the table does not fit
	// Google's cell limit.
	Blocks []Block
	// Owner names who the table belongs to (naversync: the account id). The
	// hidden staging tab of a big write carries it, so that one a failed
	// write left behind is found and deleted by the owner's next write or by
	// RemoveStaging, whatever the tab is called by then. Empty: the staging
	// tab is marked with the tab's title, as before owners.
	Owner string
}

// Block is a run of a table's rows that belong together — for naversync one
// day — in table order.
type Block struct {
	// Key names the block, unique in the table (e.g. "2026-07-14").
	Key string
	// Rows is the number of the block's rows in Table.Rows; 0 is a block
	// without rows.
	Rows int
	// Changed says the rows differ from what the previous layout's block
	// with this Key holds. A block the previous layout lacks, or holds with
	// another row count, is written whatever Changed says.
	Changed bool
}

// Layout is what a tab holds as the writer left it. The caller stores it
// (WriteResult.Layout) and passes it back to WriteTableFrom next time, so
// that only changed blocks are written.
type Layout struct {
	// SheetID is the tab's sheetId.
	SheetID int64
	// Columns is a fingerprint of the columns' names and types.
	Columns string
	// Blocks are the blocks the tab holds, in table order.
	Blocks []LayoutBlock
	// Tabs are the sheetIds of the spreadsheet's grid tabs after the write
	// (staging tabs excepted), and StatusSheetID the status tab's: the next
	// write reads them, the tab's cells and the status row in one request
	// (readFolded). Empty in a layout stored before they were recorded.
	Tabs          []int64 `json:",omitempty"`
	StatusSheetID int64   `json:",omitempty"`
	// Folds counts the writes since the tab's last whole read of the
	// spreadsheet.
	Folds int `json:",omitempty"`
}

// LayoutBlock is one block of a Layout.
type LayoutBlock struct {
	Key  string
	Rows int
	// Check is a hash of the block's key cells (its Date and Text
	// columns) as written, which the next incremental write compares with
	// what the tab holds; "" for a layout written before checks existed
	// (the next write is then a full one).
	Check string `json:",omitempty"`
	// Full is a hash of all the block's cells as written, compared with
	// what the tab holds once in Config.ScrubDays days; "" if unknown.
	Full string `json:",omitempty"`
}

// rows is the number of table rows the layout holds.
func (l *Layout) rows() int {
	n := 0
	for _, b := range l.Blocks {
		n += b.Rows
	}
	return n
}

// Status is what the status tab records for a tab after a successful write.
type Status struct {
	SyncID   string
	SyncedAt time.Time // zero: the Writer's clock
	From, To time.Time // the synced date range (days)
	Rows     int
	Note     string
}

// WriteResult describes a successful WriteTable or WriteTableFrom.
type WriteResult struct {
	// Requests is the number of API requests made, retries included.
	Requests int
	// Cells is the number of cells sent, header and status row included.
	Cells int
	// SheetID is the tab's stable sheetId.
	SheetID int64
	// Chunks is the number of batchUpdate requests the write took.
	Chunks int
	// Layout is what the tab holds now; pass it to the next WriteTableFrom.
	Layout Layout
	// Dropped are the keys of the blocks left out for Google's cell limit,
	// oldest (last in table order) first.
	Dropped []string
	// Bytes is the size of the request bodies sent, retries included.
	Bytes int64
	// Incremental says only changed blocks were sent.
	Incremental bool
	// Staged says the write went through a hidden staging tab, because it
	// did not fit in one request.
	Staged bool
	// Usage is the spreadsheet's cell usage after the write, and which tabs
	// take the room; when it is Near the limit the status row says so.
	Usage CellUsage
	// Tab is the tab's title after the write: the tab argument, or the
	// tab's new title when a person renamed it and the writer found it by
	// the sheetId of the previous Layout (the caller should then use it).
	Tab string
	// ReadBytes is the size of the answer to the read that verifies the
	// tab before an incremental write, as received (gzipped); ReadRawBytes
	// its size unzipped. Both 0 when there was no such read.
	ReadBytes, ReadRawBytes int64
}

// dateSerial is the Sheets serial number of t's civil date: days since
// 1899-12-30.
func dateSerial(t time.Time) float64 {
	y, m, d := t.Date()
	epoch := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	return float64(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Sub(epoch) / (24 * time.Hour))
}

// cellValue converts one table value to a Sheets value; nil for an empty cell.
// It fails on unsupported types and on text over Google's per-cell limit
// (tooLong > 0 then holds the length).
func cellValue(v any) (ev *sheets.ExtendedValue, tooLong int, err error) {
	num := func(f float64) *sheets.ExtendedValue {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil
		}
		return &sheets.ExtendedValue{NumberValue: &f}
	}
	switch x := v.(type) {
	case nil:
		return nil, 0, nil
	case string:
		if x == "" {
			return nil, 0, nil
		}
		if n := utf8.RuneCountInString(x); n > LimitCellChars {
			return nil, n, nil
		}
		return &sheets.ExtendedValue{StringValue: &x}, 0, nil
	case int64:
		return num(float64(x)), 0, nil
	case int:
		return num(float64(x)), 0, nil
	case int32:
		return num(float64(x)), 0, nil
	case float64:
		return num(x), 0, nil
	case float32:
		return num(float64(x)), 0, nil
	case bool:
		return &sheets.ExtendedValue{BoolValue: &x}, 0, nil
	case time.Time:
		f := dateSerial(x)
		return &sheets.ExtendedValue{NumberValue: &f}, 0, nil
	}
	return nil, 0, fmt.Errorf("unsupported value type %T", v)
}
