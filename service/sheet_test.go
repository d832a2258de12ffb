package service_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/service/servicetest"
	"github.com/naversync/naversync/store/storetest"
)

// The totals in the sheet equal the totals in Naver's files, across the VAT rule change
// (2026-03-30), at every level; the consistent cost column is VAT-included throughout and
// Naver's own figure is kept beside it.
func TestSheetTotalsMatchNaver(t *testing.T) {
	db := storetest.Databases(t)[0]
	w := newWorld(t, db, worldOptions{})
	w.customer("1001", 2, 2, 3)
	e := w.engine(engineOptions{fetchWorkers: 1, processWorkers: 3, leaseTTL: 10 * time.Second})
	ctx := t.Context()
	// The world's clock starts on servicetest.DefaultStart (2026-07-15), so this range, which
	// spans the VAT switch, stays inside Naver's window whatever day the suite runs.
	from := time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)
	to, _ := time.Parse(time.DateOnly, servicetest.Day(w.Clock.Now(), 1))
	var ids []string
	levels := []string{service.LevelCampaign, service.LevelAdgroup, service.LevelKeyword}
	for _, level := range levels {
		a := w.account(e, "A-"+level, "1001", "sheet-"+level, level)
		s, _, err := e.svc.EnqueueSync(ctx, service.SyncRequest{AccountID: a.ID, From: from.Format("2006-01-02"), To: to.Format("2006-01-02")})
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
	var wantImpr, wantClicks int64
	var wantCost float64
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		i, c, cost := w.naver.ADTotals("1001", d)
		wantImpr, wantClicks, wantCost = wantImpr+i, wantClicks+c, wantCost+cost
	}
	if wantImpr == 0 {
		t.Fatal("the simulator served no impressions")
	}
	switchDay := time.Date(2026, 3, 30, 0, 0, 0, 0, time.UTC)
	for _, level := range levels {
		t.Run(level, func(t *testing.T) {
			rows := w.sheets.Values("sheet-"+level, "data")
			col := map[string]int{}
			for i, h := range rows[0] {
				col[h.(string)] = i
			}
			var impr, clicks int64
			var naverCost float64
			prev := math.Inf(1)
			for _, r := range rows[1:] {
				day := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(r[col["Date"]].(float64)))
				if dd := r[col["Date"]].(float64); dd > prev {
					t.Fatalf("rows not newest first: %v after %v", dd, prev)
				} else {
					prev = dd
				}
				impr += int64(num(r[col["Impressions"]]))
				clicks += int64(num(r[col["Clicks"]]))
				nc, vc := num(r[col["Cost (as reported by Naver)"]]), num(r[col["Cost (VAT incl.)"]])
				naverCost += nc
				if vc != math.Trunc(vc) {
					t.Fatalf("VAT-included cost %v is not whole won", vc)
				}
				if !day.Before(switchDay) && vc != nc {
					t.Fatalf("%s: cost %v differs from Naver's %v on a VAT-included day", day.Format("2006-01-02"), vc, nc)
				}
				if day.Before(switchDay) && nc > 0 && math.Abs(vc-nc*1.1) > 1+nc*0.001 {
					t.Fatalf("%s: cost %v is not Naver's VAT-excluded %v × 1.1", day.Format("2006-01-02"), vc, nc)
				}
			}
			if impr != wantImpr || clicks != wantClicks || math.Abs(naverCost-wantCost) > 0.01 {
				t.Errorf("sheet totals impressions %d clicks %d cost %.2f, want %d %d %.2f", impr, clicks, naverCost, wantImpr, wantClicks, wantCost)
			}
		})
	}
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

func num(v any) float64 {
	f, _ := v.(float64)
	return f
}
