package report

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"iter"
	"math"
	"slices"
	"sync/atomic"
	"time"

	"github.com/naversync/naversync/google"
	"github.com/naversync/naversync/naver"
)

// SearchTerms is the search terms tab: the EXPKEYWORD report (Powerlink search terms), one row
// per day, campaign, ad group, search term, match type and device, duplicate rows of one key
// summed (Naver writes them, #1455), named from the master reports. Columns: date, campaign,
// ad group, search term, match type, device, impressions, clicks, video views, cost (VAT
// included, whole won, as the performance tab shows it), CTR, CPC, and the cost as the file
// writes it. EXPKEYWORD has no conversions and no rank.
//
// Naver serves EXPKEYWORD for 365 days (#191, 2019: unconfirmed today; naver.ServedDays). It
// covers search media only: its sums do not equal the performance tab's (#1127, #1045). The
// account's level does not apply: the rows are always per ad group and search term. An empty
// search term ("" or "-", which Naver writes) is kept: the two are one row, labelled
// "(empty search term)".
// Unconfirmed: that EXPKEYWORD's cost follows the AD report's VAT rule (VATSwitchDay; assumed),
// and what match types beyond 0, 1, 2 and 5 mean (shown as the code).
func SearchTerms() Tab { return termTab{} }

// ShoppingTerms is the shopping search terms tab: SHOPPINGKEYWORD_DETAIL joined with
// SHOPPINGKEYWORD_CONVERSION_DETAIL, one row per day, campaign, ad group, search term and
// device: the reports' hours, regions and ads summed into it, duplicate rows summed. Columns:
// date, campaign, ad group, search term, device, impressions, clicks, video views, cost (VAT
// included), average rank (sum of rank / impressions), conversions, conversion revenue, CTR, CPC,
// ROAS, and the cost as the file writes it.
//
// Naver serves SHOPPINGKEYWORD_DETAIL for 180 days (#1313, 2025) and
// SHOPPINGKEYWORD_CONVERSION_DETAIL for 45 (#191, 2019, unconfirmed today): the tab shows the
// days of the first (its primary report). A day without a conversion report reads as
// conversions unknown: its conversion, revenue and ROAS cells are empty (nil), never 0: a day
// older than the conversions' window (not asked of Naver). A day whose conversion report Naver
// answered NONE is parsed as an empty file (DayFiles.None) and reads 0, as does a row without
// conversions on a day with a conversion file.
//
// The rows are the shopping campaigns' search terms only, so the sums are not the performance
// tab's (which counts every campaign); whether they equal the shopping campaigns' AD rows is
// unconfirmed (for EXPKEYWORD Naver says they do not, #1127, #1045). Unconfirmed as well: that
// the cost (documented as an integer) follows the AD report's VAT rule (assumed,
// VATSwitchDay), and the hour and region formats (summed over, not shown).
func ShoppingTerms() Tab { return termTab{shopping: true} }

// termTab is both search term tabs: they share their day aggregate and record format, and
// differ in the reports they read and the columns they show.
type termTab struct{ shopping bool }

func (t termTab) Kind() Kind {
	if t.shopping {
		return KindShoppingTerms
	}
	return KindSearchTerms
}

func (t termTab) ReportTypes() []string {
	if t.shopping {
		return []string{ReportShoppingKeyword, ReportShoppingConversion}
	}
	return []string{ReportExpKeyword}
}

func (t termTab) NewTable(dir string, o Options) (Table, error) {
	f, err := newSpillFile(dir)
	if err != nil {
		return nil, err
	}
	return &termSpill{spillFile: f, shopping: t.shopping, lang: o.Language, names: o.Names,
		ids: newInterner(), terms: newInterner(), order: newRowOrder()}, nil
}

// termKey identifies one row of a search term tab within a day (ids as Naver writes them; the
// search term "" for none; match type 0 in the shopping tab).
type termKey struct {
	campaign, adgroup, term string
	match                   int32
	device                  string
}

// termAgg sums one row's metrics.
type termAgg struct {
	impressions, clicks, views, conversions int64
	cost, naverCost, rankSum, sales         float64
}

// termDay aggregates one day's search term report rows.
type termDay struct {
	shopping bool
	day      time.Time
	rows     map[termKey]*termAgg
	// converted: a conversion file was read, so a row's conversions are known (0 without rows).
	converted bool
}

