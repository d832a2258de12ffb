package google

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"hash/fnv"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"google.golang.org/api/googleapi"
)

// A person may sort a tab (Data › Sort range, or a basic filter's sort),
// type over cells or move columns: the cells change while the tab's
// sheetId, grid and developer metadata stay. Before an incremental write
// the writer therefore reads back, in one values.batchGet, the header row
// and the key columns (the Date and Text columns: in naversync the day and
// the names of a row) of the rows it means to keep, and compares each
// kept block with the check the previous write recorded for it
// (LayoutBlock.Check, a hash of the block's key cells). A header that
// differs (a column moved, inserted over or renamed) makes the write a
// full one; a block whose key cells differ (sorted away, typed over) is
// rewritten in place like a changed block, so a sort of the whole table
// rewrites it all and a sort of a few days only those days. The other
// columns (figures) are read, in the same request, only for the kept
// blocks whose turn it is (scrubDue: each block once in Config.ScrubDays
// days) and compared with LayoutBlock.Full: reading every figure at every
// write would cost more than the write (docs/design.md, "Verify before
// patching").

// keyColumns are the columns read back to verify a tab: the Date and Text
// columns, or the first column when there are none.
func keyColumns(cols []Column) []int {
	var out []int
	for i, c := range cols {
		if c.Type == Date || c.Type == Text {
			out = append(out, i)
		}
	}
	if len(out) == 0 {
		out = []int{0}
	}
	return out
}

// runs groups ascending column indexes into runs of adjacent columns
// [from, to).
func runs(cols []int) [][2]int {
	var out [][2]int
	for _, c := range cols {
		if n := len(out); n > 0 && out[n-1][1] == c {
			out[n-1][1]++
			continue
		}
		out = append(out, [2]int{c, c + 1})
	}
	return out
}

// blockHasher computes the checks of blocks from their rows' key cells.
type blockHasher struct {
	keys []int
	h    hash.Hash
	buf  []byte
}

func newBlockHasher(cols []Column) *blockHasher {
	return &blockHasher{keys: keyColumns(cols), h: sha256.New()}
}

// cell adds one key cell, in the form the writer sends it (a value read
// back from Google hashes the same as the value written).
func (b *blockHasher) cell(v any) {
	if s, ok := v.(string); ok {
		v = strings.ToValidUTF8(s, "\uFFFD") // as appendString sends it
	}
	var err error
	b.buf, _, err = appendCell(b.buf[:0], v)
	if err != nil {
		b.buf = append(b.buf[:0], fmt.Sprintf("%T", v)...)
	}
	b.h.Write(b.buf)
}

// row adds a table row's key cells.
func (b *blockHasher) row(values []any) {
	for _, k := range b.keys {
		var v any
		if k < len(values) {
			v = values[k]
		}
		b.cell(v)
	}
	b.h.Write([]byte{'\n'})
}

// sum ends a block and starts the next.
func (b *blockHasher) sum() string {
	s := hex.EncodeToString(b.h.Sum(nil))[:16]
	b.h.Reset()
	return s
}

// emptyCheck is the check of a block without rows.
var emptyCheck = newBlockHasher(nil).sum()

// readBack reads, in one values.batchGet, the status tab's first column
// (x.statusRow) and, when verify is set, what proves that the tab still
// holds, where prev says, the blocks of x.t an incremental write would
// keep: the header and the key cells of their rows. It returns why a full
// write is needed ("" if none) and marks the blocks whose key cells differ
// as changed in x.t.
func (x *tableWrite) readBack(prev *Layout, verify bool) (string, error) {
	x.statusRow = 1
	rp := x.planRead(prev, verify)
	ranges := rp.ranges
	why := ""
	if rp.noChecks {
		why = "the previous layout has no checks"
	}
	if len(ranges) == 0 {
		return why, nil
	}
	var got [][][]any
	if pre := x.pre; pre != nil && len(rp.spans) <= len(pre.spans) && slices.Equal(rp.spans, pre.spans[:len(rp.spans)]) {
		got = pre.got[:len(rp.spans)] // read with the tabs (readFolded)
	} else {
		if pre != nil {
			x.log.DebugContext(x.ctx, "google: the folded read guessed other ranges; reading them", "guessed", len(pre.spans), "needed", len(rp.spans))
		}
		var err error
		got, err = x.w.batchGetColumns(x.ctx, x.id, ranges, x.res)
		if err != nil {
			return "", x.w.classify(fmt.Sprintf("write %q: read the status tab and the tab", x.tab), x.id, err)
		}
	}
	return x.checkBack(prev, rp, got, why)
}

