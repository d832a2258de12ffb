package google

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"google.golang.org/api/sheets/v4"
)

// A tab written by the writer carries a developer-metadata entry (invisible
// to users, changed atomically with the batch that changes the tab) whose
// value is "<layout hash>/<write nonce>". An incremental write needs the
// hash to equal the caller's previous Layout: a tab changed by an earlier
// write whose answer was lost, or written by a replica from an older
// Layout, is rewritten in full instead of patched at wrong rows. The nonce
// tells whether a batch whose answer was lost was applied.
const (
	layoutKey = "naversync.layout"
	// writingToken marks a tab being written in place over several batches
	// (its content is mixed until the last one).
	writingToken = "writing"
)

// columnsFingerprint identifies the columns' names and types.
func columnsFingerprint(cols []Column) string {
	h := sha256.New()
	for _, c := range cols {
		fmt.Fprintf(h, "%q %d\n", c.Name, c.Type)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// layoutHash identifies a layout.
func layoutHash(l Layout) string {
	h := sha256.New()
	fmt.Fprintf(h, "%d\n%s\n", l.SheetID, l.Columns)
	for _, b := range l.Blocks {
		fmt.Fprintf(h, "%q %d\n", b.Key, b.Rows)
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// newToken is the metadata value for a write leaving layout l.
func newToken(l Layout) string {
	return layoutHash(l) + "/" + rand.Text()[:10]
}

// tokenHash is the layout hash part of a token ("" for none).
func tokenHash(token string) string {
	h, _, _ := strings.Cut(token, "/")
	return h
}

// region is a run of table rows [from, to) that a write sends; grid rows
// are one more (the header is row 0).
type region struct{ from, to int }

// plan is what one write does to the tab.
type plan struct {
	// incremental: only regions are sent, the rest of the tab stays; ops
	// move it into place. Otherwise the whole table is written.
	incremental bool
	// keep is the number of Table.Blocks kept (the rest are dropped for the
	// cell limit); 0 without blocks.
	keep int
	// rows is the number of table rows kept.
	rows int
	// regions are the table rows sent, ascending and disjoint; sent counts them.
	regions []region
	sent    int
	// ops are the incremental row deletions then insertions, in grid
	// coordinates, in the order they must be applied.
	ops []*sheets.Request
}

// gridRows is the target's row count after the write: the header and the
// rows, at least 2 (a frozen header may not cover the whole grid).
func (p plan) gridRows() int { return max(p.rows+1, 2) }

// layout is what the tab holds after the write.
func (p plan) layout(sheetID int64, fingerprint string, t Table) Layout {
	l := Layout{SheetID: sheetID, Columns: fingerprint}
	for _, b := range t.Blocks[:p.keep] {
		l.Blocks = append(l.Blocks, LayoutBlock{Key: b.Key, Rows: b.Rows})
	}
	return l
}

// dropped lists the keys of the blocks left out, oldest first.
func (p plan) dropped(t Table) []string {
	var out []string
	for i := len(t.Blocks) - 1; i >= p.keep; i-- {
		out = append(out, t.Blocks[i].Key)
	}
	return out
}

// cursor walks a plan's regions for ascending table rows.
type cursor struct {
	regions []region
	i       int
	packed  int // rows of the regions before regions[i]
}

// at reports whether table row n is sent, and its index among the sent
// rows. Calls must come with ascending n.
func (c *cursor) at(n int) (sent bool, packed int) {
	for c.i < len(c.regions) && c.regions[c.i].to <= n {
		c.packed += c.regions[c.i].to - c.regions[c.i].from
		c.i++
	}
	if c.i < len(c.regions) && c.regions[c.i].from <= n {
		return true, c.packed + n - c.regions[c.i].from
	}
	return false, 0
}

// planFull writes the first keep blocks (all rows without blocks).
func planFull(t Table, keep int) plan {
	p := plan{keep: keep, rows: t.NumRows}
	if len(t.Blocks) > 0 {
		p.rows = 0
		for _, b := range t.Blocks[:keep] {
			p.rows += b.Rows
		}
	}
	if p.rows > 0 {
		p.regions, p.sent = []region{{0, p.rows}}, p.rows
	}
	return p
}

// planIncremental turns the tab from prev into the first keep blocks of t,
// leaving unchanged blocks where they are (they are moved by the
// insertions and deletions around them, never sent again).
//
// Anchors are the kept blocks that are unchanged, have rows, and are held
// by prev with the same row count, in prev's order. Between two anchors (and
// before the first, after the last) lies a gap: prev's rows there are
// overwritten in place by the new rows of the gap as far as they go, the
// rest deleted or the missing rows inserted at the gap's end. So a refresh
// of the newest days overwrites the top rows, inserts the rows of a new day
// (or a day that grew) and deletes the rows of a day that left, and no other
// row moves or is sent. Without an anchor with rows it is a full write.
func planIncremental(prev *Layout, t Table, keep int) plan {
	blocks := t.Blocks[:keep]
	start := make([]int, len(blocks)+1) // table row of each new block
	for i, b := range blocks {
		start[i+1] = start[i] + b.Rows
	}
	rows := start[len(blocks)]
	type held struct{ idx, rows int }
	prevStart := make([]int, len(prev.Blocks)+1)
	byKey := make(map[string]held, len(prev.Blocks))
	for i, b := range prev.Blocks {
		prevStart[i+1] = prevStart[i] + b.Rows
		byKey[b.Key] = held{i, b.Rows}
	}
	type anchor struct{ ni, pi int }
	var anchors []anchor
	last := -1
	for i, b := range blocks {
		h, ok := byKey[b.Key]
		if b.Changed || b.Rows == 0 || !ok || h.rows != b.Rows || h.idx <= last {
			continue
		}
		anchors = append(anchors, anchor{i, h.idx})
		last = h.idx
	}
	if rows == 0 || len(anchors) == 0 || prevStart[len(prev.Blocks)] == 0 {
		return planFull(t, keep)
	}

	type gap struct{ oldStart, oldN, newStart, newN, anchorRows, afterDelete int }
	gaps := make([]gap, 0, len(anchors)+1)
	pi, ni := 0, 0
	for k := 0; k <= len(anchors); k++ {
		pe, ne, ar := len(prev.Blocks), len(blocks), 0
		if k < len(anchors) {
			pe, ne, ar = anchors[k].pi, anchors[k].ni, blocks[anchors[k].ni].Rows
		}
		gaps = append(gaps, gap{oldStart: prevStart[pi], oldN: prevStart[pe] - prevStart[pi],
			newStart: start[ni], newN: start[ne] - start[ni], anchorRows: ar})
		pi, ni = pe+1, ne+1
	}

	p := plan{incremental: true, keep: keep, rows: rows}
	dim := func(r0, r1 int) *sheets.DimensionRange {
		return &sheets.DimensionRange{Dimension: "ROWS", StartIndex: int64(r0), EndIndex: int64(r1)}
	}
	// Deletions bottom-up, in prev's grid rows: a deletion never moves the
	// rows above it. They come before the insertions so that the tab never
	// holds more cells than before or after the write.
	for k := len(gaps) - 1; k >= 0; k-- {
		if g := gaps[k]; g.oldN > g.newN {
			at := 1 + g.oldStart + g.newN
			p.ops = append(p.ops, &sheets.Request{DeleteDimension: &sheets.DeleteDimensionRequest{
				Range: dim(at, at+g.oldN-g.newN)}})
		}
	}
	at := 1
	for k := range gaps {
		gaps[k].afterDelete = at
		at += min(gaps[k].oldN, gaps[k].newN) + gaps[k].anchorRows
	}
	// Insertions bottom-up, in the grid rows left by the deletions. New rows
	// take the row properties of the data row above (of the one below under
	// the header); their formats are set anyway.
	for k := len(gaps) - 1; k >= 0; k-- {
		if g := gaps[k]; g.newN > g.oldN {
			at := g.afterDelete + g.oldN
			p.ops = append(p.ops, &sheets.Request{InsertDimension: &sheets.InsertDimensionRequest{
				Range: dim(at, at+g.newN-g.oldN), InheritFromBefore: at > 1}})
		}
	}
	for _, g := range gaps {
		if g.newN > 0 {
			p.regions = append(p.regions, region{g.newStart, g.newStart + g.newN})
			p.sent += g.newN
		}
	}
	return p
}

// withSheet sets the sheetId of a plan's ops (planned before the tab is known).
func withSheet(ops []*sheets.Request, sheetID int64) []*sheets.Request {
	out := make([]*sheets.Request, len(ops))
	for i, op := range ops {
		c := *op
		switch {
		case c.DeleteDimension != nil:
			d := *c.DeleteDimension
			r := *d.Range
			r.SheetId = sheetID
			d.Range = &r
			c.DeleteDimension = &d
		case c.InsertDimension != nil:
			d := *c.InsertDimension
			r := *d.Range
			r.SheetId = sheetID
			d.Range = &r
			c.InsertDimension = &d
		}
		out[i] = &c
	}
	return out
}

// capacity is what Google's cell limit leaves for a write.
type capacity struct {
	other      int64 // cells of the tabs other than the target, status and a stale staging tab
	statusOld  int64 // cells of the status tab before and after the write
	statusNew  int64
	targetOld  int64 // cells of the target before the write (0 if missing)
	cols       int64
	newTab     bool // the target does not exist yet
	limitCells int64
}

// needed is the most cells the spreadsheet holds at any point of a write
// of p, given the order of the writer's requests: the stale staging tab is
// deleted first; the target changes before the status tab grows; a staging
// tab exists from the first batch until the target has been changed. A
// staging tab for a new target becomes the target (renamed), else it holds
// only the rows sent and a row of formats.
func (c capacity) needed(p plan, staged bool) int64 {
	tNew := int64(p.gridRows()) * c.cols
	switch {
	case !staged:
		return c.other + max(c.statusOld+max(c.targetOld, tNew), c.statusNew+tNew)
	case c.newTab:
		return c.other + max(c.statusOld, c.statusNew) + tNew
	}
	z := int64(p.sent+1) * c.cols
	return c.other + max(c.statusOld+z+max(c.targetOld, tNew), c.statusNew+tNew)
}

// fit returns the plan keeping the most blocks whose write fits the cell
// limit (all rows without blocks); false if none fits. needed grows with
// the blocks kept, so the largest fitting prefix is found by bisection.
func (c capacity) fit(t Table, prev *Layout, incremental, staged bool) (plan, bool) {
	planOf := func(keep int) plan {
		if incremental {
			return planIncremental(prev, t, keep)
		}
		return planFull(t, keep)
	}
	if len(t.Blocks) == 0 {
		p := planOf(0)
		return p, c.needed(p, staged) <= c.limitCells
	}
	if p := planOf(len(t.Blocks)); c.needed(p, staged) <= c.limitCells {
		return p, true
	}
	lo, hi := -1, len(t.Blocks) // needed(lo) fits (or lo == -1), needed(hi) does not
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if c.needed(planOf(mid), staged) <= c.limitCells {
			lo = mid
		} else {
			hi = mid
		}
	}
	if lo < 0 {
		return plan{}, false
	}
	return planOf(lo), true
}
