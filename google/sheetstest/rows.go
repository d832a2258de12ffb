package sheetstest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"

	"google.golang.org/api/sheets/v4"
)

// rows is the decoded "rows" of updateCells or appendCells: one inRow per
// RowData (nil for null or no values), one inCell per CellData.
type rows []inRow

type inRow []inCell

// inCell is one decoded CellData: the cell to store, or msg, Google's reason
// to refuse it (reported when the request is applied).
type inCell struct {
	c   cell
	msg string
}

// UnmarshalJSON decodes rows. Rows of plain cells (userEnteredValue with a
// number, string or bool, and userEnteredFormat) take a fast path; anything
// else is decoded strictly with the sheets-shaped types (rowData), so an
// unknown field is still refused. encoding/json has checked the syntax of
// data before calling this.
func (r *rows) UnmarshalJSON(data []byte) error {
	p := rowParser{b: data, formats: map[string]*sheets.CellFormat{}}
	if out, ok := p.rows(); ok {
		*r = out
		return nil
	}
	var slow []*rowData
	if err := strictUnmarshal(data, &slow); err != nil {
		return err
	}
	out := make(rows, len(slow))
	for i, rd := range slow {
		if rd == nil {
			continue
		}
		out[i] = make(inRow, len(rd.Values))
		for j, cd := range rd.Values {
			c, msg := toCell(cd)
			out[i][j] = inCell{c: c, msg: msg}
		}
	}
	*r = out
	return nil
}

func strictUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// rowParser parses syntactically valid JSON; ok false means "not the plain
// shape, use the strict decoder".
type rowParser struct {
	b       []byte
	i       int
	formats map[string]*sheets.CellFormat // one value per distinct format text
}

func (p *rowParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// peek skips white space and returns the next byte (0 at the end).
func (p *rowParser) peek() byte {
	p.ws()
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

// null consumes a null literal if one is next.
func (p *rowParser) null() bool {
	if p.peek() == 'n' {
		p.i += len("null")
		return true
	}
	return false
}

// next consumes a ',' (more to come) or the closing byte (done).
func (p *rowParser) next(closing byte) (more, ok bool) {
	switch p.peek() {
	case ',':
		p.i++
		return true, true
	case closing:
		p.i++
		return false, true
	}
	return false, false
}

// list parses '[' item (',' item)* ']' or '{' item ... '}' with item.
func (p *rowParser) list(open, closing byte, item func() bool) bool {
	if p.peek() != open {
		return false
	}
	p.i++
	if p.peek() == closing {
		p.i++
		return true
	}
	for {
		if !item() {
			return false
		}
		more, ok := p.next(closing)
		if !ok {
			return false
		}
		if !more {
			return true
		}
	}
}

// object parses an object, calling field for each key with the parser at
// the key's value.
func (p *rowParser) object(field func(key string) bool) bool {
	return p.list('{', '}', func() bool {
		key, ok := p.str()
		if !ok || p.peek() != ':' {
			return false
		}
		p.i++
		return field(key)
	})
}

// str parses a string. One with escapes or invalid UTF-8 is handed to
// encoding/json, which decodes it as Google's JSON parser would.
func (p *rowParser) str() (string, bool) {
	if p.peek() != '"' {
		return "", false
	}
	start, plain := p.i+1, true
	j := start
	for ; j < len(p.b) && p.b[j] != '"'; j++ {
		switch c := p.b[j]; {
		case c == '\\':
			plain = false
			j++
		case c >= utf8.RuneSelf:
			plain = false
		}
	}
	if j >= len(p.b) {
		return "", false
	}
	p.i = j + 1
	if raw := p.b[start:j]; plain || bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		return string(raw), true
	}
	var s string
	if json.Unmarshal(p.b[start-1:j+1], &s) != nil {
		return "", false
	}
	return s, true
}

func (p *rowParser) number() (float64, bool) {
	p.ws()
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		if c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			p.i++
			continue
		}
		break
	}
	f, err := strconv.ParseFloat(string(p.b[start:p.i]), 64)
	return f, err == nil && p.i > start
}

func (p *rowParser) boolean() (bool, bool) {
	switch p.peek() {
	case 't':
		p.i += len("true")
		return true, true
	case 'f':
		p.i += len("false")
		return false, true
	}
	return false, false
}

// skip passes over one value, returning its text.
func (p *rowParser) skip() ([]byte, bool) {
	p.ws()
	start, depth, inStr := p.i, 0, false
	for ; p.i < len(p.b); p.i++ {
		c := p.b[p.i]
		switch {
		case inStr:
			if c == '\\' {
				p.i++
			} else if c == '"' {
				inStr = false
			}
		case c == '"':
			inStr = true
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
			if depth == 0 {
				p.i++
				return p.b[start:p.i], true
			}
		}
	}
	return nil, false
}

func (p *rowParser) rows() (rows, bool) {
	var out rows
	ok := p.list('[', ']', func() bool {
		if p.null() {
			out = append(out, nil)
			return true
		}
		var row inRow
		ok := p.object(func(key string) bool {
			if key != "values" {
				return false
			}
			return p.list('[', ']', func() bool {
				c, ok := p.cell()
				row = append(row, c)
				return ok
			})
		})
		out = append(out, row)
		return ok
	})
	return out, ok && p.peek() == 0
}

func (p *rowParser) cell() (inCell, bool) {
	var ic inCell
	if p.null() {
		return ic, true
	}
	set := 0
	ok := p.object(func(key string) bool {
		switch key {
		case "userEnteredValue":
			return p.object(func(key string) bool {
				var ok bool
				switch key {
				case "numberValue":
					ic.c.value, ok = p.number()
				case "stringValue":
					var s string
					if s, ok = p.str(); ok && utf8.RuneCountInString(s) > MaxCellChars {
						ic.msg = fmt.Sprintf("Your input contains more than the maximum of %d characters in a single cell.", MaxCellChars)
					}
					ic.c.value = s
				case "boolValue":
					ic.c.value, ok = p.boolean()
				}
				set++
				return ok
			})
		case "userEnteredFormat":
			if p.peek() != '{' {
				return false
			}
			raw, ok := p.skip()
			if !ok {
				return false
			}
			f, seen := p.formats[string(raw)]
			if !seen {
				if strictUnmarshal(raw, &f) != nil {
					return false
				}
				p.formats[string(raw)] = f
			}
			ic.c.format = f
			return true
		}
		return false
	})
	if set > 1 && ic.msg == "" {
		ic.msg = "Only one value may be set in userEnteredValue."
	}
	return ic, ok
}
