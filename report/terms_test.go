package report_test

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/naversync/naversync/naver/navertest"
	"github.com/naversync/naversync/report"
)

// The oracle of the search term tabs: report files written here from random rows (duplicates
// of one key split over several lines, empty search terms "" and "-", every match type and an
// unknown one, decimal costs before the VAT switch), the expected table computed here with maps,
// and the tab's table compared with it cell for cell, in English and Korean.

// termsNames: two campaigns share a name (ids break the tie), a campaign and an ad group have no
// name (shown by id).
var termsNames = report.Names{
	Campaign: map[string]string{"c1": "Brand", "c2": "Brand"},
	Adgroup:  map[string]string{"g1": "Shoes", "g2": "Bags", "g3": "Shoes"},
}

// adgroupsOf are the ad groups of each campaign.
var adgroupsOf = map[string][]string{"c1": {"g1", "g2"}, "c2": {"g3"}, "c3": {"g4"}}

var termPool = []string{"running shoes", "러닝화", "", "-", "shoes ", "Shoes", "나이키 운동화"}

// termsKey is a row of the expected table.
type termsKey struct {
	campaign, adgroup, term string
	match                   int
	device                  string
}

// termsSum is what the expected table sums per row.
type termsSum struct {
	impressions, clicks, views, conversions int64
	cost, naverCost, rankSum, sales         float64
}

// vatIncluded is the cost of one report row as the sheet shows it: VAT included, whole won
// (Naver's rule from 2026-03-30, applied per row before).
func vatIncluded(day time.Time, cost float64) float64 {
	if day.Before(time.Date(2026, 3, 30, 0, 0, 0, 0, time.UTC)) {
		return math.Floor(cost*1.1 + 0.5)
	}
	return cost
}

// termsGen writes report lines of random rows into one file per day and sums them as expected.
type termsGen struct {
	rnd *rand.Rand
	day time.Time
	exp map[termsKey]*termsSum
}

func (g *termsGen) sum(k termsKey) *termsSum {
	if k.term == "-" {
		k.term = ""
	}
	s := g.exp[k]
	if s == nil {
		s = &termsSum{}
		g.exp[k] = s
	}
	return s
}

func (g *termsGen) key(match bool) termsKey {
	c := []string{"c1", "c2", "c3"}[g.rnd.IntN(3)]
	k := termsKey{campaign: c, adgroup: adgroupsOf[c][g.rnd.IntN(len(adgroupsOf[c]))], term: termPool[g.rnd.IntN(len(termPool))],
		device: []string{"P", "M"}[g.rnd.IntN(2)]}
	if match {
		k.match = []int{0, 1, 2, 5, 7}[g.rnd.IntN(5)]
	}
	return k
}

// cost is a random cost as Naver writes it: decimal (VAT excluded) before the switch when
// decimals, whole won otherwise.
func (g *termsGen) cost(decimals bool) string {
	won := g.rnd.IntN(5000)
	if decimals && g.day.Before(time.Date(2026, 3, 30, 0, 0, 0, 0, time.UTC)) {
		return fmt.Sprintf("%d.%02d", won, g.rnd.IntN(100))
	}
	return strconv.Itoa(won)
}

func (g *termsGen) num(s string) float64 {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		panic(err)
	}
	return v
}

// extra sometimes appends columns a later Naver release may add.
func (g *termsGen) extra() string {
	if g.rnd.IntN(5) == 0 {
		return "\tnew\tcolumns"
	}
	return ""
}

// expKeyword writes an EXPKEYWORD file of n keys, a quarter of them over several lines.
func (g *termsGen) expKeyword(n int) string {
	var lines []string
	date := g.day.Format("20060102")
	for range n {
		k := g.key(true)
		for range 1 + g.rnd.IntN(4)/3*2 { // one line, or three of one key
			impr := int64(g.rnd.IntN(300))
			clicks, views := int64(g.rnd.IntN(int(impr)/5+1)), int64(g.rnd.IntN(3))
			cost := g.cost(true)
			s := g.sum(k)
			s.impressions += impr
			s.clicks += clicks
			s.views += views
			s.naverCost += g.num(cost)
			s.cost += vatIncluded(g.day, g.num(cost))
			lines = append(lines, fmt.Sprintf("%s\t9\t%s\t%s\t%s\t27758\t%s\t%d\t%d\t%d\t%s\t%d%s", date, k.campaign, k.adgroup, k.term, k.device, k.match, impr, clicks, cost, views, g.extra()))
		}
	}
	return g.shuffled(lines)
}

