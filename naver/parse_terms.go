package naver

import (
	"fmt"
	"io"
	"time"
)

// The search term reports (docs/naver-api.md, "Stat report files"; the official tables in
// markdown-en-US.json "#/tags/StatReport"). The search term of a row is kept verbatim: any
// UTF-8 text, possibly empty or "-" (no term).

// SearchTermRow is one row of an EXPKEYWORD stat report (12 columns): the Powerlink search
// terms of search media. The parser reuses one SearchTermRow for every line: copy what you keep.
type SearchTermRow struct {
	Date       time.Time // 00:00 UTC of the KST day
	CustomerID string
	CampaignID string
	AdgroupID  string
	SearchTerm string // verbatim; may be "" or "-"
	MediaCode  string
	Device     string // "P" or "M"
	// MatchType is the search keyword type: 0 and 5 exact, 1 extended, 2 close variant (the
	// official table's "0,5: Exact, 1: Extend, 2: Close Variant"); other codes are kept as given.
	MatchType   int
	Impressions int64
	Clicks      int64
	Cost        float64 // as written: the AD report's VAT rule is assumed (unconfirmed)
	Views       int64
}

// ShoppingTermRow is one row of a SHOPPINGKEYWORD_DETAIL stat report (16 columns): a shopping
// search term per ad, hour and region. The parser reuses one ShoppingTermRow for every line:
// copy what you keep.
type ShoppingTermRow struct {
	Date         time.Time
	CustomerID   string
	CampaignID   string
	AdgroupID    string
	SearchTerm   string // verbatim; may be "" or "-"
	AdID         string
	BizChannelID string
	Hour         string // format unconfirmed ("09")
	RegionCode   string // format unconfirmed
	MediaCode    string
	Device       string
	Impressions  int64
	Clicks       int64
	Cost         float64 // documented as long; parsed as decimal all the same
	RankSum      float64 // sum of ad rank: average = RankSum / Impressions
	Views        int64
}

// ShoppingConversionRow is one row of a SHOPPINGKEYWORD_CONVERSION_DETAIL stat report (15
// columns). The parser reuses one ShoppingConversionRow for every line: copy what you keep.
type ShoppingConversionRow struct {
	Date           time.Time
	CustomerID     string
	CampaignID     string
	AdgroupID      string
	SearchTerm     string // verbatim; may be "" or "-"
	AdID           string
	BizChannelID   string
	Hour           string
	RegionCode     string
	MediaCode      string
	Device         string
	Method         int    // 1 direct, 2 indirect
	ConversionType string // as in AD_CONVERSION
	Conversions    int64
	Sales          float64
}

// ParseSearchTerms streams an EXPKEYWORD report (12 or more columns; extra trailing columns
// are ignored) and calls fn for every row. name is used in errors.
func ParseSearchTerms(r io.Reader, name string, fn func(*SearchTermRow) error) error {
	t := newTSVReader(r, name)
	var row SearchTermRow
	for t.next() {
		if err := t.need(ReportColumns[ReportExpKeyword]); err != nil {
			return err
		}
		var err error
		if row.Date, err = t.day(0); err != nil {
			return err
		}
		row.CustomerID, row.CampaignID, row.AdgroupID, row.SearchTerm = t.str(1), t.str(2), t.str(3), t.str(4)
		row.MediaCode, row.Device = t.str(5), t.str(6)
		m, err := t.int(7, "search keyword type")
		if err != nil {
			return err
		}
		row.MatchType = int(m)
		if row.Impressions, err = t.int(8, "impressions"); err != nil {
			return err
		}
		if row.Clicks, err = t.int(9, "clicks"); err != nil {
			return err
		}
		if row.Cost, err = t.float(10, "cost"); err != nil {
			return err
		}
		if row.Views, err = t.int(11, "views"); err != nil {
			return err
		}
		if err := fn(&row); err != nil {
			return fmt.Errorf("%s line %d: %w", name, t.line, err)
		}
	}
	return t.err()
}

// shoppingCommon reads columns 1-11, shared by SHOPPINGKEYWORD_DETAIL and
// SHOPPINGKEYWORD_CONVERSION_DETAIL, after checking the row has at least n columns.
func (t *tsvReader) shoppingCommon(n int, date *time.Time, ids *[10]string) error {
	if err := t.need(n); err != nil {
		return err
	}
	var err error
	if *date, err = t.day(0); err != nil {
		return err
	}
	for i := range ids {
		ids[i] = t.str(i + 1)
	}
	return nil
}

// ParseShoppingTerms streams a SHOPPINGKEYWORD_DETAIL report (16 or more columns) and calls fn
// for every row.
func ParseShoppingTerms(r io.Reader, name string, fn func(*ShoppingTermRow) error) error {
	t := newTSVReader(r, name)
	var row ShoppingTermRow
	var ids [10]string
	for t.next() {
		if err := t.shoppingCommon(ReportColumns[ReportShoppingKeyword], &row.Date, &ids); err != nil {
			return err
		}
		row.CustomerID, row.CampaignID, row.AdgroupID, row.SearchTerm, row.AdID = ids[0], ids[1], ids[2], ids[3], ids[4]
		row.BizChannelID, row.Hour, row.RegionCode, row.MediaCode, row.Device = ids[5], ids[6], ids[7], ids[8], ids[9]
		var err error
		if row.Impressions, err = t.int(11, "impressions"); err != nil {
			return err
		}
		if row.Clicks, err = t.int(12, "clicks"); err != nil {
			return err
		}
		if row.Cost, err = t.float(13, "cost"); err != nil {
			return err
		}
		if row.RankSum, err = t.float(14, "rank sum"); err != nil {
			return err
		}
		if row.Views, err = t.int(15, "views"); err != nil {
			return err
		}
		if err := fn(&row); err != nil {
			return fmt.Errorf("%s line %d: %w", name, t.line, err)
		}
	}
	return t.err()
}

// ParseShoppingConversions streams a SHOPPINGKEYWORD_CONVERSION_DETAIL report (15 or more
// columns) and calls fn for every row.
func ParseShoppingConversions(r io.Reader, name string, fn func(*ShoppingConversionRow) error) error {
	t := newTSVReader(r, name)
	var row ShoppingConversionRow
	var ids [10]string
	for t.next() {
		if err := t.shoppingCommon(ReportColumns[ReportShoppingKeywordConversion], &row.Date, &ids); err != nil {
			return err
		}
		row.CustomerID, row.CampaignID, row.AdgroupID, row.SearchTerm, row.AdID = ids[0], ids[1], ids[2], ids[3], ids[4]
		row.BizChannelID, row.Hour, row.RegionCode, row.MediaCode, row.Device = ids[5], ids[6], ids[7], ids[8], ids[9]
		m, err := t.int(11, "conversion method")
		if err != nil {
			return err
		}
		row.Method = int(m)
		row.ConversionType = t.str(12)
		if row.Conversions, err = t.int(13, "conversions"); err != nil {
			return err
		}
		if row.Sales, err = t.float(14, "sales"); err != nil {
			return err
		}
		if err := fn(&row); err != nil {
			return fmt.Errorf("%s line %d: %w", name, t.line, err)
		}
	}
	return t.err()
}
