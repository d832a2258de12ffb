package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/naversync/naversync/config"
	"github.com/naversync/naversync/google/sheetstest"
	"github.com/naversync/naversync/naver/navertest"
	"github.com/naversync/naversync/report"
	"github.com/naversync/naversync/service"
)

// demoTrySheet is a spreadsheet of the stand-in, shared with the service, left free for an
// account added in the demo's console.
const demoTrySheet = "1TryItSheet-shared-with-naversync"

// demoAccount is one advertiser of the demo.
type demoAccount struct {
	name, customer, sheet string
	// tabs are the kinds of tab of the account's sheet (nil: the performance tab alone).
	tabs []string
}

// demo runs the real service on SQLite against the built-in simulators and shows the core
// idea: a customer's Naver lease is held only while fetching, so the next sync of the same
// customer fetches while the previous one is still being processed.
func demo(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	days := fs.Int("days", 365, "days of data per sync (Naver serves the last 365)")
	addr := fs.String("addr", "127.0.0.1:8080", "address of the API and the console (use :0 for any free port)")
	keep := fs.Bool("keep", false, "keep the service and console running after the demo's syncs finish (Ctrl-C ends)")
	dataDir := fs.String("data", "", "data directory (default: a new temporary directory, removed at the end)")
	buildDelay := fs.Duration("build-delay", 150*time.Millisecond, "how long the Naver simulator takes to build a report")
	latency := fs.Duration("latency", 5*time.Millisecond, "Naver simulator latency per call")
	keywords := fs.Int("keywords", 10, "keywords per ad group in the simulated accounts")
	sheetLatency := fs.Duration("sheet-latency", 300*time.Millisecond, "Sheets stand-in latency per request (writes take time at Google too)")
	verbose := fs.Bool("v", false, "log the service's own structured logs to stderr")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *days < 1 || *days > 365 {
		return fmt.Errorf("-days %d: Naver serves the last 365 days; choose 1 to 365", *days)
	}
	dir := *dataDir
	if dir == "" {
		d, err := os.MkdirTemp("", "naversync-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}

	// The simulators: real HTTP servers on loopback, as strict as the real APIs.
	nsim := navertest.New(navertest.Options{BuildDelay: *buildDelay, Latency: *latency})
	accounts := []demoAccount{
		{name: "Acme Shoes", customer: "1001", sheet: "acme-shoes-sheet"},
		{name: "Acme Bags", customer: "1001", sheet: "acme-bags-sheet"},
		// Blue Cafe also gets the search terms tab: what people searched for when its ads showed.
		{name: "Blue Cafe", customer: "2002", sheet: "blue-cafe-sheet", tabs: []string{string(report.KindPerformance), string(report.KindSearchTerms)}},
	}
	keys := map[string][2]string{}
	for i, c := range []string{"1001", "2002"} {
		key, secret := "demo-license-"+c, "demo-secret-"+c
		keys[c] = [2]string{key, secret}
		nsim.AddCustomer(navertest.Customer{ID: c, APIKey: key, SecretKey: secret, Campaigns: 3 + i, AdgroupsPerCampaign: 4, KeywordsPerAdgroup: *keywords, Seed: int64(i + 1)})
	}
	naverURL, stopNaver, err := serveLoopback(nsim)
	if err != nil {
		return err
	}
	defer stopNaver()
	ssim := sheetstest.NewServer(sheetstest.Options{})
	sheetsURL, stopSheets, err := serveLoopback(slowHandler(ssim, *sheetLatency))
	if err != nil {
		return err
	}
	defer stopSheets()
	// Two Google identities, as an agency past one identity's quota has: service-account keys
	// whose token_uri is the stand-in's, which knows each request's caller by its token. New
	// accounts go to the least-loaded; the demo's spreadsheets are shared with both.
	keyDir := filepath.Join(dir, "google-keys")
	if err := writeDemoKeys(keyDir, sheetsURL+"/token", demoIdentities); err != nil {
		return err
	}
	for _, a := range accounts {
		ssim.CreateSpreadsheet(a.sheet, demoIdentities...)
	}
	ssim.CreateSpreadsheet(demoTrySheet, demoIdentities...) // for the console's account form

	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return err
	}
	env := map[string]string{
		"NAVERSYNC_DATA_DIR":               dir,
		"NAVERSYNC_NAVER_BASE_URL":         naverURL,
		"NAVERSYNC_SHEETS_ENDPOINT":        sheetsURL,
		"NAVERSYNC_GOOGLE_CREDENTIALS_DIR": keyDir,
		"NAVERSYNC_SECRET_KEY":             hex.EncodeToString(secret),
		"NAVERSYNC_FETCH_WORKERS":          "2",
		"NAVERSYNC_PROCESS_WORKERS":        "3",
		"NAVERSYNC_LEASE_TTL":              "10s",
		"NAVERSYNC_LOG_LEVEL":              "info",
		// The stand-in answers at once: a quota 100 times Google's keeps the demo brisk while
		// its requests still go through the shared budget.
		"NAVERSYNC_SHEETS_READS_PER_MINUTE":          "6000",
		"NAVERSYNC_SHEETS_WRITES_PER_MINUTE":         "6000",
		"NAVERSYNC_SHEETS_PROJECT_READS_PER_MINUTE":  "30000",
		"NAVERSYNC_SHEETS_PROJECT_WRITES_PER_MINUTE": "30000",
	}
	cfg, err := config.Load(func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		return ""
	})
	if err != nil {
		return err
	}
	logOut := io.Discard
	if *verbose {
		logOut = stderr
	}
	log := newLogger(logOut, cfg.LogLevel)
	// The simulator's latencies are scaled down, and so is Naver's per-customer rate limit.
	a, err := newApp(ctx, cfg, log, appOptions{naverRate: 400, naverPoll: 50 * time.Millisecond, uiHandler: newConsole(), noAuth: true})
	if err != nil {
		return err
	}
	defer a.close()
	if err := a.start(ctx); err != nil {
		return err
	}
	bound, err := a.listen(*addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "naversync demo: SQLite in %s, Naver simulator at %s, Sheets stand-in at %s\n", dir, naverURL, sheetsURL)
	fmt.Fprintf(stdout, "console: http://%s/ui/   API: http://%s/syncs (no token needed in the demo)\n\n", bound, bound)

	t0 := time.Now()
	var ids []string
	var created []service.Account
	names := map[string]string{}
	for _, d := range accounts {
		kp := keys[d.customer]
		acct, err := a.svc.CreateAccount(ctx, service.AccountInput{Name: d.name, CustomerID: d.customer, APIKey: kp[0], SecretKey: kp[1],
			SpreadsheetID: d.sheet, SheetTab: "naver_ads", Level: service.LevelKeyword, Tabs: d.tabs, ValidateCredentials: true})
		if err != nil {
			return fmt.Errorf("create account %s: %w", d.name, err)
		}
		created = append(created, acct)
		// Full: each backfill asks Naver for every report itself, even where the other account
		// of the same customer id already downloaded it, so both syncs need the lease.
		sy, _, err := a.svc.EnqueueSync(ctx, service.SyncRequest{AccountID: acct.ID, Days: *days, Trigger: service.TriggerBackfill, Full: true})
		if err != nil {
			return fmt.Errorf("enqueue %s: %w", d.name, err)
		}
		ids = append(ids, sy.ID)
		names[sy.ID] = d.name
		fmt.Fprintf(stdout, "queued %s  %-10s customer %s  %s..%s  written by %s\n", short(sy.ID), d.name, d.customer, sy.From, sy.To, acct.GoogleIdentity)
	}
	fmt.Fprintln(stdout)

	final, err := watch(ctx, a.svc, ids, names, t0, stdout)
	if err != nil {
		return err
	}
	printSummary(stdout, final, names, accounts, t0)
	printSheets(stdout, ssim, sheetsURL, created)
	printNext(stdout, bound)
	fmt.Fprintf(stdout, "\nconsole: http://%s/ui/\n", bound)
	if *keep {
		fmt.Fprintln(stdout, "the service keeps running (-keep); Ctrl-C ends it")
		<-ctx.Done()
	}
	return nil
}