// shopping writes a SHOPPINGKEYWORD_DETAIL file of n keys over several hours, regions and ads,
// and, when conversions, a SHOPPINGKEYWORD_CONVERSION_DETAIL file for some of them and for keys
// without impressions.
func (g *termsGen) shopping(n int, conversions bool) (detail, conv string) {
	var lines, cvLines []string
	date := g.day.Format("20060102")
	var keys []termsKey
	for range n {
		k := g.key(false)
		keys = append(keys, k)
		for range 1 + g.rnd.IntN(3) {
			impr := int64(1 + g.rnd.IntN(300))
			clicks, views := int64(g.rnd.IntN(int(impr)/5+1)), int64(g.rnd.IntN(3))
			cost, rank := g.cost(false), impr*int64(1+g.rnd.IntN(8))
			s := g.sum(k)
			s.impressions += impr
			s.clicks += clicks
			s.views += views
			s.naverCost += g.num(cost)
			s.cost += vatIncluded(g.day, g.num(cost))
			s.rankSum += float64(rank)
			lines = append(lines, fmt.Sprintf("%s\t9\t%s\t%s\t%s\tnad-%d\tbsn-1\t%02d\t%02d\t27758\t%s\t%d\t%d\t%s\t%d\t%d%s",
				date, k.campaign, k.adgroup, k.term, g.rnd.IntN(3), g.rnd.IntN(24), 1+g.rnd.IntN(17), k.device, impr, clicks, cost, rank, views, g.extra()))
		}
	}
	if !conversions {
		return g.shuffled(lines), ""
	}
	for range n / 2 {
		k := keys[g.rnd.IntN(len(keys))] // mostly a key of the detail file; at times one without impressions
		if g.rnd.IntN(4) == 0 {
			k.term = "converted later " + k.term
		}
		for range 1 + g.rnd.IntN(2) {
			count, sales := int64(1+g.rnd.IntN(3)), int64(1000*(1+g.rnd.IntN(50)))
			s := g.sum(k)
			s.conversions += count
			s.sales += float64(sales)
			cvLines = append(cvLines, fmt.Sprintf("%s\t9\t%s\t%s\t%s\tnad-1\tbsn-1\t%02d\t01\t27758\t%s\t%d\tpurchase\t%d\t%d%s",
				date, k.campaign, k.adgroup, k.term, g.rnd.IntN(24), k.device, 1+g.rnd.IntN(2), count, sales, g.extra()))
		}
	}
	return g.shuffled(lines), g.shuffled(cvLines)
}

func (g *termsGen) shuffled(lines []string) string {
	g.rnd.Shuffle(len(lines), func(i, j int) { lines[i], lines[j] = lines[j], lines[i] })
	if len(lines) == 0 {
		return ""
	}
	return strings.Join(lines, "\n") + "\n"
}

// termsWords are the words the expected tables use, per language.
type termsWords struct {
	header                          []string
	pending, empty, none            string
	exact, extended, close, pc, mob string
}

func wordsOf(lang string, shopping bool) termsWords {
	if lang == report.LanguageKorean {
		h := []string{"일자", "캠페인", "광고그룹", "검색어", "검색어 유형", "PC/모바일", "노출수", "클릭수(동영상 조회 제외)", "동영상조회수", "총비용(VAT포함,원)",
			"클릭률(%, 동영상 조회 제외)", "평균클릭비용(VAT포함,원, 동영상 조회 제외)", "보고서 원본 비용(2026-03-29까지 VAT 제외)"}
		if shopping {
			h = []string{"일자", "캠페인", "광고그룹", "검색어", "PC/모바일", "노출수", "클릭수(동영상 조회 제외)", "동영상조회수", "총비용(VAT포함,원)",
				"평균노출순위", "전환수", "전환매출액(원)", "클릭률(%, 동영상 조회 제외)", "평균클릭비용(VAT포함,원, 동영상 조회 제외)", "광고수익률(%)",
				"보고서 원본 비용(2026-03-29까지 VAT 제외)"}
		}
		return termsWords{header: h, pending: "(대기: 네이버 데이터 준비 전)", empty: "(검색어 없음)", none: "(없음)",
			exact: "일치", extended: "확장", close: "유사", pc: "PC", mob: "모바일"}
	}
	h := []string{"Date", "Campaign", "Ad group", "Search term", "Match type", "Device", "Impressions", "Clicks", "Video views",
		"Cost (VAT incl.)", "CTR", "CPC", "Cost (as reported by Naver)"}
	if shopping {
		h = []string{"Date", "Campaign", "Ad group", "Search term", "Device", "Impressions", "Clicks", "Video views", "Cost (VAT incl.)",
			"Avg. rank", "Conversions", "Conversion revenue", "CTR", "CPC", "ROAS", "Cost (as reported by Naver)"}
	}
	return termsWords{header: h, pending: "(pending: not ready at Naver yet)", empty: "(empty search term)", none: "(none)",
		exact: "Exact", extended: "Extended", close: "Close variant", pc: "PC", mob: "Mobile"}
}