func (d *termDay) get(k termKey) *termAgg {
	a := d.rows[k]
	if a == nil {
		a = &termAgg{}
		d.rows[k] = a
	}
	return a
}

// searchTermOf is a row's search term as the tab keys it: "-" is Naver's "none", as "" is.
func searchTermOf(s string) string {
	if s == "-" {
		return ""
	}
	return s
}

// Parse adds the rows of an EXPKEYWORD file (search terms tab), or of a SHOPPINGKEYWORD_DETAIL
// or SHOPPINGKEYWORD_CONVERSION_DETAIL file (shopping tab).
func (d *termDay) Parse(reportType string, r io.Reader, name string) error {
	switch {
	case !d.shopping && reportType == ReportExpKeyword:
		return naver.ParseSearchTerms(r, name, func(row *naver.SearchTermRow) error {
			a := d.get(termKey{row.CampaignID, row.AdgroupID, searchTermOf(row.SearchTerm), int32(row.MatchType), row.Device})
			a.impressions += row.Impressions
			a.clicks += row.Clicks
			a.views += row.Views
			a.naverCost += row.Cost
			a.cost += costVATIncluded(d.day, row.Cost)
			return nil
		})
	case d.shopping && reportType == ReportShoppingKeyword:
		return naver.ParseShoppingTerms(r, name, func(row *naver.ShoppingTermRow) error {
			a := d.get(termKey{campaign: row.CampaignID, adgroup: row.AdgroupID, term: searchTermOf(row.SearchTerm), device: row.Device})
			a.impressions += row.Impressions
			a.clicks += row.Clicks
			a.views += row.Views
			a.naverCost += row.Cost
			a.cost += costVATIncluded(d.day, row.Cost)
			a.rankSum += row.RankSum
			return nil
		})
	case d.shopping && reportType == ReportShoppingConversion:
		d.converted = true
		return naver.ParseShoppingConversions(r, name, func(row *naver.ShoppingConversionRow) error {
			a := d.get(termKey{campaign: row.CampaignID, adgroup: row.AdgroupID, term: searchTermOf(row.SearchTerm), device: row.Device})
			a.conversions += row.Conversions
			a.sales += row.Sales
			return nil
		})
	}
	return fmt.Errorf("%w: %s in the %s tab", ErrUnknownReport, reportType, termTab{d.shopping}.Kind())
}

// termRecord is one record of a search term tab's spill, the one type that encodes and decodes
// it: day int32, campaign, ad group and search term ids uint32, match type int32, device byte,
// flags byte, 4 int64, 4 float64.
type termRecord struct {
	day                 int32
	campaign, adgroup   uint32
	term                uint32
	match               int32
	device              byte // pendingDevice: the row of a day not ready
	conversionsKnown    bool
	impressions, clicks int64
	views, conversions  int64
	cost, naverCost     float64
	rankSum, sales      float64
}

const termRecordSize = 4 + 3*4 + 4 + 1 + 1 + 4*8 + 4*8

// termConversionsKnown is the flag of a record whose conversions are known.
const termConversionsKnown = 1

func (r *termRecord) encode(b []byte) {
	le := binary.LittleEndian
	le.PutUint32(b[0:], uint32(r.day))
	le.PutUint32(b[4:], r.campaign)
	le.PutUint32(b[8:], r.adgroup)
	le.PutUint32(b[12:], r.term)
	le.PutUint32(b[16:], uint32(r.match))
	b[20] = r.device
	b[21] = 0
	if r.conversionsKnown {
		b[21] = termConversionsKnown
	}
	for i, v := range [...]int64{r.impressions, r.clicks, r.views, r.conversions} {
		le.PutUint64(b[22+8*i:], uint64(v))
	}
	for i, v := range [...]float64{r.cost, r.naverCost, r.rankSum, r.sales} {
		le.PutUint64(b[54+8*i:], math.Float64bits(v))
	}
}

