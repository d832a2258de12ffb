package service_test

import (
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/store/storetest"
)

// The disk fails while reports download: the engine's temp dir (DataDir/tmp) is replaced by a
// plain file mid-fetch, so every new download fails as on a full disk (chmod would not stop
// root, which these tests may run as). When the disk comes back the sync resumes and succeeds
// with the right sums; when it never does, the sync fails with a storage error. Either way
// no customer stays locked.
func TestFaultDiskFull(t *testing.T) {
	for _, heal := range []bool{true, false} {
		name := "disk comes back"
		if !heal {
			name = "disk stays full"
		}
		t.Run(name, func(t *testing.T) {
			for _, db := range storetest.Databases(t) {
				t.Run(db.Name, func(t *testing.T) {
					w := newWorld(t, db, worldOptions{buildDelay: 2 * time.Millisecond})
					w.customer("5005", 2, 2, 3)
					dataDir := t.TempDir()
					tmp := filepath.Join(dataDir, "tmp")
					ttl := 3 * time.Second
					attempts := 4
					if heal {
						attempts = 12
					}
					// A small window: later reports need new temp files after the disk broke (with
					// the default window every report of the sync starts, and makes its temp file, at once).
					e := w.relEngine(relOptions{fetchWorkers: 1, processWorkers: 1, leaseTTL: ttl, dataDir: dataDir, maxAttempts: attempts, window: 2})
					a := w.account(e, "Disk", "5005", "sheet-d", service.LevelAdgroup)
					var calls atomic.Int64
					var breakOnce sync.Once
					broken := make(chan struct{})
					w.setNaverHook(func(*http.Request) {
						if calls.Add(1) == 12 {
							breakOnce.Do(func() {
								if err := os.RemoveAll(tmp); err != nil {
									t.Errorf("break disk: %v", err)
								}
								if err := os.WriteFile(tmp, nil, 0o600); err != nil {
									t.Errorf("break disk: %v", err)
								}
								close(broken)
							})
						}
					})
					s := enqueue(t, e, a.ID, 10)
					var healOnce sync.Once
					var sawStorage atomic.Bool
					err := e.svc.Follow(t.Context(), s.ID, func(cur service.Sync) error {
						if cur.Error != nil && cur.Error.Kind == "storage" {
							sawStorage.Store(true)
							if heal {
								healOnce.Do(func() {
									<-broken
									if err := os.Remove(tmp); err != nil {
										t.Errorf("heal disk: %v", err)
									}
									if err := os.Mkdir(tmp, 0o700); err != nil {
										t.Errorf("heal disk: %v", err)
									}
								})
							}
						}
						return nil
					})
					if err != nil {
						t.Fatal(err)
					}
					got := waitTerminal(t, e.svc, s.ID)[s.ID]
					if !sawStorage.Load() {
						t.Fatalf("the sync never reported a storage failure (ended %s %+v): the disk fault did not bite", got.Status, got.Error)
					}
					if heal {
						if got.Status != service.StatusSucceeded {
							t.Fatalf("sync ended %s %+v, want succeeded once the disk came back", got.Status, got.Error)
						}
						checkSheetMatchesNaver(t, w, "sheet-d", "5005", got.From, got.To)
						if left := tmpEntries(t, dataDir); len(left) != 0 {
							t.Errorf("temp files left behind: %v", left)
						}
					} else if got.Status != service.StatusFailed || got.Error == nil || got.Error.Kind != "storage" {
						t.Fatalf("sync ended %s %+v, want failed with a storage error", got.Status, got.Error)
					}
					checkNoLeaseHeld(t, w, e, ttl)
				})
			}
		})
	}
}
