package naver

import (
	"fmt"
	"io"
	"sort"
)

// ReportColumns is the documented column count of every stat report type (docs/naver-api.md, "Stat
// report files"; the official tables in markdown-en-US.json "#/tags/StatReport"). Files may have
// more columns (Naver appends columns over time); fewer is an error.
var ReportColumns = map[string]int{
	"AD":                                14,
	"AD_CONVERSION":                     13,
	"AD_DETAIL":                         16,
	"AD_CONVERSION_DETAIL":              15,
	"ADEXTENSION":                       15,
	"ADEXTENSION_CONVERSION":            14,
	"EXPKEYWORD":                        12,
	"SHOPPINGKEYWORD_DETAIL":            16,
	"SHOPPINGKEYWORD_CONVERSION_DETAIL": 15,
	"SHOPPINGBRANDPRODUCT":              12,
	"SHOPPINGBRANDPRODUCT_CONVERSION":   12,
	"CRITERION":                         7,
	"CRITERION_CONVERSION":              8,
}

// ReportTypes lists the stat report types ParseRows knows, sorted.
func ReportTypes() []string {
	out := make([]string, 0, len(ReportColumns))
	for t := range ReportColumns {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// ParseRows streams a stat report file of any documented type. For each row fn gets the
// documented columns as strings (extra trailing columns are dropped; the slice is reused) after
// the first column was checked to be a yyyyMMdd date. AD, AD_CONVERSION and the search term
// reports have typed parsers (ParseAD, ParseADConversion, ParseSearchTerms, ParseShoppingTerms,
// ParseShoppingConversions); this one serves the other types.
func ParseRows(r io.Reader, name, reportType string, fn func(fields []string) error) error {
	n, ok := ReportColumns[reportType]
	if !ok {
		return fmt.Errorf("naver: parse %s: unknown report type %q", name, reportType)
	}
	t := newTSVReader(r, name)
	row := make([]string, n)
	for t.next() {
		if err := t.need(n); err != nil {
			return err
		}
		if _, err := t.day(0); err != nil {
			return err
		}
		for i := range row {
			row[i] = t.str(i)
		}
		if err := fn(row); err != nil {
			return err
		}
	}
	return t.err()
}