// span is a range read back: rows [r0, r1) x columns [c0, c1) of tab sheet
// (r1 < 0: to the grid's end).
type span struct {
	sheet          int64
	r0, r1, c0, c1 int
}

// readPlan is what readBack reads (ranges in A1, spans by sheetId) and
// what it needs to check the answer.
type readPlan struct {
	ranges   []string
	spans    []span
	first    int          // the verification's first range
	keep     map[int]bool // prev's blocks t keeps unchanged
	start    []int        // table row of each of prev's blocks
	lo, hi   int          // the rows of the blocks kept
	noChecks bool
	scrub    []int // prev's kept blocks whose every value is read (scrubDue)
	keyRuns  [][2]int
	verify   bool
}

// planRead plans readBack's read: the status tab's first column and, when
// verify is set, the header, the key columns of the kept blocks and the
// scrubbed blocks of the target.
func (x *tableWrite) planRead(prev *Layout, verify bool) readPlan {
	var ranges []string
	var spans []span
	if x.info.status != nil {
		ranges = append(ranges, statusRange(x.info.status))
		spans = append(spans, span{x.info.status.SheetId, 0, -1, 0, 1})
	}
	first := len(ranges)         // the verification's first range
	held := make(map[string]int) // key -> index in prev
	keep := make(map[int]bool)   // prev's blocks t keeps unchanged
	var start []int              // table row of each of prev's blocks
	lo, hi := -1, -1             // the rows of the blocks kept
	noChecks := false
	var scrub []int // prev's kept blocks whose every value is read (scrubDue)
	keyRuns := runs(keyColumns(x.t.Columns))
	if verify {
		start = make([]int, len(prev.Blocks)+1)
		for i, b := range prev.Blocks {
			held[b.Key] = i
			start[i+1] = start[i] + b.Rows
		}
		for _, b := range x.t.Blocks {
			i, ok := held[b.Key]
			if !ok || b.Changed || b.Rows == 0 || prev.Blocks[i].Rows != b.Rows {
				continue
			}
			if prev.Blocks[i].Check == "" {
				verify, noChecks = false, true
				break
			}
			keep[i] = true
			if lo < 0 || start[i] < lo {
				lo = start[i]
			}
			hi = max(hi, start[i+1])
		}
		if verify {
			tid := x.info.target.SheetId
			add := func(r0, r1, c0, c1 int) {
				ranges = append(ranges, a1Range(x.tab, r0, r1, c0, c1))
				spans = append(spans, span{tid, r0, r1, c0, c1})
			}
			add(0, 1, 0, len(x.t.Columns))
			if lo >= 0 {
				for _, r := range keyRuns {
					add(lo+1, hi+1, r[0], r[1])
				}
			}
			for i, b := range prev.Blocks {
				if keep[i] && b.Full != "" && x.w.scrubDue(b.Key) {
					scrub = append(scrub, i)
					add(start[i]+1, start[i+1]+1, 0, len(x.t.Columns))
				}
			}
		}
	}
	return readPlan{ranges: ranges, spans: spans, first: first, keep: keep, start: start, lo: lo, hi: hi,
		noChecks: noChecks, scrub: scrub, keyRuns: keyRuns, verify: verify}
}

