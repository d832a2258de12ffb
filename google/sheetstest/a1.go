package sheetstest

import (
	"fmt"
	"strconv"
	"strings"
)

// columnName turns a 0-based column index into A1 letters (0 -> A, 26 -> AA).
func columnName(c int64) string {
	var b []byte
	for c++; c > 0; c = (c - 1) / 26 {
		b = append([]byte{byte('A' + (c-1)%26)}, b...)
	}
	return string(b)
}

// quoteTitle renders a tab title as Google does in A1 notation.
func quoteTitle(t string) string {
	simple := t != ""
	for _, r := range t {
		if !(r == '_' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z') {
			simple = false
			break
		}
	}
	if simple {
		return t
	}
	return "'" + strings.ReplaceAll(t, "'", "''") + "'"
}

// a1 renders rows [r0, r1) x cols [c0, c1) of tab in A1 notation.
func a1(title string, r0, r1, c0, c1 int64) string {
	return fmt.Sprintf("%s!%s%d:%s%d", quoteTitle(title), columnName(c0), r0+1, columnName(c1-1), r1)
}

// a1Range is a parsed A1 range; -1 bounds are open.
type a1Range struct {
	title      string
	r0, r1     int64 // rows [r0, r1), r1 == -1: to the end
	c0, c1     int64 // cols [c0, c1), c1 == -1: to the end
	wholeSheet bool
}

// parseA1 parses "Tab", "Tab!A1", "Tab!A1:C3", "Tab!A:A", "Tab!A2:C", "'My Tab'!1:3".
func parseA1(s string) (a1Range, error) {
	bad := fmt.Errorf("Unable to parse range: %s", s)
	var r a1Range
	rest := s
	if strings.HasPrefix(s, "'") {
		i := 1
		var b strings.Builder
		for ; i < len(s); i++ {
			if s[i] == '\'' {
				if i+1 < len(s) && s[i+1] == '\'' {
					b.WriteByte('\'')
					i++
					continue
				}
				break
			}
			b.WriteByte(s[i])
		}
		if i >= len(s) {
			return r, bad
		}
		r.title, rest = b.String(), s[i+1:]
		if rest == "" {
			r.wholeSheet = true
			return r, nil
		}
		if !strings.HasPrefix(rest, "!") {
			return r, bad
		}
		rest = rest[1:]
	} else if i := strings.LastIndex(s, "!"); i >= 0 {
		r.title, rest = s[:i], s[i+1:]
	} else {
		r.title, r.wholeSheet = s, true
		return r, nil
	}
	from, to, two := strings.Cut(rest, ":")
	fr, fc, ok1 := parseCell(from)
	if !ok1 {
		return r, bad
	}
	tr, tc := fr, fc
	if two {
		var ok2 bool
		if tr, tc, ok2 = parseCell(to); !ok2 {
			return r, bad
		}
	}
	// A missing row or column means open on that side.
	r.r0, r.r1 = max(fr, 0), -1
	if tr >= 0 {
		r.r1 = tr + 1
	}
	r.c0, r.c1 = max(fc, 0), -1
	if tc >= 0 {
		r.c1 = tc + 1
	}
	if r.r1 >= 0 && r.r1 <= r.r0 || r.c1 >= 0 && r.c1 <= r.c0 {
		return r, bad
	}
	return r, nil
}

// parseCell parses "B3" -> (2, 1), "B" -> (-1, 1), "3" -> (2, -1).
func parseCell(s string) (row, col int64, ok bool) {
	i := 0
	col = -1
	for i < len(s) && (s[i] >= 'A' && s[i] <= 'Z' || s[i] >= 'a' && s[i] <= 'z') {
		ch := s[i] | 0x20
		col = (col+1)*26 + int64(ch-'a')
		if col > MaxColumns*2 {
			return 0, 0, false
		}
		i++
	}
	row = -1
	if i < len(s) {
		n, err := strconv.ParseInt(s[i:], 10, 64)
		if err != nil || n < 1 {
			return 0, 0, false
		}
		row = n - 1
	}
	return row, col, i > 0 || row >= 0
}