// watch prints a line whenever a sync's phase or progress moves, until all are terminal.
func watch(ctx context.Context, svc *service.Service, ids []string, names map[string]string, t0 time.Time, w io.Writer) (map[string]service.Sync, error) {
	last := map[string]string{}
	final := map[string]service.Sync{}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		done := 0
		for _, id := range ids {
			s, err := svc.GetSync(ctx, id)
			if err != nil {
				return nil, err
			}
			final[id] = s
			p := s.Progress
			bucket := 0
			if p.ReportsTotal > 0 {
				bucket = 10 * p.ReportsFetched / p.ReportsTotal
			}
			key := fmt.Sprintf("%s/%d/%d", s.Phase, bucket, p.RowsProcessed/5000)
			if key != last[id] {
				last[id] = key
				line := fmt.Sprintf("%6.2fs  %-10s %-11s %-20s reports %4d/%-4d rows %7d", time.Since(t0).Seconds(), names[id], s.Status, s.Phase, p.ReportsFetched, p.ReportsTotal, p.RowsProcessed)
				if s.Error != nil {
					line += "  error: " + s.Error.Message
				}
				fmt.Fprintln(w, line)
			}
			if s.Terminal() {
				done++
			}
		}
		if done == len(ids) {
			return final, nil
		}
		select {
		case <-ctx.Done():
			return final, ctx.Err()
		case <-tick.C:
		}
	}
}

