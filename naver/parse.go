package naver

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
)

// ADRow is one row of an AD stat report (columns by position; see doc.go).
// The parser reuses one ADRow for every line: copy what you keep.
type ADRow struct {
	Date         time.Time // 00:00 UTC of the KST day
	CustomerID   string
	CampaignID   string
	AdgroupID    string
	KeywordID    string // "-" for traffic without a keyword
	AdID         string // may be "-"
	BizChannelID string
	MediaCode    string
	Device       string // "P" or "M"
	Impressions  int64
	Clicks       int64
	Views        int64 // 0 in old 13-column files
	Cost         float64
	RankSum      float64
}

// ConversionRow is one row of an AD_CONVERSION stat report. The parser
// reuses one ConversionRow for every line: copy what you keep.
type ConversionRow struct {
	Date           time.Time
	CustomerID     string
	CampaignID     string
	AdgroupID      string
	KeywordID      string
	AdID           string
	BizChannelID   string
	MediaCode      string
	Device         string
	Method         int    // 1 direct, 2 indirect
	ConversionType string // code such as "purchase", or "1".."5" before 2024-07-03
	Conversions    int64
	Sales          float64
}

// Campaign is one row of a Campaign master report.
type Campaign struct{ ID, Name string }

// Adgroup is one row of an Adgroup master report.
type Adgroup struct{ ID, CampaignID, Name string }

// Keyword is one row of a Keyword master report.
type Keyword struct{ ID, AdgroupID, Keyword string }

// ParseError names the file and line of a malformed row.
type ParseError struct {
	File string
	Line int
	Err  error
}

// Error formats as "naver: parse FILE line N: cause".
func (e *ParseError) Error() string {
	return fmt.Sprintf("naver: parse %s line %d: %v", e.File, e.Line, e.Err)
}

// Unwrap returns the cause.
func (e *ParseError) Unwrap() error { return e.Err }

// ErrColumns is the cause of a ParseError for a row with too few columns.
var ErrColumns = errors.New("too few columns")

// maxFields is the most columns a parser looks at; extra ones are ignored.
const maxFields = 16

// tsvReader splits a TSV stream into reused field slices, reuses a
// column's string while it repeats from row to row (ids come in runs) and
// caches dates.
type tsvReader struct {
	sc       *bufio.Scanner
	name     string
	line     int
	fields   [maxFields][]byte
	n        int // fields on this line (capped at maxFields)
	prev     [maxFields]string
	lastDate []byte
	date     time.Time
}

func newTSVReader(r io.Reader, name string) *tsvReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	return &tsvReader{sc: sc, name: name}
}

// next reads the next non-empty line into t.fields.
func (t *tsvReader) next() bool {
	for t.sc.Scan() {
		t.line++
		b := t.sc.Bytes()
		if len(b) > 0 && b[len(b)-1] == '\r' {
			b = b[:len(b)-1]
		}
		if t.line == 1 {
			b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) // UTF-8 BOM
		}
		if len(b) == 0 {
			continue
		}
		t.n = 0
		for t.n < maxFields {
			i := bytes.IndexByte(b, '\t')
			if i < 0 {
				t.fields[t.n] = b
				t.n++
				break
			}
			t.fields[t.n] = b[:i]
			t.n++
			b = b[i+1:]
		}
		return true
	}
	return false
}

func (t *tsvReader) err() error {
	if err := t.sc.Err(); err != nil {
		return fmt.Errorf("naver: read %s after line %d: %w", t.name, t.line, err)
	}
	return nil
}

func (t *tsvReader) fail(err error) error {
	return &ParseError{File: t.name, Line: t.line, Err: err}
}

func (t *tsvReader) need(n int) error {
	if t.n < n {
		return t.fail(fmt.Errorf("%w: %d, want at least %d", ErrColumns, t.n, n))
	}
	return nil
}

// str returns field i as a string, the previous row's when it is equal.
func (t *tsvReader) str(i int) string {
	b := t.fields[i]
	if string(b) == t.prev[i] {
		return t.prev[i]
	}
	s := string(b)
	t.prev[i] = s
	return s
}

