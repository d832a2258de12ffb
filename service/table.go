package service

import (
	"bufio"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/naversync/naversync/google"
	"github.com/naversync/naversync/naver"
	"github.com/naversync/naversync/store"
)

// vatSwitchDay is the first day whose cost Naver reports VAT-included and rounded to won;
// earlier days are VAT-excluded with decimals (fact sheet: "Cost").
var vatSwitchDay = time.Date(2026, 3, 30, 0, 0, 0, 0, time.UTC)

// costVATIncluded gives one consistent cost for every day: VAT included, whole won. Days before
// the switch are converted as Naver does from the switch on: × 1.1, rounded half up.
func costVATIncluded(day time.Time, naverCost float64) float64 {
	if day.Before(vatSwitchDay) {
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

func newDayTable(level string, day time.Time) *dayTable {
	return &dayTable{level: level, day: day, rows: make(map[rowKey]*rowAgg, 1024)}
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
// stays bounded by a few days' rows whatever the range and the account's size.
type spill struct {
	f       *os.File
	w       *bufio.Writer
	rows    int
	ids     *interner
	readErr error // set when reading the rows back failed; the write must then not count
}

// recordSize: day int32, campaign/adgroup/keyword ids uint32, device byte, 4 int64, 4 float64.
const recordSize = 4 + 3*4 + 1 + 4*8 + 4*8

func newSpill(dir string) (*spill, error) {
	f, err := os.CreateTemp(dir, "rows-*.bin")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errStorage, err)
	}
	return &spill{f: f, w: bufio.NewWriterSize(f, 256<<10), ids: newInterner()}, nil
}

func (sp *spill) close() {
	_ = sp.f.Close()
	_ = os.Remove(sp.f.Name())
}

// internedRow is one aggregated row with its ids numbered.
type internedRow struct {
	c, a, k uint32
	dev     byte
	agg     *rowAgg
}

// writeDay appends a day's rows, ordered by campaign, ad group, keyword (in the order they were
// first seen, newest day first) and device: stable from one run to the next.
func (sp *spill) writeDay(t *dayTable) error {
	days := int32(t.day.Sub(sheetEpoch).Hours() / 24)
	rows := make([]internedRow, 0, len(t.rows))
	for k, a := range t.rows {
		dev := byte(0)
		if k.device != "" {
			dev = k.device[0]
		}
		rows = append(rows, internedRow{c: sp.ids.id(k.campaign), a: sp.ids.id(k.adgroup), k: sp.ids.id(k.keyword), dev: dev, agg: a})
	}
	slices.SortFunc(rows, func(x, y internedRow) int {
		return cmp.Or(cmp.Compare(x.c, y.c), cmp.Compare(x.a, y.a), cmp.Compare(x.k, y.k), cmp.Compare(x.dev, y.dev))
	})
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
		if _, err := sp.w.Write(b[:]); err != nil {
			return fmt.Errorf("%w: %v", errStorage, err)
		}
	}
	sp.rows += len(rows)
	return nil
}

var sheetEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// columns of the sheet at a level.
func columns(level string) []google.Column {
	cols := []google.Column{{Name: "Date", Type: google.Date}, {Name: "Campaign", Type: google.Text}}
	if level != LevelCampaign {
		cols = append(cols, google.Column{Name: "Ad group", Type: google.Text})
	}
	if level == LevelKeyword {
		cols = append(cols, google.Column{Name: "Keyword", Type: google.Text})
	}
	return append(cols,
		google.Column{Name: "Device", Type: google.Text},
		google.Column{Name: "Impressions", Type: google.Integer},
		google.Column{Name: "Clicks", Type: google.Integer},
		google.Column{Name: "Video views", Type: google.Integer},
		google.Column{Name: "Cost (VAT incl.)", Type: google.Currency},
		google.Column{Name: "Avg. rank", Type: google.Decimal},
		google.Column{Name: "Conversions", Type: google.Integer},
		google.Column{Name: "Conversion revenue", Type: google.Currency},
		google.Column{Name: "CTR", Type: google.Percent},
		google.Column{Name: "CPC", Type: google.Currency},
		google.Column{Name: "ROAS", Type: google.Percent},
		google.Column{Name: "Cost (as reported by Naver)", Type: google.Decimal},
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

// table reads the spill back as sheet rows; the yielded slice is reused between rows. Names and
// dates are boxed once each, not once per row.
func (sp *spill) table(level string, n names) (google.Table, error) {
	if err := sp.w.Flush(); err != nil {
		return google.Table{}, fmt.Errorf("%w: %v", errStorage, err)
	}
	cols := columns(level)
	display := func(m map[string]string, none string) []any {
		out := make([]any, len(sp.ids.ids))
		for i, id := range sp.ids.ids {
			switch {
			case id == "" || id == "-":
				out[i] = none
			case m[id] != "":
				out[i] = m[id]
			default:
				out[i] = id
			}
		}
		return out
	}
	campaigns := display(n.campaign, "(none)")
	var adgroups, keywords []any
	if level != LevelCampaign {
		adgroups = display(n.adgroup, "(none)")
	}
	if level == LevelKeyword {
		keywords = display(n.keyword, "(no keyword)")
	}
	devices := map[byte]any{}
	seq := iter.Seq[[]any](func(yield func([]any) bool) {
		if _, err := sp.f.Seek(0, io.SeekStart); err != nil {
			sp.readErr = err
			return
		}
		r := bufio.NewReaderSize(sp.f, 256<<10)
		row := make([]any, len(cols))
		var b [recordSize]byte
		le := binary.LittleEndian
		lastDay := int32(math.MinInt32)
		var dayValue any
		for i := 0; i < sp.rows; i++ {
			if _, err := io.ReadFull(r, b[:]); err != nil {
				sp.readErr = err
				return
			}
			if d := int32(le.Uint32(b[0:])); d != lastDay {
				lastDay, dayValue = d, sheetEpoch.AddDate(0, 0, int(d))
			}
			dev, ok := devices[b[16]]
			if !ok {
				dev = deviceName(b[16])
				devices[b[16]] = dev
			}
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
			if !yield(row) {
				return
			}
		}
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

// errBadFile marks a stored report file that cannot be parsed: retrying the same file cannot help.
var errBadFile = errors.New("report file cannot be parsed")

// dayFiles are the stored files of one day ("" when the day has none).
type dayFiles struct {
	day      time.Time
	ad, conv string
}

// builtTable is a sync's table, ready to be written; done removes its spill.
type builtTable struct {
	table    google.Table
	from, to time.Time
	days     int
	spill    *spill
}

// buildTable turns a customer's stored files into the account's whole table: every day Naver
// serves that the service holds (not only the days this sync fetched, so a "last 7 days" update
// keeps the rest of the history in the sheet), newest day first, parsed as streams with a day
// per core and spilled to disk in order. onRows reports progress.
func (s *Service) buildTable(ctx context.Context, sy store.Sync, level string, onRows func(rows int) error) (*builtTable, error) {
	from, to := s.ServedWindow()
	if sf, err := time.Parse(dayLayout, sy.From); err == nil && sf.Before(from) {
		from = sf // a sync queued yesterday may reach one day further back
	}
	files, err := s.store.ReportFiles(ctx, sy.CustomerID, s.cfg.ReportTypes, from.Format(dayLayout), to.Format(dayLayout))
	if err != nil {
		return nil, fmt.Errorf("%w: report files: %v", errStorage, err)
	}
	byDay := map[string]*dayFiles{}
	for _, f := range files {
		if f.State != "built" {
			continue
		}
		d := byDay[f.StatDate]
		if d == nil {
			day, _ := time.Parse(dayLayout, f.StatDate)
			d = &dayFiles{day: day}
			byDay[f.StatDate] = d
		}
		switch f.ReportType {
		case reportAD:
			d.ad = f.Key
		case reportConversion:
			d.conv = f.Key
		}
	}
	var days []dayFiles
	for d := to; !d.Before(from); d = d.AddDate(0, 0, -1) {
		if f := byDay[d.Format(dayLayout)]; f != nil {
			days = append(days, *f)
		}
	}
	nm, err := s.loadNames(ctx, sy.CustomerID)
	if err != nil {
		return nil, fmt.Errorf("%w: names: %v", errStorage, err)
	}
	sp, err := newSpill(filepath.Join(s.cfg.DataDir, "tmp"))
	if err != nil {
		return nil, err
	}
	if err := s.buildDays(ctx, level, days, sp, onRows); err != nil {
		sp.close()
		return nil, err
	}
	t, err := sp.table(level, nm)
	if err != nil {
		sp.close()
		return nil, err
	}
	return &builtTable{table: t, from: from, to: to, days: len(days), spill: sp}, nil
}

// buildDays parses and aggregates days in parallel (one per core) and writes them to the spill
// in order, newest first. At most a few days are in memory at once.
func (s *Service) buildDays(ctx context.Context, level string, days []dayFiles, sp *spill, onDay func(rows int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	workers := max(1, runtime.GOMAXPROCS(0))
	type result struct {
		t   *dayTable
		err error
	}
	// One channel per day, filled by whichever worker parsed it; the writer reads them in order.
	slots := make([]chan result, len(days))
	for i := range slots {
		slots[i] = make(chan result, 1)
	}
	// A token per day in flight bounds memory. The dispatcher takes the tokens in day order, so
	// the day the writer waits for always has one.
	inFlight := make(chan struct{}, 2*workers)
	next := make(chan int)
	go func() {
		defer close(next)
		for i := range days {
			select {
			case inFlight <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	for w := 0; w < workers; w++ {
		go func() {
			for i := range next {
				t, err := s.parseDay(ctx, level, days[i])
				slots[i] <- result{t, err}
			}
		}()
	}
	for i := range days {
		var res result
		select {
		case res = <-slots[i]:
		case <-ctx.Done():
			return ctx.Err()
		}
		<-inFlight
		if res.err != nil {
			return res.err
		}
		if err := sp.writeDay(res.t); err != nil {
			return err
		}
		if err := onDay(sp.rows); err != nil {
			return err
		}
	}
	return nil
}

// parseDay aggregates one day's AD and AD_CONVERSION files.
func (s *Service) parseDay(ctx context.Context, level string, d dayFiles) (*dayTable, error) {
	t := newDayTable(level, d.day)
	if d.ad != "" {
		if err := s.parseFile(ctx, d.ad, func(r io.Reader) error {
			return naver.ParseAD(r, d.ad, func(row *naver.ADRow) error { t.addAD(row); return nil })
		}); err != nil {
			return nil, err
		}
	}
	if d.conv != "" {
		if err := s.parseFile(ctx, d.conv, func(r io.Reader) error {
			return naver.ParseADConversion(r, d.conv, func(row *naver.ConversionRow) error { t.addConversion(row); return nil })
		}); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func (s *Service) parseFile(ctx context.Context, key string, parse func(io.Reader) error) error {
	r, err := s.cfg.Files.NewReader(ctx, key, nil)
	if err != nil {
		return fmt.Errorf("%w: open %s: %v", errStorage, key, err)
	}
	defer closeQuietly(s.log, r, key)
	if err := parse(bufio.NewReaderSize(r, 128<<10)); err != nil {
		return fmt.Errorf("%w: %v", errBadFile, err)
	}
	return nil
}
