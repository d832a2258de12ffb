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
	"slices"
	"time"

	"github.com/naversync/naversync/google"
	"github.com/naversync/naversync/naver"
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

// rowKey identifies one sheet row within a day.
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
	return &dayTable{level: level, day: day, rows: make(map[rowKey]*rowAgg, 256)}
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

// sortedKeys orders rows by campaign, ad group, keyword, device, for a stable sheet.
func (t *dayTable) sortedKeys() []rowKey {
	keys := make([]rowKey, 0, len(t.rows))
	for k := range t.rows {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b rowKey) int {
		return cmp.Or(cmp.Compare(a.campaign, b.campaign), cmp.Compare(a.adgroup, b.adgroup),
			cmp.Compare(a.keyword, b.keyword), cmp.Compare(a.device, b.device))
	})
	return keys
}

// spill holds the processed rows on disk, newest day first, so that memory stays bounded by one
// day's rows whatever the range.
type spill struct {
	f       *os.File
	w       *bufio.Writer
	rows    int
	buf     []byte
	readErr error // set when reading the rows back failed; the write must then not count
}

func newSpill(dir string) (*spill, error) {
	f, err := os.CreateTemp(dir, "rows-*.bin")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errStorage, err)
	}
	return &spill{f: f, w: bufio.NewWriterSize(f, 256<<10)}, nil
}

func (sp *spill) close() {
	_ = sp.f.Close()
	_ = os.Remove(sp.f.Name())
}

// writeDay appends a day's rows in sorted order.
func (sp *spill) writeDay(t *dayTable) error {
	days := int64(t.day.Sub(sheetEpoch).Hours() / 24)
	for _, k := range t.sortedKeys() {
		a := t.rows[k]
		b := sp.buf[:0]
		b = binary.AppendVarint(b, days)
		for _, s := range [...]string{k.campaign, k.adgroup, k.keyword, k.device} {
			b = binary.AppendUvarint(b, uint64(len(s)))
			b = append(b, s...)
		}
		for _, v := range [...]int64{a.impressions, a.clicks, a.views, a.conversions} {
			b = binary.AppendVarint(b, v)
		}
		for _, v := range [...]float64{a.cost, a.naverCost, a.rankSum, a.sales} {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		}
		sp.buf = b
		if _, err := sp.w.Write(b); err != nil {
			return fmt.Errorf("%w: %v", errStorage, err)
		}
		sp.rows++
	}
	return nil
}

func (sp *spill) finish() error {
	if err := sp.w.Flush(); err != nil {
		return fmt.Errorf("%w: %v", errStorage, err)
	}
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
func deviceName(code string) string {
	switch code {
	case "P":
		return "PC"
	case "M":
		return "Mobile"
	}
	return code
}

// table reads the spill back as sheet rows; the yielded slice is reused between rows.
func (sp *spill) table(level string, n names) (google.Table, error) {
	if err := sp.finish(); err != nil {
		return google.Table{}, err
	}
	cols := columns(level)
	iterErr := &sp.readErr
	seq := iter.Seq[[]any](func(yield func([]any) bool) {
		if _, err := sp.f.Seek(0, io.SeekStart); err != nil {
			*iterErr = err
			return
		}
		r := bufio.NewReaderSize(sp.f, 256<<10)
		row := make([]any, len(cols))
		var strs [4]string
		for i := 0; i < sp.rows; i++ {
			days, err := binary.ReadVarint(r)
			if err != nil {
				*iterErr = err
				return
			}
			for j := range strs {
				l, err := binary.ReadUvarint(r)
				if err != nil {
					*iterErr = err
					return
				}
				b := make([]byte, l)
				if _, err := io.ReadFull(r, b); err != nil {
					*iterErr = err
					return
				}
				strs[j] = string(b)
			}
			var ints [4]int64
			for j := range ints {
				if ints[j], err = binary.ReadVarint(r); err != nil {
					*iterErr = err
					return
				}
			}
			var fl [4]float64
			var raw [8]byte
			for j := range fl {
				if _, err := io.ReadFull(r, raw[:]); err != nil {
					*iterErr = err
					return
				}
				fl[j] = math.Float64frombits(binary.LittleEndian.Uint64(raw[:]))
			}
			impr, clicks, views, conv := ints[0], ints[1], ints[2], ints[3]
			cost, naverCost, rankSum, sales := fl[0], fl[1], fl[2], fl[3]
			c := 0
			row[c] = sheetEpoch.AddDate(0, 0, int(days))
			c++
			row[c] = nameOr(n.campaign, strs[0])
			c++
			if level != LevelCampaign {
				row[c] = nameOr(n.adgroup, strs[1])
				c++
			}
			if level == LevelKeyword {
				row[c] = keywordName(n.keyword, strs[2])
				c++
			}
			row[c] = deviceName(strs[3])
			c++
			row[c], row[c+1], row[c+2], row[c+3] = impr, clicks, views, cost
			c += 4
			row[c] = ratio(rankSum, float64(impr))
			row[c+1], row[c+2] = conv, sales
			row[c+3] = ratio(float64(clicks), float64(impr))
			row[c+4] = ratio(cost, float64(clicks))
			row[c+5] = ratio(sales, cost)
			row[c+6] = naverCost
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

func nameOr(m map[string]string, id string) string {
	if id == "" || id == "-" {
		return "(none)"
	}
	if v, ok := m[id]; ok {
		return v
	}
	return id
}

func keywordName(m map[string]string, id string) string {
	if id == "" || id == "-" {
		return "(no keyword)"
	}
	return nameOr(m, id)
}

// buildDays parses each day's files (newest first) into the spill.
func (s *Service) buildDays(ctx context.Context, level string, days []dayFiles, sp *spill, onDay func(rows int) error) error {
	for _, d := range days {
		if err := ctx.Err(); err != nil {
			return err
		}
		t := newDayTable(level, d.day)
		if d.ad != "" {
			if err := s.parseFile(ctx, d.ad, func(r io.Reader) error {
				return naver.ParseAD(r, d.ad, func(row *naver.ADRow) error { t.addAD(row); return nil })
			}); err != nil {
				return err
			}
		}
		if d.conv != "" {
			if err := s.parseFile(ctx, d.conv, func(r io.Reader) error {
				return naver.ParseADConversion(r, d.conv, func(row *naver.ConversionRow) error { t.addConversion(row); return nil })
			}); err != nil {
				return err
			}
		}
		if err := sp.writeDay(t); err != nil {
			return err
		}
		if err := onDay(sp.rows); err != nil {
			return err
		}
	}
	return nil
}

// errBadFile marks a stored report file that cannot be parsed: retrying the same file cannot help.
var errBadFile = errors.New("report file cannot be parsed")

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

// dayFiles are the stored files of one day ("" when the day has none).
type dayFiles struct {
	day      time.Time
	ad, conv string
}