func (t *tsvReader) int(i int, col string) (int64, error) {
	if v, ok := fastUint(t.fields[i]); ok {
		return int64(v), nil
	}
	v, err := strconv.ParseInt(string(t.fields[i]), 10, 64)
	if err != nil {
		return 0, t.fail(fmt.Errorf("column %d (%s): bad integer %q", i+1, col, t.fields[i]))
	}
	return v, nil
}

func (t *tsvReader) float(i int, col string) (float64, error) {
	if v, ok := fastDecimal(t.fields[i]); ok {
		return v, nil
	}
	v, err := strconv.ParseFloat(string(t.fields[i]), 64)
	if err != nil {
		return 0, t.fail(fmt.Errorf("column %d (%s): bad number %q", i+1, col, t.fields[i]))
	}
	return v, nil
}

// fastUint parses 1 to 15 ASCII digits; anything else is left to strconv.
func fastUint(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 15 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	return v, true
}

// pow10 are the powers of ten a fast decimal may divide by.
func pow10(k int) float64 {
	p := 1.0
	for range k {
		p *= 10
	}
	return p
}

// fastDecimal parses "digits[.digits]" with at most 15 digits in all. The
// result equals strconv.ParseFloat's: the integer m < 2^53 and 10^k are
// exact doubles, and IEEE division rounds m/10^k correctly.
func fastDecimal(b []byte) (float64, bool) {
	dot := bytes.IndexByte(b, '.')
	if dot < 0 {
		v, ok := fastUint(b)
		return float64(v), ok
	}
	if dot == 0 || dot == len(b)-1 || len(b)-1 > 15 {
		return 0, false
	}
	ip, ok1 := fastUint(b[:dot])
	fp, ok2 := fastUint(b[dot+1:])
	if !ok1 || !ok2 {
		return 0, false
	}
	k := len(b) - dot - 1
	scale := pow10(k)
	return float64(ip*uint64(scale)+fp) / scale, true
}

// day parses field i as yyyyMMdd.
func (t *tsvReader) day(i int) (time.Time, error) {
	b := t.fields[i]
	if bytes.Equal(b, t.lastDate) && !t.date.IsZero() {
		return t.date, nil
	}
	d, err := time.Parse("20060102", string(b))
	if err != nil {
		return time.Time{}, t.fail(fmt.Errorf("column %d (date): bad date %q", i+1, b))
	}
	t.lastDate = append(t.lastDate[:0], b...)
	t.date = d
	return d, nil
}

// common reads columns 1-9, shared by AD and AD_CONVERSION.
func (t *tsvReader) common(date *time.Time, ids *[8]string) error {
	var err error
	if *date, err = t.day(0); err != nil {
		return err
	}
	for i := range ids {
		ids[i] = t.str(i + 1)
	}
	return nil
}

// ParseAD streams an AD report (13 or more columns; the 14th is the view
// count) and calls fn for every row. name is used in errors.
func ParseAD(r io.Reader, name string, fn func(*ADRow) error) error {
	t := newTSVReader(r, name)
	var row ADRow
	var ids [8]string
	for t.next() {
		if err := t.need(13); err != nil {
			return err
		}
		if err := t.common(&row.Date, &ids); err != nil {
			return err
		}
		row.CustomerID, row.CampaignID, row.AdgroupID, row.KeywordID = ids[0], ids[1], ids[2], ids[3]
		row.AdID, row.BizChannelID, row.MediaCode, row.Device = ids[4], ids[5], ids[6], ids[7]
		var err error
		if row.Impressions, err = t.int(9, "impressions"); err != nil {
			return err
		}
		if row.Clicks, err = t.int(10, "clicks"); err != nil {
			return err
		}
		if row.Cost, err = t.float(11, "cost"); err != nil {
			return err
		}
		if row.RankSum, err = t.float(12, "rank sum"); err != nil {
			return err
		}
		row.Views = 0
		if t.n > 13 {
			if row.Views, err = t.int(13, "views"); err != nil {
				return err
			}
		}
		if err := fn(&row); err != nil {
			return fmt.Errorf("%s line %d: %w", name, t.line, err)
		}
	}
	return t.err()
}

