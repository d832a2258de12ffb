package google

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"google.golang.org/api/googleapi"
	"google.golang.org/api/sheets/v4"
)

// An incremental refresh needs the spreadsheet's tabs (properties and
// developer metadata: the target, followed by sheetId after a rename, the
// status tab, staging tabs to delete, free ids, the other tabs' cells for
// the cell limit) and then some cells (the status row, the header and key
// cells that verify the tab, the scrub's days: verify.go). Read one after
// the other they cost two read requests. Google's
// spreadsheets:getByDataFilter answers, in one request, only the tabs its
// data filters touch, with the grid data of the ranges they match. So the
// writer records in the Layout every grid tab's sheetId and the status
// tab's (Layout.Tabs, Layout.StatusSheetID), and the next write asks for:
// one cell of each of those tabs (their properties and metadata), the
// ranges readBack would read if the tab is as the previous write left it
// (addressed by sheetId: robust to renames), and every tab carrying a
// staging marker (developerMetadataLookup: a failed write's staging tab,
// which no Layout knows). When the guess is wrong the write stays correct
// at the cost of the requests it saved: a known tab gone (Google refuses
// the read) or the status tab changed read the whole spreadsheet as before
// (readTabs); ranges other than the guessed ones are read by readBack's
// values.batchGet. A tab a person added since the previous write is not
// seen by a folded read: the whole spreadsheet is read at least once in
// Config.ScrubDays writes of a tab (Layout.Folds counts the folded ones;
// the cell usage note catches up), and a write Google refuses (400: the
// cell limit, an id taken) makes the next write to the spreadsheet read it
// whole.

// preRead is the cells a folded read got for readBack: spans[i]'s values,
// column-major as batchGetColumns returns them.
type preRead struct {
	spans []span
	got   [][][]any
}

// foldedFields is the folded read's fields mask: what readTabs reads, and
// the cells' effective values.
const foldedFields = "developerMetadata(metadataId)," +
	"sheets(properties(sheetId,title,hidden,gridProperties(rowCount,columnCount,frozenRowCount,frozenColumnCount))," +
	"developerMetadata(metadataId,metadataKey,metadataValue)," +
	"data(startRow,startColumn,rowData(values(effectiveValue))))"

// foldable reports whether a write after prev may read in one request.
func (w *Writer) foldable(id string, prev *Layout) bool {
	if prev == nil || len(prev.Tabs) == 0 || prev.StatusSheetID == 0 {
		return false
	}
	if _, no := w.unfold.Load(id); no {
		return false
	}
	limit := w.scrub // the whole spreadsheet is read once in ScrubDays writes
	if limit <= 0 {
		limit = DefaultScrubDays
	}
	return prev.Folds < limit
}

// readFolded reads the tabs and the cells readBack would read after prev in
// one spreadsheets:getByDataFilter, setting x.info and x.pre. false: the
// answer does not show the spreadsheet as prev left it; the caller reads
// it whole (readTabs).
func (x *tableWrite) readFolded(prev *Layout) (bool, error) {
	w := x.w
	// The guess: the tab and the status tab are as prev left them.
	guess := &tableWrite{w: w, ctx: x.ctx, id: x.id, tab: x.tab, t: x.t, log: x.log}
	guess.info.status = &sheets.SheetProperties{SheetId: prev.StatusSheetID, Title: w.status}
	guess.info.target = &sheets.SheetProperties{SheetId: prev.SheetID, Title: x.tab}
	verify := len(x.t.Blocks) > 0 && prev.Columns == columnsFingerprint(x.t.Columns)
	rp := guess.planRead(prev, verify)

	var filters []*sheets.DataFilter
	for _, s := range rp.spans {
		gr := &sheets.GridRange{SheetId: s.sheet, StartRowIndex: int64(s.r0), StartColumnIndex: int64(s.c0),
			EndColumnIndex: int64(s.c1), ForceSendFields: []string{"SheetId"}}
		if s.r1 >= 0 {
			gr.EndRowIndex = int64(s.r1)
		}
		filters = append(filters, &sheets.DataFilter{GridRange: gr})
	}
	addressed := map[int64]bool{}
	for _, s := range rp.spans {
		addressed[s.sheet] = true
	}
	for _, id := range prev.Tabs {
		if !addressed[id] {
			addressed[id] = true
			filters = append(filters, &sheets.DataFilter{GridRange: &sheets.GridRange{SheetId: id,
				EndRowIndex: 1, EndColumnIndex: 1, ForceSendFields: []string{"SheetId"}}})
		}
	}
	for _, key := range []string{stagingOwnerKey, stagingKey} {
		filters = append(filters, &sheets.DataFilter{DeveloperMetadataLookup: &sheets.DeveloperMetadataLookup{
			MetadataKey: key, LocationType: "SHEET"}})
	}

	u, err := url.Parse(googleapi.ResolveRelative(w.base, "v4/spreadsheets/{spreadsheetId}:getByDataFilter"))
	if err != nil {
		return false, fmt.Errorf("getByDataFilter url: %w", err)
	}
	googleapi.Expand(u, map[string]string{"spreadsheetId": x.id})
	u.RawQuery = url.Values{"fields": {foldedFields}, "alt": {"json"}, "prettyPrint": {"false"}}.Encode()
	body, err := json.Marshal(&sheets.GetSpreadsheetByDataFilterRequest{DataFilters: filters})
	if err != nil {
		return false, fmt.Errorf("getByDataFilter request: %w", err)
	}
	var book *sheets.Spreadsheet
	n, err := w.call(x.ctx, false, func() error {
		book = &sheets.Spreadsheet{}
		return w.readGzipped(x.ctx, "getByDataFilter", http.MethodPost, u.String(), body, book, x.res)
	}, nil)
	x.res.Requests += n
	if err != nil {
		if badRequest(err) {
			// A tab prev knew is gone, or its grid shrank under a range.
			x.log.DebugContext(x.ctx, "google: the folded read was refused; reading the spreadsheet", "error", err)
			return false, nil
		}
		return false, w.classify(fmt.Sprintf("write %q: read spreadsheet", x.tab), x.id, err)
	}
	info := w.tabInfoOf(book, x.tab)
	for _, id := range prev.Tabs {
		if info.sheets[id] == nil {
			return false, nil
		}
	}
	if info.status == nil || info.status.SheetId != prev.StatusSheetID {
		return false, nil
	}
	x.info = info
	// The cells, by tab, in the order the filters asked them.
	next := map[int64]int{}
	got := make([][][]any, 0, len(rp.spans))
	for _, s := range rp.spans {
		sh := info.sheets[s.sheet]
		i := next[s.sheet]
		next[s.sheet]++
		if sh == nil || i >= len(sh.Data) || sh.Data[i].StartRow != int64(s.r0) || sh.Data[i].StartColumn != int64(s.c0) {
			x.log.DebugContext(x.ctx, "google: the folded read's answer lacks a range; readBack reads it", "sheet_id", s.sheet)
			return true, nil
		}
		got = append(got, columnsOf(sh.Data[i], s.c1-s.c0))
	}
	x.pre = &preRead{spans: rp.spans, got: got}
	return true, nil
}

