package service_test

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/naversync/naversync/naver/navertest"
	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/store"
	"github.com/naversync/naversync/store/storetest"
)

// A refresh that meets "not ready" (20007) or an early NONE for days the sheet already shows
// keeps their last good data: the files stay, the sheet is unchanged, and the next refresh asks
// Naver for those days again.
func TestRefreshNotReadyKeepsLastGoodData(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := newWorld(t, db, worldOptions{})
			w.customer("1001", 1, 2, 2)
			e := w.engine(engineOptions{fetchWorkers: 1, processWorkers: 1, leaseTTL: 10 * time.Second})
			a := w.account(e, "A", "1001", "sheet-a", service.LevelKeyword)
			days := dayList(w, 5, 1)
			run := func(trigger string) service.Sync {
				t.Helper()
				s, _, err := e.svc.EnqueueSync(t.Context(), service.SyncRequest{AccountID: a.ID, Days: 5, Trigger: trigger})
				if err != nil {
					t.Fatal(err)
				}
				got := waitTerminal(t, e.svc, s.ID)[s.ID]
				if got.Status != service.StatusSucceeded {
					t.Fatalf("sync: %s %+v", got.Status, got.Error)
				}
				return got
			}
			run(service.TriggerManual)
			want := expectedSheet(t, w, "1001", service.LevelKeyword, days, nil)
			checkCells(t, w.sheets.Values("sheet-a", "data"), want)

			w.naver.SetFault(navertest.Fault{Customer: "1001", Kind: navertest.NotReady20007, Count: 1000})
			w.naver.SetFault(navertest.Fault{Customer: "1001", Kind: navertest.PrematureNone, Count: 1000})
			before := len(w.naver.Requests())
			run(service.TriggerScheduled)
			if askedFor(w.naver.Requests()[before:], days[0]) == 0 {
				t.Fatal("the refresh did not ask for yesterday: the fault proves nothing")
			}
			checkCells(t, w.sheets.Values("sheet-a", "data"), want)
			files, err := e.store.ReportFiles(t.Context(), "1001", nil, days[1], days[0])
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range files {
				if f.State != store.FileBuilt || !f.Recheck {
					t.Errorf("%s %s: %s (recheck %v), want the good file kept and marked for a recheck", f.ReportType, f.StatDate, f.State, f.Recheck)
				}
			}

			w.naver.ClearFaults()
			before = len(w.naver.Requests())
			run(service.TriggerScheduled)
			if askedFor(w.naver.Requests()[before:], days[0]) == 0 {
				t.Error("the next refresh did not ask for yesterday again")
			}
			checkCells(t, w.sheets.Values("sheet-a", "data"), want)
		})
	}
}

// askedFor counts the stat report creates for day among reqs.
func askedFor(reqs []navertest.Request, day string) int {
	n := 0
	for _, r := range reqs {
		if r.Method == http.MethodPost && r.Path == "/stat-reports" && r.StatDate.Format(time.DateOnly) == day {
			n++
		}
	}
	return n
}

// Two engines process syncs of one account (one spreadsheet) at once: their writes never
// interleave (a lock per spreadsheet in the database), and the newest data is written last.
// The first sync's write is held at the Sheets API while Naver revises a day and a second sync,
// on the other engine, fetches the revision: the sheet ends with the revised figures.
func TestTwoEnginesWriteOneSpreadsheetInOrder(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := newWorld(t, db, worldOptions{})
			w.customer("1001", 1, 2, 2)
			e1 := w.engine(engineOptions{replica: "e1", fetchWorkers: 1, processWorkers: 1, leaseTTL: 10 * time.Second})
			e2 := w.engine(engineOptions{replica: "e2", fetchWorkers: 1, processWorkers: 1, leaseTTL: 10 * time.Second})
			a := w.account(e1, "A", "1001", "shared", service.LevelKeyword)
			days := dayList(w, 5, 1)

			var mu sync.Mutex
			var writes []string // sync ids in the order their batchUpdates reached Google
			release := make(chan struct{})
			var once sync.Once
			free := func() { once.Do(func() { close(release) }) }
			t.Cleanup(free)
			held := make(chan struct{}, 1)
			first := true
			w.setSheetGate(func(r *http.Request) {
				if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, ":batchUpdate") {
					return
				}
				body, _ := io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(body))
				mu.Lock()
				writes = append(writes, string(body))
				hold := first
				first = false
				mu.Unlock()
				if hold {
					held <- struct{}{}
					<-release
				}
			})
			s1, _, err := e1.svc.EnqueueSync(t.Context(), service.SyncRequest{AccountID: a.ID, Days: 5, Full: true})
			if err != nil {
				t.Fatal(err)
			}
			select {
			case <-held:
			case <-time.After(time.Minute):
				t.Fatal("the first write never reached Google")
			}
			w.naver.Revise("1001", mustDay(t, days[0]))
			s2, _, err := e2.svc.EnqueueSync(t.Context(), service.SyncRequest{AccountID: a.ID, Days: 5, Full: true})
			if err != nil {
				t.Fatal(err)
			}
			waitUntil(t, func() bool {
				s, err := e2.svc.GetSync(t.Context(), s2.ID)
				return err == nil && s.Status == service.StatusProcessing
			})
			free()
			got := waitTerminal(t, e1.svc, s1.ID, s2.ID)
			for id, s := range got {
				if s.Status != service.StatusSucceeded {
					t.Fatalf("%s: %s %+v", id, s.Status, s.Error)
				}
			}
			checkCells(t, w.sheets.Values("shared", "data"), expectedSheet(t, w, "1001", service.LevelKeyword, days, nil))
			mu.Lock()
			defer mu.Unlock()
			last := ""
			for i, body := range writes {
				id := ""
				switch {
				case strings.Contains(body, s1.ID):
					id = s1.ID
				case strings.Contains(body, s2.ID):
					id = s2.ID
				}
				if id == "" {
					continue // a batch without the status row (a big write's earlier batches)
				}
				if last == s2.ID && id == s1.ID {
					t.Errorf("write %d of the first sync came after the second's", i)
				}
				last = id
			}
			if last != s2.ID {
				t.Errorf("the last write was %s's, want the second (newest) sync's", last)
			}
		})
	}
}

