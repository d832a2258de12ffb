package google

import (
	"context"
	"fmt"
	"strconv"
)

// chunkHead opens an updateCells request whose rows follow; appendChunkTail
// ends it with the fields mask and the range the rows cover. Values only:
// the column formats are set once per column run (formatRequests). The
// range form clears what the rows leave out, so trailing empty cells are
// omitted.
const chunkHead = `{"updateCells":{"rows":[`

// chunkTailMax bounds the bytes of a chunk's closing: sheetIds are below
// 2^31 and row indexes below 10^8 (the cell limit).
func chunkTailMax(cols int) int {
	return len(appendChunkTail(nil, 1<<31, 1e8, 1e8, int64(cols)))
}

// encodeRow appends table row n (0-based, below the header) as RowData JSON.
func encodeRow(b []byte, t Table, values []any, n int, id, tab string) ([]byte, error) {
	if len(values) > len(t.Columns) {
		return b, fmt.Errorf("google: write %q: row %d has %d values for %d columns", tab, n+2, len(values), len(t.Columns))
	}
	b = append(b, `{"values":[`...)
	end := len(b) // just after the last non-empty cell
	for j, v := range values {
		if j > 0 {
			b = append(b, ',')
		}
		at := len(b)
		var tooLong int
		var err error
		if b, tooLong, err = appendCell(b, v); err != nil {
			return b, fmt.Errorf("google: write %q: row %d column %q: %w", tab, n+2, t.Columns[j].Name, err)
		}
		if tooLong > 0 {
			return b, &TooLargeError{SpreadsheetID: id, Tab: tab, CellChars: tooLong,
				LimitCellChars: LimitCellChars, Row: n + 2, Column: t.Columns[j].Name}
		}
		if len(b)-at > len("{}") {
			end = len(b)
		}
	}
	return append(b[:end], "]}"...), nil
}

// batcher turns requests and encoded rows into batchUpdate bodies of at
// most MaxRequestBytes, sending a body whenever the next part would not
// fit. Consecutive rows of one tab share an updateCells request.
type batcher struct {
	w       *Writer
	ctx     context.Context
	id, tab string
	res     *WriteResult
	single  bool // everything must fit one body: a flush before the last is an error

	body    []byte // the batch being built: bodyHead and its requests so far
	nreq    int    // requests in body, an open chunk included
	reserve int    // bytes every batch keeps free for the final requests

	open    bool  // body ends inside an open chunk's rows
	sheet   int64 // tab of the open chunk
	chunkAt int64 // grid row of the open chunk's first row
	next    int64 // grid row the open chunk's next row would have
	cols    int64
	tailMax int

	// applied, when set, is asked before the next batch is retried after an
	// answer that may have been lost: it reports whether the batch was
	// applied anyway (then it is not sent again). It is cleared after each
	// batch.
	applied func() (bool, error)
}

func newBatcher(ctx context.Context, w *Writer, id, tab string, cols int, res *WriteResult) *batcher {
	b := &batcher{w: w, ctx: ctx, id: id, tab: tab, res: res, cols: int64(cols), tailMax: chunkTailMax(cols)}
	b.body = append(b.body, bodyHead...)
	return b
}

// add appends one encoded request, first sending the batch if the request
// would not fit beside the reserve.
func (b *batcher) add(req []byte) error {
	b.closeChunk()
	if b.nreq > 0 && len(b.body)+1+len(req)+len(bodyTail)+b.reserve > b.w.maxBytes {
		if err := b.flush(); err != nil {
			return err
		}
	}
	b.appendRequest(req)
	return nil
}

// addFinal appends a request to the last batch, using the reserve.
func (b *batcher) addFinal(req []byte) {
	b.closeChunk()
	b.appendRequest(req)
}

func (b *batcher) appendRequest(req []byte) {
	if b.nreq > 0 {
		b.body = append(b.body, ',')
	}
	b.body = append(b.body, req...)
	b.nreq++
}

// addRow appends an encoded row for grid row `row` of tab sheet to the open
// chunk if it continues it, else to a new chunk, sending the batch first
// when it is full.
func (b *batcher) addRow(sheet, row int64, rowJSON []byte) error {
	cont := b.open && b.sheet == sheet && b.next == row
	fixed := b.tailMax + len(bodyTail) + b.reserve
	need := 1 + len(rowJSON) // "," before the row
	if !cont {
		need = 1 + len(chunkHead) + len(rowJSON)
		if b.open {
			need += b.tailMax // the open chunk's closing
		}
	}
	if len(b.body)+need+fixed > b.w.maxBytes {
		if alone := len(bodyHead) + len(chunkHead) + len(rowJSON) + fixed; alone > b.w.maxBytes {
			return fmt.Errorf("google: write %q: row %d alone (%d bytes) exceeds MaxRequestBytes %d", b.tab, row+1, alone, b.w.maxBytes)
		}
		if err := b.flush(); err != nil {
			return err
		}
		cont = false
	}
	if cont {
		b.body = append(b.body, ',')
	} else {
		b.closeChunk()
		b.appendRequest([]byte(chunkHead))
		b.open, b.sheet, b.chunkAt, b.next = true, sheet, row, row
	}
	b.body = append(b.body, rowJSON...)
	b.next++
	return nil
}

// closeChunk ends the open chunk, if any, with its mask and range.
func (b *batcher) closeChunk() {
	if !b.open {
		return
	}
	b.body = appendChunkTail(b.body, b.sheet, b.chunkAt, b.next, b.cols)
	b.open = false
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
func (b *batcher) flush() error {
	if b.nreq == 0 {
		return nil
	}
	if b.single {
		b.single = false
		return fmt.Errorf("google: write %q: internal error: a one-batch write needs a second batch", b.tab)
	}
	b.closeChunk()
	body := append(b.body, bodyTail...)
	applied := b.applied
	b.applied = nil
	n, err := b.w.call(b.ctx, true, func() error {
		b.res.Bytes += int64(len(body))
		return b.w.batchUpdate(b.ctx, b.id, body)
	}, applied)
	b.res.Requests += n
	if err != nil {
		return b.w.classify(fmt.Sprintf("write %q: batch %d", b.tab, b.res.Chunks+1), b.id, err)
	}
	b.res.Chunks++
	// A fresh buffer: the transport may still hold the old one's reader.
	b.body = append(make([]byte, 0, len(body)), bodyHead...)
	b.nreq = 0
	return nil
}

// last sends the final batch, single or not.
func (b *batcher) last() error {
	b.single = false
	return b.flush()
}
