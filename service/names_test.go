package service_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/store/storetest"
)

// A rename at Naver reaches every day of the tab at the next sync: after a 30-day sync, a
// campaign and an ad group (of another campaign) are renamed at Naver; the morning's 7-day
// refresh leaves the tab cell for cell what a fresh full write gives (the new names on every
// day, each day's rows in the new name order), rewriting only the days that show a renamed
// entity (the days without traffic are kept), and the next refresh, with no rename, sends no
// day again.
func TestRenameAtNaverReachesEveryDayOfTheTab(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := newWorld(t, db, worldOptions{})
			quiet := []time.Time{mustDay(t, dayBefore(w, 9)), mustDay(t, dayBefore(w, 17)), mustDay(t, dayBefore(w, 25))}
			w.customer("1001", 2, 2, 2, quiet...)
			e := w.engine(engineOptions{fetchWorkers: 1, processWorkers: 1, leaseTTL: 10 * time.Second})
			a := w.account(e, "A", "1001", "sheet-a", service.LevelAdgroup)
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
			days := dayList(w, 30, 1)
			full := bytesOf(service.SyncRequest{Days: 30})
			checkCells(t, w.sheets.Values("sheet-a", "data"), expectedSheet(t, w, "1001", service.LevelAdgroup, days, nil))

			campaigns, adgroups, _ := w.naver.EntityIDs("1001")
			const newCampaign, newAdgroup = "봄 세일 (renamed)", "0 브랜드 (renamed)"
			if !w.naver.Rename("1001", campaigns[0], newCampaign) || !w.naver.Rename("1001", adgroups[3], newAdgroup) {
				t.Fatal("rename at Naver: entity not found")
			}
			refresh := bytesOf(service.SyncRequest{Days: 7, Trigger: service.TriggerScheduled})
			got := w.sheets.Values("sheet-a", "data")
			checkCells(t, got, expectedSheet(t, w, "1001", service.LevelAdgroup, days, nil))
			shows := map[float64][2]bool{} // per day: the new campaign name, the new ad group name
			for _, row := range got[1:] {
				d, _ := row[0].(float64)
				s := shows[d]
				s[0] = s[0] || row[1] == newCampaign
				s[1] = s[1] || row[2] == newAdgroup
				shows[d] = s
			}
			if want := len(days) - len(quiet); len(shows) != want {
				t.Errorf("%d days with rows, want %d", len(shows), want)
			}
			for d, s := range shows {
				if !s[0] || !s[1] {
					t.Errorf("day %v: new campaign name shown %v, new ad group name shown %v; want both", d, s[0], s[1])
				}
			}
			dataDays := len(days) - len(quiet)
			t.Logf("first write %d bytes; refresh after the rename %d bytes (%d of %d days show a renamed entity)", full, refresh, dataDays, len(days))
			if limit := 2 * full * dataDays / len(days); refresh > limit {
				t.Errorf("the refresh after the rename sent %d bytes, want at most %d (twice the changed days' share of the %d-byte first write)", refresh, limit, full)
			}
			again := bytesOf(service.SyncRequest{Days: 7, Trigger: service.TriggerScheduled})
			checkCells(t, w.sheets.Values("sheet-a", "data"), expectedSheet(t, w, "1001", service.LevelAdgroup, days, nil))
			if limit := 2 * full / len(days); again > limit {
				t.Errorf("a refresh with nothing renamed sent %d bytes, want at most %d (no day changed)", again, limit)
			}
		})
	}
}