func mustDay(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// A stored report that went missing or was cut (a file store gone wrong) is never used: the
// processing that finds it marks it damaged and sends the sync back to fetch it again, and the
// sheet ends exact.
func TestDamagedStoredFileIsFetchedAgain(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := newWorld(t, db, worldOptions{})
			w.customer("1001", 1, 2, 2)
			e := w.engine(engineOptions{fetchWorkers: 1, processWorkers: 1, leaseTTL: 10 * time.Second})
			a := w.account(e, "A", "1001", "sheet-a", service.LevelKeyword)
			days := dayList(w, 20, 1)
			first := enqueueRange(t, e, a.ID, days)
			if got := waitTerminal(t, e.svc, first.ID)[first.ID]; got.Status != service.StatusSucceeded {
				t.Fatalf("first sync: %s %+v", got.Status, got.Error)
			}
			// Two stored files of old days (outside the next sync's range): one cut, one gone.
			files, err := e.store.ReportFiles(t.Context(), "1001", []string{"AD"}, days[19], days[15])
			if err != nil || len(files) < 2 {
				t.Fatalf("files: %v %v", files, err)
			}
			cut, gone := files[0], files[1]
			if err := os.WriteFile(filepath.Join(w.FilesDir, cut.Key), []byte("20260101\t1001\tcmp"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(filepath.Join(w.FilesDir, gone.Key)); err != nil {
				t.Fatal(err)
			}
			before := len(w.naver.Requests())
			next, _, err := e.svc.EnqueueSync(t.Context(), service.SyncRequest{AccountID: a.ID, Days: 3})
			if err != nil {
				t.Fatal(err)
			}
			if got := waitTerminal(t, e.svc, next.ID)[next.ID]; got.Status != service.StatusSucceeded {
				t.Fatalf("next sync: %s %+v", got.Status, got.Error)
			}
			for _, f := range []store.ReportFile{cut, gone} {
				if askedFor(w.naver.Requests()[before:], f.StatDate) == 0 {
					t.Errorf("the damaged file of %s was not fetched again", f.StatDate)
				}
			}
			checkCells(t, w.sheets.Values("sheet-a", "data"), expectedSheet(t, w, "1001", service.LevelKeyword, days, nil))
		})
	}
}

// A refresh sends Google only the days that changed: after a 60-day sync, a 7-day refresh of a
// day Naver revised sends a fraction of the first write's bytes, and the sheet is exact; a change
// of the account's level (its columns) rewrites the whole table.
func TestRefreshWritesOnlyChangedDays(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := newWorld(t, db, worldOptions{})
			w.customer("1001", 2, 3, 3)
			e := w.engine(engineOptions{fetchWorkers: 1, processWorkers: 1, leaseTTL: 10 * time.Second})
			a := w.account(e, "A", "1001", "sheet-a", service.LevelKeyword)
			var mu sync.Mutex
			sent := 0
			w.setSheetGate(func(r *http.Request) {
				if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, ":batchUpdate") {
					body, _ := io.ReadAll(r.Body)
					r.Body = io.NopCloser(bytes.NewReader(body))
					mu.Lock()
					sent += len(body)
					mu.Unlock()
				}
			})
			bytesOf := func(req service.SyncRequest) int {
				t.Helper()
				mu.Lock()
				sent = 0
				mu.Unlock()
				req.AccountID = a.ID
				s, _, err := e.svc.EnqueueSync(t.Context(), req)
				if err != nil {
					t.Fatal(err)
				}
				if got := waitTerminal(t, e.svc, s.ID)[s.ID]; got.Status != service.StatusSucceeded {
					t.Fatalf("sync: %s %+v", got.Status, got.Error)
				}
				mu.Lock()
				defer mu.Unlock()
				return sent
			}
			days := dayList(w, 60, 1)
			full := bytesOf(service.SyncRequest{Days: 60})
			checkCells(t, w.sheets.Values("sheet-a", "data"), expectedSheet(t, w, "1001", service.LevelKeyword, days, nil))
			w.naver.Revise("1001", mustDay(t, days[2]))
			refresh := bytesOf(service.SyncRequest{Days: 7, Trigger: service.TriggerScheduled})
			checkCells(t, w.sheets.Values("sheet-a", "data"), expectedSheet(t, w, "1001", service.LevelKeyword, days, nil))
			t.Logf("first write %d bytes, refresh of one revised day %d bytes", full, refresh)
			if limit := 2 * full / 60; refresh > limit {
				t.Errorf("the refresh sent %d bytes, want at most %d (twice one day's share of the %d-byte first write)", refresh, limit, full)
			}
			if _, err := e.svc.UpdateAccount(t.Context(), a.ID, service.AccountPatch{Level: ptr(service.LevelCampaign)}); err != nil {
				t.Fatal(err)
			}
			bytesOf(service.SyncRequest{Days: 7, Trigger: service.TriggerScheduled})
			checkCells(t, w.sheets.Values("sheet-a", "data"), expectedSheet(t, w, "1001", service.LevelCampaign, days, nil))
		})
	}
}