// div is a/b, or nil (an empty cell) when b is zero.
func div(a, b float64) any {
	if b == 0 {
		return nil
	}
	return a / b
}

// expectedDay is the expected table's rows of one day: sorted by campaign and ad group name,
// search term, match type, device (Mobile before PC), then ids.
func expectedDay(day time.Time, sums map[termsKey]*termsSum, lang string, shopping, converted bool) [][]any {
	return expectedNamedDay(day, sums, termsNames, lang, shopping, converted)
}

// expectedNamedDay is expectedDay with the entities named from names.
func expectedNamedDay(day time.Time, sums map[termsKey]*termsSum, names report.Names, lang string, shopping, converted bool) [][]any {
	w := wordsOf(lang, shopping)
	name := func(m map[string]string, id string) string {
		if m[id] != "" {
			return m[id]
		}
		return id
	}
	keys := make([]termsKey, 0, len(sums))
	for k := range sums {
		keys = append(keys, k)
	}
	devName := map[string]string{"P": "PC", "M": "Mobile"}
	slices.SortFunc(keys, func(x, y termsKey) int {
		return cmp.Or(cmp.Compare(name(names.Campaign, x.campaign), name(names.Campaign, y.campaign)),
			cmp.Compare(name(names.Adgroup, x.adgroup), name(names.Adgroup, y.adgroup)),
			cmp.Compare(x.term, y.term), cmp.Compare(x.match, y.match), cmp.Compare(devName[x.device], devName[y.device]),
			cmp.Compare(x.campaign, y.campaign), cmp.Compare(x.adgroup, y.adgroup))
	})
	var rows [][]any
	for _, k := range keys {
		s := sums[k]
		term := k.term
		if term == "" {
			term = w.empty
		}
		dev := map[string]string{"P": w.pc, "M": w.mob}[k.device]
		row := []any{day, name(names.Campaign, k.campaign), name(names.Adgroup, k.adgroup), term}
		if !shopping {
			match := map[int]string{0: w.exact, 5: w.exact, 1: w.extended, 2: w.close}[k.match]
			if match == "" {
				match = strconv.Itoa(k.match)
			}
			row = append(row, match)
		}
		row = append(row, dev, s.impressions, s.clicks, s.views, s.cost)
		if shopping {
			var conv, sales, roas any
			if converted {
				conv, sales, roas = s.conversions, s.sales, div(s.sales, s.cost)
			}
			row = append(row, div(s.rankSum, float64(s.impressions)), conv, sales,
				div(float64(s.clicks), float64(s.impressions)), div(s.cost, float64(s.clicks)), roas, s.naverCost)
		} else {
			row = append(row, div(float64(s.clicks), float64(s.impressions)), div(s.cost, float64(s.clicks)), s.naverCost)
		}
		rows = append(rows, row)
	}
	return rows
}

func pendingRow(day time.Time, lang string, shopping bool) []any {
	w := wordsOf(lang, shopping)
	row := make([]any, len(w.header))
	row[0], row[1] = day, w.pending
	return row
}

// sameCell: equal values, floats up to the rounding of sums added in another order.
func sameCell(got, want any) bool {
	g, ok1 := got.(float64)
	w, ok2 := want.(float64)
	if ok1 && ok2 {
		return math.Abs(g-w) <= 1e-9*max(1, math.Abs(w))
	}
	return reflect.DeepEqual(got, want)
}

