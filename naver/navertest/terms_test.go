package navertest_test

import (
	"bytes"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/naversync/naversync/naver"
	"github.com/naversync/naversync/naver/navertest"
)

// fetch downloads the file of reportType for day.
func (f *fixture) fetch(t *testing.T, reportType string, d time.Time) []byte {
	t.Helper()
	var s sink
	res, err := f.client.FetchStatReport(t.Context(), f.cred, naver.StatRequest{ReportType: reportType, Day: d}, &s)
	if err != nil || res.Status != naver.StatusBuilt {
		t.Fatalf("%s %s: %+v, %v", reportType, d.Format(time.DateOnly), res, err)
	}
	return bytes.Clone(s.Bytes())
}

// The search term reports are as Naver writes them: EXPKEYWORD with the match types 0, 1, 2
// and 5, empty search terms ("" and "-"), rows of one key split in two, and the same traffic as
// the AD file (the simulator derives them from its rows); the files are the same every time.
func TestSearchTermReports(t *testing.T) {
	f := newFixture(t, navertest.Options{InstantBuild: true})
	for _, d := range []time.Time{day(2026, 5, 1), day(2026, 3, 29)} {
		exp := f.fetch(t, naver.ReportExpKeyword, d)
		if again := f.fetch(t, naver.ReportExpKeyword, d); !bytes.Equal(exp, again) {
			t.Fatalf("%s: EXPKEYWORD differs from one download to the next", d.Format(time.DateOnly))
		}
		type key struct {
			c, g, term, dev string
			match           int
		}
		seen := map[key]int{}
		matches, terms := map[int]bool{}, map[string]bool{}
		var impr, clicks int64
		if err := naver.ParseSearchTerms(bytes.NewReader(exp), "exp", func(r *naver.SearchTermRow) error {
			seen[key{r.CampaignID, r.AdgroupID, r.SearchTerm, r.Device, r.MatchType}]++
			matches[r.MatchType] = true
			terms[r.SearchTerm] = true
			impr += r.Impressions
			clicks += r.Clicks
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		dups := 0
		for _, n := range seen {
			if n > 1 {
				dups++
			}
		}
		adImpr, adClicks, _ := f.sim.ADTotals(f.cred.CustomerID, d)
		if len(matches) != 4 || !matches[0] || !matches[1] || !matches[2] || !matches[5] || !terms[""] || !terms["-"] || dups == 0 ||
			impr != adImpr || clicks != adClicks {
			t.Errorf("%s: match types %v, empty terms %v %v, %d duplicated keys, impressions %d clicks %d (AD: %d %d)",
				d.Format(time.DateOnly), matches, terms[""], terms["-"], dups, impr, clicks, adImpr, adClicks)
		}

		var shopImpr int64
		shopDups := map[key]int{}
		if err := naver.ParseShoppingTerms(bytes.NewReader(f.fetch(t, naver.ReportShoppingKeyword, d)), "shop", func(r *naver.ShoppingTermRow) error {
			shopImpr += r.Impressions
			shopDups[key{r.CampaignID, r.AdgroupID, r.SearchTerm + "\x00" + r.AdID + r.Hour + r.RegionCode, r.Device, 0}]++
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		var conv, wantConv int64
		if err := naver.ParseShoppingConversions(bytes.NewReader(f.fetch(t, naver.ReportShoppingKeywordConversion, d)), "conv", func(r *naver.ShoppingConversionRow) error {
			conv += r.Conversions
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		for _, r := range f.sim.Rows(f.cred.CustomerID, d) {
			wantConv += r.Conversions
		}
		exact := 0
		for _, n := range shopDups {
			if n > 1 {
				exact++
			}
		}
		if shopImpr != adImpr || conv != wantConv || exact == 0 {
			t.Errorf("%s: shopping impressions %d (AD %d), conversions %d (AD_CONVERSION %d), %d rows written twice",
				d.Format(time.DateOnly), shopImpr, adImpr, conv, wantConv, exact)
		}
	}
}

// Each search term report is served for its own window: EXPKEYWORD 365 days, shopping search
// terms 180, shopping conversions 45; older days answer 10004.
func TestSearchTermWindows(t *testing.T) {
	f := newFixture(t, navertest.Options{InstantBuild: true})
	today := day(2026, 5, 10)
	for tp, days := range map[string]int{naver.ReportExpKeyword: 365, naver.ReportShoppingKeyword: 180, naver.ReportShoppingKeywordConversion: 45} {
		if _, err := f.client.CreateStatReport(t.Context(), f.cred, tp, today.AddDate(0, 0, -days)); err != nil {
			t.Errorf("%s %d days ago: %v", tp, days, err)
		}
		if _, err := f.client.CreateStatReport(t.Context(), f.cred, tp, today.AddDate(0, 0, -days-1)); !errors.Is(err, naver.ErrNotServed) {
			t.Errorf("%s %d days ago: %v, want ErrNotServed", tp, days+1, err)
		}
	}
}

// SearchTermRows are what the search term files sum to, key by key.
func TestSearchTermRowsAreTheFiles(t *testing.T) {
	f := newFixture(t, navertest.Options{InstantBuild: true})
	type key struct {
		c, g, term, dev string
		match           int
	}
	type sums struct {
		impr, clicks, views, rank, cents, conv int64
		sales                                  float64
	}
	for _, d := range []time.Time{day(2026, 5, 1), day(2026, 3, 29)} {
		want := map[key]*sums{}
		wantShop := map[key]*sums{}
		get := func(m map[key]*sums, k key) *sums {
			if m[k] == nil {
				m[k] = &sums{}
			}
			return m[k]
		}
		for _, r := range f.sim.SearchTermRows(f.cred.CustomerID, d) {
			s := get(want, key{r.CampaignID, r.AdgroupID, r.SearchTerm, string(r.Device), r.MatchType})
			s.impr, s.clicks, s.views, s.cents = s.impr+r.Impressions, s.clicks+r.Clicks, s.views+r.Views, s.cents+int64(math.Round(r.Cost*100))
			s = get(wantShop, key{r.CampaignID, r.AdgroupID, r.SearchTerm, string(r.Device), 0})
			s.impr, s.clicks, s.views, s.rank = s.impr+r.Impressions, s.clicks+r.Clicks, s.views+r.Views, s.rank+r.RankSum
			s.cents += int64(r.ShoppingCost * 100)
			s.conv, s.sales = s.conv+r.Conversions, s.sales+r.Sales
		}
		if len(want) == 0 {
			t.Fatalf("%s: no rows", d.Format(time.DateOnly))
		}
		got, gotShop := map[key]*sums{}, map[key]*sums{}
		if err := naver.ParseSearchTerms(bytes.NewReader(f.fetch(t, naver.ReportExpKeyword, d)), "exp", func(r *naver.SearchTermRow) error {
			s := get(got, key{r.CampaignID, r.AdgroupID, r.SearchTerm, r.Device, r.MatchType})
			s.impr, s.clicks, s.views, s.cents = s.impr+r.Impressions, s.clicks+r.Clicks, s.views+r.Views, s.cents+int64(math.Round(r.Cost*100))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := naver.ParseShoppingTerms(bytes.NewReader(f.fetch(t, naver.ReportShoppingKeyword, d)), "shop", func(r *naver.ShoppingTermRow) error {
			s := get(gotShop, key{r.CampaignID, r.AdgroupID, r.SearchTerm, r.Device, 0})
			s.impr, s.clicks, s.views, s.rank = s.impr+r.Impressions, s.clicks+r.Clicks, s.views+r.Views, s.rank+int64(r.RankSum)
			s.cents += int64(r.Cost * 100)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := naver.ParseShoppingConversions(bytes.NewReader(f.fetch(t, naver.ReportShoppingKeywordConversion, d)), "conv", func(r *naver.ShoppingConversionRow) error {
			s := get(gotShop, key{r.CampaignID, r.AdgroupID, r.SearchTerm, r.Device, 0})
			s.conv, s.sales = s.conv+r.Conversions, s.sales+r.Sales
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		for name, pair := range map[string][2]map[key]*sums{"EXPKEYWORD": {got, want}, "shopping": {gotShop, wantShop}} {
			g, w := pair[0], pair[1]
			if len(g) != len(w) {
				t.Errorf("%s %s: %d keys, want %d", d.Format(time.DateOnly), name, len(g), len(w))
			}
			for k, ws := range w {
				if gs := g[k]; gs == nil || *gs != *ws {
					t.Errorf("%s %s %+v: %+v, want %+v", d.Format(time.DateOnly), name, k, gs, ws)
				}
			}
		}
	}
}
