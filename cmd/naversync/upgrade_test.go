package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"

	"github.com/naversync/naversync/google/sheetstest"
	"github.com/naversync/naversync/naver/navertest"
	"github.com/naversync/naversync/store"
	"github.com/naversync/naversync/store/storetest"
)

// releaseCommit is the release whose schema is the migrations' baseline (version 1): the last
// one whose schema gorm's AutoMigrate made at start.
const releaseCommit = "10e4a02"

var (
	releaseOnce sync.Once
	releaseBin  string
	releaseErr  error
	releaseSkip string
)

// releaseBinary builds cmd/naversync of releaseCommit (git archive of the commit, go build), once
// per machine (kept in the temporary directory, named by the commit). Without the commit in the repository's history (a shallow clone) the test is
// skipped, saying so.
func releaseBinary(t *testing.T) string {
	t.Helper()
	releaseOnce.Do(func() {
		root, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
		if err != nil {
			releaseSkip = fmt.Sprintf("not in a git checkout (%v): cannot build release %s", err, releaseCommit)
			return
		}
		repo := strings.TrimSpace(string(root))
		if err := exec.Command("git", "-C", repo, "cat-file", "-e", releaseCommit+"^{commit}").Run(); err != nil {
			releaseSkip = fmt.Sprintf("commit %s is not in this clone's history (a shallow clone?): fetch it (git fetch --unshallow) to run the upgrade tests", releaseCommit)
			return
		}
		// Built once per machine and kept (named by the commit) for the next runs.
		releaseBin = filepath.Join(os.TempDir(), "naversync-release-"+releaseCommit)
		if fi, err := os.Stat(releaseBin); err == nil && fi.Mode().IsRegular() {
			return
		}
		dir, err := os.MkdirTemp("", "naversync-release-src-")
		if err != nil {
			releaseErr = err
			return
		}
		defer os.RemoveAll(dir)
		var stderr bytes.Buffer
		archive := exec.Command("git", "-C", repo, "archive", "--format=tar", releaseCommit)
		archive.Stderr = &stderr
		untar := exec.Command("tar", "-x", "-C", dir)
		if untar.Stdin, err = archive.StdoutPipe(); err != nil {
			releaseErr = err
			return
		}
		if err := archive.Start(); err != nil {
			releaseErr = err
			return
		}
		if out, err := untar.CombinedOutput(); err != nil {
			releaseErr = fmt.Errorf("untar %s: %v %s", releaseCommit, err, out)
			return
		}
		if err := archive.Wait(); err != nil {
			releaseErr = fmt.Errorf("git archive %s: %v %s", releaseCommit, err, stderr.String())
			return
		}
		goBin, err := exec.LookPath("go")
		if err != nil {
			goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
		}
		tmp := filepath.Join(dir, "naversync")
		build := exec.Command(goBin, "build", "-o", tmp, "./cmd/naversync")
		build.Dir = dir
		build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-buildvcs=false")
		if out, err := build.CombinedOutput(); err != nil {
			releaseErr = fmt.Errorf("build release %s: %v\n%s", releaseCommit, err, out)
			return
		}
		if err := os.Rename(tmp, releaseBin); err != nil { // atomic: other test processes see all or nothing
			releaseErr = err
		}
	})
	if releaseSkip != "" {
		t.Skip(releaseSkip)
	}
	if releaseErr != nil {
		t.Fatal(releaseErr)
	}
	return releaseBin
}

// postgresDB is a fresh PostgreSQL schema (the upgrade tests run on PostgreSQL only).
func postgresDB(t *testing.T) storetest.DB {
	t.Helper()
	for _, db := range storetest.Databases(t) {
		if db.Name == store.DialectPostgres {
			return db
		}
	}
	t.Skipf("%s not set: the upgrade tests need PostgreSQL", storetest.EnvDatabaseURL)
	return storetest.DB{}
}

// gated wraps a stand-in: gate, when set, runs before each request (and may hold it).
type gated struct {
	h    http.Handler
	mu   sync.Mutex
	gate func(*http.Request)
}

