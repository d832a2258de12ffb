package google

import (
	"context"
	"fmt"
	"strconv"
)

// chunkHead opens an updateCells request whose rows follow; closeChunk ends
// it with the fields mask and the range the rows cover. Values only: the
// column formats are set once per column run by formatRequests. The range
// form clears what the rows leave out, so trailing empty cells are omitted.
const chunkHead = `{"updateCells":{"rows":[`

// stream turns Table.Rows into batchUpdate bodies of at most MaxRequestBytes,
// encoding each row once, straight into the body being built.
type stream struct {
	w       *Writer
	ctx     context.Context
	id, tab string
	sheetID int64
	cols    int
	res     *WriteResult

	body    []byte // the batch being built: bodyHead and its requests so far
	nreq    int    // requests in body, an open chunk included
	reserve int    // bytes every batch keeps free for the final status requests

	open    bool  // body ends inside an open chunk's rows
	chunkAt int64 // grid row of the open chunk's first row
	next    int64 // grid row of the next table row
	tailMax int   // bytes a chunk's closing takes at most
	row     []byte
}

// newStream prepares a stream for a table of gridRows rows (header included).
func newStream(ctx context.Context, w *Writer, id, tab string, sheetID int64, cols, gridRows int, res *WriteResult) *stream {
	s := &stream{w: w, ctx: ctx, id: id, tab: tab, sheetID: sheetID, cols: cols, res: res, next: 1}
	s.body = append(s.body, bodyHead...)
	// Row indexes never exceed gridRows, so its digits bound the closing.
	s.tailMax = len(appendChunkTail(nil, sheetID, int64(gridRows), int64(gridRows), int64(cols)))
	return s
}

// add appends one encoded request, first sending the batch if the request
// would not fit beside the reserve.
func (s *stream) add(req []byte) error {
	s.closeChunk()
	if s.nreq > 0 && len(s.body)+1+len(req)+len(bodyTail)+s.reserve > s.w.maxBytes {
		if err := s.flush(); err != nil {
			return err
		}
	}
	s.appendRequest(req)
	return nil
}

// addFinal appends a request to the last batch, using the reserve.
func (s *stream) addFinal(req []byte) {
	s.closeChunk()
	s.appendRequest(req)
}

func (s *stream) appendRequest(req []byte) {
	if s.nreq > 0 {
		s.body = append(s.body, ',')
	}
	s.body = append(s.body, req...)
	s.nreq++
}

// rows streams t's rows, sending a batch whenever the next row would not fit.
func (s *stream) rows(t Table) error {
	if t.NumRows == 0 {
		return nil
	}
	n := 0
	for values := range t.Rows {
		if n == t.NumRows {
			return fmt.Errorf("google: write %q: Rows yielded more than NumRows (%d) rows", s.tab, t.NumRows)
		}
		if err := s.addRow(t, values, n); err != nil {
			return err
		}
		n++
	}
	if n != t.NumRows {
		return fmt.Errorf("google: write %q: Rows yielded %d rows, NumRows is %d", s.tab, n, t.NumRows)
	}
	s.closeChunk()
	return nil
}

// addRow encodes row n (0-based, below the header) and appends it to the
// open chunk, or to a new chunk, sending the batch first when it is full.
func (s *stream) addRow(t Table, values []any, n int) error {
	if len(values) > len(t.Columns) {
		return fmt.Errorf("google: write %q: row %d has %d values for %d columns", s.tab, n+2, len(values), len(t.Columns))
	}
	b := append(s.row[:0], `{"values":[`...)
	end := len(b) // just after the last non-empty cell
	for j, v := range values {
		if j > 0 {
			b = append(b, ',')
		}
		at := len(b)
		var tooLong int
		var err error
		if b, tooLong, err = appendCell(b, v); err != nil {
			return fmt.Errorf("google: write %q: row %d column %q: %w", s.tab, n+2, t.Columns[j].Name, err)
		}
		if tooLong > 0 {
			return &TooLargeError{SpreadsheetID: s.id, Tab: s.tab, CellChars: tooLong,
				LimitCellChars: LimitCellChars, Row: n + 2, Column: t.Columns[j].Name}
		}
		if len(b)-at > len("{}") {
			end = len(b)
		}
	}
	b = append(b[:end], "]}"...)
	s.row = b

	fixed := s.tailMax + len(bodyTail) + s.reserve
	need := 1 + len(b) // "," before the row
	if !s.open {
		need = 1 + len(chunkHead) + len(b)
	}
	if len(s.body)+need+fixed > s.w.maxBytes {
		if alone := len(bodyHead) + len(chunkHead) + len(b) + fixed; alone > s.w.maxBytes {
			return fmt.Errorf("google: write %q: row %d alone (%d bytes) exceeds MaxRequestBytes %d", s.tab, n+2, alone, s.w.maxBytes)
		}
		if err := s.flush(); err != nil {
			return err
		}
	}
	if s.open {
		s.body = append(s.body, ',')
	} else {
		s.appendRequest([]byte(chunkHead))
		s.open, s.chunkAt = true, s.next
	}
	s.body = append(s.body, b...)
	s.next++
	return nil
}

// closeChunk ends the open chunk, if any, with its mask and range.
func (s *stream) closeChunk() {
	if !s.open {
		return
	}
	s.body = appendChunkTail(s.body, s.sheetID, s.chunkAt, s.next, int64(s.cols))
	s.open = false
}

// appendChunkTail closes an updateCells of rows [r0, r1) x columns [0, cols).
func appendChunkTail(b []byte, sheetID, r0, r1, cols int64) []byte {
	b = append(b, `],"fields":"userEnteredValue","range":{"sheetId":`...)
	b = strconv.AppendInt(b, sheetID, 10)
	b = append(b, `,"startRowIndex":`...)
	b = strconv.AppendInt(b, r0, 10)
	b = append(b, `,"endRowIndex":`...)
	b = strconv.AppendInt(b, r1, 10)
	b = append(b, `,"startColumnIndex":0,"endColumnIndex":`...)
	b = strconv.AppendInt(b, cols, 10)
	return append(b, "}}}"...)
}

// flush sends the batch being built as one batchUpdate and starts a new one.
func (s *stream) flush() error {
	if s.nreq == 0 {
		return nil
	}
	s.closeChunk()
	body := append(s.body, bodyTail...)
	n, err := s.w.call(s.ctx, true, func() error {
		return s.w.batchUpdate(s.ctx, s.id, body)
	})
	s.res.Requests += n
	if err != nil {
		return s.w.classify(fmt.Sprintf("write %q: batch %d", s.tab, s.res.Chunks+1), s.id, err)
	}
	s.res.Chunks++
	// A fresh buffer: the transport may still hold the old one's reader.
	s.body = append(make([]byte, 0, len(body)), bodyHead...)
	s.nreq = 0
	return nil
}
