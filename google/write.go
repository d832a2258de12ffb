package google

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"unicode/utf8"

	"google.golang.org/api/sheets/v4"
)

// cellFields is the updateCells mask: every written cell's value and format
// are replaced (an empty CellData clears both).
const cellFields = "userEnteredValue,userEnteredFormat"

// stagingKey marked a staging tab before owners (developer metadata, value:
// the lower-cased title of the tab it is for); such markers are still
// recognised, and written when a Table has no Owner. See staging.go.
const stagingKey = "naversync.staging"

// tabInfo is what the writer learned about a spreadsheet's tabs.
type tabInfo struct {
	target, status *sheets.SheetProperties
	// staging are the stale staging tabs of this write's owner (or, by an
	// old marker, of its tab), left by failed writes: the write deletes them.
	staging []*sheets.SheetProperties
	// marked are the staging tabs found, any owner's; claimStaging picks
	// this write's and counts the others in otherCells.
	marked []stagingTab
	// tabs are every tab's title and cells, for the cell usage report.
	tabs       []tabCells
	otherCells int64
	used       map[int64]bool  // sheetIds
	usedMeta   map[int64]bool  // developer metadata ids
	titles     map[string]bool // lower-cased tab titles
	// token is the target's layout token and tokenID its metadata id (0: none).
	token   string
	tokenID int64
	// sheets are all the tabs, by sheetId.
	sheets map[int64]*sheets.Sheet
	// newStatus is the sheetId a status tab the write creates gets.
	newStatus int64
}

// WriteTable replaces tab's content in spreadsheetID with t and records st in
// the status tab: WriteTableFrom without a previous layout, so the whole
// table is written.
func (w *Writer) WriteTable(ctx context.Context, spreadsheetID, tab string, t Table, st Status) (WriteResult, error) {
	return w.WriteTableFrom(ctx, spreadsheetID, tab, nil, t, st)
}

// WriteTableFrom makes tab in spreadsheetID hold t and records st in the
// status tab. prev is the Layout the previous write returned for this tab
// (nil if unknown).
//
// The tab keeps its sheetId (charts, filters and formulas that point at it
// survive); it is created if missing, its header is bold and frozen and its
// grid holds exactly the table (NumRows+1 rows, at least 2, and
// len(Columns) columns).
//
// When t has Blocks and the tab is as prev left it (same sheetId, columns
// fingerprint and grid, and the layout the writer recorded on the tab
// matches prev), the write is incremental: only the rows of changed and new
// blocks are sent, overwriting the rows of the blocks they replace in place,
// with rows inserted or deleted where a block grew, shrank, appeared or
// left; unchanged blocks are neither sent nor touched, and their rows are
// only consumed from t.Rows. Otherwise the whole table is written. Before
// an incremental write the tab's header and the key cells (Date and Text
// columns) of the blocks it keeps are read back and compared with prev's
// checks (verify.go): a block that differs — sorted or typed over by a
// person — is written again like a changed one, a header that differs
// makes the write a full one. A tab no longer found by its title is found
// by prev.SheetID (a person renamed it): it is written under its new
// title, which WriteResult.Tab returns.
//
// Readers see the old table or the new one, never a mix: a write that fits
// in one request (MaxRequestBytes) is one atomic batchUpdate; a bigger one
// is built in a hidden staging tab over several batchUpdates and moved into
// the tab by one last batchUpdate (rows resized, inserted or deleted, the
// staging rows copied over in place, the staging tab deleted, the status
// row written). A failure before that leaves the tab as it was; the stale
// staging tab is deleted by the next write.
//
// Google's cell limit counts the staging tab while it exists. When t has
// Blocks and does not fit, its last (oldest) blocks are left out until it
// does; WriteResult.Dropped names them and the status row's note says so.
// Without Blocks a table that does not fit at all is a *TooLargeError, and
// one that fits only without a staging tab is written in place over several
// batches (readers may then see it half written).
func (w *Writer) WriteTableFrom(ctx context.Context, spreadsheetID, tab string, prev *Layout, t Table, st Status) (WriteResult, error) {
	var res WriteResult
	if err := w.validate(spreadsheetID, tab, t); err != nil {
		return res, err
	}
	unlock, err := w.lock(ctx, spreadsheetID)
	if err != nil {
		return res, fmt.Errorf("google: write %q: %w", tab, err)
	}
	defer unlock()
	for fold := w.foldable(spreadsheetID, prev); ; fold = false {
		folded, err := w.writeTable(ctx, spreadsheetID, tab, prev, t, st, &res, fold)
		if err != nil && folded && badRequest(err) {
			// Planned on the tabs the previous write knew, Google refused
			// it: a tab a person added since (the cell limit) or an id
			// taken may be why. Planned again on the whole spreadsheet
			// (a staging tab the refused write left is deleted).
			w.log.WarnContext(ctx, "google: a write planned on a folded read was refused; reading the whole spreadsheet and writing again",
				"spreadsheet_id", spreadsheetID, "tab", tab, "error", err)
			w.unfold.Store(spreadsheetID, true)
			continue
		}
		if err == nil && !folded {
			w.unfold.Delete(spreadsheetID)
		}
		return res, err
	}
}