func (g *gated) setGate(f func(*http.Request)) {
	g.mu.Lock()
	g.gate = f
	g.mu.Unlock()
}

func (g *gated) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	f := g.gate
	g.mu.Unlock()
	if f != nil {
		f(r)
	}
	g.h.ServeHTTP(w, r)
}

// upgradeWorld is the stand-ins and the environment shared by the old and the new binary.
type upgradeWorld struct {
	db     storetest.DB
	naver  *navertest.Server
	sheets *sheetstest.Server
	ngate  *gated
	sgate  *gated
	env    map[string]string
}

func newUpgradeWorld(t *testing.T, customers ...string) *upgradeWorld {
	t.Helper()
	w := &upgradeWorld{db: postgresDB(t)}
	w.naver = navertest.New(navertest.Options{InstantBuild: true})
	w.sheets = sheetstest.NewServer(sheetstest.Options{})
	for i, c := range customers {
		w.naver.AddCustomer(navertest.Customer{ID: c, APIKey: "key-" + c, SecretKey: "secret-" + c,
			Campaigns: 2, AdgroupsPerCampaign: 2, KeywordsPerAdgroup: 2, Seed: int64(i + 1)})
		w.sheets.CreateSpreadsheet("sheet-"+c, sheetstest.DefaultCaller)
	}
	w.ngate, w.sgate = &gated{h: w.naver}, &gated{h: w.sheets}
	nsrv, ssrv := httptest.NewServer(w.ngate), httptest.NewServer(w.sgate)
	t.Cleanup(nsrv.Close)
	t.Cleanup(ssrv.Close)
	w.env = map[string]string{
		"NAVERSYNC_HTTP_ADDR":       "127.0.0.1:0",
		"NAVERSYNC_DATA_DIR":        t.TempDir(), // the file store: <data dir>/files
		"NAVERSYNC_DATABASE_URL":    w.db.URL,
		"NAVERSYNC_NAVER_BASE_URL":  nsrv.URL,
		"NAVERSYNC_SHEETS_ENDPOINT": ssrv.URL,
		"NAVERSYNC_SECRET_KEY":      hex.EncodeToString(bytes.Repeat([]byte{7}, 32)),
		"NAVERSYNC_API_TOKENS":      testToken,
		"NAVERSYNC_LOG_LEVEL":       "info",
		"NAVERSYNC_LEASE_TTL":       "2s", // a killed replica's leases lapse quickly
	}
	return w
}

// startRelease runs the release binary's serve as a child process; it returns its API's base
// URL, the process and a channel closed when it has exited.
func (w *upgradeWorld) startRelease(t *testing.T, bin string) (string, *exec.Cmd, <-chan struct{}) {
	t.Helper()
	cmd := exec.Command(bin, "serve")
	cmd.Env = os.Environ()
	for k, v := range w.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	waitFor(t, "the release to listen", func() bool {
		select {
		case <-exited:
			t.Fatalf("release %s exited:\n%s", releaseCommit, logs.String())
		default:
		}
		return servingAddr.MatchString(logs.String())
	})
	return "http://" + servingAddr.FindStringSubmatch(logs.String())[1], cmd, exited
}

type apiSync struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Phase  string `json:"phase"`
	From   string `json:"from"`
	To     string `json:"to"`
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	st, body := call(t, "GET", url, nil, nil)
	if st != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, st, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

func createAccount(t *testing.T, base, customer, secret string) string {
	t.Helper()
	return createAccountIn(t, base, customer, secret, "sheet-"+customer, "")
}

func createAccountIn(t *testing.T, base, customer, secret, sheet, tab string) string {
	t.Helper()
	st, body := call(t, "POST", base+"/accounts", map[string]any{"name": "acct " + customer, "customer_id": customer,
		"api_key": "key-" + customer, "secret_key": secret, "spreadsheet_id": sheet, "sheet_tab": tab}, nil)
	if st != http.StatusCreated {
		t.Fatalf("create account %s: %d %s", customer, st, body)
	}
	var a struct{ ID string }
	_ = json.Unmarshal(body, &a)
	return a.ID
}

