package store_test

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/naversync/naversync/store"
)

func TestReportFiles(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := ctxT(t)
		q := mustEnqueue(t, e.s, store.Sync{CustomerID: "A"})
		_, l, err := e.s.ClaimFetch(ctx, "w", ttl)
		must(t, err)
		put := func(typ, day, key string) {
			t.Helper()
			must(t, e.s.PutReportFile(ctx, *l, store.ReportFile{ReportType: typ, StatDate: day, Key: key, SHA256: "h-" + key, Size: 10, State: store.FileBuilt, SyncID: q.ID}))
		}
		put("AD", "2026-02-01", "a1")
		put("AD", "2026-02-02", "a2")
		put("AD_CONVERSION", "2026-02-01", "c1")
		e.clock.Advance(time.Second)
		put("AD", "2026-02-01", "a1-v2") // upsert
		wantErr(t, e.s.PutReportFile(ctx, *l, store.ReportFile{CustomerID: "B", ReportType: "AD", StatDate: "2026-02-01"}), store.ErrLeaseLost)

		files, err := e.s.ReportFiles(ctx, "A", []string{"AD"}, "2026-02-01", "2026-02-02")
		must(t, err)
		if len(files) != 2 || files[0].Key != "a1-v2" || !near(files[0].FetchedAt, e.clock.Now()) || files[0].SHA256 != "h-a1-v2" ||
			files[0].CustomerID != "A" || files[0].Size != 10 || files[0].SyncID != q.ID || files[1].StatDate != "2026-02-02" {
			t.Fatalf("ReportFiles(AD) = %+v", files)
		}
		all, err := e.s.ReportFiles(ctx, "A", nil, "2026-02-01", "2026-02-01")
		must(t, err)
		if len(all) != 2 {
			t.Fatalf("ReportFiles(all types, one day) = %d files, want 2", len(all))
		}

		must(t, e.s.FailSync(ctx, *l, "test", "done with the claim")) // no unfinished sync keeps a day
		gone, err := e.s.ExpireReportFiles(ctx, "2026-02-02", 0)
		must(t, err)
		if len(gone) != 2 {
			t.Fatalf("ExpireReportFiles = %d, want 2 (days before 02-02)", len(gone))
		}
		left, _ := e.s.ReportFiles(ctx, "A", nil, "2000-01-01", "2100-01-01")
		if len(left) != 1 || left[0].Key != "a2" {
			t.Fatalf("left = %+v", left)
		}
	})
}

