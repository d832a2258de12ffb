package sheetstest

import (
	"fmt"
	"slices"

	"google.golang.org/api/sheets/v4"
)

// overlap is the length of [a0, a1) ∩ [b0, b1).
func overlap(a0, a1, b0, b1 int64) int64 {
	return max(0, min(a1, b1)-max(a0, b0))
}

// visible counts the tabs that are not hidden.
func (s *spreadsheet) visible() int {
	n := 0
	for _, g := range s.grids {
		if !g.hidden {
			n++
		}
	}
	return n
}

// insertDimension inserts empty rows or columns at [startIndex, endIndex).
// As in Google, the new rows (columns) take the formats of the row (column)
// before them when inheritFromBefore is true, else of the one after them;
// values and notes are not inherited. Inserting inside the frozen rows
// (columns) grows the frozen area.
func insertDimension(book *spreadsheet, rq *sheets.InsertDimensionRequest) string {
	dr := rq.Range
	if dr == nil {
		return "range is required"
	}
	g := book.editByID(dr.SheetId)
	if g == nil {
		return fmt.Sprintf("No grid with id: %d", dr.SheetId)
	}
	start, end := dr.StartIndex, dr.EndIndex
	var size int64
	switch dr.Dimension {
	case "ROWS":
		size = g.rows
	case "COLUMNS":
		size = g.cols
	default:
		return fmt.Sprintf("Invalid dimension: %q", dr.Dimension)
	}
	switch {
	case start < 0 || end <= start:
		return "Invalid dimension range: the end index must be greater than the start index."
	case start > size:
		return fmt.Sprintf("Invalid dimension range: the start index %d is past the last %s (%d).",
			start, map[bool]string{true: "row", false: "column"}[dr.Dimension == "ROWS"], size)
	case rq.InheritFromBefore && start == 0:
		return "inheritFromBefore is true, so the start index must be greater than 0."
	}
	n := end - start
	// Checked before the rows are made: a huge insert fails without cost.
	other := g.cols
	if dr.Dimension == "COLUMNS" {
		other = g.rows
	}
	if book.cells()+n*other > MaxCells {
		return fmt.Sprintf("This action would increase the number of cells in the workbook above the limit of %d cells.", MaxCells)
	}
	from := start // the row or column whose formats the new ones take
	if rq.InheritFromBefore {
		from = start - 1
	}
	if dr.Dimension == "ROWS" {
		var model []cell
		if from < int64(len(g.data)) && from < size {
			for _, c := range g.data[from] {
				model = append(model, cell{format: c.format})
			}
		}
		if start <= int64(len(g.data)) {
			fresh := make([][]cell, n)
			if slices.ContainsFunc(model, func(c cell) bool { return c.format != nil }) {
				for i := range fresh {
					fresh[i] = slices.Clone(model) // not owned: set copies before changing
				}
			}
			g.data = slices.Insert(g.data, int(start), fresh...)
		}
		g.rows += n
		if start < g.frozenRows {
			g.frozenRows += n
		}
		return checkGrid(g)
	}
	for i, row := range g.data {
		if start > int64(len(row)) {
			continue
		}
		var f *sheets.CellFormat
		if from < int64(len(row)) && from < size {
			f = row[from].format
		}
		fresh := make([]cell, 0, int64(len(row))+n)
		fresh = append(fresh, row[:start]...)
		for range n {
			fresh = append(fresh, cell{format: f})
		}
		g.data[i] = append(fresh, row[start:]...) // a new array: the old one may be shared
	}
	g.cols += n
	if start < g.frozenCols {
		g.frozenCols += n
	}
	return checkGrid(g)
}

// copyPaste copies a range to another, on the same tab or another one, as
// Google does: a destination whose height (width) is a multiple of the
// source's is filled by repeating it; otherwise (an open end included) the
// source is pasted once from the destination's start, even past the
// destination's end. A paste
// that would leave the grid fails (the stand-in does not grow grids here).
// PASTE_NORMAL copies values, formats and notes; PASTE_VALUES values;
// PASTE_FORMAT formats. Empty source cells clear what they land on.
func copyPaste(book *spreadsheet, rq *sheets.CopyPasteRequest) string {
	if rq.Source == nil || rq.Destination == nil {
		return "source and destination are required"
	}
	var m fieldMask
	switch rq.PasteType {
	case "", "PASTE_NORMAL":
		m = fieldMask{value: true, format: true, note: true}
	case "PASTE_VALUES":
		m.value = true
	case "PASTE_FORMAT":
		m.format = true
	default:
		return fmt.Sprintf("pasteType %q not supported by the stand-in", rq.PasteType)
	}
	if o := rq.PasteOrientation; o != "" && o != "NORMAL" {
		return fmt.Sprintf("pasteOrientation %q not supported by the stand-in", o)
	}
	src, sr0, sr1, sc0, sc1, msg := resolveRange(book, rq.Source, false)
	if msg != "" {
		return msg
	}
	// The source is read before anything is written: the ranges may overlap.
	h, w := sr1-sr0, sc1-sc0
	block := make([][]cell, h)
	for r := range h {
		block[r] = make([]cell, w)
		for c := range w {
			block[r][c] = src.get(sr0+r, sc0+c)
		}
	}
	dst := book.editByID(rq.Destination.SheetId)
	if dst == nil {
		return fmt.Sprintf("No grid with id: %d", rq.Destination.SheetId)
	}
	d := rq.Destination
	r0, c0 := d.StartRowIndex, d.StartColumnIndex
	if r0 < 0 || c0 < 0 || d.EndRowIndex != 0 && d.EndRowIndex < r0 || d.EndColumnIndex != 0 && d.EndColumnIndex < c0 {
		return "Invalid destination range."
	}
	// An open end (0) pastes the source once from the start.
	rows, cols := h, w
	if span := d.EndRowIndex - r0; d.EndRowIndex != 0 && span >= h && span%h == 0 {
		rows = span
	}
	if span := d.EndColumnIndex - c0; d.EndColumnIndex != 0 && span >= w && span%w == 0 {
		cols = span
	}
	if r0+rows > dst.rows || c0+cols > dst.cols {
		return fmt.Sprintf("Range (%s) exceeds grid limits. Max rows: %d, max columns: %d",
			a1(dst.title, r0, r0+rows, c0, c0+cols), dst.rows, dst.cols)
	}
	for r := range rows {
		for c := range cols {
			put(dst, r0+r, c0+c, block[r%h][c%w], m)
		}
	}
	return ""
}

// deleteSheet removes a tab and the developer metadata located on it.
func deleteSheet(book *spreadsheet, rq *sheets.DeleteSheetRequest) string {
	i := slices.IndexFunc(book.grids, func(g *grid) bool { return g.id == rq.SheetId })
	if i < 0 {
		return fmt.Sprintf("No grid with id: %d", rq.SheetId)
	}
	if len(book.grids) == 1 {
		return "You can't remove all the sheets in a document."
	}
	hidden := book.grids[i].hidden
	book.grids = slices.Delete(book.grids, i, i+1)
	if !hidden && book.visible() == 0 {
		return "You can't remove all the visible sheets in a document."
	}
	return ""
}