func postSync(t *testing.T, base, account string, days int, key string) apiSync {
	t.Helper()
	return postSyncBody(t, base, map[string]any{"account_id": account, "days": days}, key)
}

func postSyncBody(t *testing.T, base string, req map[string]any, key string) apiSync {
	t.Helper()
	account := req["account_id"]
	st, body := call(t, "POST", base+"/syncs", req, map[string]string{"Idempotency-Key": key})
	if st != http.StatusAccepted && st != http.StatusOK {
		t.Fatalf("POST /syncs %s: %d %s", account, st, body)
	}
	var s apiSync
	_ = json.Unmarshal(body, &s)
	return s
}

func syncOf(t *testing.T, base, id string) apiSync {
	t.Helper()
	var s apiSync
	getJSON(t, base+"/syncs/"+id, &s)
	return s
}

func waitStatus(t *testing.T, base, id string, want ...string) apiSync {
	t.Helper()
	var s apiSync
	waitFor(t, "sync "+id+" to be "+strings.Join(want, "|"), func() bool {
		s = syncOf(t, base, id)
		return slices.Contains(want, s.Status)
	})
	return s
}

// checkSheetExact is the oracle: the tab's per-day sums of impressions and clicks equal the
// Naver stand-in's own totals of the customer's AD files for every day of [from, to], and every
// other day the tab shows is exact too (true only when every file was processed whole and once).
func checkSheetExact(t *testing.T, w *upgradeWorld, customer, from, to string) {
	t.Helper()
	checkTabExact(t, w, customer, "sheet-"+customer, "naver_ads", from, to) // the default tab
}

func checkTabExact(t *testing.T, w *upgradeWorld, customer, sheet, tab, from, to string) {
	t.Helper()
	vals := w.sheets.Values(sheet, tab)
	if len(vals) < 2 {
		t.Errorf("sheet of %s: %d rows", customer, len(vals))
		return
	}
	col := map[string]int{}
	for i, h := range vals[0] {
		col[fmt.Sprint(h)] = i
	}
	for _, name := range []string{"Date", "Impressions", "Clicks"} {
		if _, ok := col[name]; !ok {
			t.Fatalf("sheet of %s: no column %q in %v", customer, name, vals[0])
		}
	}
	num := func(row []any, name string) float64 {
		if col[name] >= len(row) {
			return 0
		}
		switch v := row[col[name]].(type) {
		case float64:
			return v
		case json.Number:
			f, _ := v.Float64()
			return f
		}
		return 0
	}
	type tot struct{ imp, clk int64 }
	got := map[string]tot{}
	epoch := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	for _, row := range vals[1:] {
		serial := num(row, "Date")
		if serial == 0 {
			continue
		}
		day := epoch.AddDate(0, 0, int(math.Round(serial))).Format("2006-01-02")
		g := got[day]
		g.imp += int64(num(row, "Impressions"))
		g.clk += int64(num(row, "Clicks"))
		got[day] = g
	}
	f, _ := time.Parse("2006-01-02", from)
	l, _ := time.Parse("2006-01-02", to)
	for d := f; !d.After(l); d = d.AddDate(0, 0, 1) {
		if _, ok := got[d.Format("2006-01-02")]; !ok {
			if imp, _, _ := w.naver.ADTotals(customer, d); imp != 0 {
				t.Errorf("sheet of %s: day %s missing", customer, d.Format("2006-01-02"))
			}
		}
	}
	for day, g := range got {
		d, _ := time.Parse("2006-01-02", day)
		imp, clk, _ := w.naver.ADTotals(customer, d)
		if g.imp != imp || g.clk != clk {
			t.Errorf("sheet of %s day %s: impressions/clicks %d/%d, Naver's file sums to %d/%d", customer, day, g.imp, g.clk, imp, clk)
		}
	}
}