func (r *termRecord) decode(b []byte) {
	le := binary.LittleEndian
	r.day = int32(le.Uint32(b[0:]))
	r.campaign, r.adgroup, r.term = le.Uint32(b[4:]), le.Uint32(b[8:]), le.Uint32(b[12:])
	r.match = int32(le.Uint32(b[16:]))
	r.device = b[20]
	r.conversionsKnown = b[21]&termConversionsKnown != 0
	r.impressions, r.clicks = int64(le.Uint64(b[22:])), int64(le.Uint64(b[30:]))
	r.views, r.conversions = int64(le.Uint64(b[38:])), int64(le.Uint64(b[46:]))
	r.cost, r.naverCost = math.Float64frombits(le.Uint64(b[54:])), math.Float64frombits(le.Uint64(b[62:]))
	r.rankSum, r.sales = math.Float64frombits(le.Uint64(b[70:])), math.Float64frombits(le.Uint64(b[78:]))
}

// termSpill is a search term tab's table: its rows on disk as termRecords, newest day first.
type termSpill struct {
	*spillFile
	shopping bool
	lang     string
	names    Names
	ids      *interner // campaign and ad group ids
	terms    *interner // search terms ("" is id 0)
	order    *rowOrder // ranks of the ids' names
	termRank rankedText
	nameBuf  []byte
	// sizeHint is the most rows a day written so far had (as the performance tab's).
	sizeHint atomic.Int64
}

func (sp *termSpill) NewDay(day time.Time) Day {
	return &termDay{shopping: sp.shopping, day: day, rows: make(map[termKey]*termAgg, max(1024, int(sp.sizeHint.Load())))}
}

// termSortKey is a row's place in a day: campaign and ad group name, search term, match type,
// device name, then campaign and ad group id; i is its index among the day's rows.
type termSortKey struct {
	names, ids uint64
	term       uint32
	match      int32
	device     uint8
	i          uint32
}

func compareTermKeys(x, y termSortKey) int {
	return cmp.Or(cmp.Compare(x.names, y.names), cmp.Compare(x.term, y.term), cmp.Compare(x.match, y.match),
		cmp.Compare(x.device, y.device), cmp.Compare(x.ids, y.ids))
}

// WriteDay appends a day made by NewDay (a *termDay), its rows by campaign and ad group name,
// search term (as Naver writes it), match type code and device name, ids breaking ties between
// equal names: an order that depends only on the day's data and names. It returns the digest
// of the campaign and ad group names the rows show, in that order.
func (sp *termSpill) WriteDay(d Day) (string, error) {
	t := d.(*termDay)
	recs := make([]termRecord, 0, len(t.rows))
	day := dayNumber(t.day)
	for k, a := range t.rows {
		dev := byte(0)
		if k.device != "" {
			dev = k.device[0]
		}
		recs = append(recs, termRecord{
			day: day, campaign: sp.ids.id(k.campaign), adgroup: sp.ids.id(k.adgroup), term: sp.terms.id(k.term),
			match: k.match, device: dev, conversionsKnown: t.converted,
			impressions: a.impressions, clicks: a.clicks, views: a.views, conversions: a.conversions,
			cost: a.cost, naverCost: a.naverCost, rankSum: a.rankSum, sales: a.sales,
		})
	}
	if n := int64(len(recs)); n > sp.sizeHint.Load() {
		sp.sizeHint.Store(n)
	}
	o := sp.order
	o.update(sp.ids.ids, sp.names)
	if n := len(sp.termRank.text); n < len(sp.terms.ids) {
		sp.termRank.text = append(sp.termRank.text, sp.terms.ids[n:]...)
		sp.termRank.extend(n, len(sp.terms.ids))
	}
	keys := make([]termSortKey, len(recs))
	for i, r := range recs {
		k := o.key(r.campaign, r.adgroup, 0, r.device)
		keys[i] = termSortKey{names: k[0], ids: k[2], term: sp.termRank.rank[r.term], match: r.match, device: o.dev[r.device], i: uint32(i)}
	}
	slices.SortFunc(keys, compareTermKeys)
	h := sha256.New()
	buf := sp.nameBuf[:0]
	cNames, aNames := o.by[rankCampaign].text, o.by[rankAdgroup].text
	for _, k := range keys {
		r := &recs[k.i]
		buf = append(append(append(append(buf, cNames[r.campaign]...), 0), aNames[r.adgroup]...), 0)
		if len(buf) >= 64<<10 {
			_, _ = h.Write(buf)
			buf = buf[:0]
		}
		if err := sp.put(r); err != nil {
			return "", err
		}
	}
	_, _ = h.Write(buf)
	sp.nameBuf = buf[:0]
	return hex.EncodeToString(h.Sum(nil)[:12]), nil
}