// columnsOf turns grid data of cols columns into what values.batchGet
// answers with majorDimension COLUMNS and UNFORMATTED_VALUE: each column's
// values, empty cells before a value "", trailing empty cells and columns
// left out.
func columnsOf(gd *sheets.GridData, cols int) [][]any {
	out := make([][]any, cols)
	for r, rd := range gd.RowData {
		for c, cd := range rd.Values {
			if c >= cols {
				break
			}
			v := effective(cd)
			if v == nil {
				continue
			}
			for len(out[c]) < r {
				out[c] = append(out[c], "")
			}
			out[c] = append(out[c], v)
		}
	}
	for len(out) > 0 && len(out[len(out)-1]) == 0 {
		out = out[:len(out)-1]
	}
	for c := range out {
		if out[c] == nil {
			out[c] = []any{}
		}
	}
	return out
}

// effective is a cell's effective value as values.batchGet renders it
// UNFORMATTED (nil: empty).
func effective(cd *sheets.CellData) any {
	if cd == nil || cd.EffectiveValue == nil {
		return nil
	}
	ev := cd.EffectiveValue
	switch {
	case ev.NumberValue != nil:
		return *ev.NumberValue
	case ev.StringValue != nil:
		if *ev.StringValue == "" {
			return nil
		}
		return *ev.StringValue
	case ev.BoolValue != nil:
		return *ev.BoolValue
	case ev.ErrorValue != nil:
		return "#" + strings.TrimPrefix(ev.ErrorValue.Type, "#") // never what the writer sent
	}
	return nil
}

// tabsAfter are the grid tabs' sheetIds after a write that leaves the tab
// at sheetID, and the status tab's.
func (x *tableWrite) tabsAfter(sheetID int64) ([]int64, int64) {
	gone := map[int64]bool{}
	for _, s := range x.info.staging {
		gone[s.SheetId] = true
	}
	for _, m := range x.info.marked {
		gone[m.props.SheetId] = true // found by their markers
	}
	var tabs []int64
	for id, sh := range x.info.sheets {
		g := sh.Properties.GridProperties
		if !gone[id] && g.RowCount > 0 && g.ColumnCount > 0 {
			tabs = append(tabs, id)
		}
	}
	status := x.info.newStatus
	if x.info.status != nil {
		status = x.info.status.SheetId
	}
	for _, id := range []int64{sheetID, status} {
		if !slices.Contains(tabs, id) {
			tabs = append(tabs, id)
		}
	}
	slices.Sort(tabs)
	return tabs, status
}

// badRequest reports Google's 400 INVALID_ARGUMENT.
func badRequest(err error) bool {
	var ge *googleapi.Error
	return errors.As(err, &ge) && ge.Code == http.StatusBadRequest
}