func printSummary(w io.Writer, final map[string]service.Sync, names map[string]string, accounts []demoAccount, t0 time.Time) {
	rel := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return fmt.Sprintf("%.2fs", t.Sub(t0).Seconds())
	}
	fmt.Fprintln(w, "\nWhen each customer's Naver lease was held, and by whom:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "customer\tsync\taccount\tlease held\tprocessing\tfinished\tstatus")
	for _, c := range []string{"1001", "2002"} {
		for _, id := range orderedIDs(final) {
			s := final[id]
			if s.CustomerID != c {
				continue
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s .. %s\t%s ..\t%s\t%s\n", c, short(id), names[id], rel(s.Timings.LockAcquiredAt), rel(s.Timings.LockReleasedAt),
				rel(s.Timings.ProcessingStartedAt), rel(s.Timings.FinishedAt), s.Status)
		}
	}
	tw.Flush()
	// The core idea, in one sentence, from the recorded timings.
	var first, second *service.Sync
	for _, id := range orderedIDs(final) {
		s := final[id]
		if s.CustomerID != accounts[0].customer || s.Timings.LockAcquiredAt == nil {
			continue
		}
		if first == nil {
			first = &s
		} else if second == nil {
			second = &s
		}
	}
	if first != nil && second != nil && first.Timings.LockReleasedAt != nil && first.Timings.FinishedAt != nil {
		a, b := first, second
		if b.Timings.LockAcquiredAt.Before(*a.Timings.LockAcquiredAt) {
			a, b = b, a
		}
		gap := b.Timings.LockAcquiredAt.Sub(*a.Timings.LockReleasedAt)
		fmt.Fprintf(w, "\n%s released customer %s's lease at %s; %s took it %s later and fetched while %s was still processing (until %s).\n",
			names[a.ID], a.CustomerID, rel(a.Timings.LockReleasedAt), names[b.ID], gap.Round(time.Millisecond), names[a.ID], rel(a.Timings.FinishedAt))
	}
}

func orderedIDs(m map[string]service.Sync) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	// UUIDv7 ids sort by creation time.
	for i := 1; i < len(ids); i++ {
		for j := i; j > 0 && ids[j] < ids[j-1]; j-- {
			ids[j], ids[j-1] = ids[j-1], ids[j]
		}
	}
	return ids
}

// printSheets prints the first rows of every tab of each account, naming the tab and its kind.
func printSheets(w io.Writer, ssim *sheetstest.Server, sheetsURL string, accounts []service.Account) {
	fmt.Fprintln(w, "\nThe sheets (first rows of each tab; the whole table is readable from the stand-in):")
	for _, a := range accounts {
		for _, kind := range a.Tabs {
			printTab(w, ssim, sheetsURL, a, kind)
		}
	}
}

// printTab prints the first rows of an account's tab of a kind.
func printTab(w io.Writer, ssim *sheetstest.Server, sheetsURL string, a service.Account, kind string) {
	title := a.TabTitles[kind]
	vals := ssim.Values(a.SpreadsheetID, title)
	fmt.Fprintf(w, "\n%s: tab %q (%s), %d rows  %sv4/spreadsheets/%s/values/%s\n", a.Name, title, strings.ReplaceAll(kind, "_", " "),
		max(len(vals)-1, 0), sheetsURL, a.SpreadsheetID, url.PathEscape(title))
	if len(vals) == 0 {
		return
	}
	var table [][]string
	for i, row := range vals[:min(len(vals), 5)] {
		cells := make([]string, len(vals[0]))
		for j := range cells {
			if j < len(row) {
				cells[j] = cellText(row[j], vals[0][j], i == 0)
			}
		}
		table = append(table, cells)
	}
	printAligned(w, table)
}

