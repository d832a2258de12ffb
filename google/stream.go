package google

import (
	"context"
	"encoding/json"
	"fmt"

	"google.golang.org/api/sheets/v4"
)

// stream turns Table.Rows into batchUpdates of at most MaxRequestBytes,
// holding only the rows of the batch being built.
type stream struct {
	w       *Writer
	ctx     context.Context
	id, tab string
	sheetID int64
	res     *WriteResult

	pending     []*sheets.Request // requests of the batch being built
	pendingSize int               // their estimated JSON size
	reserve     int               // bytes kept free for the final status requests and envelopes

	chunk     []*sheets.RowData // rows not yet in pending
	chunkSize int
	chunkAt   int64 // grid row of chunk[0]
}

// rows streams t's rows, flushing a batch whenever the next row would not fit.
func (s *stream) rows(t Table) error {
	if t.NumRows == 0 {
		return nil
	}
	formats := make([]*sheets.CellFormat, len(t.Columns))
	for i, c := range t.Columns {
		if nf := c.Type.numberFormat(); nf != nil {
			formats[i] = &sheets.CellFormat{NumberFormat: nf}
		}
	}
	n := 0
	var err error
	s.chunkAt = 1
	for values := range t.Rows {
		if n == t.NumRows {
			err = fmt.Errorf("google: write %q: Rows yielded more than NumRows (%d) rows", s.tab, t.NumRows)
			break
		}
		var row *sheets.RowData
		if row, err = s.row(t, formats, values, n); err != nil {
			break
		}
		var b []byte
		if b, err = json.Marshal(row); err != nil {
			err = fmt.Errorf("google: write %q: encode row %d: %w", s.tab, n+2, err)
			break
		}
		size := len(b) + 1
		if s.pendingSize+s.chunkSize+size+s.reserve > s.w.maxBytes {
			if len(s.chunk) == 0 && len(s.pending) == 0 || size+s.reserve > s.w.maxBytes {
				err = fmt.Errorf("google: write %q: row %d alone (%d bytes) exceeds MaxRequestBytes %d", s.tab, n+2, size, s.w.maxBytes)
				break
			}
			s.closeChunk()
			if err = s.flush(); err != nil {
				break
			}
		}
		s.chunk = append(s.chunk, row)
		s.chunkSize += size
		n++
	}
	if err != nil {
		return err
	}
	if n != t.NumRows {
		return fmt.Errorf("google: write %q: Rows yielded %d rows, NumRows is %d", s.tab, n, t.NumRows)
	}
	s.closeChunk()
	return nil
}

// row converts one yielded row (copying it: the slice may be reused).
func (s *stream) row(t Table, formats []*sheets.CellFormat, values []any, n int) (*sheets.RowData, error) {
	if len(values) > len(t.Columns) {
		return nil, fmt.Errorf("google: write %q: row %d has %d values for %d columns", s.tab, n+2, len(values), len(t.Columns))
	}
	row := &sheets.RowData{Values: make([]*sheets.CellData, len(t.Columns))}
	for j := range t.Columns {
		cd := &sheets.CellData{UserEnteredFormat: formats[j]}
		if j < len(values) {
			ev, tooLong, err := cellValue(values[j])
			if err != nil {
				return nil, fmt.Errorf("google: write %q: row %d column %q: %w", s.tab, n+2, t.Columns[j].Name, err)
			}
			if tooLong > 0 {
				return nil, &TooLargeError{SpreadsheetID: s.id, Tab: s.tab, CellChars: tooLong,
					LimitCellChars: LimitCellChars, Row: n + 2, Column: t.Columns[j].Name}
			}
			cd.UserEnteredValue = ev
		}
		row.Values[j] = cd
	}
	return row, nil
}

// closeChunk moves the buffered rows into pending as one updateCells.
func (s *stream) closeChunk() {
	if len(s.chunk) == 0 {
		return
	}
	s.pending = append(s.pending, &sheets.Request{UpdateCells: &sheets.UpdateCellsRequest{
		Start:  &sheets.GridCoordinate{SheetId: s.sheetID, RowIndex: s.chunkAt},
		Rows:   s.chunk,
		Fields: cellFields,
	}})
	s.pendingSize += s.chunkSize
	s.chunkAt += int64(len(s.chunk))
	s.chunk, s.chunkSize = nil, 0
}

// flush sends pending as one batchUpdate.
func (s *stream) flush() error {
	if len(s.pending) == 0 {
		return nil
	}
	req := &sheets.BatchUpdateSpreadsheetRequest{Requests: s.pending}
	n, err := s.w.call(s.ctx, true, func() error {
		_, err := s.w.svc.Spreadsheets.BatchUpdate(s.id, req).Context(s.ctx).Do()
		return err
	})
	s.res.Requests += n
	if err != nil {
		return s.w.classify(fmt.Sprintf("write %q: batch %d", s.tab, s.res.Chunks+1), s.id, err)
	}
	s.res.Chunks++
	s.pending, s.pendingSize = nil, 0
	return nil
}
