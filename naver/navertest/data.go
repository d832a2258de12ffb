package navertest

import (
	"bufio"
	"io"
	"math"
	"strconv"
	"time"
)

// vatIncludedFrom: costs are integer VAT-included from this day on.
func vatIncludedFrom() time.Time { return time.Date(2026, 3, 30, 0, 0, 0, 0, time.UTC) }

// conversionCodesFrom: conversion types are codes, not 1-5, from this day.
func conversionCodesFrom() time.Time { return time.Date(2024, 7, 3, 0, 0, 0, 0, time.UTC) }

// entitiesRegistered: when all simulated entities were registered.
func entitiesRegistered() time.Time { return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC) }

// mix is a splitmix64-style hash of its inputs: the source of every
// simulated number, so that data depend only on (seed, day, entity).
func mix(xs ...uint64) uint64 {
	h := uint64(0x9e3779b97f4a7c15)
	for _, x := range xs {
		h ^= x + 0x9e3779b97f4a7c15 + (h << 6) + (h >> 2)
		h ^= h >> 30
		h *= 0xbf58476d1ce4e5b9
		h ^= h >> 27
		h *= 0x94d049bb133111eb
		h ^= h >> 31
	}
	return h
}

func dayNumber(day time.Time) uint64 { return uint64(day.Unix() / 86400) }

// hasData reports whether the customer has data on day: as Customer.Data says, or about 97% of
// days when it is nil.
func (c *customer) hasData(day time.Time) bool {
	if c.Data != nil {
		return c.Data(civil(day))
	}
	return mix(uint64(c.Seed), dayNumber(day), 0xda7a)%100 >= 3
}

// adRow is one generated AD row; cost is in hundredths of won.
type adRow struct {
	adgroup, keyword int // keyword -1: traffic without a keyword ("-")
	device           byte
	media            string
	impressions      int64
	clicks           int64
	costCents        int64
	rankSum          int64
	views            int64
	h                uint64
}

// mediaCode picks one of a few media codes.
func mediaCode(h uint64) string {
	switch h % 3 {
	case 0:
		return "27758"
	case 1:
		return "8753"
	}
	return "11068"
}

// eachAD calls fn for every AD row of day, in file order.
func (c *customer) eachAD(day time.Time, fn func(*adRow)) {
	if !c.hasData(day) {
		return
	}
	vatIncluded := !day.Before(vatIncludedFrom())
	dn := dayNumber(day) + c.revision(day)<<32
	var r adRow
	for g := range c.adgroups {
		kws := c.keywordsOf[g]
		for ki := -1; ki < len(kws); ki++ {
			k := -1
			if ki >= 0 {
				k = kws[ki]
			}
			for _, dev := range [2]byte{'P', 'M'} {
				h := mix(uint64(c.Seed), dn, uint64(g), uint64(k+1), uint64(dev))
				r = adRow{adgroup: g, keyword: k, device: dev, h: h}
				r.media = mediaCode(h)
				r.impressions = 1 + int64(h>>8%500)
				r.clicks = int64(h>>20) % (r.impressions/10 + 1)
				r.views = int64(h>>32) % 4
				r.rankSum = r.impressions * (1 + int64(h>>40)%10)
				cpc := 70 + int64(h>>48)%400 // won, VAT included
				won := r.clicks * cpc
				if vatIncluded {
					r.costCents = won * 100
				} else {
					r.costCents = int64(math.Round(float64(won) * 100 / 1.1))
				}
				fn(&r)
			}
		}
	}
}

// ADTotals returns what the AD file of customerID for day sums to
// (impressions, clicks, cost as written in the file); zeros for a day
// without data or an unknown customer.
func (s *Server) ADTotals(customerID string, day time.Time) (impressions, clicks int64, cost float64) {
	s.mu.Lock()
	c := s.customers[customerID]
	s.mu.Unlock()
	if c == nil {
		return 0, 0, 0
	}
	day = civil(day)
	var cents int64
	c.eachAD(day, func(r *adRow) {
		impressions += r.impressions
		clicks += r.clicks
		cents += r.costCents
	})
	return impressions, clicks, float64(cents) / 100
}