// compareTables reports the first differing cells of two tables.
func compareTables(t *testing.T, got, want [][]any) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d rows, want %d", len(got), len(want))
	}
	bad := 0
	for i := range min(len(got), len(want)) {
		if len(got[i]) != len(want[i]) {
			t.Errorf("row %d: %d cells, want %d", i, len(got[i]), len(want[i]))
			continue
		}
		for j := range got[i] {
			if !sameCell(got[i][j], want[i][j]) {
				t.Errorf("row %d cell %d = %#v, want %#v\nrow %v\nwant %v", i, j, got[i][j], want[i][j], got[i], want[i])
				if bad++; bad > 5 {
					t.FailNow()
				}
			}
		}
	}
}

// TestSearchTermsTab: the search terms tab against the oracle, in both languages, over a day
// after the VAT switch, a pending day, a day before the switch and a day without rows.
func TestSearchTermsTab(t *testing.T) {
	rnd := rand.New(rand.NewPCG(27, 1127))
	fs := files{}
	d1, d2, d3, d4 := day("2026-04-02"), day("2026-04-01"), day("2026-03-01"), day("2026-02-28")
	g1 := &termsGen{rnd: rnd, day: d1, exp: map[termsKey]*termsSum{}}
	fs["exp-1"] = g1.expKeyword(300)
	g3 := &termsGen{rnd: rnd, day: d3, exp: map[termsKey]*termsSum{}}
	fs["exp-3"] = g3.expKeyword(200)
	days := []report.DayFiles{
		{Day: d1, Complete: true, Files: []report.File{fs.file(report.ReportExpKeyword, "exp-1")}},
		{Day: d2},
		{Day: d3, Complete: true, Files: []report.File{fs.file(report.ReportExpKeyword, "exp-3")}},
		{Day: d4, Complete: true},
	}
	// Every kind of row the tab must handle is in the data.
	seen := map[string]bool{}
	for k := range g1.exp {
		seen["match "+strconv.Itoa(k.match)] = true
		seen["term "+k.term] = true
	}
	for _, want := range []string{"match 0", "match 1", "match 2", "match 5", "match 7", "term "} {
		if !seen[want] {
			t.Fatalf("the generated data lack %q", want)
		}
	}
	if !strings.Contains(fs["exp-1"], "\t-\t") || !strings.Contains(fs["exp-1"], "\t\t") {
		t.Fatal("the generated data lack the search terms \"-\" and \"\"")
	}
	tab, ok := report.TabOf(report.KindSearchTerms)
	if !ok || !slices.Equal(tab.ReportTypes(), []string{report.ReportExpKeyword}) {
		t.Fatalf("TabOf(search_terms) = %v, %v", tab, ok)
	}
	for _, lang := range []string{report.LanguageEnglish, report.LanguageKorean} {
		t.Run(lang, func(t *testing.T) {
			// The level does not apply to the search term tabs.
			header, rows, results := buildTab(t, tab, report.Options{Level: report.LevelCampaign, Language: lang, Names: termsNames}, fs, days)
			if w := wordsOf(lang, false).header; !slices.Equal(header, w) {
				t.Errorf("header %q\nwant %q", header, w)
			}
			var want [][]any
			want = append(want, expectedDay(d1, g1.exp, lang, false, false)...)
			want = append(want, pendingRow(d2, lang, false))
			want = append(want, expectedDay(d3, g3.exp, lang, false, false)...)
			compareTables(t, rows, want)
			if r := results[0]; r.Pending || r.Rows != len(g1.exp) || r.Names == "" {
				t.Errorf("day 1: %+v", r)
			}
			if r := results[1]; !r.Pending || r.Rows != 1 {
				t.Errorf("pending day: %+v", r)
			}
			if r := results[3]; r.Pending || r.Rows != 0 {
				t.Errorf("day without rows: %+v", r)
			}
		})
	}
}

