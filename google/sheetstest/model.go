package sheetstest

import (
	"maps"
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
// bool) and its user-entered format.
type cell struct {
	value  any
	format *sheets.CellFormat
}

// grid is one tab.
type grid struct {
	id         int64
	title      string
	rows, cols int64
	frozenRows int64
	frozenCols int64
	data       [][]cell // data[r] may be shorter than cols; len(data) <= rows
}

func (g *grid) clone() *grid {
	c := *g
	c.data = make([][]cell, len(g.data))
	for i, r := range g.data {
		c.data[i] = slices.Clone(r)
	}
	return &c
}

// set stores v at (r, c), growing the backing slices; the caller checks bounds.
func (g *grid) set(r, c int64, v cell) {
	for int64(len(g.data)) <= r {
		g.data = append(g.data, nil)
	}
	row := g.data[r]
	for int64(len(row)) <= c {
		row = append(row, cell{})
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
	shared map[string]bool
	grids  []*grid
}

func (s *spreadsheet) clone() *spreadsheet {
	c := &spreadsheet{id: s.id, shared: maps.Clone(s.shared)}
	for _, g := range s.grids {
		c.grids = append(c.grids, g.clone())
	}
	return c
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