// writeCommon writes columns 1-9 of a stat row.
func (c *customer) writeCommon(b []byte, day time.Time, r *adRow) []byte {
	b = day.AppendFormat(b, "20060102")
	b = append(b, '\t')
	b = append(b, c.ID...)
	b = append(b, '\t')
	b = append(b, c.campaigns[c.adgroups[r.adgroup].parent].id...)
	b = append(b, '\t')
	b = append(b, c.adgroups[r.adgroup].id...)
	b = append(b, '\t')
	if r.keyword < 0 {
		b = append(b, '-')
	} else {
		b = append(b, c.keywords[r.keyword].id...)
	}
	b = append(b, '\t')
	b = append(b, c.adIDs[r.adgroup]...)
	b = append(b, '\t')
	b = append(b, c.bizID...)
	b = append(b, '\t')
	b = append(b, r.media...)
	b = append(b, '\t', r.device, '\t')
	return b
}

func appendCost(b []byte, cents int64, vatIncluded bool) []byte {
	if vatIncluded {
		return strconv.AppendInt(b, cents/100, 10)
	}
	b = strconv.AppendInt(b, cents/100, 10)
	b = append(b, '.')
	if f := cents % 100; f < 10 {
		b = append(b, '0', byte('0'+f))
	} else {
		b = strconv.AppendInt(b, f, 10)
	}
	return b
}