// writeTable is WriteTableFrom under the spreadsheet's lock; fold lets it
// read in one request (readFolded), which folded reports.
func (w *Writer) writeTable(ctx context.Context, spreadsheetID, tab string, prev *Layout, t Table, st Status, res *WriteResult, fold bool) (folded bool, err error) {
	x := &tableWrite{w: w, ctx: ctx, id: spreadsheetID, tab: tab, asked: tab, t: t, st: st, res: res,
		log: w.log.With("spreadsheet_id", spreadsheetID, "tab", tab, "sync_id", st.SyncID)}
	if fold {
		if folded, err = x.readFolded(prev); err != nil {
			return false, err
		}
		x.folded = folded
	}
	if !folded {
		if x.info, err = w.readTabs(ctx, spreadsheetID, tab, res); err != nil {
			return false, err
		}
	}
	x.info.claimStaging(t.Owner, tab)
	x.followRename(prev)
	if prev != nil && x.info.target != nil && x.info.target.SheetId != prev.SheetID && x.info.tokenID == 0 {
		// naversync's tab is gone and another has its title: a person's, to be
		// replaced only with their consent when it holds values.
		tc, err := w.TabHoldsForeignData(ctx, spreadsheetID, tab)
		res.Requests += tc.Requests
		if err != nil {
			return folded, err
		}
		if tc.Foreign() {
			return folded, fmt.Errorf("google: write %q (sheetId %d, was %d; %s holds a value): %w", tab, tc.SheetID, prev.SheetID, tc.FirstCell, ErrTabReplaced)
		}
	}
	res.Tab = x.tab
	return folded, x.run(prev)
}

// followRename finds the tab by prev's sheetId when no tab has its title,
// or when the tab that has it is another one without the writer's layout
// record (a person renamed naversync's tab and made a tab of their own
// under its old title, which is left alone): a person renamed it. The
// write then goes to that tab, under its new title. Only a tab carrying
// the writer's layout token is followed.
func (x *tableWrite) followRename(prev *Layout) {
	if prev == nil {
		return
	}
	taken := x.info.target
	if taken != nil && (taken.SheetId == prev.SheetID || x.info.tokenID != 0) {
		return
	}
	sh := x.info.sheets[prev.SheetID]
	if sh == nil || x.info.status != nil && x.info.status.SheetId == prev.SheetID {
		return
	}
	for _, s := range x.info.staging {
		if s.SheetId == prev.SheetID {
			return
		}
	}
	for _, m := range sh.DeveloperMetadata {
		if m.MetadataKey == layoutKey {
			x.info.token, x.info.tokenID = m.MetadataValue, m.MetadataId
			break
		}
	}
	if x.info.tokenID == 0 {
		return
	}
	p := sh.Properties
	if taken != nil {
		x.log.WarnContext(x.ctx, "google: a tab naversync did not write has the tab's old title; left alone", "sheet_id", taken.SheetId)
		x.info.otherCells += taken.GridProperties.RowCount * taken.GridProperties.ColumnCount
	}
	x.log.WarnContext(x.ctx, "google: the tab was renamed by a person; writing it under its new title", "new_title", p.Title)
	x.info.target = p
	x.info.otherCells -= p.GridProperties.RowCount * p.GridProperties.ColumnCount
	x.tab = p.Title
	x.log = x.log.With("renamed_to", p.Title)
}

// tableWrite is one WriteTableFrom call.
type tableWrite struct {
	w       *Writer
	ctx     context.Context
	id, tab string
	asked   string // the tab argument (tab becomes a renamed tab's new title)
	t       Table
	st      Status
	res     *WriteResult
	log     *slog.Logger
	// pre is what readFolded read of the cells readBack reads (nil: none);
	// folded: the tabs were read by readFolded.
	pre    *preRead
	folded bool

	info                   tabInfo
	statusRow              int
	statusRows, statusCols int64
	fingerprint            string
	names                  []string
	cap                    capacity
	incremental            bool // the tab is as prev left it

	targetID  int64 // the target's sheetId, or the one a new target gets
	stagingID int64
	metaID    int64 // a fresh developer metadata id
	stageMeta int64 // the staging tab's marker's metadata id

	// directToken and stagedToken are the layout tokens the last
	// directRequests and startStaged set; directFinals counts the final
	// requests at the end of directRequests' list.
	directToken, stagedToken string
	directFinals             int
}

// rowBuf holds the rows encoded while the write may still fit one request.
type rowBuf struct {
	data  []byte
	rows  []bufRow
	bytes int // what the rows and their updateCells take in a body
}

