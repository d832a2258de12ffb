package google

import (
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// The data rows of a table are encoded by hand rather than through the
// sheets/v4 types: their generated MarshalJSON methods re-compact nested
// output at every level (BatchUpdateSpreadsheetRequest, Request,
// UpdateCellsRequest, RowData, CellData, ExtendedValue), which costs the
// nesting depth times the payload size. The functions here append exactly
// what encoding/json would produce for the same sheets values (see
// encode_test.go), in one pass.

// appendCell appends one cell as CellData JSON holding only userEnteredValue
// ("{}" for an empty cell). It converts values as cellValue does; tooLong > 0
// reports text over Google's per-cell limit (nothing is appended then).
func appendCell(b []byte, v any) (_ []byte, tooLong int, err error) {
	switch x := v.(type) {
	case nil:
		return append(b, "{}"...), 0, nil
	case string:
		if x == "" {
			return append(b, "{}"...), 0, nil
		}
		// A rune is at least one byte: only long strings need counting.
		if len(x) > LimitCellChars {
			if n := utf8.RuneCountInString(x); n > LimitCellChars {
				return b, n, nil
			}
		}
		b = append(b, `{"userEnteredValue":{"stringValue":`...)
		b = appendString(b, x)
		return append(b, "}}"...), 0, nil
	case int64:
		return appendNumber(b, float64(x)), 0, nil
	case int:
		return appendNumber(b, float64(x)), 0, nil
	case int32:
		return appendNumber(b, float64(x)), 0, nil
	case float64:
		return appendNumber(b, x), 0, nil
	case float32:
		return appendNumber(b, float64(x)), 0, nil
	case bool:
		return append(append(b, `{"userEnteredValue":{"boolValue":`...), strconv.FormatBool(x)+"}}"...), 0, nil
	case time.Time:
		return appendNumber(b, dateSerial(x)), 0, nil
	}
	return b, 0, fmt.Errorf("unsupported value type %T", v)
}

// appendNumber appends a numberValue cell; NaN and infinities are empty cells.
func appendNumber(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "{}"...)
	}
	b = append(b, `{"userEnteredValue":{"numberValue":`...)
	b = appendFloat(b, f)
	return append(b, "}}"...)
}

// appendFloat formats a finite float64 as encoding/json does.
func appendFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// Clean up e-09 to e-9, as encoding/json does.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD, as
// with encoding/json; unlike it, <, > and & are not escaped (the body is not
// HTML).
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		// U+2028 and U+2029 are valid JSON but escaped by encoding/json
		// for JavaScript's sake; do the same.
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
