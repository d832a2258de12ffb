package service_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/naversync/naversync/service/servicetest"
	"github.com/naversync/naversync/store/storetest"
)

// Partial downloads and spills that a process left when it died are removed when an engine
// starts; files another live process may be writing (recently modified) are kept.
func TestTempFilesLeftByADeadProcessAreRemoved(t *testing.T) {
	db := storetest.Databases(t)[0]
	w := servicetest.NewWorld(t, db, servicetest.WorldOptions{})
	dataDir := t.TempDir()
	tmp := filepath.Join(dataDir, "tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(tmp, "dl-123.part")
	fresh := filepath.Join(tmp, "dl-456.part")
	for _, f := range []string{old, fresh} {
		if err := os.WriteFile(f, []byte("half a report"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	twoHoursAgo := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(old, twoHoursAgo, twoHoursAgo); err != nil {
		t.Fatal(err)
	}
	w.Engine(servicetest.EngineOptions{DataDir: dataDir})
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Errorf("a partial download left two hours ago is still there (%v)", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("a file written just now was removed: %v", err)
	}
}