// checkBack checks readBack's answer got (see readBack).
func (x *tableWrite) checkBack(prev *Layout, rp readPlan, got [][][]any, why string) (string, error) {
	ranges, first, keep, start, lo, scrub, keyRuns, verify := rp.ranges, rp.first, rp.keep, rp.start, rp.lo, rp.scrub, rp.keyRuns, rp.verify
	var err error
	if len(got) != len(ranges) {
		return "", fmt.Errorf("google: write %q: read %d ranges, asked %d", x.tab, len(got), len(ranges))
	}
	if x.info.status != nil {
		var col []any
		if len(got[0]) > 0 {
			col = got[0][0]
		}
		// A renamed tab's row is taken over under its new title.
		x.statusRow = statusRowOf(col, x.tab, x.asked)
	}
	if !verify {
		return why, nil
	}
	got = got[first:]
	hasher := newBlockHasher(nil)
	canon := func(v any) string {
		hasher.cell(v)
		return string(hasher.buf)
	}
	for i, name := range x.names {
		var v any
		if i < len(got[0]) && len(got[0][i]) > 0 {
			v = got[0][i][0]
		}
		if canon(v) != canon(name) {
			return "the header differs (columns moved, inserted or renamed)", nil
		}
	}
	hasher.h.Reset() // canon wrote to it
	if lo < 0 {
		return "", nil
	}
	// column[k] holds key column k's cells of rows [lo, hi).
	var column [][]any
	for j, r := range keyRuns {
		for c := range r[1] - r[0] {
			var vs []any
			if c < len(got[1+j]) {
				vs = got[1+j][c]
			}
			column = append(column, vs)
		}
	}
	at := func(k, row int) any {
		if vs := column[k]; row-lo < len(vs) {
			return vs[row-lo]
		}
		return nil
	}
	displaced := map[string]bool{}
	// Every value of the scrubbed blocks, encoded as the writer encodes a row.
	full := sha256.New()
	var values []any
	var enc []byte
	for j, i := range scrub {
		cols := got[1+len(keyRuns)+j]
		for r := range prev.Blocks[i].Rows {
			values = values[:0]
			for c := range x.t.Columns {
				var v any
				if c < len(cols) && r < len(cols[c]) {
					v = cols[c][r]
				}
				values = append(values, v)
			}
			if enc, err = encodeRow(enc[:0], x.t, values, start[i]+r, x.id, x.tab); err != nil {
				enc = append(enc[:0], err.Error()...) // cannot be what was written
			}
			full.Write(enc)
		}
		if fullSum(full) != prev.Blocks[i].Full {
			displaced[prev.Blocks[i].Key] = true
		}
	}
	for i, b := range prev.Blocks {
		if !keep[i] {
			continue
		}
		for r := start[i]; r < start[i+1]; r++ {
			for k := range column {
				hasher.cell(at(k, r))
			}
			hasher.h.Write([]byte{'\n'})
		}
		if hasher.sum() != b.Check {
			displaced[b.Key] = true
		}
	}
	if len(displaced) > 0 {
		x.log.WarnContext(x.ctx, "google: days of the tab are not where the previous write left them (sorted or typed over); rewriting them",
			"days", len(displaced), "days_kept", len(keep), "days_read_in_full", len(scrub))
		blocks := slices.Clone(x.t.Blocks)
		for i := range blocks {
			if displaced[blocks[i].Key] {
				blocks[i].Changed = true
			}
		}
		x.t.Blocks = blocks
	}
	return "", nil
}

// scrubDue reports whether every value of the block with key is read back
// at this write: once in w.scrub days, on the day its key hashes to.
func (w *Writer) scrubDue(key string) bool {
	if w.scrub <= 0 {
		return false
	}
	h := fnv.New32a()
	h.Write([]byte(key))
	day := w.now().Unix() / 86400
	return int64(h.Sum32())%int64(w.scrub) == day%int64(w.scrub)
}

// a1Range is rows [r0, r1) x columns [c0, c1) of tab in A1 notation.
func a1Range(tab string, r0, r1, c0, c1 int) string {
	return fmt.Sprintf("'%s'!%s%d:%s%d", strings.ReplaceAll(tab, "'", "''"), columnLetters(c0), r0+1, columnLetters(c1-1), r1)
}

// columnLetters is column c's A1 name (0: A, 26: AA).
func columnLetters(c int) string {
	var b []byte
	for c++; c > 0; c = (c - 1) / 26 {
		b = append([]byte{byte('A' + (c-1)%26)}, b...)
	}
	return string(b)
}

// batchGetColumns reads ranges with values.batchGet, column-major and
// unformatted (dates as serial numbers): for each range, its columns'
// values, trailing empty cells left out. The answer is asked gzipped, as
// Google sends it when the User-Agent says "gzip"; res counts the bytes
// received (ReadBytes) and their size unzipped (ReadRawBytes).
func (w *Writer) batchGetColumns(ctx context.Context, id string, ranges []string, res *WriteResult) ([][][]any, error) {
	u, err := url.Parse(googleapi.ResolveRelative(w.base, "v4/spreadsheets/{spreadsheetId}/values:batchGet"))
	if err != nil {
		return nil, fmt.Errorf("batchGet url: %w", err)
	}
	googleapi.Expand(u, map[string]string{"spreadsheetId": id})
	q := url.Values{"ranges": ranges, "majorDimension": {"COLUMNS"}, "valueRenderOption": {"UNFORMATTED_VALUE"},
		"fields": {"valueRanges(values)"}, "alt": {"json"}, "prettyPrint": {"false"}}
	u.RawQuery = q.Encode()
	var out struct {
		ValueRanges []struct {
			Values [][]any `json:"values"`
		} `json:"valueRanges"`
	}
	n, err := w.call(ctx, false, func() error {
		out.ValueRanges = nil
		return w.readGzipped(ctx, "batchGet", http.MethodGet, u.String(), nil, &out, res)
	}, nil)
	res.Requests += n
	if err != nil {
		return nil, err
	}
	got := make([][][]any, len(out.ValueRanges))
	for i, vr := range out.ValueRanges {
		got[i] = vr.Values
	}
	return got, nil
}