// builtFiles lists the customer's stored (complete) day files: "REPORT|2006-01-02".
func builtFiles(t *testing.T, w *upgradeWorld, customer string) []string {
	t.Helper()
	db, err := sql.Open("pgx", w.db.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(t.Context(), `SELECT report_type, stat_date FROM report_files WHERE customer_id = $1 AND state = 'built' ORDER BY 1, 2`, customer)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var rt, day string
		if err := rows.Scan(&rt, &day); err != nil {
			t.Fatal(err)
		}
		out = append(out, rt+"|"+day)
	}
	return out
}

// downloadsSince counts the successful day-file downloads of customer in reqs[from:], by file.
func downloadsSince(reqs []navertest.Request, from int, customer string) map[string]int {
	out := map[string]int{}
	for _, r := range reqs[from:] {
		if r.Path == "/report-download" && r.Customer == customer && r.Status == http.StatusOK && !r.StatDate.IsZero() {
			out[r.ReportType+"|"+r.StatDate.Format("2006-01-02")]++
		}
	}
	return out
}

type auditItem struct {
	ID     string `json:"id"`
	Action string `json:"action"`
}

func auditIDs(t *testing.T, base string) []string {
	t.Helper()
	var page struct {
		Items []auditItem `json:"items"`
	}
	getJSON(t, base+"/audit?limit=200", &page)
	var ids []string
	for _, it := range page.Items {
		ids = append(ids, it.ID)
	}
	slices.Sort(ids)
	return ids
}

