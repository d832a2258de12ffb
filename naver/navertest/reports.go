package navertest

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"time"
)

// statWriter returns the generator of the file of reportType for day. AD and
// AD_CONVERSION have their own fast writers (data.go); every other
// documented type is derived from the same AD rows, in the layout of the
// official tables (markdown-en-US.json "#/tags/StatReport"): the detail
// reports split nothing but add an hour and a region per row, the
// conversion reports take the AD_CONVERSION rows. Hour and region formats
// are unconfirmed ("09", "01"). The search term reports (EXPKEYWORD,
// SHOPPINGKEYWORD_DETAIL, SHOPPINGKEYWORD_CONVERSION_DETAIL) are as Naver
// writes them (searchTermParts): every match type code, empty search terms,
// and rows of one key split in two.
func (c *customer) statWriter(reportType string, day time.Time) func(io.Writer) error {
	switch reportType {
	case "AD":
		return func(w io.Writer) error { return c.writeAD(w, day) }
	case "AD_CONVERSION":
		return func(w io.Writer) error { return c.writeADConversion(w, day) }
	}
	return func(w io.Writer) error { return c.writeOther(w, reportType, day) }
}

// StatFile writes the file a download of customerID's stat report of reportType for day gives
// (whatever the served window, jobs and faults): for tests that build from the simulator's files
// without fetching them. An empty file is a day without data (a NONE job).
func (s *Server) StatFile(customerID, reportType string, day time.Time, w io.Writer) error {
	s.mu.Lock()
	c := s.customers[customerID]
	s.mu.Unlock()
	if c == nil {
		return fmt.Errorf("navertest: no customer %s", customerID)
	}
	if !knownStatType(reportType) {
		return fmt.Errorf("navertest: unknown report type %q", reportType)
	}
	return c.statWriter(reportType, civil(day))(w)
}

// conversion is the AD_CONVERSION row derived from an AD row (as in
// writeADConversion), when there is one.
type conversion struct {
	method string
	typ    string
	count  int64
	sales  int64
}

func conversionOf(r *adRow, day time.Time) (conversion, bool) {
	if r.clicks == 0 || r.h%8 != 0 {
		return conversion{}, false
	}
	h := mix(r.h, 0xc0)
	cv := conversion{method: string(rune('1' + h%2))}
	t := h >> 8 % 5
	if !day.Before(conversionCodesFrom()) {
		cv.typ = conversionCode(t)
	} else {
		cv.typ = strconv.FormatUint(t+1, 10)
	}
	cv.count = 1 + int64(h>>16)%3
	cv.sales = cv.count * 1000 * (1 + int64(h>>24)%50)
	return cv, true
}

// searchTermOf is the search term of an AD row in the search term reports: its keyword's text;
// for traffic without a keyword, the ad group's name, or an empty search term, written "" or
// "-" (both occur in Naver's files).
func (c *customer) searchTermOf(r *adRow) string {
	if r.keyword >= 0 {
		return c.keywords[r.keyword].name
	}
	switch mix(r.h, 0x5e) % 3 {
	case 0:
		return ""
	case 1:
		return "-"
	}
	return c.adgroups[r.adgroup].name
}

// matchTypeOf is the EXPKEYWORD search keyword type of an AD row: 0, 1, 2 or 5 (0 and 5 both
// exact).
func matchTypeOf(r *adRow) int {
	return [...]int{0, 1, 2, 5}[r.h>>36%4]
}

// termPart is the share of an AD row's metrics one search term report row carries.
type termPart struct {
	impressions, clicks, views, rankSum, costCents int64
}

// searchTermParts splits an AD row's metrics over the rows the search term reports write of
// it: one row, or, for about one row in four, two rows of the same key (Naver writes such
// duplicates, #1455). Costs split at whole won, so that every part's cost is written as the
// whole row's would be.
func searchTermParts(r *adRow) []termPart {
	whole := termPart{impressions: r.impressions, clicks: r.clicks, views: r.views, rankSum: r.rankSum, costCents: r.costCents}
	if mix(r.h, 0xd0)%4 != 0 {
		return []termPart{whole}
	}
	a := termPart{impressions: r.impressions / 2, clicks: r.clicks / 2, views: r.views / 2, rankSum: r.rankSum / 2,
		costCents: r.costCents / 200 * 100}
	return []termPart{a, {whole.impressions - a.impressions, whole.clicks - a.clicks, whole.views - a.views,
		whole.rankSum - a.rankSum, whole.costCents - a.costCents}}
}

