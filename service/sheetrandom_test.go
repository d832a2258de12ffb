package service_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"reflect"
	"slices"
	"testing"
	"time"

	"google.golang.org/api/option"
	"google.golang.org/api/sheets/v4"

	"github.com/naversync/naversync/google"
	"github.com/naversync/naversync/google/sheetstest"
	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/service/servicetest"
	"github.com/naversync/naversync/store/storetest"
)

// TestRandomPersonEditsAndNaverRenames interleaves, through the engine, what people do to an
// account's tab (sorts of the whole table or a part by a figure column, basic filters hiding
// and sorting rows, a name, date or figure typed over, rows and columns inserted or deleted, a
// column moved, the tab renamed or deleted, sometimes with a tab of the person's own made under
// its title; each sent as a person's batchUpdate to the Sheets stand-in's API) with what
// happens at Naver (a campaign or an ad group renamed, a recent day revised) and the clock
// moving on a day, each round ending with a sync (a 7-day refresh, sometimes a longer range, an
// older range or a full re-fetch): after every sync the account's tab (followed through
// renames) is cell for cell what a fresh write of the account's days gives, no other tab (a
// staging tab, a tab under the old title) is left beside it, and the person's own tabs are
// untouched (one under a deleted tab's title is replaced only after the person's consent, which
// the sync must ask for). Seeds vary the level and the write path (one request, or staged
// through a hidden tab).
func TestRandomPersonEditsAndNaverRenames(t *testing.T) {
	const seeds, rounds = 4, 6
	for seed := range uint64(seeds) {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			for _, db := range storetest.Databases(t) {
				t.Run(db.Name, func(t *testing.T) { randomPersonEdits(t, db, seed, rounds) })
			}
		})
	}
}

// person is the marketer who shares the account's spreadsheet with naversync and edits it.
const person = "marketer@example.com"

