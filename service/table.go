package service

import (
	"bufio"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"gocloud.dev/gcerrors"

	"github.com/naversync/naversync/google"
	"github.com/naversync/naversync/naver"
	"github.com/naversync/naversync/store"
)

// vatSwitchDay is the first day whose cost Naver reports VAT-included and rounded to won;
// earlier days are VAT-excluded with decimals (docs/naver-api.md, "Stat report files": Cost).
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
	names   names
	readErr error  // set when reading the rows back failed; the write must then not count
	nameBuf []byte // writeDay's buffer for the names digest
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

// recordSize: day int32, campaign/adgroup/keyword ids uint32, device byte, 4 int64, 4 float64.
const recordSize = 4 + 3*4 + 1 + 4*8 + 4*8

func newSpill(dir string, n names) (*spill, error) {
	f, err := os.CreateTemp(dir, "rows-*.bin")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errStorage, err)
	}
	return &spill{f: f, w: bufio.NewWriterSize(f, 256<<10), ids: newInterner(), names: n}, nil
}

func (sp *spill) close() {
	_ = sp.f.Close()
	_ = os.Remove(sp.f.Name())
}

// internedRow is one aggregated row with its ids numbered, and the names it sorts by.
type internedRow struct {
	c, a, k             uint32
	dev                 byte
	agg                 *rowAgg
	cName, aName, kName string
	key                 rowKey
}