// hasConversions reports whether any of the customer's rows of day converted.
func (c *customer) hasConversions(day time.Time) bool {
	found := false
	c.eachAD(day, func(r *adRow) {
		if !found {
			_, found = conversionOf(r, day)
		}
	})
	return found
}

// conversionParts splits a conversion row of the shopping conversion report in two rows of the
// same key for about one row in three with more than one conversion.
func conversionParts(r *adRow, cv conversion) []conversion {
	if cv.count < 2 || mix(r.h, 0xd1)%3 != 0 {
		return []conversion{cv}
	}
	a := cv
	a.count, a.sales = 1, cv.sales/cv.count
	b := cv
	b.count, b.sales = cv.count-1, cv.sales-a.sales
	return []conversion{a, b}
}

// writeOther streams a stat report of any type but AD and AD_CONVERSION.
func (c *customer) writeOther(w io.Writer, reportType string, day time.Time) error {
	bw := bufio.NewWriterSize(w, 32<<10)
	vatIncluded := !day.Before(vatIncludedFrom())
	date := day.Format("20060102")
	var err error
	var row []string
	emit := func() {
		if err != nil {
			return
		}
		for i, f := range row {
			if i > 0 {
				_ = bw.WriteByte('\t')
			}
			_, _ = bw.WriteString(f)
		}
		err = bw.WriteByte('\n')
	}
	c.eachAD(day, func(r *adRow) {
		g := c.adgroups[r.adgroup]
		campaign, adgroup := c.campaigns[g.parent].id, g.id
		keyword, searchTerm := "-", c.searchTermOf(r)
		if r.keyword >= 0 {
			keyword = c.keywords[r.keyword].id
		}
		hour := fmt.Sprintf("%02d", r.h>>4%24)
		region := fmt.Sprintf("%02d", 1+r.h>>12%17)
		device := string(r.device)
		impr, clicks := strconv.FormatInt(r.impressions, 10), strconv.FormatInt(r.clicks, 10)
		cost := string(appendCost(nil, r.costCents, vatIncluded))
		rank, views := strconv.FormatInt(r.rankSum, 10), strconv.FormatInt(r.views, 10)
		ext := fmt.Sprintf("ext-a001-01-%012d", r.adgroup+1)
		product := fmt.Sprintf("%011d", 80000000000+int64(r.h%1_000_000))
		criterion := adgroup + "~" + fmt.Sprintf("A%d", 1+r.h>>28%9)
		cv, hasConv := conversionOf(r, day)
		conv := func() []string {
			return []string{cv.method, cv.typ, strconv.FormatInt(cv.count, 10), strconv.FormatInt(cv.sales, 10)}
		}
		common := []string{date, c.ID, campaign, adgroup, keyword, c.adIDs[r.adgroup], c.bizID}
		switch reportType {
		case "AD_DETAIL": // 16
			row = append(common, hour, region, r.media, device, impr, clicks, cost, rank, views)
		case "AD_CONVERSION_DETAIL": // 15
			if !hasConv {
				return
			}
			row = append(append(common, hour, region, r.media, device), conv()...)
		case "ADEXTENSION": // 15
			if r.h%4 != 0 {
				return
			}
			row = append(common[:6], ext, c.bizID, r.media, device, impr, clicks, cost, rank, views)
		case "ADEXTENSION_CONVERSION": // 14
			if !hasConv || r.h%4 != 0 {
				return
			}
			row = append(append(common[:6], ext, c.bizID, r.media, device), conv()...)
		case "EXPKEYWORD": // 12
			for _, p := range searchTermParts(r) {
				row = []string{date, c.ID, campaign, adgroup, searchTerm, r.media, device, strconv.Itoa(matchTypeOf(r)),
					strconv.FormatInt(p.impressions, 10), strconv.FormatInt(p.clicks, 10),
					string(appendCost(nil, p.costCents, vatIncluded)), strconv.FormatInt(p.views, 10)}
				emit()
			}
			return
		case "SHOPPINGKEYWORD_DETAIL": // 16
			for _, p := range searchTermParts(r) {
				row = []string{date, c.ID, campaign, adgroup, searchTerm, c.adIDs[r.adgroup], c.bizID,
					hour, region, r.media, device, strconv.FormatInt(p.impressions, 10), strconv.FormatInt(p.clicks, 10),
					strconv.FormatInt(p.costCents/100, 10), strconv.FormatInt(p.rankSum, 10), strconv.FormatInt(p.views, 10)}
				emit()
			}
			return
		case "SHOPPINGKEYWORD_CONVERSION_DETAIL": // 15
			if !hasConv {
				return
			}
			for _, p := range conversionParts(r, cv) {
				row = []string{date, c.ID, campaign, adgroup, searchTerm, c.adIDs[r.adgroup], c.bizID,
					hour, region, r.media, device, p.method, p.typ, strconv.FormatInt(p.count, 10), strconv.FormatInt(p.sales, 10)}
				emit()
			}
			return
		case "SHOPPINGBRANDPRODUCT": // 12
			row = []string{date, c.ID, campaign, adgroup, product, c.bizID, r.media, device, impr, clicks, cost, views}
		case "SHOPPINGBRANDPRODUCT_CONVERSION": // 12
			if !hasConv {
				return
			}
			row = append([]string{date, c.ID, campaign, adgroup, product, c.bizID, r.media, device}, conv()...)
		case "CRITERION": // 7
			row = []string{date, c.ID, criterion, device, impr, clicks, cost}
		case "CRITERION_CONVERSION": // 8
			if !hasConv {
				return
			}
			row = append([]string{date, c.ID, criterion, device}, conv()...)
		default:
			return
		}
		emit()
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}

// TermRow is one AD row of a customer's day as the search term reports write it, its split rows
// summed: what EXPKEYWORD and SHOPPINGKEYWORD_DETAIL say of it, with the conversions
// SHOPPINGKEYWORD_CONVERSION_DETAIL gives it. Several TermRows may share a key (a tab sums them).
type TermRow struct {
	CampaignID, AdgroupID string
	// SearchTerm is as written: "" or "-" for none.
	SearchTerm string
	// MatchType is EXPKEYWORD's search keyword type (0, 1, 2 or 5).
	MatchType                           int
	Device                              byte // 'P' or 'M'
	Impressions, Clicks, Views, RankSum int64
	// Cost is as EXPKEYWORD writes it (as the AD file does); ShoppingCost as
	// SHOPPINGKEYWORD_DETAIL does (whole won).
	Cost, ShoppingCost float64
	// Costs and ShoppingCosts are the costs of each row the reports write of it (one, or two
	// when the row is split): what a tab converts row by row, as Naver rounds each row.
	Costs, ShoppingCosts []float64
	Conversions          int64
	Sales                float64
}

// SearchTermRows returns the rows of customerID's search term reports for day, in file order;
// none for a day without data or an unknown customer. Tests check a search term tab against
// these figures, not against a parse of the files.
func (s *Server) SearchTermRows(customerID string, day time.Time) []TermRow {
	s.mu.Lock()
	c := s.customers[customerID]
	s.mu.Unlock()
	if c == nil {
		return nil
	}
	day = civil(day)
	var out []TermRow
	c.eachAD(day, func(r *adRow) {
		g := c.adgroups[r.adgroup]
		row := TermRow{
			CampaignID: c.campaigns[g.parent].id, AdgroupID: g.id, SearchTerm: c.searchTermOf(r), MatchType: matchTypeOf(r),
			Device: r.device, Impressions: r.impressions, Clicks: r.clicks, Views: r.views, RankSum: r.rankSum,
			Cost: float64(r.costCents) / 100, ShoppingCost: float64(r.costCents / 100),
		}
		for _, p := range searchTermParts(r) {
			row.Costs = append(row.Costs, float64(p.costCents)/100)
			row.ShoppingCosts = append(row.ShoppingCosts, float64(p.costCents/100))
		}
		if cv, ok := conversionOf(r, day); ok {
			row.Conversions, row.Sales = cv.count, float64(cv.sales)
		}
		out = append(out, row)
	})
	return out
}
