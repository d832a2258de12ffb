package google

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/api/sheets/v4"
)

// stagingOwnerKey marks a staging tab with the owner of the table it is for
// (developer metadata, value: Table.Owner, e.g. an account id), so that a
// stale one is found by who it belongs to, whatever its tab is called now,
// and a user's tab is never taken for one.
const stagingOwnerKey = "naversync.staging.owner"

// stagingTab is a tab carrying a staging marker: an owner's, or by an old
// marker the lower-cased title of the tab it was for.
type stagingTab struct {
	props       *sheets.SheetProperties
	owner, tab  string
	cells       int64
	legacyMatch bool // the marker is an old one (tab title)
}

// stagingMark reads a staging marker from one developer metadata entry of
// tab p; nil when m is no staging marker.
func stagingMark(p *sheets.SheetProperties, m *sheets.DeveloperMetadata) *stagingTab {
	st := &stagingTab{props: p}
	if g := p.GridProperties; g != nil {
		st.cells = g.RowCount * g.ColumnCount
	}
	switch m.MetadataKey {
	case stagingOwnerKey:
		st.owner = m.MetadataValue
	case stagingKey:
		st.tab, st.legacyMatch = m.MetadataValue, true
	default:
		return nil
	}
	return st
}

// belongs reports whether the staging tab is owner's, or by an old marker
// one of tabs' (titles compared as Google does, ignoring case).
func (s stagingTab) belongs(owner string, tabs ...string) bool {
	if !s.legacyMatch {
		return owner != "" && s.owner == owner
	}
	for _, t := range tabs {
		if t != "" && s.tab == strings.ToLower(t) {
			return true
		}
	}
	return false
}

// claimStaging takes the stale staging tabs of owner (or of tab, by an old
// marker) as this write's to delete; any other's count as other tabs' cells.
func (info *tabInfo) claimStaging(owner, tab string) {
	for _, s := range info.marked {
		if s.belongs(owner, tab) {
			info.staging = append(info.staging, s.props)
		} else {
			info.otherCells += s.cells
		}
	}
}

// deleteStaging are the requests that delete the stale staging tabs.
func (info *tabInfo) deleteStaging() []*sheets.Request {
	var rs []*sheets.Request
	for _, s := range info.staging {
		rs = append(rs, &sheets.Request{DeleteSheet: &sheets.DeleteSheetRequest{SheetId: s.SheetId}})
	}
	return rs
}

// stagingMarker marks the staging tab of this write as the owner's (or, for
// a table without an Owner, with the old marker: the tab's title).
func (x *tableWrite) stagingMarker() *sheets.Request {
	key, value := stagingOwnerKey, x.t.Owner
	if value == "" {
		key, value = stagingKey, strings.ToLower(x.tab)
	}
	return &sheets.Request{CreateDeveloperMetadata: &sheets.CreateDeveloperMetadataRequest{DeveloperMetadata: &sheets.DeveloperMetadata{
		MetadataId: x.stageMeta, MetadataKey: key, MetadataValue: value,
		Location:   &sheets.DeveloperMetadataLocation{SheetId: x.stagingID, ForceSendFields: []string{"SheetId"}},
		Visibility: "DOCUMENT",
	}}}
}