// Hole 6: the files of days no longer served are deleted, except the days an unfinished sync of
// the customer may still read (it covers them or reaches back past them); the objects of the
// deleted files are listed as superseded in the same step, so that pruning deletes them even if
// the caller dies before it does. An object noted before its copy is pruned if its file is
// never recorded, never while a file points at it.
func TestExpireReportFilesKeepsWhatUnfinishedSyncsRead(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := ctxT(t)
		put := func(customer, day, key string) {
			t.Helper()
			q := mustEnqueue(t, e.s, store.Sync{CustomerID: customer, AccountID: "acc-" + customer + day, From: day, To: day})
			_, c, err := e.s.ClaimFetch(ctx, "w", ttl)
			must(t, err)
			if c.SyncID != q.ID {
				t.Fatalf("claimed %s, want %s", c.SyncID, q.ID)
			}
			must(t, e.s.PutReportFile(ctx, *c, store.ReportFile{ReportType: "AD", StatDate: day, Key: key, State: store.FileBuilt, SyncID: q.ID}))
			must(t, e.s.FailSync(ctx, *c, "test", "done with the claim"))
		}
		put("A", "2025-01-01", "a-0101")
		put("A", "2025-01-02", "a-0102")
		put("A", "2025-01-03", "a-0103")
		put("B", "2025-01-01", "b-0101")
		put("B", "2025-01-03", "b-0103")
		// B has a sync still queued that reaches back to 01-02: B's 01-03 is kept, its 01-01 not.
		mustEnqueue(t, e.s, store.Sync{CustomerID: "B", From: "2025-01-02", To: "2025-01-09"})

		var gone []string
		for {
			batch, err := e.s.ExpireReportFiles(ctx, "2025-01-04", 2)
			must(t, err)
			for _, f := range batch {
				gone = append(gone, f.CustomerID+":"+f.Key)
			}
			if len(batch) < 2 {
				break
			}
		}
		sort.Strings(gone)
		if want := []string{"A:a-0101", "A:a-0102", "A:a-0103", "B:b-0101"}; !reflect.DeepEqual(gone, want) {
			t.Fatalf("expired %v, want %v", gone, want)
		}
		for c, want := range map[string]int{"A": 0, "B": 1} {
			if left, _ := e.s.ReportFiles(ctx, c, nil, "2000-01-01", "2100-01-01"); len(left) != want {
				t.Fatalf("customer %s keeps %+v, want %d files", c, left, want)
			}
		}
		keys, err := e.s.SupersededFiles(ctx, "", e.clock.Now().Add(time.Minute), 100)
		must(t, err)
		sort.Strings(keys)
		if want := []string{"a-0101", "a-0102", "a-0103", "b-0101"}; !reflect.DeepEqual(keys, want) {
			t.Fatalf("superseded %v, want the expired objects %v", keys, want)
		}
		must(t, e.s.ForgetSuperseded(ctx, keys))

		// An object noted before its copy: pruned when its file never comes, not while one
		// points at it.
		must(t, e.s.NoteObject(ctx, "B", "b-0103")) // the live file's object, copied again
		must(t, e.s.NoteObject(ctx, "B", "b-orphan"))
		keys, err = e.s.SupersededFiles(ctx, "B", e.clock.Now().Add(time.Minute), 100)
		must(t, err)
		if !reflect.DeepEqual(keys, []string{"b-orphan"}) {
			t.Fatalf("superseded %v, want only the object no file points at", keys)
		}
	})
}

func TestMasterEntities(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := ctxT(t)
		const n = 2500 // several read pages and write batches
		var in []store.MasterEntity
		for i := range n {
			in = append(in, store.MasterEntity{CustomerID: "A", Kind: "keyword", ID: fmt.Sprintf("kw-%05d", i), ParentID: "grp-1", Name: fmt.Sprint("kw ", i)})
		}
		in = append(in, store.MasterEntity{CustomerID: "A", Kind: "campaign", ID: "cmp-1", Name: "C"})
		mustEnqueue(t, e.s, store.Sync{CustomerID: "A"})
		mustEnqueue(t, e.s, store.Sync{CustomerID: "B"})
		_, a, err := e.s.ClaimFetch(ctx, "w", ttl)
		must(t, err)
		_, b, err := e.s.ClaimFetch(ctx, "w", ttl)
		must(t, err)
		if a.CustomerID != "A" {
			a, b = b, a
		}
		must(t, e.s.UpsertMasterEntities(ctx, *a, in))
		must(t, e.s.UpsertMasterEntities(ctx, *b, []store.MasterEntity{{CustomerID: "B", Kind: "campaign", ID: "cmp-1", Name: "other customer"}}))
		wantErr(t, e.s.UpsertMasterEntities(ctx, *b, []store.MasterEntity{{CustomerID: "A", Kind: "campaign", ID: "cmp-1", Name: "B writing A's names"}}), store.ErrLeaseLost)
		must(t, e.s.UpsertMasterEntities(ctx, *a, []store.MasterEntity{{CustomerID: "A", Kind: "campaign", ID: "cmp-1", Name: "C renamed", Deleted: true}}))
		must(t, e.s.UpsertMasterEntities(ctx, *a, nil))

		seen := map[string]store.MasterEntity{}
		must(t, e.s.MasterEntities(ctx, "A", func(m store.MasterEntity) error {
			if _, dup := seen[m.Kind+m.ID]; dup {
				return fmt.Errorf("entity %s seen twice", m.ID)
			}
			seen[m.Kind+m.ID] = m
			return nil
		}))
		if len(seen) != n+1 {
			t.Fatalf("streamed %d entities, want %d", len(seen), n+1)
		}
		if c := seen["campaigncmp-1"]; c.Name != "C renamed" || !c.Deleted {
			t.Fatalf("upserted campaign = %+v", c)
		}
		if k := seen["keywordkw-00042"]; k.ParentID != "grp-1" || k.Name != "kw 42" {
			t.Fatalf("keyword = %+v", k)
		}
		stop := errors.New("stop")
		if err := e.s.MasterEntities(ctx, "A", func(store.MasterEntity) error { return stop }); !errors.Is(err, stop) {
			t.Fatalf("callback error = %v", err)
		}

		zero, err := e.s.MasterState(ctx, "A", "Keyword")
		must(t, err)
		if !zero.IsZero() {
			t.Fatalf("unset MasterState = %v", zero)
		}
		at := time.Date(2026, 2, 3, 4, 5, 6, 7000, time.UTC)
		must(t, e.s.SetMasterState(ctx, *a, "Keyword", at))
		must(t, e.s.SetMasterState(ctx, *a, "Keyword", at.Add(time.Hour)))
		got, err := e.s.MasterState(ctx, "A", "Keyword")
		must(t, err)
		if !got.Equal(at.Add(time.Hour)) {
			t.Fatalf("MasterState = %v, want %v", got, at.Add(time.Hour))
		}
	})
}

