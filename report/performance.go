package report

import (
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

// Performance is the performance tab: the AD report joined with AD_CONVERSION, per day, at the
// account's level (campaign, ad group or keyword) and device, named from the master reports.
// Cost is shown VAT included in whole won for every day (VATSwitchDay).
func Performance() Tab { return performance{} }

type performance struct{}

func (performance) Kind() Kind { return KindPerformance }

func (performance) ReportTypes() []string { return []string{ReportAD, ReportADConversion} }

func (performance) NewTable(dir string, o Options) (Table, error) {
	sp, err := newSpill(dir, o.Names)
	if err != nil {
		return nil, err
	}
	sp.level, sp.lang = o.Level, o.Language
	return sp, nil
}

// The performance tab's table is its spill.

func (sp *spill) NewDay(day time.Time) Day {
	return newDayTable(sp.level, day, int(sp.sizeHint.Load()))
}

// WriteDay appends a day made by NewDay (a *dayTable).
func (sp *spill) WriteDay(d Day) (string, error) { return sp.writeDay(d.(*dayTable)) }

func (sp *spill) WritePending(day time.Time) error { return sp.writePending(day) }

func (sp *spill) Sheet() (google.Table, error) { return sp.table(sp.level, sp.lang) }

// Parse adds an AD or AD_CONVERSION file's rows.
func (t *dayTable) Parse(reportType string, r io.Reader, name string) error {
	switch reportType {
	case ReportAD:
		return naver.ParseAD(r, name, func(row *naver.ADRow) error { t.addAD(row); return nil })
	case ReportADConversion:
		return naver.ParseADConversion(r, name, func(row *naver.ConversionRow) error { t.addConversion(row); return nil })
	}
	return fmt.Errorf("%w: %s in the performance tab", ErrUnknownReport, reportType)
}

// VATSwitchDay is the first day whose cost Naver reports VAT-included and rounded to won;
// earlier days are VAT-excluded with decimals (docs/naver-api.md, "Stat report files": Cost).
var VATSwitchDay = time.Date(2026, 3, 30, 0, 0, 0, 0, time.UTC)

// costVATIncluded gives one consistent cost for every day: VAT included, whole won. Days before
// the switch are converted as Naver does from the switch on: × 1.1, rounded half up.
func costVATIncluded(day time.Time, naverCost float64) float64 {
	if day.Before(VATSwitchDay) {
		return math.Floor(naverCost*1.1 + 0.5)
	}
	return naverCost
}

// rowKey identifies one sheet row within a day (ids as Naver writes them).
type rowKey struct {
	campaign, adgroup, keyword, device string
}

// rowAgg sums one row's metrics.
type rowAgg struct {
	impressions, clicks, views, conversions int64
	cost, naverCost, rankSum, sales         float64
}

// dayTable aggregates one day's report rows at an account's level.
type dayTable struct {
	level string
	day   time.Time
	rows  map[rowKey]*rowAgg
}

// newDayTable makes a day's table for about rows rows (at least 1024): sized from the days
// written before, the map need not grow as the day is read.
func newDayTable(level string, day time.Time, rows int) *dayTable {
	return &dayTable{level: level, day: day, rows: make(map[rowKey]*rowAgg, max(1024, rows))}
}

func (t *dayTable) key(campaign, adgroup, keyword, device string) rowKey {
	switch t.level {
	case LevelCampaign:
		return rowKey{campaign: campaign, device: device}
	case LevelAdgroup:
		return rowKey{campaign: campaign, adgroup: adgroup, device: device}
	}
	return rowKey{campaign: campaign, adgroup: adgroup, keyword: keyword, device: device}
}

func (t *dayTable) get(k rowKey) *rowAgg {
	a := t.rows[k]
	if a == nil {
		a = &rowAgg{}
		t.rows[k] = a
	}
	return a
}

func (t *dayTable) addAD(r *naver.ADRow) {
	a := t.get(t.key(r.CampaignID, r.AdgroupID, r.KeywordID, r.Device))
	a.impressions += r.Impressions
	a.clicks += r.Clicks
	a.views += r.Views
	a.naverCost += r.Cost
	a.cost += costVATIncluded(t.day, r.Cost)
	a.rankSum += r.RankSum
}

func (t *dayTable) addConversion(r *naver.ConversionRow) {
	a := t.get(t.key(r.CampaignID, r.AdgroupID, r.KeywordID, r.Device))
	a.conversions += r.Conversions
	a.sales += r.Sales
}

// interner numbers the ids of one table, so that the spill holds small fixed-size records and
// each id's display name is made (and boxed for the sheet) once.
type interner struct {
	index map[string]uint32
	ids   []string
}

func newInterner() *interner { return &interner{index: map[string]uint32{"": 0}, ids: []string{""}} }

func (in *interner) id(s string) uint32 {
	if i, ok := in.index[s]; ok {
		return i
	}
	i := uint32(len(in.ids))
	in.index[s] = i
	in.ids = append(in.ids, s)
	return i
}

// spill holds the processed rows on disk, newest day first, as fixed-size records, so that memory
// stays bounded by a few days' rows whatever the range and the account's size. It is the
// performance tab's Table, and the one type that knows its record format: write encodes a
// record, table decodes it.
type spill struct {
	*spillFile
	level   string // the account's level (columns)
	lang    string // the language of headers and labels
	ids     *interner
	names   Names
	nameBuf []byte // writeDay's buffer for the names digest
	order   *rowOrder
	keyBuf  []rowSortKey // writeDay's buffer for sorting
	// sizeHint is the most rows a day written so far had: it sizes the next days' tables, so
	// that their maps need not grow as a day is read (days are parsed on several goroutines).
	sizeHint atomic.Int64
}

// pendingDevice marks a spill record that stands for a day not ready yet: one row that says so,
// with no figures.
const pendingDevice = 0xFF

// pendingText is what a pending day's row says in its first text column.
const pendingText = "(pending: not ready at Naver yet)"

// displayName is how an id of a kind reads in the sheet: its name from Naver's master data, the
// id itself when no name is known, none when there is no id ("-" is Naver's "none").
func displayName(m map[string]string, id, none string) string {
	switch {
	case id == "" || id == "-":
		return none
	case m[id] != "":
		return m[id]
	}
	return id
}

// displayNames are the sheet's values of interned ids as names of a kind (displayName), boxed
// once each.
func displayNames(ids []string, m map[string]string, none string) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = displayName(m, id, none)
	}
	return out
}

