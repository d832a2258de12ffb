package service_test

import (
	"slices"
	"testing"
	"time"

	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/store/storetest"
)

// An account's sheet language sets the headers (Naver's own Korean terms, saying where our
// figure differs), the labels of rows without a name and the money format (원 in Korean);
// changing it rewrites the whole table at the next sync, in place (the tab keeps its sheetId),
// although no day's data changed.
func TestSheetLanguage(t *testing.T) {
	db := storetest.Databases(t)[0]
	w := newWorld(t, db, worldOptions{})
	w.customer("1001", 1, 1, 2)
	e := w.engine(engineOptions{leaseTTL: 10 * time.Second})
	a := w.account(e, "Acme", "1001", "sheet-ko", service.LevelKeyword)
	ko := service.LanguageKorean
	if _, err := e.svc.UpdateAccount(t.Context(), a.ID, service.AccountPatch{SheetLanguage: &ko}); err != nil {
		t.Fatal(err)
	}
	sync := func(days int) {
		t.Helper()
		s, _, err := e.svc.EnqueueSync(t.Context(), service.SyncRequest{AccountID: a.ID, Days: days})
		if err != nil {
			t.Fatal(err)
		}
		if got := waitTerminal(t, e.svc, s.ID)[s.ID]; got.Status != service.StatusSucceeded {
			t.Fatalf("sync: %s %+v", got.Status, got.Error)
		}
	}
	sync(3)
	korean := []any{"일자", "캠페인", "광고그룹", "키워드", "PC/모바일", "노출수", "클릭수(동영상 조회 제외)", "동영상조회수",
		"총비용(VAT포함,원)", "평균노출순위", "전환수", "전환매출액(원)", "클릭률(%, 동영상 조회 제외)",
		"평균클릭비용(VAT포함,원, 동영상 조회 제외)", "광고수익률(%)", "보고서 원본 비용(2026-03-29까지 VAT 제외)"}
	vals := w.sheets.Values("sheet-ko", "data")
	if len(vals) < 2 || !slices.Equal(vals[0], korean) {
		t.Fatalf("Korean header %q", vals[0])
	}
	devices := map[any]bool{}
	for _, row := range vals[1:] {
		devices[row[4]] = true
	}
	if !devices["모바일"] || !devices["PC"] || devices["Mobile"] {
		t.Errorf("devices in Korean: %v", devices)
	}
	formats := w.sheets.Formats("sheet-ko", "data")
	for _, c := range []int{8, 11, 13} { // cost, revenue, CPC
		if formats[c] != `#,##0"원"` {
			t.Errorf("column %q has format %q, want won", korean[c], formats[c])
		}
	}
	for _, c := range []int{12, 14} { // CTR, ROAS
		if formats[c] != "0.00%" {
			t.Errorf("column %q has format %q, want a percentage", korean[c], formats[c])
		}
	}
	before, _ := w.sheets.Sheet("sheet-ko", "data")

	// Back to English: the next sync, of one day only, rewrites the whole table.
	en := service.LanguageEnglish
	if _, err := e.svc.UpdateAccount(t.Context(), a.ID, service.AccountPatch{SheetLanguage: &en}); err != nil {
		t.Fatal(err)
	}
	sync(1)
	vals = w.sheets.Values("sheet-ko", "data")
	if vals[0][0] != "Date" || vals[0][6] != "Clicks" || vals[0][8] != "Cost (VAT incl.)" {
		t.Fatalf("English header %q", vals[0])
	}
	for _, row := range vals[1:] {
		if row[4] == "모바일" {
			t.Fatalf("a Korean label is left after the rewrite: %q", row)
		}
	}
	if f := w.sheets.Formats("sheet-ko", "data"); f[8] != "₩#,##0" {
		t.Errorf("English cost format %q", f[8])
	}
	if after, _ := w.sheets.Sheet("sheet-ko", "data"); after.SheetID != before.SheetID {
		t.Errorf("the tab was replaced (sheetId %d, was %d)", after.SheetID, before.SheetID)
	}
}