func randomPersonEdits(t *testing.T, db storetest.DB, seed uint64, rounds int) {
	rng := rand.New(rand.NewPCG(seed, 24))
	level := []string{service.LevelAdgroup, service.LevelKeyword, service.LevelCampaign, service.LevelAdgroup}[seed%4]
	staged := seed%2 == 1
	w := newWorld(t, db, worldOptions{})
	w.customer("1001", 2, 2, 2, mustDay(t, dayBefore(w, 5)), mustDay(t, dayBefore(w, 13)))
	o := servicetest.EngineOptions{FetchWorkers: 1, ProcessWorkers: 1, LeaseTTL: 10 * time.Second, SheetsScrubDays: 1}
	if staged {
		o.SheetsMaxRequestBytes = 8 << 10
	}
	se := w.Engine(o)
	e := &engine{svc: se.Service, store: se.Store}
	a := w.account(e, "A", "1001", "sheet-a", level)
	w.sheets.Share("sheet-a", person)
	edit := personClient(t, w.SheetsURL)
	campaigns, adgroups, _ := w.naver.EntityIDs("1001")
	t.Logf("seed %d: level %s, staged %v", seed, level, staged)

	held := map[string]bool{}   // the days of the account's succeeded syncs
	own := map[string][][]any{} // the person's own tabs and what they hold
	tab := a.SheetTab           // the account's tab as the person sees it
	replaced := ""              // the title under which the person made their own tab after deleting the account's
	sync := func(round int, req service.SyncRequest, days []string) {
		t.Helper()
		req.AccountID = a.ID
		s, _, err := e.svc.EnqueueSync(t.Context(), req)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		got := waitTerminal(t, e.svc, s.ID)[s.ID]
		if replaced != "" {
			// The person made a tab of their own under the deleted tab's title: the sync asks
			// before replacing it; the person consents.
			if got.Status != service.StatusFailed || got.Error == nil || got.Error.Kind != service.SyncErrorConsentNeeded {
				t.Fatalf("round %d: sync into the person's tab %q: %s %+v, want failed, %s", round, replaced, got.Status, got.Error, service.SyncErrorConsentNeeded)
			}
			if v := w.sheets.Values("sheet-a", replaced); !reflect.DeepEqual(v, own[replaced]) {
				t.Fatalf("round %d: the person's tab %q holds %d rows before consent, want theirs", round, replaced, len(v))
			}
			if _, err := e.svc.ConsentToReplaceTab(t.Context(), a.ID); err != nil {
				t.Fatalf("round %d: consent: %v", round, err)
			}
			delete(own, replaced)
			replaced = ""
			if s, _, err = e.svc.EnqueueSync(t.Context(), req); err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			got = waitTerminal(t, e.svc, s.ID)[s.ID]
		}
		if got.Status != service.StatusSucceeded {
			t.Fatalf("round %d: sync %s %+v", round, got.Status, got.Error)
		}
		for _, d := range days {
			held[d] = true
		}
		acct, err := e.svc.GetAccount(t.Context(), a.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := expectedSheet(t, w, "1001", level, sortedDays(held), nil)
		checkCells(t, w.sheets.Values("sheet-a", acct.SheetTab), want)
		tab = acct.SheetTab
		for title, values := range own {
			if got := w.sheets.Values("sheet-a", title); !reflect.DeepEqual(got, values) {
				t.Errorf("round %d: the person's own tab %q holds %d rows, want theirs untouched", round, title, len(got))
			}
		}
		if info, ok := w.sheets.Sheet("sheet-a", acct.SheetTab); !ok || info.Rows != len(want) || info.Cols != len(want[0]) || info.Hidden {
			t.Errorf("round %d: tab %q grid %+v, want %d rows x %d columns, visible", round, acct.SheetTab, info, len(want), len(want[0]))
		}
		for _, tab := range w.sheets.Sheets("sheet-a") {
			if _, mine := own[tab]; !mine && tab != acct.SheetTab && tab != google.DefaultStatusTab && tab != "Sheet1" {
				t.Errorf("round %d: tab %q left beside the account's tab %q", round, tab, acct.SheetTab)
			}
		}
		if t.Failed() {
			t.Fatalf("round %d: the tab %q differs from a fresh write (seed %d)", round, acct.SheetTab, seed)
		}
	}
	sync(-1, service.SyncRequest{Days: 20}, dayList(w, 20, 1))

	for round := range rounds {
		// Now and then a day passes: the morning's refresh brings the new yesterday.
		if rng.IntN(4) == 0 {
			w.Clock.Advance(24 * time.Hour)
			t.Logf("round %d: a day passes", round)
		}
		// The sync of this round, and the days it fetches from Naver again.
		req, days, refetched := service.SyncRequest{Days: 7, Trigger: service.TriggerScheduled}, dayList(w, 7, 1), dayList(w, 7, 1)
		switch rng.IntN(6) {
		case 0:
			req, days, refetched = service.SyncRequest{Days: 14}, dayList(w, 14, 1), dayList(w, 7, 1)
		case 1: // an older range: the days before the tab's oldest
			req, days, refetched = service.SyncRequest{From: dayBefore(w, 26), To: dayBefore(w, 16)}, dayList(w, 26, 16), nil
		case 2:
			req, days = service.SyncRequest{Days: 12, Full: true}, dayList(w, 12, 1)
			refetched = days
		}
		for range rng.IntN(3) {
			tab = personEdit(t, w, rng, edit, level, round, tab, own, &replaced)
		}
		for range rng.IntN(3) {
			switch rng.IntN(3) {
			case 0:
				id := campaigns[rng.IntN(len(campaigns))]
				w.naver.Rename("1001", id, fmt.Sprintf("캠페인 %d-%d", round, rng.IntN(1000)))
				t.Logf("round %d: campaign %s renamed at Naver", round, id)
			case 1:
				id := adgroups[rng.IntN(len(adgroups))]
				w.naver.Rename("1001", id, fmt.Sprintf("광고그룹 %d-%d", round, rng.IntN(1000)))
				t.Logf("round %d: ad group %s renamed at Naver", round, id)
			case 2:
				if len(refetched) > 0 {
					d := refetched[rng.IntN(len(refetched))]
					w.naver.Revise("1001", mustDay(t, d))
					t.Logf("round %d: %s revised at Naver", round, d)
				}
			}
		}
		t.Logf("round %d: sync %+v", round, req)
		sync(round, req, days)
	}
}

// sortedDays are the days of set, newest first.
func sortedDays(set map[string]bool) []string {
	var out []string
	for d := range set {
		out = append(out, d)
	}
	slices.Sort(out)
	slices.Reverse(out)
	return out
}

// personClient is a Sheets API client acting as person (the stand-in's caller header in
// place of Google's sign-in), talking to the stand-in at url.
func personClient(t *testing.T, url string) *sheets.Service {
	t.Helper()
	hc := &http.Client{Transport: callerTransport{email: person}}
	svc, err := sheets.NewService(t.Context(), option.WithEndpoint(url+"/"), option.WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

type callerTransport struct{ email string }

func (c callerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set(sheetstest.CallerHeader, c.email)
	return http.DefaultTransport.RoundTrip(r)
}

// personEdit is one thing person does to the account's tab (titled tab; "" if deleted)
// through Google's menus, sent as the batchUpdate those menus make. It returns the tab's
// title after the edit; a tab the person makes is added to own.
func personEdit(t *testing.T, w *world, rng *rand.Rand, svc *sheets.Service, level string, round int, tab string, own map[string][][]any, replaced *string) string {
	t.Helper()
	info, ok := w.sheets.Sheet("sheet-a", tab)
	if !ok || info.Rows < 2 {
		return tab
	}
	id, rows, cols := info.SheetID, int64(info.Rows), int64(info.Cols)
	names := map[string]int64{service.LevelCampaign: 1, service.LevelAdgroup: 2, service.LevelKeyword: 3}[level]
	row := func() int64 { return 1 + rng.Int64N(rows-1) }
	// figure is a figure column (Impressions and after), in the table's layout.
	figure := func() int64 { return min(names+2+rng.Int64N(11), cols-1) }
	order := []string{"ASCENDING", "DESCENDING"}[rng.IntN(2)]
	var r *sheets.Request
	var more []*sheets.Request
	var what string
	after := tab
	switch rng.IntN(13) {
	case 0: // Data › Sort range over the whole table by a figure
		what = "sorted the table"
		r = &sheets.Request{SortRange: &sheets.SortRangeRequest{
			Range:     &sheets.GridRange{SheetId: id, StartRowIndex: 1, EndRowIndex: rows, StartColumnIndex: 0, EndColumnIndex: cols},
			SortSpecs: []*sheets.SortSpec{{DimensionIndex: figure(), SortOrder: order}}}}
	case 1: // a part of the rows, whole rows or figure columns alone
		r0 := row()
		r1 := r0 + 1 + rng.Int64N(min(rows-r0, 12))
		c0, c1 := int64(0), cols
		if rng.IntN(3) == 0 {
			c0 = names + 2
		}
		what = fmt.Sprintf("sorted rows %d-%d, columns %d-%d", r0, r1, c0, c1)
		r = &sheets.Request{SortRange: &sheets.SortRangeRequest{
			Range:     &sheets.GridRange{SheetId: id, StartRowIndex: r0, EndRowIndex: r1, StartColumnIndex: c0, EndColumnIndex: c1},
			SortSpecs: []*sheets.SortSpec{{DimensionIndex: max(figure(), c0), SortOrder: order}}}}
	case 2: // a basic filter hiding rows, sorting them, or both
		f := &sheets.BasicFilter{Range: &sheets.GridRange{SheetId: id, StartRowIndex: 0, EndRowIndex: rows, StartColumnIndex: 0, EndColumnIndex: cols}}
		if rng.IntN(2) == 0 {
			f.Criteria = map[string]sheets.FilterCriteria{fmt.Sprint(names + 1): {HiddenValues: []string{"PC"}}}
		}
		if f.Criteria == nil || rng.IntN(2) == 0 {
			f.SortSpecs = []*sheets.SortSpec{{DimensionIndex: figure(), SortOrder: order}}
		}
		what = fmt.Sprintf("set a basic filter (hides %v, sorts %v)", f.Criteria != nil, f.SortSpecs != nil)
		r = &sheets.Request{SetBasicFilter: &sheets.SetBasicFilterRequest{Filter: f}}
	case 3, 4: // a name, a date or a figure typed over
		rr, c := row(), rng.Int64N(cols)
		v := &sheets.ExtendedValue{}
		switch {
		case c == 0 && rng.IntN(2) == 0:
			v.StringValue = ptr("yesterday")
		case c > 0 && c <= names:
			v.StringValue = ptr(fmt.Sprintf("my name %d", round))
		default:
			v.NumberValue = ptr(float64(rng.IntN(100000)))
		}
		what = fmt.Sprintf("typed over cell (%d,%d)", rr, c)
		r = &sheets.Request{UpdateCells: &sheets.UpdateCellsRequest{
			Start:  &sheets.GridCoordinate{SheetId: id, RowIndex: rr, ColumnIndex: c},
			Rows:   []*sheets.RowData{{Values: []*sheets.CellData{{UserEnteredValue: v}}}},
			Fields: "userEnteredValue"}}
	case 5, 6: // rows inserted or deleted
		rr := row()
		rg := &sheets.DimensionRange{SheetId: id, Dimension: "ROWS", StartIndex: rr, EndIndex: rr + 1}
		if rng.IntN(2) == 0 || rows < 4 {
			what = fmt.Sprintf("inserted row %d", rr)
			r = &sheets.Request{InsertDimension: &sheets.InsertDimensionRequest{Range: rg, InheritFromBefore: true}}
		} else {
			what = fmt.Sprintf("deleted row %d", rr)
			r = &sheets.Request{DeleteDimension: &sheets.DeleteDimensionRequest{Range: rg}}
		}
	case 7: // a column inserted or deleted
		c := rng.Int64N(cols)
		rg := &sheets.DimensionRange{SheetId: id, Dimension: "COLUMNS", StartIndex: c, EndIndex: c + 1}
		if rng.IntN(2) == 0 || cols < 3 {
			what = fmt.Sprintf("inserted column %d", c)
			r = &sheets.Request{InsertDimension: &sheets.InsertDimensionRequest{Range: rg, InheritFromBefore: c > 0}}
		} else {
			what = fmt.Sprintf("deleted column %d", c)
			r = &sheets.Request{DeleteDimension: &sheets.DeleteDimensionRequest{Range: rg}}
		}
	case 8: // a column dragged elsewhere
		c, to := rng.Int64N(cols), rng.Int64N(cols+1)
		what = fmt.Sprintf("moved column %d to %d", c, to)
		r = &sheets.Request{MoveDimension: &sheets.MoveDimensionRequest{
			Source:           &sheets.DimensionRange{SheetId: id, Dimension: "COLUMNS", StartIndex: c, EndIndex: c + 1},
			DestinationIndex: to}}
	case 9, 10, 11: // the tab renamed; sometimes a tab of the person's takes its old title
		title := fmt.Sprintf("Report %d-%d", round, rng.IntN(1_000_000))
		what = fmt.Sprintf("renamed the tab %q", title)
		r = &sheets.Request{UpdateSheetProperties: &sheets.UpdateSheetPropertiesRequest{
			Properties: &sheets.SheetProperties{SheetId: id, Title: title}, Fields: "title"}}
		if rng.IntN(3) == 0 {
			mine := 5000 + rng.Int64N(1<<30) // a sheetId no tab has
			note := fmt.Sprintf("my notes %d", round)
			what += fmt.Sprintf(" and made a tab of their own %q", tab)
			more = []*sheets.Request{{AddSheet: &sheets.AddSheetRequest{Properties: &sheets.SheetProperties{SheetId: mine, Title: tab}}},
				{UpdateCells: &sheets.UpdateCellsRequest{Start: &sheets.GridCoordinate{SheetId: mine},
					Rows:   []*sheets.RowData{{Values: []*sheets.CellData{{UserEnteredValue: &sheets.ExtendedValue{StringValue: &note}}}}},
					Fields: "userEnteredValue"}}}
			own[tab] = [][]any{{note}}
		}
		after = title
	case 12: // the tab deleted, now and then
		if rng.IntN(3) != 0 {
			return tab
		}
		what, after = "deleted the tab", ""
		r = &sheets.Request{DeleteSheet: &sheets.DeleteSheetRequest{SheetId: id}}
		if _, taken := own[tab]; !taken && rng.IntN(2) == 0 {
			mine := 5000 + rng.Int64N(1<<30)
			note := fmt.Sprintf("my table %d", round)
			what += " and made a tab of their own under its title"
			more = []*sheets.Request{{AddSheet: &sheets.AddSheetRequest{Properties: &sheets.SheetProperties{SheetId: mine, Title: tab}}},
				{UpdateCells: &sheets.UpdateCellsRequest{Start: &sheets.GridCoordinate{SheetId: mine},
					Rows:   []*sheets.RowData{{Values: []*sheets.CellData{{UserEnteredValue: &sheets.ExtendedValue{StringValue: &note}}}}},
					Fields: "userEnteredValue"}}}
			own[tab], *replaced = [][]any{{note}}, tab
		}
	}
	t.Logf("round %d: the person %s", round, what)
	if _, err := svc.Spreadsheets.BatchUpdate("sheet-a", &sheets.BatchUpdateSpreadsheetRequest{Requests: append([]*sheets.Request{r}, more...)}).Context(t.Context()).Do(); err != nil {
		t.Fatalf("round %d: the person's edit (%s): %v", round, what, err)
	}
	return after
}
