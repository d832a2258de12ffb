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
// are unconfirmed ("09", "01").
func (c *customer) statWriter(reportType string, day time.Time) func(io.Writer) error {
	switch reportType {
	case "AD":
		return func(w io.Writer) error { return c.writeAD(w, day) }
	case "AD_CONVERSION":
		return func(w io.Writer) error { return c.writeADConversion(w, day) }
	}
	return func(w io.Writer) error { return c.writeOther(w, reportType, day) }
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
		keyword, searchTerm := "-", g.name
		if r.keyword >= 0 {
			keyword, searchTerm = c.keywords[r.keyword].id, c.keywords[r.keyword].name
		}
		hour := fmt.Sprintf("%02d", r.h>>4%24)
		region := fmt.Sprintf("%02d", 1+r.h>>12%17)
		device := string(r.device)
		impr, clicks := strconv.FormatInt(r.impressions, 10), strconv.FormatInt(r.clicks, 10)
		cost := string(appendCost(nil, r.costCents, vatIncluded))
		wonCost := strconv.FormatInt(r.costCents/100, 10)
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
			row = []string{date, c.ID, campaign, adgroup, searchTerm, r.media, device,
				strconv.Itoa(int(r.h >> 36 % 3)), impr, clicks, cost, views}
		case "SHOPPINGKEYWORD_DETAIL": // 16
			row = []string{date, c.ID, campaign, adgroup, searchTerm, c.adIDs[r.adgroup], c.bizID,
				hour, region, r.media, device, impr, clicks, wonCost, rank, views}
		case "SHOPPINGKEYWORD_CONVERSION_DETAIL": // 15
			if !hasConv {
				return
			}
			row = append([]string{date, c.ID, campaign, adgroup, searchTerm, c.adIDs[r.adgroup], c.bizID,
				hour, region, r.media, device}, conv()...)
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