// recordSize: day int32, campaign/adgroup/keyword ids uint32, device byte, 4 int64, 4 float64.
const recordSize = 4 + 3*4 + 1 + 4*8 + 4*8

func newSpill(dir string, n Names) (*spill, error) {
	f, err := newSpillFile(dir)
	if err != nil {
		return nil, err
	}
	return &spill{spillFile: f, ids: newInterner(), names: n, order: newRowOrder()}, nil
}

// internedRow is one aggregated row with its ids numbered.
type internedRow struct {
	c, a, k uint32
	dev     byte
	agg     *rowAgg
}

// writeDay appends a day's rows in the order a reader scans them: by campaign, ad group and
// keyword name, then device (Mobile before PC), ids breaking ties between equal names. The order
// depends only on the day's data and names, so two accounts of one customer show a day's rows
// alike, and a day reads the same from one sync to the next. It returns a digest of the names
// the rows show, in that order: what the day displays besides its files' figures, so that a
// rename at Naver marks exactly the days that show the renamed entity as changed.
func (sp *spill) writeDay(t *dayTable) (string, error) {
	days := dayNumber(t.day)
	rows := make([]internedRow, 0, len(t.rows))
	for k, a := range t.rows {
		dev := byte(0)
		if k.device != "" {
			dev = k.device[0]
		}
		rows = append(rows, internedRow{c: sp.ids.id(k.campaign), a: sp.ids.id(k.adgroup), k: sp.ids.id(k.keyword), dev: dev, agg: a})
	}
	if n := int64(len(rows)); n > sp.sizeHint.Load() {
		sp.sizeHint.Store(n)
	}
	// Sorted by ranks that compare as the names and ids do (rowOrder), not by the strings:
	// comparing names was most of the processing's time. The keys are sorted apart from the
	// rows (no pointers to move), then the rows put in their order.
	o := sp.order
	o.update(sp.ids.ids, sp.names)
	keys := sp.keyBuf[:0]
	for i, r := range rows {
		keys = append(keys, rowSortKey{order: o.key(r.c, r.a, r.k, r.dev), i: uint32(i)})
	}
	slices.SortFunc(keys, func(x, y rowSortKey) int { return compareKeys(&x.order, &y.order) })
	sorted := make([]internedRow, len(rows))
	for j, key := range keys {
		sorted[j] = rows[key.i]
	}
	rows = sorted
	sp.keyBuf = keys[:0]
	// Hashed in large writes: per name, the hash's call overhead would cost more than the
	// hashing (about 1 s against 0.15 s per million rows).
	h := sha256.New()
	buf := sp.nameBuf[:0]
	cNames, aNames, kNames := o.by[rankCampaign].text, o.by[rankAdgroup].text, o.by[rankKeyword].text
	for _, r := range rows {
		buf = append(append(append(append(append(append(buf, cNames[r.c]...), 0), aNames[r.a]...), 0), kNames[r.k]...), 0)
		if len(buf) >= 64<<10 {
			_, _ = h.Write(buf)
			buf = buf[:0]
		}
	}
	_, _ = h.Write(buf)
	sp.nameBuf = buf[:0]
	return hex.EncodeToString(h.Sum(nil)[:12]), sp.write(days, rows)
}

// writePending appends the one row of a day that is not ready yet.
func (sp *spill) writePending(day time.Time) error {
	return sp.write(dayNumber(day), []internedRow{{dev: pendingDevice, agg: &rowAgg{}}})
}