// TestShoppingTermsTab: the shopping search terms tab against the oracle, in both languages: a
// day with its conversion file (conversions known, 0 where none, rows of conversions without
// impressions), a pending day, a day without a conversion file (conversion cells empty) and a
// day whose conversion report Naver answered NONE (DayFiles.None: conversions 0).
func TestShoppingTermsTab(t *testing.T) {
	rnd := rand.New(rand.NewPCG(27, 1455))
	fs := files{}
	d1, d2, d3, d4 := day("2026-04-02"), day("2026-04-01"), day("2026-03-01"), day("2026-02-28")
	g1 := &termsGen{rnd: rnd, day: d1, exp: map[termsKey]*termsSum{}}
	fs["shop-1"], fs["conv-1"] = g1.shopping(250, true)
	g3 := &termsGen{rnd: rnd, day: d3, exp: map[termsKey]*termsSum{}}
	fs["shop-3"], _ = g3.shopping(150, false)
	g4 := &termsGen{rnd: rnd, day: d4, exp: map[termsKey]*termsSum{}}
	fs["shop-4"], _ = g4.shopping(20, false)
	days := []report.DayFiles{
		{Day: d1, Complete: true, Files: []report.File{fs.file(report.ReportShoppingKeyword, "shop-1"), fs.file(report.ReportShoppingConversion, "conv-1")}},
		{Day: d2},
		{Day: d3, Complete: true, Files: []report.File{fs.file(report.ReportShoppingKeyword, "shop-3")}},
		{Day: d4, Complete: true, Files: []report.File{fs.file(report.ReportShoppingKeyword, "shop-4")}, None: []string{report.ReportShoppingConversion}},
	}
	withoutImpressions := 0
	for _, s := range g1.exp {
		if s.impressions == 0 {
			withoutImpressions++
		}
	}
	if withoutImpressions == 0 {
		t.Fatal("the generated data lack conversions without impressions")
	}
	tab, ok := report.TabOf(report.KindShoppingTerms)
	if !ok || !slices.Equal(tab.ReportTypes(), []string{report.ReportShoppingKeyword, report.ReportShoppingConversion}) {
		t.Fatalf("TabOf(shopping_terms) = %v, %v", tab, ok)
	}
	for _, lang := range []string{report.LanguageEnglish, report.LanguageKorean} {
		t.Run(lang, func(t *testing.T) {
			header, rows, results := buildTab(t, tab, report.Options{Level: report.LevelKeyword, Language: lang, Names: termsNames}, fs, days)
			if w := wordsOf(lang, true).header; !slices.Equal(header, w) {
				t.Errorf("header %q\nwant %q", header, w)
			}
			var want [][]any
			want = append(want, expectedDay(d1, g1.exp, lang, true, true)...)
			want = append(want, pendingRow(d2, lang, true))
			want = append(want, expectedDay(d3, g3.exp, lang, true, false)...)
			want = append(want, expectedDay(d4, g4.exp, lang, true, true)...)
			compareTables(t, rows, want)
			if r := results[2]; r.Pending || r.Rows != len(g3.exp) {
				t.Errorf("day without conversions: %+v", r)
			}
		})
	}
}

