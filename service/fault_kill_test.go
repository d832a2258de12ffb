package service_test

import (
	"context"
	"encoding/hex"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/service/servicetest"
	"github.com/naversync/naversync/store"
	"github.com/naversync/naversync/store/storetest"
)

// Environment of the child engine TestFaultKilled starts and kills.
const (
	envKillChild   = "NAVERSYNC_KILL_CHILD" // "1" in the child
	envKillDBName  = "NAVERSYNC_KILL_DB_NAME"
	envKillDBURL   = "NAVERSYNC_KILL_DB_URL"
	envKillNaver   = "NAVERSYNC_KILL_NAVER_URL"
	envKillSheets  = "NAVERSYNC_KILL_SHEETS_URL"
	envKillFiles   = "NAVERSYNC_KILL_FILES_DIR"
	envKillSecret  = "NAVERSYNC_KILL_SECRET"
	envKillOffset  = "NAVERSYNC_KILL_CLOCK_OFFSET" // the world clock's offset, in nanoseconds
	killChildTTL   = 2 * time.Second
	killChildMatch = "^TestFaultKillChild$"
)

// TestFaultKillChild is the engine process TestFaultKilled kills; it only runs as that child.
// It serves the parent's database, simulator and stand-in until it receives SIGKILL.
func TestFaultKillChild(t *testing.T) {
	if os.Getenv(envKillChild) != "1" {
		t.Skip("runs only as the child process of TestFaultKilled")
	}
	secret, err := hex.DecodeString(os.Getenv(envKillSecret))
	if err != nil {
		t.Fatal(err)
	}
	db := storetest.DB{Name: os.Getenv(envKillDBName), URL: os.Getenv(envKillDBURL)}
	offset, err := time.ParseDuration(os.Getenv(envKillOffset) + "ns")
	if err != nil {
		t.Fatal(err)
	}
	clock := &store.Clock{}
	clock.Advance(offset)
	// The parent's servers, file store and key: only their addresses cross the process boundary.
	w := &world{t: t, db: db, World: &servicetest.World{T: t, DB: db, Clock: clock, FilesDir: os.Getenv(envKillFiles), Secret: secret,
		NaverURL: os.Getenv(envKillNaver), SheetsURL: os.Getenv(envKillSheets)}}
	w.relEngine(relOptions{fetchWorkers: 2, processWorkers: 1, leaseTTL: killChildTTL, replica: "doomed"})
	<-t.Context().Done() // until SIGKILL
}

// TestFaultKilled kills an engine process with SIGKILL while its syncs are in each phase
// (fetching; writing with another sync awaiting processing; processing, on PostgreSQL where a
// table lock can hold a sync there), then runs a fresh engine in-process. Every sync must end
// succeeded, each sheet holding exactly Naver's totals (no row twice, none missing), and no
// lease may stay held.
func TestFaultKilled(t *testing.T) {
	if os.Getenv(envKillChild) == "1" {
		t.Skip("this is the child")
	}
	for _, phase := range []string{service.PhaseFetching, service.PhaseWriting, service.PhaseProcessing} {
		t.Run(phase, func(t *testing.T) {
			for _, db := range storetest.Databases(t) {
				t.Run(db.Name, func(t *testing.T) {
					if phase == service.PhaseProcessing && db.Name != store.DialectPostgres {
						t.Skip("holding a sync in the processing phase needs a PostgreSQL table lock")
					}
					killInPhase(t, db, phase)
				})
			}
		})
	}
}