type bufRow struct{ n, end int }

func (b *rowBuf) add(n int, row []byte, tailMax int) {
	if len(b.rows) == 0 || b.rows[len(b.rows)-1].n != n-1 {
		b.bytes += 1 + len(chunkHead) + tailMax
	}
	b.data = append(b.data, row...)
	b.rows = append(b.rows, bufRow{n, len(b.data)})
	b.bytes += 1 + len(row)
}

// each calls fn for the buffered rows, ascending.
func (b *rowBuf) each(fn func(n int, row []byte) error) error {
	start := 0
	for _, r := range b.rows {
		if err := fn(r.n, b.data[start:r.end]); err != nil {
			return err
		}
		start = r.end
	}
	return nil
}

// reqs is a list of encoded requests.
type reqs [][]byte

func (r reqs) bytes() int {
	n := 0
	for _, b := range r {
		n += 1 + len(b)
	}
	return n
}

func (x *tableWrite) encode(rs ...*sheets.Request) (reqs, error) {
	out := make(reqs, 0, len(rs))
	for _, r := range rs {
		b, err := marshalRequest(r)
		if err != nil {
			return nil, fmt.Errorf("google: write %q: %w", x.tab, err)
		}
		out = append(out, b)
	}
	return out, nil
}

// run plans and performs the write.
func (x *tableWrite) run(prev *Layout) error {
	t, info := x.t, x.info
	cols := len(t.Columns)
	x.fingerprint = columnsFingerprint(t.Columns)
	x.names = make([]string, cols)
	for i, c := range t.Columns {
		x.names[i] = c.Name
	}
	var why string
	x.incremental, why = x.canIncrement(prev)
	// One read: the status tab's row for the tab and, before an
	// incremental write, what verifies the tab.
	if v, err := x.readBack(prev, x.incremental); err != nil {
		return err
	} else if x.incremental {
		x.incremental, why = v == "", v
		t = x.t // displaced blocks are marked changed
	}
	x.statusRows, x.statusCols = int64(max(x.statusRow+1, 2)), int64(len(statusHeader()))
	statusOld := int64(0)
	if s := info.status; s != nil {
		statusOld = s.GridProperties.RowCount * s.GridProperties.ColumnCount
		x.statusRows = max(x.statusRows, s.GridProperties.RowCount)
		x.statusCols = max(x.statusCols, s.GridProperties.ColumnCount)
	}
	x.cap = capacity{other: info.otherCells, statusOld: statusOld, statusNew: x.statusRows * x.statusCols,
		cols: int64(cols), newTab: info.target == nil, limitCells: x.w.limitCells}
	if g := info.target; g != nil {
		x.cap.targetOld = g.GridProperties.RowCount * g.GridProperties.ColumnCount
		x.targetID = g.SheetId
	} else {
		x.targetID = newSheetID(info.used)
	}
	x.stagingID = newSheetID(info.used)
	x.metaID, x.stageMeta = newMetaID(info.usedMeta), newMetaID(info.usedMeta)
	if info.status == nil {
		x.info.newStatus = newSheetID(info.used)
	}

	p, ok := x.cap.fit(t, prev, x.incremental, false)
	if !ok {
		all := planFull(t, len(t.Blocks))
		return &TooLargeError{SpreadsheetID: x.id, Tab: x.tab, NeededCells: x.cap.needed(all, false),
			LimitCells: x.cap.limitCells, OtherCells: info.otherCells, Rows: all.gridRows(), Columns: cols}
	}
	x.log.DebugContext(x.ctx, "google: write planned", "incremental", p.incremental, "why_full", why,
		"rows", p.rows, "rows_sent", p.sent, "blocks_kept", p.keep, "blocks", len(t.Blocks))

	// Rows are encoded into buf while the write may fit one request; once
	// it cannot, b takes them (a staging tab, or the tab in place).
	direct, err := x.directRequests(p)
	if err != nil {
		return err
	}
	tailMax := chunkTailMax(cols)
	var (
		buf     rowBuf
		b       *batcher
		dest    func(n, packed int) (sheet, row int64)
		finals  reqs
		applied func() (bool, error)
		staged  bool
	)
	cur := cursor{regions: p.regions}
	fits := func() bool {
		return len(bodyHead)+direct.bytes()+buf.bytes+len(bodyTail) <= x.w.maxBytes
	}
	// leave handles the first row that does not fit one request.
	leave := func(n int) error {
		x.log.DebugContext(x.ctx, "google: the write does not fit one request", "fixed_bytes", direct.bytes(),
			"row_bytes", buf.bytes, "rows_encoded", len(buf.rows), "max_bytes", x.w.maxBytes)
		ps, ok := x.cap.fit(t, prev, x.incremental, true)
		if !ok || p.incremental && ps.keep < p.keep {
			// No staging copy fits beside the tab (the spreadsheet is at Google's cell limit),
			// or only by leaving out days the tab holds now, which would empty a full tab at
			// its next morning: p, which fits without a copy, is written in place, in several
			// batches. Readers may see a mix meanwhile, and the tab's token says "writing"
			// until the last batch (a write cut short is not trusted: the next one rewrites
			// the tab). A full rewrite still prefers a staged, atomic write of fewer days.
			x.log.WarnContext(x.ctx, "google: the write fits Google's cell limit only without a staging tab; writing it in place in several batches",
				"rows", p.rows, "rows_sent", p.sent, "incremental", p.incremental, "columns", cols)
			b, finals, err = x.startInPlace(p)
			if err != nil {
				return err
			}
			dest = func(n, _ int) (int64, int64) { return x.targetID, int64(n + 1) }
			return buf.each(func(n int, row []byte) error { return b.addRow(x.targetID, int64(n+1), row) })
		}
		pc := cursor{regions: ps.regions}
		var kept rowBuf
		if err := buf.each(func(n int, row []byte) error {
			if sent, _ := pc.at(n); sent {
				kept.add(n, row, tailMax)
			}
			return nil
		}); err != nil {
			return err
		}
		if sent := ps.sentBelow(n + 1); sent != len(kept.rows) {
			return fmt.Errorf("google: write %q: internal error: %d of %d rows to send were encoded", x.tab, len(kept.rows), sent)
		}
		p, cur, buf = ps, pc, kept
		if ps.rows <= n+1 { // every row ps sends is encoded: it may fit one request after all
			if direct, err = x.directRequests(ps); err != nil {
				return err
			}
			if fits() {
				return nil
			}
		}
		staged = true
		var base int64
		b, finals, base, err = x.startStaged(ps)
		if err != nil {
			return err
		}
		pc = cursor{regions: ps.regions}
		dest = func(n, packed int) (int64, int64) { return x.stagingID, base + int64(packed) }
		err := buf.each(func(n int, row []byte) error {
			_, packed := pc.at(n)
			return b.addRow(x.stagingID, base+int64(packed), row)
		})
		cur = pc
		return err
	}

	n, stopped := 0, false
	checks := newBlockChecks(t)
	var row []byte
	rowsOf := t.Rows
	if rowsOf == nil {
		rowsOf = func(func([]any) bool) {}
	}
	for values := range rowsOf {
		if n == t.NumRows {
			return fmt.Errorf("google: write %q: Rows yielded more than NumRows (%d) rows", x.tab, t.NumRows)
		}
		if n >= p.rows && p.rows < t.NumRows {
			stopped = true // the rest is left out for the cell limit
			break
		}
		sent, packed := cur.at(n)
		if !sent {
			n++
			continue
		}
		if row, err = encodeRow(row[:0], t, values, n, x.id, x.tab); err != nil {
			return err
		}
		checks.row(n, values, row)
		if b != nil {
			sheet, r := dest(n, packed)
			if err := b.addRow(sheet, r, row); err != nil {
				return err
			}
		} else if buf.add(n, row, tailMax); !fits() {
			if err := leave(n); err != nil {
				return err
			}
		}
		n++
	}
	if !stopped && n != t.NumRows {
		return fmt.Errorf("google: write %q: Rows yielded %d rows, NumRows is %d", x.tab, n, t.NumRows)
	}

	if b == nil { // one request
		b = newBatcher(x.ctx, x.w, x.id, x.tab, cols, x.res)
		b.single = true
		prefix, final := direct[:len(direct)-x.directFinals], direct[len(direct)-x.directFinals:]
		for _, r := range prefix {
			if err := b.add(r); err != nil {
				return err
			}
		}
		if err := buf.each(func(n int, row []byte) error { return b.addRow(x.targetID, int64(n+1), row) }); err != nil {
			return err
		}
		finals = final
		applied = x.tokenCheck(x.directToken)
	} else if staged {
		applied = x.tokenCheck(x.stagedToken)
	}
	for _, r := range finals {
		b.addFinal(r)
	}
	b.applied = applied
	if err := b.last(); err != nil {
		return err
	}

	sheetID := x.targetID
	if staged && info.target == nil {
		sheetID = x.stagingID // the staging tab became the tab
	}
	x.res.SheetID = sheetID
	x.res.Layout = p.layout(sheetID, x.fingerprint, t)
	checks.fill(&x.res.Layout, prev)
	x.res.Layout.Tabs, x.res.Layout.StatusSheetID = x.tabsAfter(sheetID)
	if x.folded {
		x.res.Layout.Folds = prev.Folds + 1
	}
	x.res.Dropped = p.dropped(t)
	x.res.Incremental = p.incremental
	x.res.Staged = staged
	x.res.Usage = x.usage(p)
	header := 0
	if !p.incremental {
		header = 1
	}
	x.res.Cells = (p.sent+header)*cols + 2*len(statusHeader())
	x.log.DebugContext(x.ctx, "google: table written", "rows", p.rows, "rows_sent", p.sent, "columns", cols,
		"incremental", p.incremental, "staged", staged, "dropped", len(x.res.Dropped),
		"chunks", x.res.Chunks, "requests", x.res.Requests, "bytes", x.res.Bytes, "sheet_id", sheetID)
	return nil
}