// TestUpgradeFromRelease: release 10e4a02 (its binary, built from the commit) serves on
// PostgreSQL: a finished sync, a failed one, a sync killed (SIGKILL) mid-fetch with some files
// stored, one queued behind it, and one killed mid-processing (its sheet write held). Today's
// binary then starts on the same database and file store: it adopts the schema, every sync
// resumes or stays as it was, no stored file is fetched again, every sheet is exact, and the
// audit log and the idempotency keys survive.
func TestUpgradeFromRelease(t *testing.T) {
	bin := releaseBinary(t)
	const a, b, d, e = "9101", "9102", "9104", "9105"
	w := newUpgradeWorld(t, a, b, d, e)
	base, old, oldExited := w.startRelease(t, bin)

	accA := createAccount(t, base, a, "secret-"+a)
	accB := createAccount(t, base, b, "wrong-secret") // Naver refuses its calls: the sync fails
	accD := createAccount(t, base, d, "secret-"+d)
	accE := createAccount(t, base, e, "secret-"+e)

	// Finished, and failed.
	sa := postSync(t, base, accA, 5, "upgrade-a")
	sa = waitStatus(t, base, sa.ID, "succeeded", "failed")
	if sa.Status != "succeeded" {
		t.Fatalf("A under the release: %+v", sa)
	}
	sb := postSync(t, base, accB, 3, "upgrade-b")
	sb = waitStatus(t, base, sb.ID, "succeeded", "failed")
	if sb.Status != "failed" {
		t.Fatalf("B under the release: %+v, want failed", sb)
	}

	// Mid-fetch: D's downloads pass until 4 files are stored, then are held.
	var passed, heldD atomic.Int64
	release := make(chan struct{})
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	w.ngate.setGate(func(r *http.Request) {
		if r.URL.Path == "/report-download" && r.Header.Get("X-Customer") == d && passed.Add(1) > 4 {
			heldD.Add(1)
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
	})
	sd := postSync(t, base, accD, 12, "upgrade-d")
	waitFor(t, "D to hold downloads with files stored", func() bool {
		return heldD.Load() > 0 && len(builtFiles(t, w, d)) >= 2 && syncOf(t, base, sd.ID).Status == "fetching"
	})
	// Queued behind D's running sync; older days than its (a sync of recent days fetches them
	// anew, which would blur the count of files fetched again).
	from, _ := time.Parse("2006-01-02", syncOf(t, base, sd.ID).From)
	sd2 := postSyncBody(t, base, map[string]any{"account_id": accD, "from": from.AddDate(0, 0, -5).Format("2006-01-02"),
		"to": from.AddDate(0, 0, -3).Format("2006-01-02")}, "upgrade-d2")
	if s := syncOf(t, base, sd2.ID); s.Status != "queued" {
		t.Fatalf("D's second sync: %+v, want queued", s)
	}

	// Mid-processing: E's sheet writes are held.
	var heldE atomic.Int64
	w.sgate.setGate(func(r *http.Request) {
		if r.Method == http.MethodPost && strings.Contains(r.URL.Path, "sheet-"+e) && strings.HasSuffix(r.URL.Path, ":batchUpdate") {
			heldE.Add(1)
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
	})
	se := postSync(t, base, accE, 4, "upgrade-e")
	waitFor(t, "E to be writing its sheet", func() bool {
		s := syncOf(t, base, se.ID)
		return heldE.Load() > 0 && s.Status == "processing"
	})
	auditBefore := auditIDs(t, base)
	if len(auditBefore) == 0 {
		t.Fatal("the release wrote no audit entry")
	}
	stored := builtFiles(t, w, d)

	// SIGKILL, then release the stand-ins.
	if err := old.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-oldExited
	killedAt := len(w.naver.Requests())
	before := downloadsSince(w.naver.Requests()[:killedAt], 0, d)
	for _, f := range stored { // the stored files are named as the downloads are counted
		if before[f] == 0 {
			t.Fatalf("stored file %s has no download before the kill (downloads: %v)", f, before)
		}
	}
	w.ngate.setGate(nil)
	w.sgate.setGate(nil)
	close(release)

	// Today's binary, on the same database and file store.
	addr, logs, stop := startServe(t, w.env)
	nbase := "http://" + addr
	for _, id := range []string{sd.ID, sd2.ID, se.ID} {
		if s := waitStatus(t, nbase, id, "succeeded", "failed", "canceled"); s.Status != "succeeded" {
			t.Errorf("sync %s after the upgrade: %+v\n%s", id, s, logs.String())
		}
	}
	if s := syncOf(t, nbase, sa.ID); s.Status != "succeeded" {
		t.Errorf("A after the upgrade: %+v", s)
	}
	if s := syncOf(t, nbase, sb.ID); s.Status != "failed" {
		t.Errorf("B after the upgrade: %+v", s)
	}
	again := downloadsSince(w.naver.Requests(), killedAt, d)
	for _, f := range stored {
		if n := again[f]; n > 0 {
			t.Errorf("file %s, stored before the kill, was downloaded again %d times", f, n)
		}
	}
	checkSheetExact(t, w, a, syncOf(t, nbase, sa.ID).From, syncOf(t, nbase, sa.ID).To)
	checkSheetExact(t, w, d, syncOf(t, nbase, sd.ID).From, syncOf(t, nbase, sd.ID).To)
	checkSheetExact(t, w, e, syncOf(t, nbase, se.ID).From, syncOf(t, nbase, se.ID).To)

	// The audit log and the idempotency keys survive: a replay answers the same sync.
	after := auditIDs(t, nbase)
	for _, id := range auditBefore {
		if !slices.Contains(after, id) {
			t.Errorf("audit entry %s lost in the upgrade", id)
		}
	}
	st, body := call(t, "POST", nbase+"/syncs", map[string]any{"account_id": accA, "days": 5}, map[string]string{"Idempotency-Key": "upgrade-a"})
	var replay apiSync
	_ = json.Unmarshal(body, &replay)
	if (st != http.StatusOK && st != http.StatusAccepted) || replay.ID != sa.ID {
		t.Errorf("replay of A's key after the upgrade: %d %s, want the first answer, sync %s", st, body, sa.ID)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	status, err := store.ReadSchemaStatus(context.Background(), w.db.URL, store.Options{})
	if err != nil || status.Legacy || status.Database != status.Binary {
		t.Errorf("schema after the upgrade: %+v %v", status, err)
	}
}