func killInPhase(t *testing.T, db storetest.DB, phase string) {
	w := newWorld(t, db, worldOptions{buildDelay: 2 * time.Millisecond})
	w.customer("9001", 2, 2, 3)
	w.customer("9002", 1, 3, 3)
	e := w.relEngine(relOptions{fetchWorkers: 2, processWorkers: 1, leaseTTL: killChildTTL, noStart: true, replica: "survivor"})
	type job struct{ sheet, customer string }
	var ids []string
	jobs := map[string]job{}
	for _, j := range []job{{"sheet-k1", "9001"}, {"sheet-k2", "9001"}, {"sheet-k3", "9002"}} {
		a := w.account(e, "Kill "+j.sheet, j.customer, j.sheet, service.LevelKeyword)
		s := enqueue(t, e, a.ID, 7)
		ids = append(ids, s.ID)
		jobs[s.ID] = j
	}

	// Hooks that hold the child where the phase wants it; released after the kill.
	release := make(chan struct{})
	var releaseOnce sync.Once
	free := func() { releaseOnce.Do(func() { close(release) }) }
	t.Cleanup(free)
	hold := func(r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}
	var naverCalls, held atomic.Int64
	switch phase {
	case service.PhaseFetching:
		w.setNaverHook(func(r *http.Request) {
			if naverCalls.Add(1) > 25 {
				held.Add(1)
				hold(r)
			}
		})
	default:
		w.setSheetGate(func(r *http.Request) { held.Add(1); hold(r) })
	}

	cmd, out := startKillChild(t, w, db)

	phases := func() map[string]int {
		n := map[string]int{}
		for _, id := range ids {
			if s, err := e.svc.GetSync(t.Context(), id); err == nil {
				n[s.Phase]++
			}
		}
		return n
	}
	// waitFor polls the database (the child is another process: no in-process signal reaches
	// here) until cond holds.
	waitFor := func(what string, cond func(map[string]int) bool) map[string]int {
		deadline := time.Now().Add(60 * time.Second)
		for {
			p := phases()
			if cond(p) {
				return p
			}
			if time.Now().After(deadline) {
				t.Fatalf("the child never reached %s (phases %v); its output:\n%s", what, p, out.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	var atKill map[string]int
	var lockTx pgx.Tx
	switch phase {
	case service.PhaseFetching:
		atKill = waitFor("fetching with a Naver call in flight", func(p map[string]int) bool {
			return p[service.PhaseFetching] > 0 && held.Load() > 0
		})
	case service.PhaseWriting:
		atKill = waitFor("writing with another sync awaiting processing", func(p map[string]int) bool {
			return p[service.PhaseWriting] == 1 && p[service.PhaseAwaitingProcessing] >= 1 && held.Load() > 0
		})
	case service.PhaseProcessing:
		waitFor("writing with another sync awaiting processing", func(p map[string]int) bool {
			return p[service.PhaseWriting] == 1 && p[service.PhaseAwaitingProcessing] >= 1 && held.Load() > 0
		})
		// Lock the names table, then let the write finish: the next sync the child claims
		// stops in processing, reading names.
		conn, err := pgx.Connect(t.Context(), db.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = conn.Close(context.Background()) }()
		lockTx, err = conn.Begin(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = lockTx.Rollback(context.Background()) }()
		if _, err := lockTx.Exec(t.Context(), "LOCK TABLE master_entities IN ACCESS EXCLUSIVE MODE"); err != nil {
			t.Fatal(err)
		}
		w.setSheetGate(nil)
		free()
		atKill = waitFor("processing", func(p map[string]int) bool {
			return p[service.PhaseProcessing] == 1 && p[service.PhaseWriting] == 0
		})
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	t.Logf("killed the child in phases %v", atKill)
	w.setNaverHook(nil)
	w.setSheetGate(nil)
	free()
	if lockTx != nil {
		if err := lockTx.Rollback(t.Context()); err != nil {
			t.Fatal(err)
		}
	}

	startEngine(t, e.svc)
	got := waitTerminal(t, e.svc, ids...)
	for _, id := range ids {
		s := got[id]
		if s.Status != service.StatusSucceeded {
			t.Errorf("sync %s ended %s %+v after the kill, want succeeded", id, s.Status, s.Error)
			continue
		}
		checkSheetMatchesNaver(t, w, jobs[id].sheet, jobs[id].customer, s.From, s.To)
	}
	checkNoLeaseHeld(t, w, e, killChildTTL)
}

// startKillChild starts an engine process on the world (TestFaultKillChild) that the test kills
// with SIGKILL; it is killed at the end of the test in any case.
func startKillChild(t *testing.T, w *world, db storetest.DB) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run="+killChildMatch, "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), envKillChild+"=1", envKillDBName+"="+db.Name, envKillDBURL+"="+db.URL,
		envKillNaver+"="+w.NaverURL, envKillSheets+"="+w.SheetsURL, envKillFiles+"="+w.FilesDir,
		envKillSecret+"="+hex.EncodeToString(w.Secret), envKillOffset+"="+strconv.FormatInt(int64(w.Clock.Offset()), 10))
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd, out
}

// isKillChild reports whether this test binary runs as a child engine to be killed.
func isKillChild() bool { return os.Getenv(envKillChild) == "1" }
