package store_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/naversync/naversync/store"
)

// A pending answer ("not ready" or an early NONE) never replaces a good file: the good file
// stays, marked for a recheck. A replaced object is superseded from the moment it is replaced,
// not from when it was written.
func TestPendingNeverReplacesAGoodFile(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := ctxT(t)
		q := mustEnqueue(t, e.s, store.Sync{CustomerID: "A"})
		_, c, err := e.s.ClaimFetch(ctx, "w", ttl)
		must(t, err)
		put := func(state, key string) {
			t.Helper()
			must(t, e.s.PutReportFile(ctx, *c, store.ReportFile{ReportType: "AD", StatDate: "2026-02-01", Key: key, State: state, SyncID: q.ID}))
		}
		get := func() store.ReportFile {
			t.Helper()
			fs, err := e.s.ReportFiles(ctx, "A", []string{"AD"}, "2026-02-01", "2026-02-01")
			must(t, err)
			if len(fs) != 1 {
				t.Fatalf("files = %+v", fs)
			}
			return fs[0]
		}
		put(store.FileBuilt, "k1")
		first := get()
		e.clock.Advance(20 * time.Second) // k1 is older now; that must not matter
		put(store.FilePending, "")
		if f := get(); f.State != store.FileBuilt || f.Key != "k1" || !f.Recheck || f.Seq != first.Seq {
			t.Fatalf("after a pending answer: %+v, want k1 kept, marked for recheck", f)
		}
		if keys, _ := e.s.SupersededFiles(ctx, "A", e.clock.Now().Add(time.Hour), 10); len(keys) != 0 {
			t.Fatalf("superseded %v after a pending answer, want none", keys)
		}
		put(store.FileBuilt, "k2")
		if f := get(); f.Key != "k2" || f.Recheck || f.Seq <= first.Seq {
			t.Fatalf("after a newer download: %+v (first seq %d)", f, first.Seq)
		}
		if keys, _ := e.s.SupersededFiles(ctx, "A", e.clock.Now().Add(-10*time.Second), 10); len(keys) != 0 {
			t.Fatalf("k1 counted as superseded before it was replaced: %v", keys)
		}
		keys, err := e.s.SupersededFiles(ctx, "A", e.clock.Now().Add(time.Minute), 10)
		must(t, err)
		if !reflect.DeepEqual(keys, []string{"k1"}) {
			t.Fatalf("superseded = %v, want [k1]", keys)
		}
		put(store.FileBuilt, "k1") // the day's data went back to what k1 holds: k1 is live again
		if keys, _ := e.s.SupersededFiles(ctx, "A", e.clock.Now().Add(time.Minute), 10); !reflect.DeepEqual(keys, []string{"k2"}) {
			t.Fatalf("superseded = %v, want [k2]", keys)
		}
		must(t, e.s.ForgetSuperseded(ctx, []string{"k2"}))
		must(t, e.s.MarkFileDamaged(ctx, "A", "AD", "2026-02-01", "other")) // not the current key: nothing
		if f := get(); f.State != store.FileBuilt {
			t.Fatalf("marked damaged through a stale key: %+v", f)
		}
		must(t, e.s.MarkFileDamaged(ctx, "A", "AD", "2026-02-01", "k1"))
		if f := get(); f.State != store.FileDamaged {
			t.Fatalf("after MarkFileDamaged: %+v", f)
		}
	})
}

