package service_test

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/store/storetest"
)

// Two accounts of one customer: A syncs an older range, B a newer one. The process is killed
// (SIGKILL) while A is fetching (part of A's range downloaded), and B runs first after the
// restart: B's sheet holds exactly B's days, cell for cell what an undisturbed run writes, no
// day of A's half-fetched range, no hole; A, retried, gets exactly A's days.
func TestKillDuringAnotherAccountsFetchLeavesSheetsExact(t *testing.T) {
	if isKillChild() {
		t.Skip("this is the child")
	}
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := newWorld(t, db, worldOptions{buildDelay: 2 * time.Millisecond})
			w.customer("9001", 2, 2, 2)
			e := w.relEngine(relOptions{fetchWorkers: 2, processWorkers: 1, leaseTTL: killChildTTL, noStart: true, replica: "survivor"})
			a := w.account(e, "A", "9001", "sheet-a", service.LevelKeyword)
			b := w.account(e, "B", "9001", "sheet-b", service.LevelKeyword)
			aDays, bDays := dayList(w, 40, 21), dayList(w, 20, 1)
			sa := enqueueRange(t, e, a.ID, aDays)
			sb := enqueueRange(t, e, b.ID, bDays)

			release := make(chan struct{})
			var once sync.Once
			free := func() { once.Do(func() { close(release) }) }
			t.Cleanup(free)
			// Once a few of A's reports were downloaded, every call waits: A is then part
			// fetched, whatever the order of its creates, polls and downloads (a count of calls
			// could all go on creates and polls before any download).
			var downloads, held atomic.Int64
			w.setNaverHook(func(r *http.Request) {
				if downloads.Load() >= 4 {
					held.Add(1)
					select {
					case <-release:
					case <-r.Context().Done():
					}
					return
				}
				if r.URL.Path == "/report-download" {
					downloads.Add(1)
				}
			})
			cmd, out := startKillChild(t, w, db)
			waitUntilLong(t, out, func() bool {
				files, err := e.store.ReportFiles(t.Context(), "9001", nil, aDays[len(aDays)-1], aDays[0])
				return err == nil && len(files) > 0 && held.Load() > 0
			})
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Wait()
			w.setNaverHook(nil)
			free()
			// A is put aside (canceled) so that B runs first on the restarted engine.
			if _, err := e.svc.CancelSync(t.Context(), sa.ID); err != nil {
				t.Fatal(err)
			}
			startEngine(t, e.svc)
			if got := waitTerminal(t, e.svc, sb.ID)[sb.ID]; got.Status != service.StatusSucceeded {
				t.Fatalf("B: %s %+v", got.Status, got.Error)
			}
			checkCells(t, w.sheets.Values("sheet-b", "data"), expectedSheet(t, w, "9001", service.LevelKeyword, bDays, nil))

			waitTerminal(t, e.svc, sa.ID)
			ra, err := e.svc.RetrySync(t.Context(), sa.ID, "")
			if err != nil {
				t.Fatal(err)
			}
			if got := waitTerminal(t, e.svc, ra.ID)[ra.ID]; got.Status != service.StatusSucceeded {
				t.Fatalf("A retried: %s %+v", got.Status, got.Error)
			}
			checkCells(t, w.sheets.Values("sheet-a", "data"), expectedSheet(t, w, "9001", service.LevelKeyword, aDays, nil))
			checkCells(t, w.sheets.Values("sheet-b", "data"), expectedSheet(t, w, "9001", service.LevelKeyword, bDays, nil))
		})
	}
}

// The process is killed while it writes a sheet (its write held at the Sheets API): after the
// restart the sync is written again and the sheet equals, cell for cell, an undisturbed run.
func TestKillDuringWriteLeavesSheetExact(t *testing.T) {
	if isKillChild() {
		t.Skip("this is the child")
	}
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := newWorld(t, db, worldOptions{buildDelay: 2 * time.Millisecond})
			w.customer("9001", 2, 2, 2)
			e := w.relEngine(relOptions{fetchWorkers: 2, processWorkers: 1, leaseTTL: killChildTTL, noStart: true, replica: "survivor"})
			b := w.account(e, "B", "9001", "sheet-b", service.LevelKeyword)
			days := dayList(w, 20, 1)
			sb := enqueueRange(t, e, b.ID, days)
			release := make(chan struct{})
			var once sync.Once
			free := func() { once.Do(func() { close(release) }) }
			t.Cleanup(free)
			var held atomic.Int64
			w.setSheetGate(func(r *http.Request) {
				if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, ":batchUpdate") {
					held.Add(1)
					select {
					case <-release:
					case <-r.Context().Done():
					}
				}
			})
			cmd, out := startKillChild(t, w, db)
			waitUntilLong(t, out, func() bool {
				s, err := e.svc.GetSync(t.Context(), sb.ID)
				return err == nil && s.Phase == service.PhaseWriting && held.Load() > 0
			})
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Wait()
			w.setSheetGate(nil)
			free()
			startEngine(t, e.svc)
			if got := waitTerminal(t, e.svc, sb.ID)[sb.ID]; got.Status != service.StatusSucceeded {
				t.Fatalf("B: %s %+v", got.Status, got.Error)
			}
			checkCells(t, w.sheets.Values("sheet-b", "data"), expectedSheet(t, w, "9001", service.LevelKeyword, days, nil))
		})
	}
}

// dayList is the days from n days ago to m days ago (n > m), newest first.
func dayList(w *world, n, m int) []string {
	var out []string
	for i := m; i <= n; i++ {
		out = append(out, dayBefore(w, i))
	}
	return out
}

func dayBefore(w *world, n int) string {
	k := w.Clock.Now().In(time.FixedZone("KST", 9*3600))
	return time.Date(k.Year(), k.Month(), k.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, -n).Format(time.DateOnly)
}

// enqueueRange queues a sync of an account over days (newest first).
func enqueueRange(t *testing.T, e *engine, accountID string, days []string) service.Sync {
	t.Helper()
	s, _, err := e.svc.EnqueueSync(t.Context(), service.SyncRequest{AccountID: accountID, From: days[len(days)-1], To: days[0]})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// waitUntilLong polls cond for a minute (the child is another process: no in-process signal
// reaches here), failing with the child's output.
func waitUntilLong(t *testing.T, out *syncBuffer, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("the child never got there; its output:\n%s", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