func (sp *spill) write(days int32, rows []internedRow) error {
	var b [recordSize]byte
	le := binary.LittleEndian
	for _, r := range rows {
		le.PutUint32(b[0:], uint32(days))
		le.PutUint32(b[4:], r.c)
		le.PutUint32(b[8:], r.a)
		le.PutUint32(b[12:], r.k)
		b[16] = r.dev
		a := r.agg
		for i, v := range [...]int64{a.impressions, a.clicks, a.views, a.conversions} {
			le.PutUint64(b[17+8*i:], uint64(v))
		}
		for i, v := range [...]float64{a.cost, a.naverCost, a.rankSum, a.sales} {
			le.PutUint64(b[49+8*i:], math.Float64bits(v))
		}
		if err := sp.put(b[:]); err != nil {
			return err
		}
	}
	return nil
}

var sheetEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// columns of the sheet at a level, headed in a language (sheetlang.go).
func columns(level, lang string) []google.Column {
	l := labelsOf(lang)
	cols := []google.Column{{Name: l.date, Type: google.Date}, {Name: l.campaign, Type: google.Text}}
	if level != LevelCampaign {
		cols = append(cols, google.Column{Name: l.adgroup, Type: google.Text})
	}
	if level == LevelKeyword {
		cols = append(cols, google.Column{Name: l.keyword, Type: google.Text})
	}
	return append(cols,
		google.Column{Name: l.device, Type: google.Text},
		google.Column{Name: l.impressions, Type: google.Integer},
		google.Column{Name: l.clicks, Type: google.Integer},
		google.Column{Name: l.views, Type: google.Integer},
		google.Column{Name: l.cost, Type: l.money},
		google.Column{Name: l.rank, Type: google.Decimal},
		google.Column{Name: l.conversions, Type: google.Integer},
		google.Column{Name: l.revenue, Type: l.money},
		google.Column{Name: l.ctr, Type: google.Percent},
		google.Column{Name: l.cpc, Type: l.money},
		google.Column{Name: l.roas, Type: google.Percent},
		google.Column{Name: l.naverCost, Type: google.Decimal},
	)
}

// deviceName spells Naver's PC/mobile code for people.
func deviceName(code byte) string {
	switch code {
	case 'P':
		return "PC"
	case 'M':
		return "Mobile"
	case 0:
		return ""
	}
	return string(rune(code))
}

// Names of missing entities in the sheet.
const (
	noName    = "(none)"
	noKeyword = "(no keyword)"
)

// table reads the spill back as sheet rows in a language; the yielded slice is reused between
// rows. Names and dates are boxed once each, not once per row.
func (sp *spill) table(level, lang string) (google.Table, error) {
	if err := sp.flush(); err != nil {
		return google.Table{}, err
	}
	cols := columns(level, lang)
	l := labelsOf(lang)
	n := sp.names
	campaigns := displayNames(sp.ids.ids, n.Campaign, l.noName)
	var adgroups, keywords []any
	if level != LevelCampaign {
		adgroups = displayNames(sp.ids.ids, n.Adgroup, l.noName)
	}
	if level == LevelKeyword {
		keywords = displayNames(sp.ids.ids, n.Keyword, l.noKeyword)
	}
	devices := deviceValues{labels: l}
	seq := iter.Seq[[]any](func(yield func([]any) bool) {
		row := make([]any, len(cols))
		le := binary.LittleEndian
		var days dayValues
		sp.records(recordSize, func(b []byte) bool {
			dayValue := days.of(int32(le.Uint32(b[0:])))
			if b[16] == pendingDevice {
				clear(row)
				row[0], row[1] = dayValue, l.pending
				return yield(row)
			}
			dev := devices.of(b[16])
			impr, clicks := int64(le.Uint64(b[17:])), int64(le.Uint64(b[25:]))
			views, conv := int64(le.Uint64(b[33:])), int64(le.Uint64(b[41:]))
			cost, naverCost := math.Float64frombits(le.Uint64(b[49:])), math.Float64frombits(le.Uint64(b[57:]))
			rankSum, sales := math.Float64frombits(le.Uint64(b[65:])), math.Float64frombits(le.Uint64(b[73:]))
			c := 0
			row[c] = dayValue
			c++
			row[c] = campaigns[le.Uint32(b[4:])]
			c++
			if adgroups != nil {
				row[c] = adgroups[le.Uint32(b[8:])]
				c++
			}
			if keywords != nil {
				row[c] = keywords[le.Uint32(b[12:])]
				c++
			}
			row[c] = dev
			row[c+1], row[c+2], row[c+3], row[c+4] = impr, clicks, views, cost
			row[c+5] = ratio(rankSum, float64(impr))
			row[c+6], row[c+7] = conv, sales
			row[c+8] = ratio(float64(clicks), float64(impr))
			row[c+9] = ratio(cost, float64(clicks))
			row[c+10] = ratio(sales, cost)
			row[c+11] = naverCost
			return yield(row)
		})
	})
	return google.Table{Columns: cols, NumRows: sp.rows, Rows: seq}, nil
}

// ratio is a/b, or nil (an empty cell) when b is zero.
func ratio(a, b float64) any {
	if b == 0 {
		return nil
	}
	return a / b
}
