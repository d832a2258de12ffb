package sheetstest

import (
	"slices"
	"strings"

	"google.golang.org/api/sheets/v4"
)

// Google's limits, enforced by the stand-in.
const (
	// MaxCells is the number of cells a spreadsheet may hold across its tabs.
	MaxCells = 10_000_000
	// MaxColumns is the number of columns a tab may have.
	MaxColumns = 18_278
	// MaxCellChars is the number of characters a cell may hold.
	MaxCellChars = 50_000
	// DefaultRows and DefaultCols size a new tab, as Google does.
	DefaultRows = 1000
	// DefaultCols is the column count of a new tab.
	DefaultCols = 26
)

// cell is one stored cell: its user-entered value (nil, float64, string or
// bool), its user-entered format and its note (nil: none).
type cell struct {
	value  any
	format *sheets.CellFormat
	note   *string
}

// grid is one tab.
//
// Grids are copy-on-write between batches: a batch's working copy of a
// spreadsheet shares its grids with the committed one until it changes
// them (spreadsheet.editByID copies the grid struct and its row index), and
// a copied grid shares row arrays until it writes to them (set copies the
// row first). So a failed batch leaves the committed grids untouched.
type grid struct {
	id         int64
	title      string
	rows, cols int64
	frozenRows int64
	frozenCols int64
	hidden     bool
	data       [][]cell // data[r] may be shorter than cols; len(data) <= rows
	// meta is the developer metadata located on the tab. Entries are never
	// changed in place (an update stores a changed copy), so copies of the
	// grid share them.
	meta []*sheets.DeveloperMetadata
	// filter is the tab's basic filter (nil: none); replaced, never changed
	// in place.
	filter *sheets.BasicFilter

	batch int64          // the batch (spreadsheet.batch) this copy belongs to
	own   map[*cell]bool // first elements of the row arrays this copy allocated
}

// copyFor returns a copy of g for batch: its own row index, shared rows.
func (g *grid) copyFor(batch int64) *grid {
	c := *g
	c.data = slices.Clone(g.data)
	c.meta = slices.Clone(g.meta)
	c.batch, c.own = batch, map[*cell]bool{}
	return &c
}

// owns reports whether row's array was allocated by this copy.
func (g *grid) owns(row []cell) bool {
	return cap(row) > 0 && g.own[&row[:1][0]]
}

// set stores v at (r, c), growing the backing slices; the caller checks
// bounds. A row shared with another copy is copied before it is changed.
func (g *grid) set(r, c int64, v cell) {
	for int64(len(g.data)) <= r {
		g.data = append(g.data, nil)
	}
	row := g.data[r]
	switch n := int64(len(row)); {
	case !g.owns(row) || int64(cap(row)) <= c:
		fresh := make([]cell, max(n, c+1), max(n, c+1, g.cols))
		copy(fresh, row)
		row = fresh
		if g.own == nil {
			g.own = map[*cell]bool{}
		}
		g.own[&row[0]] = true
	case n <= c:
		row = row[:c+1]
		clear(row[n:]) // left over from a truncate
	}
	row[c] = v
	g.data[r] = row
}

func (g *grid) get(r, c int64) cell {
	if r < int64(len(g.data)) && c < int64(len(g.data[r])) {
		return g.data[r][c]
	}
	return cell{}
}

// truncate drops data outside the grid after a shrink.
func (g *grid) truncate() {
	if int64(len(g.data)) > g.rows {
		g.data = g.data[:g.rows]
	}
	for i, r := range g.data {
		if int64(len(r)) > g.cols {
			g.data[i] = r[:g.cols]
		}
	}
}

// lastDataRow is the index of the last row holding a value, or -1.
func (g *grid) lastDataRow() int64 {
	for r := len(g.data) - 1; r >= 0; r-- {
		for _, c := range g.data[r] {
			if c.value != nil {
				return int64(r)
			}
		}
	}
	return -1
}

func (g *grid) props(index int) *sheets.SheetProperties {
	return &sheets.SheetProperties{
		SheetId:   g.id,
		Title:     g.title,
		Index:     int64(index),
		SheetType: "GRID",
		Hidden:    g.hidden,
		GridProperties: &sheets.GridProperties{
			RowCount:          g.rows,
			ColumnCount:       g.cols,
			FrozenRowCount:    g.frozenRows,
			FrozenColumnCount: g.frozenCols,
		},
	}
}

// spreadsheet is one document with its tabs and the accounts it is shared with.
type spreadsheet struct {
	id     string
	shared map[string]bool // editors
	// readers may read (spreadsheets.get, values.get) but not edit: their batchUpdates are
	// refused with 403 PERMISSION_DENIED, as Google refuses a viewer's.
	readers map[string]bool
	grids   []*grid
	meta    []*sheets.DeveloperMetadata // located on the spreadsheet itself
	batch   int64                       // serial of the batch that made this version
}

// edit returns a working copy for the next batch. It shares the grids (and
// the sharing set, which batches do not change); editByID copies a grid on
// its first change.
func (s *spreadsheet) edit() *spreadsheet {
	return &spreadsheet{id: s.id, shared: s.shared, readers: s.readers, grids: slices.Clone(s.grids),
		meta: slices.Clone(s.meta), batch: s.batch + 1}
}

// editByID returns the tab with sheetId id, copied for this version's batch
// if it is still shared with the committed version; nil if none.
func (s *spreadsheet) editByID(id int64) *grid {
	for i, g := range s.grids {
		if g.id == id {
			if g.batch != s.batch {
				g = g.copyFor(s.batch)
				s.grids[i] = g
			}
			return g
		}
	}
	return nil
}

// commit ends the batch that made s: its grids' ownership records are no
// longer needed (the next batch copies them again before changing them).
func (s *spreadsheet) commit() {
	for _, g := range s.grids {
		if g.batch == s.batch {
			g.own = nil
		}
	}
}

func (s *spreadsheet) byID(id int64) *grid {
	for _, g := range s.grids {
		if g.id == id {
			return g
		}
	}
	return nil
}

// byTitle finds a tab by title; Google compares titles case-insensitively.
func (s *spreadsheet) byTitle(title string) *grid {
	for _, g := range s.grids {
		if strings.EqualFold(g.title, title) {
			return g
		}
	}
	return nil
}

func (s *spreadsheet) cells() int64 {
	var n int64
	for _, g := range s.grids {
		n += g.rows * g.cols
	}
	return n
}

func (s *spreadsheet) nextID() int64 {
	var max int64
	for _, g := range s.grids {
		if g.id > max {
			max = g.id
		}
	}
	return max + 1
}