// readGzipped sends a request whose answer Google gzips (the request
// accepts gzip and its User-Agent says so) and decodes the answer into out;
// res counts the bytes received (ReadBytes) and their size unzipped
// (ReadRawBytes).
func (w *Writer) readGzipped(ctx context.Context, what, method, url string, body []byte, out any, res *WriteResult) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return fmt.Errorf("%s request: %w", what, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", googleapi.UserAgent+" naversync (gzip)")
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := w.hc.Do(req)
	if err != nil {
		return err
	}
	defer googleapi.CloseBody(resp)
	if err := googleapi.CheckResponse(resp); err != nil {
		return err
	}
	wire := &countingReader{r: resp.Body}
	var ans io.Reader = wire
	if strings.EqualFold(resp.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(wire)
		if err != nil {
			return fmt.Errorf("%s answer: %w", what, err)
		}
		ans = zr
	}
	raw := &countingReader{r: ans}
	err = json.NewDecoder(raw).Decode(out)
	if err == nil {
		_, err = io.Copy(io.Discard, raw) // count the whole answer
	}
	res.ReadBytes += wire.n
	res.ReadRawBytes += raw.n
	if err != nil {
		return fmt.Errorf("%s answer: %w", what, err)
	}
	return nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// blockChecks computes the checks of the blocks a write sends, from their
// rows as they are encoded (ascending table rows): Check from the key
// cells, Full from the encoded rows.
type blockChecks struct {
	h      *blockHasher
	full   hash.Hash
	fulls  []string
	blocks []Block
	bi     int // block holding the last row seen
	end    int // table row after block bi
	open   int // block being hashed, -1: none
	sums   []string
}

func newBlockChecks(t Table) *blockChecks {
	return &blockChecks{h: newBlockHasher(t.Columns), full: sha256.New(), blocks: t.Blocks, bi: -1, open: -1,
		sums: make([]string, len(t.Blocks)), fulls: make([]string, len(t.Blocks))}
}

// row adds table row n, which is sent, with its encoding.
func (c *blockChecks) row(n int, values []any, encoded []byte) {
	for n >= c.end {
		if c.bi+1 >= len(c.blocks) {
			return // no blocks
		}
		c.bi++
		c.end += c.blocks[c.bi].Rows
	}
	if c.open != c.bi {
		c.close()
		c.open = c.bi
	}
	c.h.row(values)
	c.full.Write(encoded)
}

func (c *blockChecks) close() {
	if c.open >= 0 {
		c.sums[c.open] = c.h.sum()
		c.fulls[c.open] = fullSum(c.full)
		c.open = -1
	}
}

// fullSum ends a block's Full hash and starts the next.
func fullSum(h hash.Hash) string {
	s := hex.EncodeToString(h.Sum(nil))[:16]
	h.Reset()
	return s
}

// fill sets the checks of l's blocks: computed for the blocks sent, taken
// from prev for the blocks kept (verified before the write).
func (c *blockChecks) fill(l *Layout, prev *Layout) {
	c.close()
	kept := map[string]LayoutBlock{}
	if prev != nil {
		for _, b := range prev.Blocks {
			kept[b.Key] = b
		}
	}
	for i := range l.Blocks {
		b := &l.Blocks[i]
		switch {
		case i < len(c.sums) && c.sums[i] != "":
			b.Check, b.Full = c.sums[i], c.fulls[i]
		case b.Rows == 0:
			b.Check, b.Full = emptyCheck, emptyCheck
		default:
			b.Check, b.Full = kept[b.Key].Check, kept[b.Key].Full
		}
	}
}