// A search term tab's names digest changes exactly for the days whose rows show a renamed
// entity; the files of another tab are refused.
func TestTermsTabNamesAndReports(t *testing.T) {
	fs := files{
		"exp-1": "20260402\t9\tc1\tg1\tshoes\t27758\tP\t0\t10\t1\t100\t0\n",
		"exp-2": "20260401\t9\tc2\tg3\tshoes\t27758\tP\t0\t10\t1\t100\t0\n",
	}
	days := []report.DayFiles{
		{Day: day("2026-04-02"), Complete: true, Files: []report.File{fs.file(report.ReportExpKeyword, "exp-1")}},
		{Day: day("2026-04-01"), Complete: true, Files: []report.File{fs.file(report.ReportExpKeyword, "exp-2")}},
	}
	_, _, before := buildTab(t, report.SearchTerms(), report.Options{Names: termsNames}, fs, days)
	renamed := report.Names{Campaign: termsNames.Campaign, Adgroup: map[string]string{"g1": "Sneakers", "g2": "Bags", "g3": "Shoes"}}
	_, _, after := buildTab(t, report.SearchTerms(), report.Options{Names: renamed}, fs, days)
	if before[0].Names == after[0].Names || before[1].Names != after[1].Names {
		t.Errorf("digests before %q %q, after renaming g1 %q %q", before[0].Names, before[1].Names, after[0].Names, after[1].Names)
	}

	tbl, err := report.ShoppingTerms().NewTable(t.TempDir(), report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Close()
	if err := tbl.NewDay(day("2026-04-02")).Parse(report.ReportExpKeyword, strings.NewReader(fs["exp-1"]), "exp-1"); err == nil {
		t.Error("the shopping tab parsed an EXPKEYWORD file")
	}
}

// The search term tabs over the simulator's files (every match type, empty search terms, rows
// of one key split in two, the shopping conversions joined), against the figures the simulator
// says its files hold (navertest.SearchTermRows), named from its rows; the second day has no
// conversion file (older than Naver serves conversions).
func TestSearchTermTabsOnSimulatorFiles(t *testing.T) {
	const customer = "77"
	sim := navertest.New(navertest.Options{})
	sim.AddCustomer(navertest.Customer{ID: customer, APIKey: "k", SecretKey: "s", Seed: 27, Data: navertest.EveryDay})
	days := []time.Time{day("2026-05-02"), day("2026-05-01")} // after the VAT switch: costs as written
	fs := files{}
	names := report.Names{Campaign: map[string]string{}, Adgroup: map[string]string{}}
	var expDays, shopDays []report.DayFiles
	exp, shop := map[time.Time]map[termsKey]*termsSum{}, map[time.Time]map[termsKey]*termsSum{}
	for i, d := range days {
		for _, tp := range []string{report.ReportExpKeyword, report.ReportShoppingKeyword, report.ReportShoppingConversion} {
			var b strings.Builder
			if err := sim.StatFile(customer, tp, d, &b); err != nil || b.Len() == 0 {
				t.Fatalf("%s %s: %d bytes, %v", tp, d.Format(time.DateOnly), b.Len(), err)
			}
			fs[tp+d.Format(time.DateOnly)] = b.String()
		}
		file := func(tp string) report.File { return fs.file(tp, tp+d.Format(time.DateOnly)) }
		expDays = append(expDays, report.DayFiles{Day: d, Complete: true, Files: []report.File{file(report.ReportExpKeyword)}})
		shopFiles := []report.File{file(report.ReportShoppingKeyword)}
		if i == 0 {
			shopFiles = append(shopFiles, file(report.ReportShoppingConversion))
		}
		shopDays = append(shopDays, report.DayFiles{Day: d, Complete: true, Files: shopFiles})
		for _, r := range sim.Rows(customer, d) {
			names.Campaign[r.CampaignID], names.Adgroup[r.AdgroupID] = r.CampaignName, r.AdgroupName
		}
		exp[d], shop[d] = map[termsKey]*termsSum{}, map[termsKey]*termsSum{}
		add := func(m map[termsKey]*termsSum, k termsKey) *termsSum {
			if k.term == "-" {
				k.term = ""
			}
			if m[k] == nil {
				m[k] = &termsSum{}
			}
			return m[k]
		}
		for _, r := range sim.SearchTermRows(customer, d) {
			s := add(exp[d], termsKey{r.CampaignID, r.AdgroupID, r.SearchTerm, r.MatchType, string(r.Device)})
			s.impressions, s.clicks, s.views = s.impressions+r.Impressions, s.clicks+r.Clicks, s.views+r.Views
			s.cost, s.naverCost = s.cost+r.Cost, s.naverCost+r.Cost
			s = add(shop[d], termsKey{campaign: r.CampaignID, adgroup: r.AdgroupID, term: r.SearchTerm, device: string(r.Device)})
			s.impressions, s.clicks, s.views = s.impressions+r.Impressions, s.clicks+r.Clicks, s.views+r.Views
			s.cost, s.naverCost, s.rankSum = s.cost+r.ShoppingCost, s.naverCost+r.ShoppingCost, s.rankSum+float64(r.RankSum)
			s.conversions, s.sales = s.conversions+r.Conversions, s.sales+r.Sales
		}
	}
	for _, lang := range []string{report.LanguageEnglish, report.LanguageKorean} {
		t.Run(lang, func(t *testing.T) {
			o := report.Options{Language: lang, Names: names}
			_, rows, _ := buildTab(t, report.SearchTerms(), o, fs, expDays)
			var want [][]any
			for _, d := range days {
				want = append(want, expectedNamedDay(d, exp[d], names, lang, false, false)...)
			}
			compareTables(t, rows, want)
			_, rows, _ = buildTab(t, report.ShoppingTerms(), o, fs, shopDays)
			want = nil
			for i, d := range days {
				want = append(want, expectedNamedDay(d, shop[d], names, lang, true, i == 0)...)
			}
			compareTables(t, rows, want)
		})
	}
}