// ParseADConversion streams an AD_CONVERSION report (13 or more columns).
func ParseADConversion(r io.Reader, name string, fn func(*ConversionRow) error) error {
	t := newTSVReader(r, name)
	var row ConversionRow
	var ids [8]string
	for t.next() {
		if err := t.need(13); err != nil {
			return err
		}
		if err := t.common(&row.Date, &ids); err != nil {
			return err
		}
		row.CustomerID, row.CampaignID, row.AdgroupID, row.KeywordID = ids[0], ids[1], ids[2], ids[3]
		row.AdID, row.BizChannelID, row.MediaCode, row.Device = ids[4], ids[5], ids[6], ids[7]
		m, err := t.int(9, "conversion method")
		if err != nil {
			return err
		}
		row.Method = int(m)
		row.ConversionType = t.str(10)
		if row.Conversions, err = t.int(11, "conversions"); err != nil {
			return err
		}
		if row.Sales, err = t.float(12, "sales"); err != nil {
			return err
		}
		if err := fn(&row); err != nil {
			return fmt.Errorf("%s line %d: %w", name, t.line, err)
		}
	}
	return t.err()
}

// ParseCampaigns streams a Campaign master report (customer id, campaign
// id, name, ...: at least 3 columns).
func ParseCampaigns(r io.Reader, name string, fn func(*Campaign) error) error {
	t := newTSVReader(r, name)
	var c Campaign
	for t.next() {
		if err := t.need(3); err != nil {
			return err
		}
		c = Campaign{ID: t.str(1), Name: string(t.fields[2])}
		if err := fn(&c); err != nil {
			return fmt.Errorf("%s line %d: %w", name, t.line, err)
		}
	}
	return t.err()
}

// ParseAdgroups streams an Adgroup master report (customer id, ad group
// id, campaign id, name, ...: at least 4 columns).
func ParseAdgroups(r io.Reader, name string, fn func(*Adgroup) error) error {
	t := newTSVReader(r, name)
	var a Adgroup
	for t.next() {
		if err := t.need(4); err != nil {
			return err
		}
		a = Adgroup{ID: t.str(1), CampaignID: t.str(2), Name: string(t.fields[3])}
		if err := fn(&a); err != nil {
			return fmt.Errorf("%s line %d: %w", name, t.line, err)
		}
	}
	return t.err()
}

// ParseKeywords streams a Keyword master report (customer id, ad group id,
// keyword id, keyword, ...: at least 4 columns).
func ParseKeywords(r io.Reader, name string, fn func(*Keyword) error) error {
	t := newTSVReader(r, name)
	var k Keyword
	for t.next() {
		if err := t.need(4); err != nil {
			return err
		}
		k = Keyword{ID: t.str(2), AdgroupID: t.str(1), Keyword: string(t.fields[3])}
		if err := fn(&k); err != nil {
			return fmt.Errorf("%s line %d: %w", name, t.line, err)
		}
	}
	return t.err()
}

// ConversionTypeName returns the Korean name of a conversion type code as
// in Naver's notice of 2024-05-30 ("purchase" -> "구매완료"). The integers
// 1-5 of data before 2024-07-03 map to the names of the codes they became.
// An unknown code is returned unchanged.
func ConversionTypeName(code string) string {
	switch code {
	case "purchase", "1":
		return "구매완료"
	case "sign_up", "2":
		return "가입"
	case "add_to_cart", "3":
		return "장바구니 넣기"
	case "lead", "4":
		return "신청 혹은 예약"
	case "custom001", "5":
		return "사용자 정의#1"
	case "add_to_wishlist":
		return "위시리스트 추가"
	case "subscribe":
		return "소식받기/구독"
	case "schedule":
		return "예약 완료"
	case "view_content":
		return "콘텐츠 보기"
	}
	if len(code) == 9 && code[:6] == "custom" {
		if n, err := strconv.Atoi(code[6:]); err == nil && n >= 1 && n <= 10 {
			return "사용자 정의#" + strconv.Itoa(n)
		}
	}
	return code
}