// One writer per spreadsheet across replicas: the lock is held with the processing claim,
// renewed with it and released when the claim ends; an expired holder loses it.
func TestSheetLock(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := ctxT(t)
		replica := e.open(t)
		claim := func(s *store.Store, customer string) store.Claim {
			t.Helper()
			mustEnqueue(t, e.s, store.Sync{CustomerID: customer})
			_, f, err := s.ClaimFetch(ctx, "f", ttl)
			must(t, err)
			must(t, s.FinishFetch(ctx, *f))
			_, p, err := s.ClaimProcess(ctx, "p-"+customer, ttl)
			must(t, err)
			return *p
		}
		a, b := claim(e.s, "A"), claim(replica, "B")
		got, err := e.s.AcquireSheetLock(ctx, a, "sheet-1", ttl)
		must(t, err)
		if !got {
			t.Fatal("first writer did not get the lock")
		}
		if got, _ := replica.AcquireSheetLock(ctx, b, "sheet-1", ttl); got {
			t.Fatal("two writers hold one spreadsheet")
		}
		if got, _ := replica.AcquireSheetLock(ctx, b, "sheet-2", ttl); !got {
			t.Fatal("another spreadsheet is locked too")
		}
		e.clock.Advance(ttl - 5*time.Second)
		a, _, err = e.s.Renew(ctx, a, ttl) // renews the lock with the claim
		must(t, err)
		b, _, err = replica.Renew(ctx, b, ttl)
		must(t, err)
		e.clock.Advance(10 * time.Second)
		if got, _ := replica.AcquireSheetLock(ctx, b, "sheet-1", ttl); got {
			t.Fatal("a renewed lock was taken")
		}
		must(t, e.s.CompleteSync(ctx, a, 1, store.SheetRecord{}))
		if got, _ := replica.AcquireSheetLock(ctx, b, "sheet-1", ttl); !got {
			t.Fatal("the lock was not released with the claim")
		}
		// b stops renewing; its claim and lock expire; a new claim of another sync takes over.
		e.clock.Advance(ttl + time.Second)
		c := claim(e.s, "C")
		if got, _ := e.s.AcquireSheetLock(ctx, c, "sheet-1", ttl); !got {
			t.Fatal("an expired holder kept the lock")
		}
		_, err = replica.AcquireSheetLock(ctx, b, "sheet-1", ttl)
		wantErr(t, err, store.ErrLeaseLost)
	})
}

// A successful write records the tab's state and adds the sync's range to the days the
// account's sheet shows; a write begun and never recorded leaves the state dirty.
func TestSheetRecord(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := ctxT(t)
		st, err := e.s.SheetState(ctx, "acc-A", store.TabPerformance)
		must(t, err)
		if st.Layout != nil || st.Dirty || len(st.Days) != 0 {
			t.Fatalf("state of a new account = %+v", st)
		}
		process := func() store.Claim {
			t.Helper()
			mustEnqueue(t, e.s, store.Sync{CustomerID: "A", From: "2026-02-01", To: "2026-02-03"})
			_, f, err := e.s.ClaimFetch(ctx, "f", ttl)
			must(t, err)
			must(t, e.s.FinishFetch(ctx, *f))
			_, p, err := e.s.ClaimProcess(ctx, "p", ttl)
			must(t, err)
			return *p
		}
		p := process()
		must(t, e.s.BeginSheetWrite(ctx, p, "acc-A", store.TabPerformance, "sheet", "data"))
		if st, _ := e.s.SheetState(ctx, "acc-A", store.TabPerformance); !st.Dirty {
			t.Fatal("not dirty during a write")
		}
		days := []store.SheetDay{{StatDate: "2026-02-03", Digest: "d3", Version: 3, Rows: 5}, {StatDate: "2026-02-01", Digest: "d1", Version: 1, Rows: 0}}
		must(t, e.s.CompleteSync(ctx, p, 5, store.SheetRecord{AccountID: "acc-A", SpreadsheetID: "sheet", Tab: "data",
			Layout: []byte(`{"v":1}`), Days: days, Range: store.DayRange{From: "2026-02-01", To: "2026-02-03"}}))
		st, err = e.s.SheetState(ctx, "acc-A", store.TabPerformance)
		must(t, err)
		if st.Dirty || string(st.Layout) != `{"v":1}` || !reflect.DeepEqual(st.Days, days) || st.Tab != "data" {
			t.Fatalf("recorded state = %+v", st)
		}
		p = process()
		must(t, e.s.CompleteSync(ctx, p, 5, store.SheetRecord{AccountID: "acc-A", SpreadsheetID: "sheet", Tab: "data",
			Layout: []byte(`{"v":2}`), Range: store.DayRange{From: "2026-02-04", To: "2026-02-10"}}))
		p = process()
		must(t, e.s.CompleteSync(ctx, p, 5, store.SheetRecord{AccountID: "acc-A", SpreadsheetID: "sheet", Tab: "data",
			Layout: []byte(`{"v":3}`), Range: store.DayRange{From: "2026-03-01", To: "2026-03-02"}}))
		got, err := e.s.AccountDays(ctx, "acc-A")
		must(t, err)
		if want := []store.DayRange{{From: "2026-02-01", To: "2026-02-10"}, {From: "2026-03-01", To: "2026-03-02"}}; !reflect.DeepEqual(got, want) {
			t.Fatalf("account days = %v, want %v", got, want)
		}
	})
}