// sentBelow counts the rows p sends below table row n.
func (p plan) sentBelow(n int) int {
	c := 0
	for _, r := range p.regions {
		c += max(0, min(r.to, n)-r.from)
	}
	return c
}

// canIncrement reports whether the tab is as prev left it, or why not.
func (x *tableWrite) canIncrement(prev *Layout) (bool, string) {
	g := x.info.target
	switch {
	case prev == nil:
		return false, "no previous layout"
	case len(x.t.Blocks) == 0:
		return false, "no blocks"
	case prev.Columns != x.fingerprint:
		return false, "columns changed"
	case g == nil:
		return false, "tab missing"
	case g.SheetId != prev.SheetID:
		return false, "tab replaced"
	case g.GridProperties.RowCount != int64(1+prev.rows()) || g.GridProperties.ColumnCount != int64(len(x.t.Columns)):
		return false, "grid changed"
	case tokenHash(x.info.token) != layoutHash(*prev):
		return false, "tab not as the previous layout left it"
	}
	return true, ""
}

// directRequests are the requests of a one-request write of p, the rows
// excepted: the structure and formats first, then the last x.directFinals
// (the layout token and the status row).
func (x *tableWrite) directRequests(p plan) (reqs, error) {
	rs := x.gridRequests(p)
	x.directToken = newToken(p.layout(x.targetID, x.fingerprint, x.t))
	finals := []*sheets.Request{x.setToken(x.targetID, x.directToken, x.info.target != nil)}
	finals = append(finals, x.statusRequests(p)...)
	x.directFinals = len(finals)
	return x.encode(append(rs, finals...)...)
}

