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
		st, err := e.s.SheetState(ctx, "acc-A")
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
		must(t, e.s.BeginSheetWrite(ctx, p, "acc-A", "sheet", "data"))
		if st, _ := e.s.SheetState(ctx, "acc-A"); !st.Dirty {
			t.Fatal("not dirty during a write")
		}
		days := []store.SheetDay{{StatDate: "2026-02-03", Digest: "d3", Version: 3, Rows: 5}, {StatDate: "2026-02-01", Digest: "d1", Version: 1, Rows: 0}}
		must(t, e.s.CompleteSync(ctx, p, 5, store.SheetRecord{AccountID: "acc-A", SpreadsheetID: "sheet", Tab: "data",
			Layout: []byte(`{"v":1}`), Days: days, Range: store.DayRange{From: "2026-02-01", To: "2026-02-03"}}))
		st, err = e.s.SheetState(ctx, "acc-A")
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
