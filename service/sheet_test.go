package service_test

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/service/servicetest"
	"github.com/naversync/naversync/store/storetest"
)

// Every cell of the sheet, at every level, equals what the simulator's own figures give (not a
// parse of its files): names, devices, impressions, clicks, video views, cost both ways (VAT
// included, whole won, converted ×1.1 rounded half up per report row before 2026-03-30), average
// rank, conversions, revenue, CTR, CPC and ROAS, in the documented order (newest day first; by
// campaign, ad group and keyword name, then device); a day Naver has not made ready shows as one
// pending row, a day without traffic has no rows. Run at every calendar edge.
func TestSheetMatchesNaverCellForCell(t *testing.T) {
	servicetest.EachInstant(t, func(t *testing.T, at time.Time) {
		db := storetest.Databases(t)[0]
		w := newWorld(t, db, worldOptions{start: at})
		quiet, _ := time.Parse(time.DateOnly, servicetest.Day(at, 5)) // a day without traffic
		w.customer("1001", 2, 2, 2, quiet)
		e := w.engine(engineOptions{fetchWorkers: 1, processWorkers: 3, leaseTTL: 10 * time.Second})
		levels := []string{service.LevelCampaign, service.LevelAdgroup, service.LevelKeyword}
		var ids []string
		for _, level := range levels {
			a := w.account(e, "A-"+level, "1001", "sheet-"+level, level)
			s, _, err := e.svc.EnqueueSync(t.Context(), service.SyncRequest{AccountID: a.ID, Days: 12})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, s.ID)
		}
		for id, s := range waitTerminal(t, e.svc, ids...) {
			if s.Status != service.StatusSucceeded {
				t.Fatalf("%s: %s %+v", id, s.Status, s.Error)
			}
		}
		var days []string
		for n := 1; n <= 12; n++ {
			days = append(days, servicetest.Day(at, n))
		}
		pending := map[string]bool{}
		if at.In(seoul(t)).Hour() < 4 { // before Naver's morning hour yesterday is not ready
			pending[days[0]] = true
		}
		for _, level := range levels {
			t.Run(level, func(t *testing.T) {
				want := expectedSheet(t, w, "1001", level, days, pending)
				checkCells(t, w.sheets.Values("sheet-"+level, "data"), want)
			})
		}
	})
}

// expectedSheet is the table the engine must write for customer's days (newest first) at a
// level, computed from the simulator's own rows.
func expectedSheet(t *testing.T, w *world, customer, level string, days []string, pending map[string]bool) [][]any {
	t.Helper()
	header := []any{"Date", "Campaign"}
	if level != service.LevelCampaign {
		header = append(header, "Ad group")
	}
	if level == service.LevelKeyword {
		header = append(header, "Keyword")
	}
	header = append(header, "Device", "Impressions", "Clicks", "Video views", "Cost (VAT incl.)", "Avg. rank", "Conversions",
		"Conversion revenue", "CTR", "CPC", "ROAS", "Cost (as reported by Naver)")
	out := [][]any{header}
	epoch := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	vatSwitch := time.Date(2026, 3, 30, 0, 0, 0, 0, time.UTC)
	ratio := func(a, b float64) any {
		if b == 0 {
			return nil
		}
		return a / b
	}
	type agg struct {
		c, a, k                   string // names
		cid, aid, kid             string
		dev                       string
		impr, clicks, views, conv int64
		cost, naverCost, rank     float64
		sales                     float64
	}
	for _, ds := range days {
		day, _ := time.Parse(time.DateOnly, ds)
		serial := float64(day.Sub(epoch).Hours() / 24)
		if pending[ds] {
			row := make([]any, len(header))
			row[0], row[1] = serial, "(pending: not ready at Naver yet)"
			out = append(out, row)
			continue
		}
		byKey := map[string]*agg{}
		var order []*agg
		for _, r := range w.naver.Rows(customer, day) {
			k := &agg{c: r.CampaignName, cid: r.CampaignID, dev: map[byte]string{'P': "PC", 'M': "Mobile"}[r.Device]}
			if level != service.LevelCampaign {
				k.a, k.aid = r.AdgroupName, r.AdgroupID
			}
			if level == service.LevelKeyword {
				k.k, k.kid = r.KeywordName, r.KeywordID
				if r.KeywordID == "-" {
					k.k = "(no keyword)"
				}
			}
			key := strings.Join([]string{k.cid, k.aid, k.kid, k.dev}, "|")
			a := byKey[key]
			if a == nil {
				a = k
				byKey[key] = a
				order = append(order, a)
			}
			a.impr += r.Impressions
			a.clicks += r.Clicks
			a.views += r.Views
			a.rank += float64(r.RankSum)
			a.naverCost += r.Cost
			if day.Before(vatSwitch) {
				a.cost += math.Floor(r.Cost*1.1 + 0.5)
			} else {
				a.cost += r.Cost
			}
			a.conv += r.Conversions
			a.sales += r.Sales
		}
		slices.SortFunc(order, func(x, y *agg) int {
			return cmp.Or(cmp.Compare(x.c, y.c), cmp.Compare(x.a, y.a), cmp.Compare(x.k, y.k), cmp.Compare(x.dev, y.dev),
				cmp.Compare(x.cid, y.cid), cmp.Compare(x.aid, y.aid), cmp.Compare(x.kid, y.kid))
		})
		for _, a := range order {
			row := []any{serial, a.c}
			if level != service.LevelCampaign {
				row = append(row, a.a)
			}
			if level == service.LevelKeyword {
				row = append(row, a.k)
			}
			row = append(row, a.dev, float64(a.impr), float64(a.clicks), float64(a.views), a.cost, ratio(a.rank, float64(a.impr)),
				float64(a.conv), a.sales, ratio(float64(a.clicks), float64(a.impr)), ratio(a.cost, float64(a.clicks)), ratio(a.sales, a.cost), a.naverCost)
			out = append(out, row)
		}
	}
	return out
}