// gridRequests make the target's grid what p leaves, before its rows are written at their
// places (a write in place: in one request, or in several batches): staging tabs deleted, the
// tab's rows moved, inserted and deleted (incremental) or sized (full), and formatted.
func (x *tableWrite) gridRequests(p plan) []*sheets.Request {
	rs := x.info.deleteStaging()
	if p.incremental {
		rs = append(rs, x.freezeHeader()...)
		rs = append(rs, withSheet(p.ops, x.targetID)...)
		for _, r := range p.regions {
			rs = append(rs, formatRequests(x.targetID, x.t.Columns, int64(r.from+1), int64(r.to+1))...)
		}
		return rs
	}
	rs = append(rs, x.tabRequests(p)...)
	if p.rows > 0 {
		rs = append(rs, formatRequests(x.targetID, x.t.Columns, 1, int64(p.gridRows()))...)
	}
	return rs
}

// startStaged begins a write of p through a staging tab: the first batch
// creates it (hidden), the rows sent go to it packed, and the returned final
// requests change the tab's rows as a one-request write would and paste the
// values and the formats over. A staging tab for a new tab is the table
// itself, header and formats included (base 1), and is renamed.
func (x *tableWrite) startStaged(p plan) (b *batcher, finals reqs, base int64, err error) {
	t, cols := x.t, int64(len(x.t.Columns))
	newTab := x.info.target == nil
	// The rows sent, then a row holding the column formats, pasted over
	// each region (a copyPaste repeats a source to fill its destination).
	sent := int64(p.sent)
	rows := sent + 1
	if newTab {
		base, rows = 1, int64(p.gridRows())
	}
	var first []*sheets.Request
	first = append(first, x.info.deleteStaging()...)
	first = append(first,
		&sheets.Request{AddSheet: &sheets.AddSheetRequest{Properties: &sheets.SheetProperties{
			SheetId: x.stagingID, Title: stagingTitle(x.tab, x.info.titles), Hidden: true,
			GridProperties: &sheets.GridProperties{RowCount: rows, ColumnCount: cols, FrozenRowCount: base},
		}}},
		x.stagingMarker())
	if newTab { // the staging tab becomes the tab: header and formats too
		first = append(first, headerRequest(x.stagingID, x.names))
		first = append(first, formatRequests(x.stagingID, t.Columns, base, base+sent)...)
	} else {
		first = append(first, formatRequests(x.stagingID, t.Columns, sent, sent+1)...)
	}

	var last []*sheets.Request
	if newTab {
		x.stagedToken = newToken(p.layout(x.stagingID, x.fingerprint, t))
		last = append(last,
			&sheets.Request{UpdateSheetProperties: &sheets.UpdateSheetPropertiesRequest{
				Properties: &sheets.SheetProperties{SheetId: x.stagingID, Title: x.tab, Hidden: false, ForceSendFields: []string{"Hidden"}},
				Fields:     "title,hidden",
			}},
			&sheets.Request{DeleteDeveloperMetadata: &sheets.DeleteDeveloperMetadataRequest{DataFilter: &sheets.DataFilter{
				DeveloperMetadataLookup: &sheets.DeveloperMetadataLookup{MetadataId: x.stageMeta}}}},
			x.setToken(x.stagingID, x.stagedToken, false))
	} else {
		x.stagedToken = newToken(p.layout(x.targetID, x.fingerprint, t))
		if p.incremental {
			last = append(last, x.freezeHeader()...)
			last = append(last, withSheet(p.ops, x.targetID)...)
		} else {
			last = append(last, x.tabRequests(p)...)
		}
		// Values and formats are pasted separately, so that a staged write
		// replaces what a one-request write replaces (notes and validation
		// rules on the cells stay).
		paste := func(typ string, r0, r1 int64, r region) *sheets.Request {
			return &sheets.Request{CopyPaste: &sheets.CopyPasteRequest{
				Source: &sheets.GridRange{SheetId: x.stagingID, StartRowIndex: r0, EndRowIndex: r1,
					StartColumnIndex: 0, EndColumnIndex: cols},
				Destination: &sheets.GridRange{SheetId: x.targetID, StartRowIndex: int64(r.from + 1), EndRowIndex: int64(r.to + 1),
					StartColumnIndex: 0, EndColumnIndex: cols},
				PasteType: typ, PasteOrientation: "NORMAL",
			}}
		}
		var at int64
		for _, r := range p.regions {
			n := int64(r.to - r.from)
			last = append(last, paste("PASTE_VALUES", at, at+n, r), paste("PASTE_FORMAT", sent, sent+1, r))
			at += n
		}
		last = append(last, &sheets.Request{DeleteSheet: &sheets.DeleteSheetRequest{SheetId: x.stagingID}},
			x.setToken(x.targetID, x.stagedToken, true))
	}
	last = append(last, x.statusRequests(p)...)

	b = newBatcher(x.ctx, x.w, x.id, x.tab, len(t.Columns), x.res)
	if finals, err = x.encode(last...); err != nil {
		return nil, nil, 0, err
	}
	b.reserve = finals.bytes()
	if n := len(bodyHead) + b.reserve + len(bodyTail); n > x.w.maxBytes {
		return nil, nil, 0, fmt.Errorf("google: write %q: the last request of a staged write (%d bytes for %d changed runs of rows) exceeds MaxRequestBytes %d",
			x.tab, n, len(p.regions), x.w.maxBytes)
	}
	enc, err := x.encode(first...)
	if err != nil {
		return nil, nil, 0, err
	}
	// The first batch creates the staging tab: if its answer is lost, it
	// must not be sent again.
	b.applied = x.sheetCheck(x.stagingID)
	for _, r := range enc {
		if err := b.add(r); err != nil {
			return nil, nil, 0, err
		}
	}
	return b, finals, base, nil
}