func TestMergeRanges(t *testing.T) {
	got := store.MergeRanges([]store.DayRange{{"2026-03-05", "2026-03-09"}, {"2026-01-01", "2026-01-31"}, {"2026-02-01", "2026-02-03"},
		{"2026-03-01", "2026-03-06"}, {"2026-03-02", "2026-03-03"}, {"2026-05-02", "2026-05-01"}})
	want := []store.DayRange{{"2026-01-01", "2026-02-03"}, {"2026-03-01", "2026-03-09"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("MergeRanges = %v, want %v", got, want)
	}
}

// Two tabs of one account keep separate states: each its own layout, dirtiness and days; a
// write of one neither marks the other dirty nor replaces its days. The performance tab's state
// is where releases before tab kinds read it (sheet_states), and GET /accounts, deletion and
// retention see every tab.
func TestSheetStatePerTab(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := ctxT(t)
		const other = "search_terms"
		must(t, e.s.CreateAccount(ctx, &store.Account{ID: "acc-A", Name: "A", CustomerID: "A", SpreadsheetID: "sheet", SheetTab: "data", Level: "campaign"}))
		process := func() store.Claim {
			t.Helper()
			mustEnqueue(t, e.s, store.Sync{CustomerID: "A", AccountID: "acc-A", From: "2026-02-01", To: "2026-02-03"})
			_, f, err := e.s.ClaimFetch(ctx, "f", ttl)
			must(t, err)
			must(t, e.s.FinishFetch(ctx, *f))
			_, p, err := e.s.ClaimProcess(ctx, "p", ttl)
			must(t, err)
			return *p
		}
		perfDays := []store.SheetDay{{StatDate: "2026-02-03", Digest: "p3", Version: 3, Rows: 5}, {StatDate: "2026-02-01", Digest: "p1", Version: 1, Rows: 2}}
		otherDays := []store.SheetDay{{StatDate: "2026-02-02", Digest: "o2", Version: 2, Rows: 7}}
		p := process()
		must(t, e.s.BeginSheetWrite(ctx, p, "acc-A", store.TabPerformance, "sheet", "data"))
		must(t, e.s.CompleteSync(ctx, p, 5, store.SheetRecord{AccountID: "acc-A", TabKind: store.TabPerformance, SpreadsheetID: "sheet", Tab: "data",
			Layout: []byte(`{"perf":1}`), Days: perfDays, Range: store.DayRange{From: "2026-02-01", To: "2026-02-03"}}))

		p = process()
		must(t, e.s.BeginSheetWrite(ctx, p, "acc-A", other, "sheet", "terms"))
		if st, _ := e.s.SheetState(ctx, "acc-A", store.TabPerformance); st.Dirty {
			t.Fatal("the performance tab is dirty while another tab of the account is written")
		}
		if st, _ := e.s.SheetState(ctx, "acc-A", other); !st.Dirty || st.Layout != nil || len(st.Days) != 0 {
			t.Fatalf("the other tab during its first write = %+v, want dirty, no layout, no days", st)
		}
		must(t, e.s.CompleteSync(ctx, p, 7, store.SheetRecord{AccountID: "acc-A", TabKind: other, SpreadsheetID: "sheet", Tab: "terms",
			Layout: []byte(`{"other":1}`), Days: otherDays, Range: store.DayRange{From: "2026-02-01", To: "2026-02-03"}}))

		perf, err := e.s.SheetState(ctx, "acc-A", store.TabPerformance)
		must(t, err)
		if perf.Dirty || perf.Tab != "data" || string(perf.Layout) != `{"perf":1}` || !reflect.DeepEqual(perf.Days, perfDays) || perf.TabKind != store.TabPerformance {
			t.Fatalf("performance state = %+v", perf)
		}
		oth, err := e.s.SheetState(ctx, "acc-A", other)
		must(t, err)
		if oth.Dirty || oth.Tab != "terms" || string(oth.Layout) != `{"other":1}` || !reflect.DeepEqual(oth.Days, otherDays) || oth.TabKind != other {
			t.Fatalf("other tab's state = %+v", oth)
		}
		if st, _ := e.s.SheetState(ctx, "acc-A", ""); !reflect.DeepEqual(st.Days, perfDays) {
			t.Fatalf("state of kind \"\" = %+v, want the performance tab's", st)
		}

		// The performance tab's state is where an older release reads it: sheet_states and
		// sheet_days, one row per account; the other tab's is not there.
		n, err := e.s.CountForTest(ctx, `SELECT COUNT(*) FROM sheet_days WHERE account_id = 'acc-A'`)
		must(t, err)
		if n != int64(len(perfDays)) {
			t.Fatalf("sheet_days holds %d rows of the account, want the performance tab's %d", n, len(perfDays))
		}

		tabs, err := e.s.SheetTabs(ctx, []string{"acc-A"})
		must(t, err)
		if got := tabs["acc-A"]; got[store.TabPerformance].Tab != "data" || got[other].Tab != "terms" || len(got) != 2 {
			t.Fatalf("sheet tabs = %+v", got)
		}

		must(t, e.s.DeleteAccount(ctx, "acc-A"))
		left, err := e.s.DeletedAccountSheets(ctx, 10)
		must(t, err)
		if len(left) != 2 {
			t.Fatalf("deleted account sheets = %+v, want both tabs", left)
		}
		must(t, e.s.ForgetSheet(ctx, "acc-A"))
		for _, k := range []string{store.TabPerformance, other} {
			if st, _ := e.s.SheetState(ctx, "acc-A", k); st.Layout != nil || len(st.Days) != 0 {
				t.Fatalf("state of %s after ForgetSheet = %+v", k, st)
			}
		}
	})
}