// writeAD streams the AD file of day (14 columns).
func (c *customer) writeAD(w io.Writer, day time.Time) error {
	bw := bufio.NewWriterSize(w, 32<<10)
	vatIncluded := !day.Before(vatIncludedFrom())
	var b []byte
	var err error
	c.eachAD(day, func(r *adRow) {
		if err != nil {
			return
		}
		b = c.writeCommon(b[:0], day, r)
		b = strconv.AppendInt(b, r.impressions, 10)
		b = append(b, '\t')
		b = strconv.AppendInt(b, r.clicks, 10)
		b = append(b, '\t')
		b = appendCost(b, r.costCents, vatIncluded)
		b = append(b, '\t')
		b = strconv.AppendInt(b, r.rankSum, 10)
		b = append(b, '\t')
		b = strconv.AppendInt(b, r.views, 10)
		b = append(b, '\n')
		_, err = bw.Write(b)
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}

// conversionCode is the code of pre-2024-07-03 conversion type t+1.
func conversionCode(t uint64) string {
	switch t {
	case 0:
		return "purchase"
	case 1:
		return "sign_up"
	case 2:
		return "add_to_cart"
	case 3:
		return "lead"
	}
	return "custom001"
}

// writeADConversion streams the AD_CONVERSION file of day (13 columns):
// rows for about one keyword row in eight with clicks.
func (c *customer) writeADConversion(w io.Writer, day time.Time) error {
	bw := bufio.NewWriterSize(w, 32<<10)
	codes := !day.Before(conversionCodesFrom())
	var b []byte
	var err error
	c.eachAD(day, func(r *adRow) {
		if err != nil || r.clicks == 0 || r.h%8 != 0 {
			return
		}
		h := mix(r.h, 0xc0)
		b = c.writeCommon(b[:0], day, r)
		b = append(b, byte('1'+h%2), '\t')
		t := h >> 8 % 5
		if codes {
			b = append(b, conversionCode(t)...)
		} else {
			b = strconv.AppendUint(b, t+1, 10)
		}
		n := 1 + int64(h>>16)%3
		b = append(b, '\t')
		b = strconv.AppendInt(b, n, 10)
		b = append(b, '\t')
		b = strconv.AppendInt(b, n*1000*(1+int64(h>>24)%50), 10)
		b = append(b, '\n')
		_, err = bw.Write(b)
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}

// writeMaster streams a master file of item (Campaign, Adgroup, Keyword): every entity, or with
// a non-zero from (fromTime) only those registered or renamed after it.
func (c *customer) writeMaster(w io.Writer, item string, from time.Time) error {
	bw := bufio.NewWriterSize(w, 32<<10)
	reg := entitiesRegistered().Format("2006-01-02T15:04:05Z")
	var b []byte
	switch item {
	case "Campaign":
		// customer id, campaign id, name, type, delivery method, using
		// period, period start, period end, regTm, delTm, ON/OFF, shared budget id
		for _, e := range c.campaigns {
			if !c.listed(e, from) {
				continue
			}
			b = append(b[:0], c.ID...)
			b = append(b, "\t"+e.id+"\t"+c.nameOf(e)+"\t1\t1\t0\t\t\t"+reg+"\t\t0\t\n"...)
			if _, err := bw.Write(b); err != nil {
				return err
			}
		}
	case "Adgroup":
		// customer id, ad group id, campaign id, name, bid, ON/OFF, ... regTm, delTm, content type
		for _, e := range c.adgroups {
			if !c.listed(e, from) {
				continue
			}
			b = append(b[:0], c.ID...)
			b = append(b, "\t"+e.id+"\t"+c.campaigns[e.parent].id+"\t"+c.nameOf(e)+"\t70\t0\t0\t0\t100\t100\t0\t0\t"+c.bizID+"\t"+c.bizID+"\t"+reg+"\t\t1\n"...)
			if _, err := bw.Write(b); err != nil {
				return err
			}
		}
	case "Keyword":
		// customer id, ad group id, keyword id, keyword, bid, landing PC,
		// landing mobile, ON/OFF, inspect status, using group bid, regTm, delTm
		for _, e := range c.keywords {
			if !c.listed(e, from) {
				continue
			}
			b = append(b[:0], c.ID...)
			b = append(b, "\t"+c.adgroups[e.parent].id+"\t"+e.id+"\t"+c.nameOf(e)+"\t70\t\t\t0\t1\t1\t"+reg+"\t\n"...)
			if _, err := bw.Write(b); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}

// listed reports whether a master report from fromTime lists e.
func (c *customer) listed(e entity, from time.Time) bool {
	return from.IsZero() || !from.After(entitiesRegistered()) || c.editedAfter(e, from)
}

// anyListed reports whether a master report of item from fromTime lists any entity.
func (c *customer) anyListed(item string, from time.Time) bool {
	var list []entity
	switch item {
	case "Campaign":
		list = c.campaigns
	case "Adgroup":
		list = c.adgroups
	case "Keyword":
		list = c.keywords
	}
	for _, e := range list {
		if c.listed(e, from) {
			return true
		}
	}
	return false
}

// civil returns the Y/M/D of t at 00:00 UTC.
func civil(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// kstToday is the KST day of t, at 00:00 UTC.
func kstToday(t time.Time) time.Time {
	return civil(t.In(time.FixedZone("KST", 9*3600)))
}

// kstMidnight is the instant the KST day of t began.
func kstMidnight(t time.Time) time.Time {
	k := t.In(time.FixedZone("KST", 9*3600))
	return time.Date(k.Year(), k.Month(), k.Day(), 0, 0, 0, 0, k.Location())
}

// Row is one row of a customer's day as the simulator makes it: what the AD file says of one ad
// group's keyword (or of its traffic without a keyword) on one device, with the conversions the
// AD_CONVERSION file gives that row. Tests check a sheet against these figures, not against a
// parse of the files.
type Row struct {
	CampaignID, CampaignName string
	AdgroupID, AdgroupName   string
	// KeywordID is "-" for traffic without a keyword (KeywordName is then "").
	KeywordID, KeywordName string
	Device                 byte // 'P' or 'M'
	Impressions, Clicks    int64
	Views, RankSum         int64
	// Cost is as the AD file writes it: VAT excluded with decimals before 2026-03-30, VAT
	// included in whole won from then.
	Cost        float64
	Conversions int64
	Sales       float64
}

// Rows returns the rows of customerID's AD and AD_CONVERSION files for day, in file order;
// none for a day without data or an unknown customer.
func (s *Server) Rows(customerID string, day time.Time) []Row {
	s.mu.Lock()
	c := s.customers[customerID]
	s.mu.Unlock()
	if c == nil {
		return nil
	}
	day = civil(day)
	var out []Row
	c.eachAD(day, func(r *adRow) {
		g := c.adgroups[r.adgroup]
		row := Row{
			CampaignID: c.campaigns[g.parent].id, CampaignName: c.nameOf(c.campaigns[g.parent]),
			AdgroupID: g.id, AdgroupName: c.nameOf(g), KeywordID: "-", Device: r.device,
			Impressions: r.impressions, Clicks: r.clicks, Views: r.views, RankSum: r.rankSum,
			Cost: float64(r.costCents) / 100,
		}
		if r.keyword >= 0 {
			row.KeywordID, row.KeywordName = c.keywords[r.keyword].id, c.nameOf(c.keywords[r.keyword])
		}
		if r.clicks != 0 && r.h%8 == 0 { // as writeADConversion
			h := mix(r.h, 0xc0)
			n := 1 + int64(h>>16)%3
			row.Conversions, row.Sales = n, float64(n*1000*(1+int64(h>>24)%50))
		}
		out = append(out, row)
	})
	return out
}