// writeDay appends a day's rows in the order a reader scans them: by campaign, ad group and
// keyword name, then device (Mobile before PC), ids breaking ties between equal names. The order
// depends only on the day's data and names, so two accounts of one customer show a day's rows
// alike, and a day reads the same from one sync to the next. It returns a digest of the names
// the rows show, in that order: what the day displays besides its files' figures, so that a
// rename at Naver marks exactly the days that show the renamed entity as changed.
func (sp *spill) writeDay(t *dayTable) (string, error) {
	days := int32(t.day.Sub(sheetEpoch).Hours() / 24)
	rows := make([]internedRow, 0, len(t.rows))
	for k, a := range t.rows {
		dev := byte(0)
		if k.device != "" {
			dev = k.device[0]
		}
		rows = append(rows, internedRow{c: sp.ids.id(k.campaign), a: sp.ids.id(k.adgroup), k: sp.ids.id(k.keyword), dev: dev, agg: a,
			cName: displayName(sp.names.campaign, k.campaign, noName), aName: displayName(sp.names.adgroup, k.adgroup, noName),
			kName: displayName(sp.names.keyword, k.keyword, noKeyword), key: k})
	}
	slices.SortFunc(rows, func(x, y internedRow) int {
		return cmp.Or(cmp.Compare(x.cName, y.cName), cmp.Compare(x.aName, y.aName), cmp.Compare(x.kName, y.kName),
			cmp.Compare(deviceName(x.dev), deviceName(y.dev)),
			cmp.Compare(x.key.campaign, y.key.campaign), cmp.Compare(x.key.adgroup, y.key.adgroup), cmp.Compare(x.key.keyword, y.key.keyword))
	})
	// Hashed in large writes: per name, the hash's call overhead would cost more than the
	// hashing (about 1 s against 0.15 s per million rows).
	h := sha256.New()
	buf := sp.nameBuf[:0]
	for _, r := range rows {
		buf = append(append(append(append(append(append(buf, r.cName...), 0), r.aName...), 0), r.kName...), 0)
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
	return sp.write(int32(day.Sub(sheetEpoch).Hours()/24), []internedRow{{dev: pendingDevice, agg: &rowAgg{}}})
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
		if _, err := sp.w.Write(b[:]); err != nil {
			return fmt.Errorf("%w: %v", errStorage, err)
		}
	}
	sp.rows += len(rows)
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
	if err := sp.w.Flush(); err != nil {
		return google.Table{}, fmt.Errorf("%w: %v", errStorage, err)
	}
	cols := columns(level, lang)
	l := labelsOf(lang)
	n := sp.names
	display := func(m map[string]string, none string) []any {
		out := make([]any, len(sp.ids.ids))
		for i, id := range sp.ids.ids {
			out[i] = displayName(m, id, none)
		}
		return out
	}
	campaigns := display(n.campaign, l.noName)
	var adgroups, keywords []any
	if level != LevelCampaign {
		adgroups = display(n.adgroup, l.noName)
	}
	if level == LevelKeyword {
		keywords = display(n.keyword, l.noKeyword)
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
			if b[16] == pendingDevice {
				clear(row)
				row[0], row[1] = dayValue, l.pending
				if !yield(row) {
					return
				}
				continue
			}
			dev, ok := devices[b[16]]
			if !ok {
				dev = l.deviceLabel(b[16])
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

// dayFiles are what one day of an account's table is built from.
type dayFiles struct {
	day time.Time
	// ad and conv are the day's files that have rows (zero when NONE).
	ad, conv store.ReportFile
	// complete: every report of the day is final (built or none). An incomplete day (a report
	// pending at Naver, never fetched, or damaged) is shown as one pending row, never as a
	// silent hole that reads as no spend.
	complete bool
	// digest names the files (checksums and states): the day changed when it differs. A day
	// with rows adds the digest of the names they show (buildDays).
	digest  string
	version int64 // the highest Seq of the files
	// provisional: the conversions are a recent NONE, which may still change.
	provisional bool
}

// builtTable is a sync's table, ready to be written; spill.close removes its spill.
type builtTable struct {
	table    google.Table
	from, to time.Time
	// days are the table's days in order (newest first) with what they were built from.
	days    []store.SheetDay
	pending []string // days shown as pending
	// provisional are days shown whose conversions Naver answered NONE for while recent.
	provisional []string
	// damaged are files that could not be read back as recorded; their days show as pending.
	damaged []store.ReportFile
	spill   *spill
}

// accountDays are the days an account's sheet shows: those of its succeeded syncs, and the
// range of the sync being processed, within the days Naver serves now (a sync queued yesterday
// may reach one day further back, servedGraceDays; never further, as in the retry of an old
// sync: older days are neither served nor kept, see expireFiles).
func (s *Service) accountDays(ctx context.Context, sy store.Sync, accountID string) ([]store.DayRange, time.Time, time.Time, error) {
	from, to := s.ServedWindow()
	if sf, err := time.Parse(dayLayout, sy.From); err == nil && sf.Before(from) {
		from = from.AddDate(0, 0, -servedGraceDays)
		if sf.After(from) {
			from = sf
		}
	}
	ranges, err := s.store.AccountDays(ctx, accountID)
	if err != nil {
		return nil, from, to, fmt.Errorf("%w: account days: %v", errStorage, err)
	}
	return store.MergeRanges(append(ranges, store.DayRange{From: sy.From, To: sy.To})), from, to, nil
}

// buildTable turns the customer's stored files into the account's whole table: exactly the days
// of the account's own succeeded syncs and of this sync (never days another account of the
// customer fetched), newest day first, a complete day with its rows, an incomplete one as one
// pending row; parsed as streams with a day per core and spilled to disk in order. onRows
// reports progress.
func (s *Service) buildTable(ctx context.Context, sy store.Sync, acct store.Account, onRows func(rows int) error) (*builtTable, error) {
	ranges, from, to, err := s.accountDays(ctx, sy, acct.ID)
	if err != nil {
		return nil, err
	}
	files, err := s.store.ReportFiles(ctx, sy.CustomerID, s.cfg.ReportTypes, from.Format(dayLayout), to.Format(dayLayout))
	if err != nil {
		return nil, fmt.Errorf("%w: report files: %v", errStorage, err)
	}
	byDay := map[string]map[string]store.ReportFile{}
	for _, f := range files {
		if byDay[f.StatDate] == nil {
			byDay[f.StatDate] = map[string]store.ReportFile{}
		}
		byDay[f.StatDate][f.ReportType] = f
	}
	var days []dayFiles
	shownFrom, shownTo := time.Time{}, time.Time{}
	for d := to; !d.Before(from); d = d.AddDate(0, 0, -1) {
		key := d.Format(dayLayout)
		if !inRanges(ranges, key) {
			continue
		}
		if shownTo.IsZero() {
			shownTo = d
		}
		shownFrom = d
		days = append(days, s.planDay(d, byDay[key]))
	}
	nm, err := s.loadNames(ctx, sy.CustomerID)
	if err != nil {
		return nil, fmt.Errorf("%w: names: %v", errStorage, err)
	}
	sp, err := newSpill(filepath.Join(s.cfg.DataDir, "tmp"), nm)
	if err != nil {
		return nil, err
	}
	bt := &builtTable{spill: sp, from: shownFrom, to: shownTo}
	if err := s.buildDays(ctx, acct.Level, days, bt, onRows); err != nil {
		sp.close()
		return nil, err
	}
	if bt.table, err = sp.table(acct.Level, acct.SheetLanguage); err != nil {
		sp.close()
		return nil, err
	}
	return bt, nil
}

// planDay says what a day is built from.
func (s *Service) planDay(day time.Time, files map[string]store.ReportFile) dayFiles {
	d := dayFiles{day: day, complete: true, provisional: files[reportConversion].State == store.FileNone && files[reportConversion].Recheck}
	var digest []string
	for _, tp := range s.cfg.ReportTypes {
		f, ok := files[tp]
		if !ok || !f.Final() {
			d.complete = false
			continue
		}
		digest = append(digest, tp+":"+f.State+":"+f.SHA256)
		d.version = max(d.version, f.Seq)
		if f.State != store.FileBuilt {
			continue
		}
		switch tp {
		case reportAD:
			d.ad = f
		case reportConversion:
			d.conv = f
		}
	}
	if !d.complete {
		d.digest = "pending"
		return d
	}
	d.digest = strings.Join(digest, ",")
	return d
}

// inRanges reports whether day (YYYY-MM-DD) lies in one of the merged ranges.
func inRanges(ranges []store.DayRange, day string) bool {
	for _, r := range ranges {
		if day >= r.From && day <= r.To {
			return true
		}
	}
	return false
}

// buildDays parses and aggregates days in parallel (one per core) and writes them to the spill
// in order, newest first. At most a few days are in memory at once.
func (s *Service) buildDays(ctx context.Context, level string, days []dayFiles, bt *builtTable, onDay func(rows int) error) error {
	sp := bt.spill
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
				var t *dayTable
				var err error
				if days[i].complete {
					t, err = s.parseDay(ctx, level, days[i])
				}
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
		d := days[i]
		var damaged *damagedError
		switch {
		case errors.As(res.err, &damaged):
			bt.damaged = append(bt.damaged, damaged.file)
			d.complete, d.digest = false, "damaged"
		case res.err != nil:
			return res.err
		}
		before := sp.rows
		if d.complete {
			shown, err := sp.writeDay(res.t)
			if err != nil {
				return err
			}
			// The day changed when its files or the names it shows did.
			d.digest += ",names:" + shown
			if d.provisional {
				bt.provisional = append(bt.provisional, d.day.Format(dayLayout))
			}
		} else {
			if err := sp.writePending(d.day); err != nil {
				return err
			}
			bt.pending = append(bt.pending, d.day.Format(dayLayout))
		}
		bt.days = append(bt.days, store.SheetDay{StatDate: d.day.Format(dayLayout), Digest: d.digest, Version: d.version, Rows: sp.rows - before})
		if err := onDay(sp.rows); err != nil {
			return err
		}
	}
	return nil
}

// parseDay aggregates one day's AD and AD_CONVERSION files.
func (s *Service) parseDay(ctx context.Context, level string, d dayFiles) (*dayTable, error) {
	t := newDayTable(level, d.day)
	if d.ad.Key != "" {
		if err := s.parseFile(ctx, d.ad, func(r io.Reader) error {
			return naver.ParseAD(r, d.ad.Key, func(row *naver.ADRow) error { t.addAD(row); return nil })
		}); err != nil {
			return nil, err
		}
	}
	if d.conv.Key != "" {
		if err := s.parseFile(ctx, d.conv, func(r io.Reader) error {
			return naver.ParseADConversion(r, d.conv.Key, func(row *naver.ConversionRow) error { t.addConversion(row); return nil })
		}); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// parseFile reads a stored file through parse, checking that it is all there: as many bytes as
// were recorded, every row in its layout.
func (s *Service) parseFile(ctx context.Context, f store.ReportFile, parse func(io.Reader) error) error {
	r, err := s.cfg.Files.NewReader(ctx, f.Key, nil)
	if err != nil {
		if gcerrors.Code(err) == gcerrors.NotFound {
			return &damagedError{file: f, cause: err}
		}
		return fmt.Errorf("%w: open %s: %v", errStorage, f.Key, err)
	}
	defer closeQuietly(s.log, r, f.Key)
	cr := &countingReader{r: r}
	if err := parse(bufio.NewReaderSize(cr, 128<<10)); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &damagedError{file: f, cause: fmt.Errorf("%w: %v", errBadFile, err)}
	}
	if cr.n != f.Size {
		return &damagedError{file: f, cause: fmt.Errorf("%d bytes stored, %d recorded", cr.n, f.Size)}
	}
	return nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