// A processing writes the account's tabs one after the other and records each as it is written
// (RecordSheetWrite, fenced): the record is there before the sync completes, a stale claim
// records nothing, and CompleteSync takes any number of records (or none).
func TestRecordSheetWritePerTab(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := ctxT(t)
		const other = "search_terms"
		must(t, e.s.CreateAccount(ctx, &store.Account{ID: "acc-R", Name: "R", CustomerID: "R", SpreadsheetID: "sheet", SheetTab: "data", Level: "campaign"}))
		mustEnqueue(t, e.s, store.Sync{CustomerID: "R", AccountID: "acc-R", From: "2026-02-01", To: "2026-02-02"})
		_, f, err := e.s.ClaimFetch(ctx, "f", ttl)
		must(t, err)
		must(t, e.s.FinishFetch(ctx, *f))
		_, p, err := e.s.ClaimProcess(ctx, "p", ttl)
		must(t, err)
		days := []store.SheetDay{{StatDate: "2026-02-02", Digest: "d2", Version: 2, Rows: 3}}
		must(t, e.s.BeginSheetWrite(ctx, *p, "acc-R", store.TabPerformance, "sheet", "data"))
		must(t, e.s.RecordSheetWrite(ctx, *p, store.SheetRecord{AccountID: "acc-R", TabKind: store.TabPerformance, SpreadsheetID: "sheet", Tab: "data",
			Layout: []byte(`{"perf":1}`), Days: days, Range: store.DayRange{From: "2026-02-01", To: "2026-02-02"}}))
		must(t, e.s.BeginSheetWrite(ctx, *p, "acc-R", other, "sheet", "terms"))
		if st, _ := e.s.SheetState(ctx, "acc-R", store.TabPerformance); st.Dirty || string(st.Layout) != `{"perf":1}` || !reflect.DeepEqual(st.Days, days) {
			t.Fatalf("the performance tab, recorded before the next tab's write = %+v", st)
		}
		if got, err := e.s.AccountDays(ctx, "acc-R"); err != nil || !reflect.DeepEqual(got, []store.DayRange{{From: "2026-02-01", To: "2026-02-02"}}) {
			t.Fatalf("account days after the first tab's record = %v, %v; want the sync's range (the tab shows it)", got, err)
		}
		stale := *p
		stale.Token++
		wantErr(t, e.s.RecordSheetWrite(ctx, stale, store.SheetRecord{AccountID: "acc-R", TabKind: other, SpreadsheetID: "sheet", Tab: "terms",
			Layout: []byte(`{"stale":1}`), Days: days}), store.ErrLeaseLost)
		if st, _ := e.s.SheetState(ctx, "acc-R", other); !st.Dirty || st.Layout != nil {
			t.Fatalf("a stale claim's record of the other tab was kept: %+v", st)
		}
		must(t, e.s.CompleteSync(ctx, *p, 9, store.SheetRecord{AccountID: "acc-R", TabKind: other, SpreadsheetID: "sheet", Tab: "terms",
			Layout: []byte(`{"other":1}`), Days: days}, store.SheetRecord{}))
		if st, _ := e.s.SheetState(ctx, "acc-R", other); st.Dirty || string(st.Layout) != `{"other":1}` {
			t.Fatalf("the other tab recorded with the sync's completion = %+v", st)
		}
	})
}
