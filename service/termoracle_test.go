package service_test

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/naversync/naversync/report"
	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/store/storetest"
)

// expectedTermSheet is the table the engine must write in a search terms tab (shopping false)
// or a shopping search terms tab (shopping true), in English, for customer's days (newest
// first), computed from the simulator's own rows with duplicates summed: a row per day,
// campaign, ad group, search term (empty: "" and "-" are one), match type (search terms only)
// and device, ordered by campaign and ad group name, search term as written, match code,
// device, then ids. convFrom is the first day of the shopping conversions' window: older days
// show their conversion cells empty; a day within it shows conversions, 0 when Naver had none.
func expectedTermSheet(t *testing.T, w *world, customer string, shopping bool, days []string, pending map[string]bool, convFrom string) [][]any {
	t.Helper()
	header := []any{"Date", "Campaign", "Ad group", "Search term"}
	if !shopping {
		header = append(header, "Match type")
	}
	header = append(header, "Device", "Impressions", "Clicks", "Video views", "Cost (VAT incl.)")
	if shopping {
		header = append(header, "Avg. rank", "Conversions", "Conversion revenue")
	}
	header = append(header, "CTR", "CPC")
	if shopping {
		header = append(header, "ROAS")
	}
	header = append(header, "Cost (as reported by Naver)")
	out := [][]any{header}
	epoch := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	vatSwitch := time.Date(2026, 3, 30, 0, 0, 0, 0, time.UTC)
	ratio := func(a, b float64) any {
		if b == 0 {
			return nil
		}
		return a / b
	}
	matchLabel := func(code int) string {
		switch code {
		case 0, 5:
			return "Exact"
		case 1:
			return "Extended"
		case 2:
			return "Close variant"
		}
		return strconv.Itoa(code)
	}
	type agg struct {
		c, a, cid, aid, term, dev string
		match                     int
		impr, clicks, views, conv int64
		cost, naverCost, rank     float64
		sales                     float64
	}
	for _, ds := range days {
		day := mustDay(t, ds)
		serial := float64(day.Sub(epoch).Hours() / 24)
		if pending[ds] {
			row := make([]any, len(header))
			row[0], row[1] = serial, "(pending: not ready at Naver yet)"
			out = append(out, row)
			continue
		}
		names := map[string]string{}
		for _, r := range w.naver.Rows(customer, day) {
			names[r.CampaignID], names[r.AdgroupID] = r.CampaignName, r.AdgroupName
		}
		name := func(id string) string {
			if n := names[id]; n != "" {
				return n
			}
			return id
		}
		byKey := map[string]*agg{}
		var order []*agg
		for _, r := range w.naver.SearchTermRows(customer, day) {
			term := r.SearchTerm
			if term == "-" {
				term = ""
			}
			k := &agg{c: name(r.CampaignID), a: name(r.AdgroupID), cid: r.CampaignID, aid: r.AdgroupID, term: term,
				dev: map[byte]string{'P': "PC", 'M': "Mobile"}[r.Device]}
			if !shopping {
				k.match = r.MatchType
			}
			key := k.cid + "|" + k.aid + "|" + k.term + "|" + strconv.Itoa(k.match) + "|" + k.dev
			a := byKey[key]
			if a == nil {
				a = k
				byKey[key] = a
				order = append(order, a)
			}
			costs := r.Costs
			if shopping {
				costs = r.ShoppingCosts
			}
			a.impr += r.Impressions
			a.clicks += r.Clicks
			a.views += r.Views
			a.rank += float64(r.RankSum)
			for _, cost := range costs { // converted row by row, as Naver writes the rows
				a.naverCost += cost
				if day.Before(vatSwitch) {
					a.cost += math.Floor(cost*1.1 + 0.5)
				} else {
					a.cost += cost
				}
			}
			a.conv += r.Conversions
			a.sales += r.Sales
		}
		slices.SortFunc(order, func(x, y *agg) int {
			return cmp.Or(cmp.Compare(x.c, y.c), cmp.Compare(x.a, y.a), cmp.Compare(x.term, y.term), cmp.Compare(x.match, y.match),
				cmp.Compare(x.dev, y.dev), cmp.Compare(x.cid, y.cid), cmp.Compare(x.aid, y.aid))
		})
		convKnown := ds >= convFrom
		for _, a := range order {
			term := a.term
			if term == "" {
				term = "(empty search term)"
			}
			row := []any{serial, a.c, a.a, term}
			if !shopping {
				row = append(row, matchLabel(a.match))
			}
			row = append(row, a.dev, float64(a.impr), float64(a.clicks), float64(a.views), a.cost)
			if shopping {
				row = append(row, ratio(a.rank, float64(a.impr)))
				if convKnown {
					row = append(row, float64(a.conv), a.sales)
				} else {
					row = append(row, nil, nil)
				}
			}
			row = append(row, ratio(float64(a.clicks), float64(a.impr)), ratio(a.cost, float64(a.clicks)))
			if shopping {
				if convKnown {
					row = append(row, ratio(a.sales, a.cost))
				} else {
					row = append(row, nil)
				}
			}
			out = append(out, append(row, a.naverCost))
		}
	}
	return out
}

// TestShoppingConversionsNoneReadZero: a day with shopping traffic whose conversion report
// Naver answered NONE (no conversion that day) shows 0 conversions in the shopping search terms
// tab, not unknown (empty cells are for days older than the conversions' window), cell for cell
// against the simulator's rows, on both databases.
func TestShoppingConversionsNoneReadZero(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := newWorld(t, db, worldOptions{})
			w.customer("1001", 1, 1, 1)
			e := w.engine(engineOptions{fetchWorkers: 1, processWorkers: 1, leaseTTL: 10 * time.Second})
			a, err := e.svc.UpdateAccount(t.Context(), w.account(e, "A", "1001", "sheet-a", service.LevelAdgroup).ID, service.AccountPatch{
				Tabs: &[]string{string(report.KindShoppingTerms)}})
			if err != nil {
				t.Fatal(err)
			}
			s, _, err := e.svc.EnqueueSync(t.Context(), service.SyncRequest{AccountID: a.ID, Days: 20})
			if err != nil {
				t.Fatal(err)
			}
			if got := waitTerminal(t, e.svc, s.ID)[s.ID]; got.Status != service.StatusSucceeded {
				t.Fatalf("sync: %s %+v", got.Status, got.Error)
			}
			days := dayList(w, 20, 1)
			withoutConversions := 0
			for _, ds := range days {
				rows := w.naver.SearchTermRows("1001", mustDay(t, ds))
				conv := int64(0)
				for _, r := range rows {
					conv += r.Conversions
				}
				if len(rows) > 0 && conv == 0 {
					withoutConversions++
				}
			}
			if withoutConversions == 0 {
				t.Fatal("no day with traffic and without conversions in the range: the test checks nothing")
			}
			checkCells(t, w.sheets.Values("sheet-a", a.TabTitles[string(report.KindShoppingTerms)]), expectedTermSheet(t, w, "1001", true, days, nil, ""))
		})
	}
}