// RemoveStaging deletes the hidden staging tabs owner's failed writes left in
// spreadsheetID (and, by the markers of writers before owners, those for any
// of tabs), in one batchUpdate, and returns how many it deleted. It waits
// for this Writer's write of the spreadsheet in flight, if any. Callers use it
// when the owner's tab is renamed or the owner goes away; WriteTableFrom
// deletes them by itself. Errors are classified as WriteTableFrom's.
func (w *Writer) RemoveStaging(ctx context.Context, spreadsheetID, owner string, tabs ...string) (int, error) {
	if spreadsheetID == "" {
		return 0, fmt.Errorf("google: remove staging tabs: empty spreadsheet id")
	}
	unlock, err := w.lock(ctx, spreadsheetID)
	if err != nil {
		return 0, fmt.Errorf("google: remove staging tabs: %w", err)
	}
	defer unlock()
	var res WriteResult
	info, err := w.readTabs(ctx, spreadsheetID, "", &res)
	if err != nil {
		return 0, err
	}
	for _, s := range info.marked {
		if s.belongs(owner, tabs...) {
			info.staging = append(info.staging, s.props)
		}
	}
	rs := info.deleteStaging()
	if len(rs) == 0 {
		return 0, nil
	}
	ids := make(map[int64]bool, len(info.staging))
	for _, s := range info.staging {
		ids[s.SheetId] = true
	}
	req := &sheets.BatchUpdateSpreadsheetRequest{Requests: rs}
	_, err = w.call(ctx, true, func() error {
		_, err := w.svc.Spreadsheets.BatchUpdate(spreadsheetID, req).Context(ctx).Do()
		return err
	}, func() (bool, error) { // a lost answer: applied when none of the tabs is left
		again, err := w.readTabs(ctx, spreadsheetID, "", &res)
		if err != nil {
			return false, err
		}
		for id := range ids {
			if again.used[id] {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		return 0, w.classify("remove staging tabs", spreadsheetID, err)
	}
	w.log.InfoContext(ctx, "google: removed stale staging tabs", "spreadsheet_id", spreadsheetID, "owner", owner, "count", len(rs))
	return len(rs), nil
}

// NearLimitShare is the share of Google's cell limit from which a spreadsheet
// is reported near it (CellUsage.Near): 80%.
const NearLimitShare = 0.8

// CellUsage is how much of Google's cell limit a spreadsheet uses, and what
// takes the room.
type CellUsage struct {
	// Cells are the cells of all the spreadsheet's tabs; Limit is Google's
	// limit (LimitCells).
	Cells, Limit int64
	// Tabs are the tabs, the largest first.
	Tabs []TabCells
}

// TabCells is one tab's size in cells (rows × columns of its grid).
type TabCells struct {
	Title string
	Cells int64
}

// Near reports whether the spreadsheet uses NearLimitShare of the limit or more.
func (u CellUsage) Near() bool {
	return u.Limit > 0 && float64(u.Cells) >= NearLimitShare*float64(u.Limit)
}

// Note says how full the spreadsheet is and which tabs (at most 3) take the
// most room, for the status tab.
func (u CellUsage) Note() string {
	var b strings.Builder
	fmt.Fprintf(&b, "spreadsheet near Google's cell limit: %s of %s cells (%d%%)",
		thousands(u.Cells), thousands(u.Limit), u.Cells*100/max(u.Limit, 1))
	for i, t := range u.Tabs[:min(3, len(u.Tabs))] {
		sep := ", "
		if i == 0 {
			sep = "; largest tabs: "
		}
		fmt.Fprintf(&b, "%s%q %s", sep, t.Title, thousands(t.Cells))
	}
	return b.String()
}

// thousands writes n with comma separators.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// joinNote appends a sentence to a status note.
func joinNote(note, more string) string {
	if note == "" {
		return more
	}
	return note + "; " + more
}

// tabCells is one tab's id, title and cells as the writer read them.
type tabCells struct {
	id    int64
	title string
	cells int64
}

// usage is the spreadsheet's cell usage once a write of p is done: the
// target and the status tab at their new sizes, the stale staging tabs the
// write deletes gone, every other tab as it is.
func (x *tableWrite) usage(p plan) CellUsage {
	gone := map[int64]bool{}
	for _, s := range x.info.staging {
		gone[s.SheetId] = true
	}
	if g := x.info.target; g != nil {
		gone[g.SheetId] = true
	}
	if s := x.info.status; s != nil {
		gone[s.SheetId] = true
	}
	u := CellUsage{Limit: x.w.limitCells, Tabs: []TabCells{
		{Title: x.tab, Cells: int64(p.gridRows()) * int64(len(x.t.Columns))},
		{Title: x.w.status, Cells: x.statusRows * x.statusCols},
	}}
	for _, t := range x.info.tabs {
		if !gone[t.id] {
			u.Tabs = append(u.Tabs, TabCells{Title: t.title, Cells: t.cells})
		}
	}
	for _, t := range u.Tabs {
		u.Cells += t.Cells
	}
	slices.SortStableFunc(u.Tabs, func(a, b TabCells) int { return cmp.Compare(b.Cells, a.Cells) })
	return u
}