// startInPlace begins a write of p straight into the tab over several
// batches. The tab's layout token says "writing" until the last batch, so
// that a failure part-way is never taken for a known layout.
func (x *tableWrite) startInPlace(p plan) (*batcher, reqs, error) {
	first := append(x.gridRequests(p), x.setToken(x.targetID, writingToken, x.info.target != nil))
	if x.info.tokenID == 0 {
		x.info.tokenID = x.metaID // the last batch updates the entry the first one creates
	}
	last := []*sheets.Request{x.setToken(x.targetID, newToken(p.layout(x.targetID, x.fingerprint, x.t)), true)}
	last = append(last, x.statusRequests(p)...)
	b := newBatcher(x.ctx, x.w, x.id, x.tab, len(x.t.Columns), x.res)
	finals, err := x.encode(last...)
	if err != nil {
		return nil, nil, err
	}
	b.reserve = finals.bytes()
	enc, err := x.encode(first...)
	if err != nil {
		return nil, nil, err
	}
	for _, r := range enc {
		if err := b.add(r); err != nil {
			return nil, nil, err
		}
	}
	return b, finals, nil
}

// setToken records value as the layout token of tab sheetID: an update of
// the target's entry when the tab is the existing target (existing) and has
// one, else a new entry.
func (x *tableWrite) setToken(sheetID int64, value string, existing bool) *sheets.Request {
	if existing && x.info.tokenID != 0 {
		return &sheets.Request{UpdateDeveloperMetadata: &sheets.UpdateDeveloperMetadataRequest{
			DataFilters:       []*sheets.DataFilter{{DeveloperMetadataLookup: &sheets.DeveloperMetadataLookup{MetadataId: x.info.tokenID}}},
			DeveloperMetadata: &sheets.DeveloperMetadata{MetadataValue: value},
			Fields:            "metadataValue",
		}}
	}
	return &sheets.Request{CreateDeveloperMetadata: &sheets.CreateDeveloperMetadataRequest{DeveloperMetadata: &sheets.DeveloperMetadata{
		MetadataId: x.metaID, MetadataKey: layoutKey, MetadataValue: value,
		Location:   &sheets.DeveloperMetadataLocation{SheetId: sheetID, ForceSendFields: []string{"SheetId"}},
		Visibility: "DOCUMENT",
	}}}
}