// printAligned prints rows in columns two spaces apart, measuring Korean (wide) characters as
// two columns, as terminals show them (text/tabwriter counts them as one).
func printAligned(w io.Writer, rows [][]string) {
	widths := map[int]int{}
	for _, row := range rows {
		for j, c := range row {
			widths[j] = max(widths[j], displayWidth(c))
		}
	}
	for _, row := range rows {
		var b strings.Builder
		b.WriteString("  ")
		for j, c := range row {
			b.WriteString(c)
			if j < len(row)-1 {
				b.WriteString(strings.Repeat(" ", widths[j]-displayWidth(c)+2))
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// displayWidth is how many terminal columns s takes: two for Hangul and CJK characters.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case r >= 0x1100 && r <= 0x115F, r >= 0x2E80 && r <= 0xA4CF, r >= 0xAC00 && r <= 0xD7A3, r >= 0xF900 && r <= 0xFAFF, r >= 0xFF00 && r <= 0xFF60:
			n += 2
		default:
			n++
		}
	}
	return n
}

// cellText shows one sheet value as the sheet's formats would: dates as dates, rates as
// percentages, money and counts in full with grouping, an empty cell (a CPC without clicks) as
// a blank.
func cellText(v, header any, isHeader bool) string {
	x, ok := v.(float64)
	switch {
	case v == nil:
		return ""
	case isHeader || !ok:
		return fmt.Sprint(v)
	}
	switch header {
	case "Date":
		// The date column holds Sheets' serial day numbers.
		return time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(x)).Format("2006-01-02")
	case "CTR", "ROAS":
		return strconv.FormatFloat(x*100, 'f', 2, 64) + "%"
	}
	if x == math.Trunc(x) && math.Abs(x) < 1e15 {
		return group(strconv.FormatInt(int64(x), 10))
	}
	whole, frac, _ := strings.Cut(strconv.FormatFloat(x, 'f', 2, 64), ".")
	return group(whole) + "." + frac
}

// group puts thousands separators into an integer's digits.
func group(digits string) string {
	sign := ""
	if strings.HasPrefix(digits, "-") {
		sign, digits = "-", digits[1:]
	}
	var b strings.Builder
	for i, r := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return sign + b.String()
}

// printNext says how to go on from the demo: try the console's account form on the simulator,
// then add a real advertiser.
func printNext(w io.Writer, bound string) {
	fmt.Fprintf(w, `
Next: add an advertiser of your own.
  Try it here: open http://%[1]s/ui/, press "Add account" and use the simulator's customer
    1001 (API key demo-license-1001, secret key demo-secret-1001) with the spreadsheet
    %[2]s; "Check credentials" and "Check sheet access" answer as Naver and Google would.
  For real: in Naver's Search Ad system (searchad.naver.com, Tools > API manager) copy the API
    key, the secret key and the customer id; share the spreadsheet as an editor with the
    address the console's account form shows (the account's Google identity); run "naversync
    serve" with NAVERSYNC_SECRET_KEY, NAVERSYNC_API_TOKENS and NAVERSYNC_GOOGLE_CREDENTIALS_FILE
    (several keys, or NAVERSYNC_GOOGLE_CREDENTIALS_DIR: README, "More than one Google
    identity"); then add the account in the console at /ui/ (paste the spreadsheet's address),
    or with POST /accounts.
`, bound, demoTrySheet)
}

func short(id string) string {
	if len(id) > 8 {
		return id[len(id)-8:]
	}
	return id
}

// serveLoopback serves h on a free loopback port and returns its base URL.
func serveLoopback(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(os.Stderr, "simulator:", err)
		}
	}()
	return "http://" + ln.Addr().String() + "/", func() { _ = srv.Close() }, nil
}

// slowHandler adds latency to every request, as a remote API has.
func slowHandler(h http.Handler, d time.Duration) http.Handler {
	if d <= 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
		h.ServeHTTP(w, r)
	})
}

// demoIdentities are the demo's Google identities (service accounts of one project).
var demoIdentities = []string{"naversync@demo-project.iam.gserviceaccount.com", "naversync-2@demo-project.iam.gserviceaccount.com"}

// writeDemoKeys writes a service-account key per identity into dir, their token_uri tokenURL.
func writeDemoKeys(dir, tokenURL string, identities []string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("demo keys: %w", err)
	}
	for i, email := range identities {
		key, err := sheetstest.ServiceAccountKey(email, tokenURL)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("identity-%d.json", i+1)), key, 0o600); err != nil {
			return fmt.Errorf("demo keys: %w", err)
		}
	}
	return nil
}
