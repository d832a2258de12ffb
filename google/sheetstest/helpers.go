package sheetstest

import "strings"

// CreateSpreadsheet adds (or replaces) spreadsheet id with one tab "Sheet1"
// of 1000x26 cells and sheetId 0, shared with the given e-mails.
func (s *Server) CreateSpreadsheet(id string, sharedWith ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := &spreadsheet{id: id, shared: map[string]bool{}, readers: map[string]bool{}}
	for _, e := range sharedWith {
		b.shared[strings.ToLower(e)] = true
	}
	b.grids = []*grid{{id: 0, title: "Sheet1", rows: DefaultRows, cols: DefaultCols}}
	s.books[id] = b
}

// Share gives email edit access to spreadsheet id.
func (s *Server) Share(id, email string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b := s.books[id]; b != nil {
		b.shared[strings.ToLower(email)] = true
	}
}

// ShareReadOnly gives email view access to spreadsheet id (a "Viewer" in Google's sharing
// dialog): it may read the spreadsheet, and its batchUpdates are refused with 403.
func (s *Server) ShareReadOnly(id, email string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b := s.books[id]; b != nil {
		delete(b.shared, strings.ToLower(email))
		b.readers[strings.ToLower(email)] = true
	}
}

// Unshare removes email's access to spreadsheet id.
func (s *Server) Unshare(id, email string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b := s.books[id]; b != nil {
		delete(b.shared, strings.ToLower(email))
		delete(b.readers, strings.ToLower(email))
	}
}

// DeleteSpreadsheet removes spreadsheet id; later requests get 404.
func (s *Server) DeleteSpreadsheet(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.books, id)
}

// AddSheet adds an empty tab of rows x cols to spreadsheet id, as a user
// would, bypassing the cell limit so tests can fill a workbook cheaply.
// It returns the new sheetId, or -1 if the spreadsheet is missing or the title is taken.
func (s *Server) AddSheet(id, title string, rows, cols int) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.books[id]
	if b == nil || b.byTitle(title) != nil {
		return -1
	}
	g := &grid{id: b.nextID(), title: title, rows: int64(rows), cols: int64(cols)}
	b.grids = append(b.grids, g)
	return g.id
}

// SetValues writes values (string, float64, bool or nil) into tab from A1, as a user typing
// would, growing the grid when needed; false if the tab does not exist.
func (s *Server) SetValues(id, tab string, values [][]any) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.books[id]
	if b == nil || b.byTitle(tab) == nil {
		return false
	}
	work := b.edit()
	g := work.editByID(work.byTitle(tab).id)
	for r, row := range values {
		g.rows = max(g.rows, int64(r+1))
		for c, v := range row {
			g.cols = max(g.cols, int64(c+1))
			g.set(int64(r), int64(c), cell{value: v})
		}
	}
	work.commit()
	s.books[id] = work
	s.recordHistory(work)
	return true
}

// RenameSheet changes a tab's title as a user would; false if not found.
func (s *Server) RenameSheet(id, title, newTitle string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.books[id]
	if b == nil {
		return false
	}
	g := b.byTitle(title)
	if g == nil {
		return false
	}
	g.title = newTitle
	return true
}

// SheetInfo describes one tab.
type SheetInfo struct {
	SheetID    int64
	Title      string
	Rows, Cols int
	FrozenRows int
	Hidden     bool
	// Metadata is the tab's developer metadata, key -> value.
	Metadata map[string]string
}

// Sheet returns the tab titled tab of spreadsheet id.
func (s *Server) Sheet(id, tab string) (SheetInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.grid(id, tab)
	if g == nil {
		return SheetInfo{}, false
	}
	info := SheetInfo{SheetID: g.id, Title: g.title, Rows: int(g.rows), Cols: int(g.cols),
		FrozenRows: int(g.frozenRows), Hidden: g.hidden, Metadata: map[string]string{}}
	for _, m := range g.meta {
		info.Metadata[m.MetadataKey] = m.MetadataValue
	}
	return info, true
}

// Sheets returns the titles of spreadsheet id's tabs in order.
func (s *Server) Sheets(id string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	if b := s.books[id]; b != nil {
		for _, g := range b.grids {
			out = append(out, g.title)
		}
	}
	return out
}

// Values returns the tab's user-entered values, typed (float64, string, bool
// or nil), with trailing empty cells and rows trimmed; nil if there is no such tab.
func (s *Server) Values(id, tab string) [][]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return gridValues(s.grid(id, tab))
}

// Cell is one cell's content and format, for assertions.
type Cell struct {
	Value      any    // float64, string, bool or nil
	FormatType string // numberFormat.type, e.g. "DATE", "NUMBER"; "" if none
	Pattern    string // numberFormat.pattern
	Bold       bool
	Note       string
}

// Cell returns the cell at 0-based (row, col) of the tab.
func (s *Server) Cell(id, tab string, row, col int) (Cell, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.grid(id, tab)
	if g == nil || int64(row) >= g.rows || int64(col) >= g.cols || row < 0 || col < 0 {
		return Cell{}, false
	}
	c := g.get(int64(row), int64(col))
	out := Cell{Value: c.value}
	if f := c.format; f != nil {
		if nf := f.NumberFormat; nf != nil {
			out.FormatType, out.Pattern = nf.Type, nf.Pattern
		}
		out.Bold = f.TextFormat != nil && f.TextFormat.Bold
	}
	if c.note != nil {
		out.Note = *c.note
	}
	return out, true
}

// Formats returns the number-format pattern of each column in row 2 (the
// first data row under a header); "" where a cell has none.
func (s *Server) Formats(id, tab string) []string {
	info, ok := s.Sheet(id, tab)
	if !ok || info.Rows < 2 {
		return nil
	}
	out := make([]string, info.Cols)
	for c := range info.Cols {
		cl, _ := s.Cell(id, tab, 1, c)
		out[c] = cl.Pattern
	}
	return out
}

// InjectErrors makes the next n API requests fail with the HTTP code and
// Google status (e.g. 429 "RESOURCE_EXHAUSTED", 500 "INTERNAL").
func (s *Server) InjectErrors(code int, status string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.inject = append(s.inject, injected{code: code, status: status})
	}
}

// RequestCount is the number of API requests received (token requests excluded).
func (s *Server) RequestCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// BatchUpdateCount is the number of spreadsheets.batchUpdate requests
// received, whatever their outcome.
func (s *Server) BatchUpdateCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.batchCalls
}

// Cells is the number of cells spreadsheet id holds across its tabs.
func (s *Server) Cells(id string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b := s.books[id]; b != nil {
		return b.cells()
	}
	return 0
}

func (s *Server) grid(id, tab string) *grid {
	b := s.books[id]
	if b == nil {
		return nil
	}
	return b.byTitle(tab)
}

// ClearErrors drops the errors InjectErrors queued and not yet answered.
func (s *Server) ClearErrors() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inject = nil
}