func TestRuns(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := ctxT(t)
		replica := e.open(t)
		won, err := e.s.ClaimRun(ctx, "refresh@2026-03-01T06:00", "r1")
		must(t, err)
		lost, err := replica.ClaimRun(ctx, "refresh@2026-03-01T06:00", "r2")
		must(t, err)
		if !won || lost {
			t.Fatalf("ClaimRun: first=%v second=%v, want true,false", won, lost)
		}
		must(t, e.s.RecordRun(ctx, "refresh@2026-03-01T06:00", "queued 3 syncs"))
		wantErr(t, e.s.RecordRun(ctx, "never", "x"), store.ErrNotFound)
		e.clock.Advance(time.Hour)
		won, err = replica.ClaimRun(ctx, "refresh@2026-03-01T07:00", "r2")
		must(t, err)
		if !won {
			t.Fatal("next tick not won")
		}
		runs, err := e.s.LastRuns(ctx, 10)
		must(t, err)
		if len(runs) != 2 || runs[0].Owner != "r2" || runs[1].Outcome != "queued 3 syncs" || runs[1].FinishedAt == nil || runs[0].FinishedAt != nil {
			t.Fatalf("LastRuns = %+v", runs)
		}
	})
}

// TestRunRetention: the scheduler's runs grew by one or two rows a day forever; DeleteRunsBefore
// deletes those started before the cutoff, and none after.
func TestRunRetention(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := ctxT(t)
		for _, k := range []string{"refresh:2026-03-01", "own-time refresh:2026-03-01"} {
			won, err := e.s.ClaimRun(ctx, k, "r1")
			must(t, err)
			if !won {
				t.Fatalf("run %s not won", k)
			}
		}
		e.clock.Advance(100 * 24 * time.Hour)
		if _, err := e.s.ClaimRun(ctx, "refresh:2026-06-09", "r1"); err != nil {
			t.Fatal(err)
		}
		n, err := e.s.DeleteRunsBefore(ctx, e.clock.Now().Add(-90*24*time.Hour))
		must(t, err)
		runs, err := e.s.LastRuns(ctx, 10)
		must(t, err)
		if n != 2 || len(runs) != 1 || runs[0].Key != "refresh:2026-06-09" {
			t.Errorf("deleted %d, left %+v; want the two old runs deleted and today's kept", n, runs)
		}
	})
}