// tokenCheck reports whether the tab carries token (a lost answer's batch
// was applied); it reads the spreadsheet.
func (x *tableWrite) tokenCheck(token string) func() (bool, error) {
	return func() (bool, error) {
		info, err := x.w.readTabs(x.ctx, x.id, x.tab, x.res)
		if err != nil {
			return false, err
		}
		return info.target != nil && info.token == token, nil
	}
}

// sheetCheck reports whether tab sheetID exists; it reads the spreadsheet.
func (x *tableWrite) sheetCheck(sheetID int64) func() (bool, error) {
	return func() (bool, error) {
		info, err := x.w.readTabs(x.ctx, x.id, x.tab, x.res)
		if err != nil {
			return false, err
		}
		return info.used[sheetID], nil
	}
}

// freezeHeader keeps the header the only frozen row: rows are inserted
// right under it.
func (x *tableWrite) freezeHeader() []*sheets.Request {
	if x.info.target.GridProperties.FrozenRowCount == 1 {
		return nil
	}
	return []*sheets.Request{{UpdateSheetProperties: &sheets.UpdateSheetPropertiesRequest{
		Properties: &sheets.SheetProperties{SheetId: x.targetID, GridProperties: &sheets.GridProperties{FrozenRowCount: 1}},
		Fields:     "gridProperties.frozenRowCount",
	}}}
}

// statusRequests write the status row for a write of p; left-out blocks
// are named in its note and its row count is what the tab holds.
func (x *tableWrite) statusRequests(p plan) []*sheets.Request {
	st := x.st
	if dropped := p.dropped(x.t); len(dropped) > 0 {
		span := dropped[0]
		if len(dropped) > 1 {
			span += ".." + dropped[len(dropped)-1]
		}
		note := fmt.Sprintf("left out for Google's %d-cell limit: %s (%d)", x.cap.limitCells, span, len(dropped))
		if st.Note != "" {
			note = st.Note + "; " + note
		}
		st.Note = note
		if st.Rows == x.t.NumRows {
			st.Rows = p.rows
		}
	}
	if u := x.usage(p); u.Near() {
		st.Note = joinNote(st.Note, u.Note())
	}
	return x.w.statusRequests(x.info, x.tab, st, x.statusRow, x.statusRows, x.statusCols)
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
	if len(t.Blocks) > 0 {
		keys := make(map[string]bool, len(t.Blocks))
		sum := 0
		for i, b := range t.Blocks {
			switch {
			case b.Key == "":
				return fmt.Errorf("google: write %q: block %d has no key", tab, i)
			case keys[b.Key]:
				return fmt.Errorf("google: write %q: block key %q appears twice", tab, b.Key)
			case b.Rows < 0:
				return fmt.Errorf("google: write %q: block %q has %d rows", tab, b.Key, b.Rows)
			}
			keys[b.Key] = true
			sum += b.Rows
		}
		if sum != t.NumRows {
			return fmt.Errorf("google: write %q: the blocks hold %d rows, NumRows is %d", tab, sum, t.NumRows)
		}
	}
	return nil
}

// readTabs reads the spreadsheet's tab properties and developer metadata.
func (w *Writer) readTabs(ctx context.Context, id, tab string, res *WriteResult) (tabInfo, error) {
	var book *sheets.Spreadsheet
	n, err := w.call(ctx, false, func() error {
		var err error
		book, err = w.svc.Spreadsheets.Get(id).
			Fields("developerMetadata(metadataId)," +
				"sheets(properties(sheetId,title,hidden,gridProperties(rowCount,columnCount,frozenRowCount,frozenColumnCount))," +
				"developerMetadata(metadataId,metadataKey,metadataValue))").
			Context(ctx).Do()
		return err
	}, nil)
	res.Requests += n
	if err != nil {
		return tabInfo{}, w.classify(fmt.Sprintf("write %q: read spreadsheet", tab), id, err)
	}
	return w.tabInfoOf(book, tab), nil
}