// checkCells compares a tab's values with the expected table, every cell; numbers to 1e-9.
func checkCells(t *testing.T, got, want [][]any) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d rows, want %d", len(got), len(want))
	}
	errs := 0
	for r := range min(len(got), len(want)) {
		for c := range want[r] {
			var g any
			if c < len(got[r]) {
				g = got[r][c]
			}
			if !sameCell(g, want[r][c]) {
				if errs++; errs <= 10 {
					t.Errorf("row %d column %d (%v): %v, want %v", r+1, c+1, want[0][c], g, want[r][c])
				}
			}
		}
		if len(got[r]) > len(want[r]) {
			t.Errorf("row %d has %d cells, want %d", r+1, len(got[r]), len(want[r]))
		}
	}
}

func sameCell(got, want any) bool {
	wf, wok := want.(float64)
	gf, gok := got.(float64)
	if wok && gok {
		return gf == wf || math.Abs(gf-wf) <= 1e-9*math.Max(math.Abs(wf), 1)
	}
	if s, ok := got.(string); ok && s == "" {
		got = nil
	}
	return got == want
}

// A wrong secret key fails the sync at once, without retries, with a message that tells the
// user to fix the account's credentials, shown on the sync and the account.
func TestAuthErrorFailsAtOnceAndMarksTheAccount(t *testing.T) {
	db := storetest.Databases(t)[0]
	w := newWorld(t, db, worldOptions{})
	w.customer("1001", 1, 1, 1)
	e := w.engine(engineOptions{fetchWorkers: 1, processWorkers: 1, leaseTTL: 10 * time.Second})
	a := w.account(e, "A", "1001", "sheet-a", service.LevelCampaign)
	ctx := t.Context()
	if _, err := e.svc.UpdateAccount(ctx, a.ID, service.AccountPatch{SecretKey: ptr("not-the-secret")}); err != nil {
		t.Fatal(err)
	}
	s, _, err := e.svc.EnqueueSync(ctx, service.SyncRequest{AccountID: a.ID, Days: 3})
	if err != nil {
		t.Fatal(err)
	}
	got := waitTerminal(t, e.svc, s.ID)[s.ID]
	if got.Status != service.StatusFailed || got.Error == nil || got.Error.Kind != "auth" || got.Attempts != 1 {
		t.Fatalf("sync: %s attempts %d error %+v, want failed at the first attempt with kind auth", got.Status, got.Attempts, got.Error)
	}
	if !strings.Contains(got.Error.Message, "credentials") {
		t.Errorf("message %q does not tell the user to fix the credentials", got.Error.Message)
	}
	acct, err := e.svc.GetAccount(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(acct.LastError, "credentials") {
		t.Errorf("account last_error %q, want the credentials message", acct.LastError)
	}
	if strings.Contains(got.Error.Message, "not-the-secret") || strings.Contains(acct.LastError, "not-the-secret") {
		t.Error("the secret key appears in an error message")
	}
}
