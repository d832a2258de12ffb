package sheetstest

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/api/sheets/v4"
)

// What a person does to a tab through Google's menus, as batchUpdate
// requests: Data › Sort range (sortRange), a basic filter with its sort and
// hidden values (setBasicFilter, clearBasicFilter) and dragging rows or
// columns (moveDimension). A sort moves the cells (value, format and note)
// of the range's rows; the rows themselves, the grid's size and the
// developer metadata stay. A basic filter's hidden rows stay where they are
// and keep their values.

// sortRange sorts the rows of a range by its sort specs.
func sortRange(book *spreadsheet, rq *sheets.SortRangeRequest) string {
	if rq.Range == nil {
		return "range is required"
	}
	g, r0, r1, c0, c1, msg := gridRange(book, rq.Range)
	if msg != "" {
		return msg
	}
	return sortRows(g, r0, r1, c0, c1, rq.SortSpecs)
}

// sortRows sorts rows [r0, r1) of g on columns [c0, c1) by specs, stably;
// each spec's dimensionIndex is a column of the tab. Google orders numbers
// before text before booleans, text case-insensitively, and puts empty
// cells last in either order.
func sortRows(g *grid, r0, r1, c0, c1 int64, specs []*sheets.SortSpec) string {
	if len(specs) == 0 {
		return "At least one sort spec is required."
	}
	for _, sp := range specs {
		if sp.DimensionIndex < c0 || sp.DimensionIndex >= c1 {
			return fmt.Sprintf("Sort column %d is outside the range.", sp.DimensionIndex)
		}
		if sp.SortOrder != "" && sp.SortOrder != "ASCENDING" && sp.SortOrder != "DESCENDING" {
			return fmt.Sprintf("Invalid sort order: %q", sp.SortOrder)
		}
	}
	rows := make([][]cell, 0, r1-r0)
	for r := r0; r < r1; r++ {
		row := make([]cell, c1-c0)
		for c := c0; c < c1; c++ {
			row[c-c0] = g.get(r, c)
		}
		rows = append(rows, row)
	}
	slices.SortStableFunc(rows, func(a, b []cell) int {
		for _, sp := range specs {
			x, y := a[sp.DimensionIndex-c0].value, b[sp.DimensionIndex-c0].value
			if (x == nil) != (y == nil) { // empty cells last
				if x == nil {
					return 1
				}
				return -1
			}
			n := compareValues(x, y)
			if sp.SortOrder == "DESCENDING" {
				n = -n
			}
			if n != 0 {
				return n
			}
		}
		return 0
	})
	for i, row := range rows {
		for j, c := range row {
			g.set(r0+int64(i), c0+int64(j), c)
		}
	}
	return ""
}

// compareValues orders two non-empty cell values as Google's sort does.
func compareValues(x, y any) int {
	rank := func(v any) int {
		switch v.(type) {
		case float64:
			return 0
		case string:
			return 1
		}
		return 2
	}
	if n := cmp.Compare(rank(x), rank(y)); n != 0 {
		return n
	}
	switch a := x.(type) {
	case float64:
		return cmp.Compare(a, y.(float64))
	case string:
		b := y.(string)
		if n := cmp.Compare(strings.ToLower(a), strings.ToLower(b)); n != 0 {
			return n
		}
		return cmp.Compare(a, b)
	case bool:
		b := y.(bool)
		switch {
		case a == b:
			return 0
		case !a:
			return -1
		}
		return 1
	}
	return 0
}

// setBasicFilter sets the tab's basic filter; its sort specs sort the rows
// under the filter range's first (header) row, as the filter's sort menu
// does. The filter's criteria hide rows without moving them.
func setBasicFilter(book *spreadsheet, rq *sheets.SetBasicFilterRequest) string {
	f := rq.Filter
	if f == nil || f.Range == nil {
		return "filter.range is required"
	}
	g, r0, r1, c0, c1, msg := gridRange(book, f.Range)
	if msg != "" {
		return msg
	}
	if len(f.SortSpecs) > 0 && r1-r0 > 1 {
		if msg := sortRows(g, r0+1, r1, c0, c1, f.SortSpecs); msg != "" {
			return msg
		}
	}
	g.filter = f
	return ""
}

// clearBasicFilter removes the tab's basic filter: hidden rows show again,
// sorted values stay where the sort put them.
func clearBasicFilter(book *spreadsheet, rq *sheets.ClearBasicFilterRequest) string {
	g := book.editByID(rq.SheetId)
	if g == nil {
		return fmt.Sprintf("No grid with id: %d", rq.SheetId)
	}
	g.filter = nil
	return ""
}

// moveDimension moves rows or columns [startIndex, endIndex) to
// destinationIndex, given in the coordinates before the move, with their
// cells.
func moveDimension(book *spreadsheet, rq *sheets.MoveDimensionRequest) string {
	src := rq.Source
	if src == nil {
		return "source is required"
	}
	g := book.editByID(src.SheetId)
	if g == nil {
		return fmt.Sprintf("No grid with id: %d", src.SheetId)
	}
	size := g.rows
	if src.Dimension == "COLUMNS" {
		size = g.cols
	} else if src.Dimension != "ROWS" {
		return fmt.Sprintf("Invalid dimension: %q", src.Dimension)
	}
	s, e, d := src.StartIndex, src.EndIndex, rq.DestinationIndex
	if s < 0 || e > size || s >= e || d < 0 || d > size {
		return "Invalid dimension range."
	}
	// order[i] is the old index of what lands at index i.
	order := make([]int64, 0, size)
	for i := range size {
		if i < s || i >= e {
			order = append(order, i)
		}
	}
	at := d
	if d > e {
		at = d - (e - s)
	} else if d > s {
		at = s // inside the source: no move
	}
	moved := make([]int64, 0, e-s)
	for i := s; i < e; i++ {
		moved = append(moved, i)
	}
	order = slices.Insert(order, int(at), moved...)
	if src.Dimension == "ROWS" {
		old := make([][]cell, size)
		for r := range size {
			if r < int64(len(g.data)) {
				old[r] = g.data[r]
			}
		}
		g.data = make([][]cell, size)
		for i, o := range order {
			g.data[i] = old[o]
		}
		return ""
	}
	for r := range int64(len(g.data)) {
		old := make([]cell, size)
		for c := range size {
			old[c] = g.get(r, c)
		}
		for i, o := range order {
			g.set(r, int64(i), old[o])
		}
	}
	return ""
}

// HiddenRows are the 0-based rows of tab that its basic filter hides: rows
// under the filter's header whose value in a column with criteria is one of
// the criteria's hiddenValues (as Google compares them: the displayed text;
// here the plain decimal form of numbers).
func (s *Server) HiddenRows(id, tab string) []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.grid(id, tab)
	if g == nil || g.filter == nil || g.filter.Range == nil {
		return nil
	}
	f := g.filter
	r0, r1 := f.Range.StartRowIndex, f.Range.EndRowIndex
	if r1 == 0 || r1 > g.rows {
		r1 = g.rows
	}
	var out []int
	for r := r0 + 1; r < r1; r++ {
		for col, crit := range f.Criteria {
			c, err := strconv.ParseInt(col, 10, 64)
			if err != nil {
				continue
			}
			if slices.Contains(crit.HiddenValues, displayText(g.get(r, c).value)) {
				out = append(out, int(r))
				break
			}
		}
	}
	return out
}

// displayText is a value as plain text.
func displayText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}