// tabInfoOf is what book's tabs (properties and developer metadata) say
// about a write of tab.
func (w *Writer) tabInfoOf(book *sheets.Spreadsheet, tab string) tabInfo {
	info := tabInfo{used: map[int64]bool{}, usedMeta: map[int64]bool{}, titles: map[string]bool{}, sheets: map[int64]*sheets.Sheet{}}
	for _, m := range book.DeveloperMetadata {
		info.usedMeta[m.MetadataId] = true
	}
	for _, sh := range book.Sheets {
		p := sh.Properties
		if p == nil {
			continue
		}
		if p.GridProperties == nil {
			p.GridProperties = &sheets.GridProperties{} // not a grid (e.g. a chart sheet): no cells
		}
		info.used[p.SheetId] = true
		info.sheets[p.SheetId] = sh
		info.titles[strings.ToLower(p.Title)] = true
		info.tabs = append(info.tabs, tabCells{id: p.SheetId, title: p.Title, cells: p.GridProperties.RowCount * p.GridProperties.ColumnCount})
		var staging *stagingTab
		for _, m := range sh.DeveloperMetadata {
			info.usedMeta[m.MetadataId] = true
			if staging == nil {
				staging = stagingMark(p, m)
			}
		}
		switch {
		case info.target == nil && strings.EqualFold(p.Title, tab):
			info.target = p
			for _, m := range sh.DeveloperMetadata {
				if m.MetadataKey == layoutKey && info.tokenID == 0 {
					info.token, info.tokenID = m.MetadataValue, m.MetadataId
				}
			}
		case info.status == nil && strings.EqualFold(p.Title, w.status):
			info.status = p
		case staging != nil:
			info.marked = append(info.marked, *staging)
		default:
			info.otherCells += p.GridProperties.RowCount * p.GridProperties.ColumnCount
		}
	}
	return info
}

// stagingTitle is a free title for tab's staging tab (Google allows 100
// characters).
func stagingTitle(tab string, taken map[string]bool) string {
	const suffix = " · naversync staging"
	r := []rune(tab)
	if room := 90 - utf8.RuneCountInString(suffix); len(r) > room {
		r = r[:room]
	}
	title := string(r) + suffix
	for i := 2; taken[strings.ToLower(title)]; i++ {
		title = fmt.Sprintf("%s%s %d", string(r), suffix, i)
	}
	return title
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

// newMetaID picks an unused developer metadata id.
func newMetaID(used map[int64]bool) int64 { return newSheetID(used) }

// tabRequests create or resize the tab and write its header (a full write).
func (x *tableWrite) tabRequests(p plan) []*sheets.Request {
	cols := int64(len(x.t.Columns))
	grid := &sheets.GridProperties{RowCount: int64(p.gridRows()), ColumnCount: cols, FrozenRowCount: 1}
	var reqs []*sheets.Request
	if g := x.info.target; g != nil {
		fields := "gridProperties.rowCount,gridProperties.columnCount,gridProperties.frozenRowCount"
		if g.GridProperties.FrozenColumnCount >= cols {
			grid.FrozenColumnCount = cols - 1
			grid.ForceSendFields = []string{"FrozenColumnCount"}
			fields += ",gridProperties.frozenColumnCount"
		}
		reqs = append(reqs, &sheets.Request{UpdateSheetProperties: &sheets.UpdateSheetPropertiesRequest{
			Properties: &sheets.SheetProperties{SheetId: x.targetID, GridProperties: grid},
			Fields:     fields,
		}})
	} else {
		reqs = append(reqs, &sheets.Request{AddSheet: &sheets.AddSheetRequest{
			Properties: &sheets.SheetProperties{SheetId: x.targetID, Title: x.tab, GridProperties: grid},
		}})
	}
	reqs = append(reqs, headerRequest(x.targetID, x.names))
	if p.rows == 0 {
		// The grid keeps one empty row under the header; clear what it held.
		reqs = append(reqs, &sheets.Request{UpdateCells: &sheets.UpdateCellsRequest{
			Range: &sheets.GridRange{SheetId: x.targetID, StartRowIndex: 1, EndRowIndex: 2,
				StartColumnIndex: 0, EndColumnIndex: cols},
			Fields: cellFields,
		}})
	}
	return reqs
}

// formatRequests set the number format of rows [r0, r1) of a tab, one
// repeatCell per run of adjacent columns of the same type, instead of in
// every cell; a Text run gets no format (its old formats are cleared).
func formatRequests(sheetID int64, columns []Column, r0, r1 int64) []*sheets.Request {
	if r1 <= r0 {
		return nil
	}
	var reqs []*sheets.Request
	for start := 0; start < len(columns); {
		typ := columns[start].Type
		end := start + 1
		for end < len(columns) && columns[end].Type == typ {
			end++
		}
		cell := &sheets.CellData{}
		if nf := typ.numberFormat(); nf != nil {
			cell.UserEnteredFormat = &sheets.CellFormat{NumberFormat: nf}
		}
		reqs = append(reqs, &sheets.Request{RepeatCell: &sheets.RepeatCellRequest{
			Range: &sheets.GridRange{SheetId: sheetID, StartRowIndex: r0, EndRowIndex: r1,
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