// WritePending appends the one row of a day that is not ready.
func (sp *termSpill) WritePending(day time.Time) error {
	return sp.put(&termRecord{day: dayNumber(day), device: pendingDevice})
}

func (sp *termSpill) put(r *termRecord) error {
	var b [termRecordSize]byte
	r.encode(b[:])
	return sp.spillFile.put(b[:])
}

// columns are the tab's columns, headed in a language.
func (sp *termSpill) columns(l sheetLabels) []google.Column {
	cols := []google.Column{
		{Name: l.date, Type: google.Date}, {Name: l.campaign, Type: google.Text},
		{Name: l.adgroup, Type: google.Text}, {Name: l.searchTerm, Type: google.Text},
	}
	if !sp.shopping {
		cols = append(cols, google.Column{Name: l.matchType, Type: google.Text})
	}
	cols = append(cols,
		google.Column{Name: l.device, Type: google.Text},
		google.Column{Name: l.impressions, Type: google.Integer},
		google.Column{Name: l.clicks, Type: google.Integer},
		google.Column{Name: l.views, Type: google.Integer},
		google.Column{Name: l.cost, Type: l.money},
	)
	if sp.shopping {
		cols = append(cols,
			google.Column{Name: l.rank, Type: google.Decimal},
			google.Column{Name: l.conversions, Type: google.Integer},
			google.Column{Name: l.revenue, Type: l.money},
		)
	}
	cols = append(cols, google.Column{Name: l.ctr, Type: google.Percent}, google.Column{Name: l.cpc, Type: l.money})
	if sp.shopping {
		cols = append(cols, google.Column{Name: l.roas, Type: google.Percent})
	}
	return append(cols, google.Column{Name: l.naverCost, Type: google.Decimal})
}

// Sheet reads the records back as the sheet's rows; the yielded slice is reused between rows.
func (sp *termSpill) Sheet() (google.Table, error) {
	if err := sp.flush(); err != nil {
		return google.Table{}, err
	}
	l := labelsOf(sp.lang)
	cols := sp.columns(l)
	campaigns := displayNames(sp.ids.ids, sp.names.Campaign, l.noName)
	adgroups := displayNames(sp.ids.ids, sp.names.Adgroup, l.noName)
	terms := make([]any, len(sp.terms.ids))
	for i, s := range sp.terms.ids {
		terms[i] = s
		if s == "" {
			terms[i] = l.noSearchTerm
		}
	}
	matches := map[int32]any{}
	seq := iter.Seq[[]any](func(yield func([]any) bool) {
		row := make([]any, len(cols))
		var days dayValues
		devices := deviceValues{labels: l}
		var r termRecord
		sp.records(termRecordSize, func(b []byte) bool {
			r.decode(b)
			dayValue := days.of(r.day)
			if r.device == pendingDevice {
				clear(row)
				row[0], row[1] = dayValue, l.pending
				return yield(row)
			}
			row[0], row[1], row[2], row[3] = dayValue, campaigns[r.campaign], adgroups[r.adgroup], terms[r.term]
			c := 4
			if !sp.shopping {
				m, ok := matches[r.match]
				if !ok {
					m = l.matchLabel(r.match)
					matches[r.match] = m
				}
				row[c] = m
				c++
			}
			row[c], row[c+1], row[c+2], row[c+3], row[c+4] = devices.of(r.device), r.impressions, r.clicks, r.views, r.cost
			c += 5
			if sp.shopping {
				row[c] = ratio(r.rankSum, float64(r.impressions))
				row[c+1], row[c+2] = nil, nil
				if r.conversionsKnown {
					row[c+1], row[c+2] = r.conversions, r.sales
				}
				c += 3
			}
			row[c], row[c+1] = ratio(float64(r.clicks), float64(r.impressions)), ratio(r.cost, float64(r.clicks))
			c += 2
			if sp.shopping {
				row[c] = nil
				if r.conversionsKnown {
					row[c] = ratio(r.sales, r.cost)
				}
				c++
			}
			row[c] = r.naverCost
			return yield(row)
		})
	})
	return google.Table{Columns: cols, NumRows: sp.rows, Rows: seq}, nil
}
