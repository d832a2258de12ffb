package bench

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/naversync/naversync/naver/navertest"
	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/store/storetest"
)

// TestRunTiny runs every scenario in a tiny configuration and checks only structure: every sync
// succeeded (Run fails otherwise) and every number that must be positive is.
func TestRunTiny(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the engine")
	}
	pg := os.Getenv(storetest.EnvDatabaseURL)
	cfg := Config{
		PostgresURL: pg, SkipPostgres: pg == "", TempDir: t.TempDir(),
		LockSyncs: 2, LockDays: 3, ProcessRatio: 2,
		IdleWorkers: 2, IdleCustomers: 3, IdleSyncs: 2, IdleDays: 3,
		HandoffCustomers: 2, HandoffSyncs: 3,
		ProcDays: 3, ProcCampaigns: 2, ProcAdgroups: 2, ProcKeywords: 3, ProcProcs: 2,
		APIRequests: 20, APIConcurrency: 4,
		FetchDays: 2, FetchYearDays: 3, FetchLatency: time.Millisecond, FetchBuild: 5 * time.Millisecond, FetchBuildSpread: 5 * time.Millisecond,
		Progress: func(msg string) { t.Log(msg) },
	}
	rep, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ran := 0
	for _, d := range rep.Databases {
		if d.Skipped != "" {
			t.Logf("%s: %s", d.Name, d.Skipped)
			continue
		}
		ran++
		l := d.LockScope
		positive(t, d.Name+" lock scope", l.Fetch, l.Process, l.Makespan, l.Bound, l.OldMakespan)
		if want := 2 * cfg.LockSyncs * cfg.LockDays; l.Calls.Reports < want {
			t.Errorf("%s: %d reports counted, want at least %d: %+v", d.Name, l.Calls.Reports, want, l.Calls)
		}
		if l.Calls.SheetRequests <= 0 || l.RowsPerSync <= 0 {
			t.Errorf("%s: sheets requests %d, rows %d", d.Name, l.Calls.SheetRequests, l.RowsPerSync)
		}
		if u := d.Idle.Utilization(); u <= 0 || u > 1.0001 {
			t.Errorf("%s: utilization %v out of (0, 1]", d.Name, u)
		}
		if want := cfg.HandoffCustomers * (cfg.HandoffSyncs - 1); d.Handoff.Gaps.N != want {
			t.Errorf("%s: %d hand-offs, want %d", d.Name, d.Handoff.Gaps.N, want)
		}
		if d.API.Create.Latency.N != cfg.APIRequests || d.API.Get.Latency.N != cfg.APIRequests {
			t.Errorf("%s: API requests measured %d and %d, want %d", d.Name, d.API.Create.Latency.N, d.API.Get.Latency.N, cfg.APIRequests)
		}
		positive(t, d.Name+" api", d.API.Create.Latency.P50, d.API.Get.Latency.P50)
	}
	if ran == 0 {
		t.Fatal("no database ran")
	}
	p := rep.Processing
	if p.InputRows <= 0 || p.SheetRows <= 0 || p.Elapsed <= 0 || p.PeakHeapInUse == 0 || p.Calls.Reports != 2*cfg.ProcDays {
		t.Errorf("processing: %+v", p)
	}
	if f := rep.Fetch; f == nil || len(f.Runs) != 2 {
		t.Errorf("fetch scenario: %+v", f)
	} else {
		for _, run := range f.Runs {
			if len(run.Syncs) != 2 {
				t.Fatalf("%s: %d syncs", run.Name, len(run.Syncs))
			}
			for _, s := range run.Syncs {
				positive(t, run.Name, s.Hold, s.Bound)
				if s.Calls < s.MinCalls || s.MinCalls <= 0 || s.Wire <= 0 {
					t.Errorf("%s: %+v", run.Name, s)
				}
			}
		}
	}
	var text, md bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteMarkdown(&md, "naversync bench"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"lock scope", "hand-off", "processing", "API GET", "Naver's costs"} {
		if !strings.Contains(text.String(), want) || !strings.Contains(md.String(), want) {
			t.Errorf("output lacks %q:\n%s\n%s", want, text.String(), md.String())
		}
	}
	t.Logf("\n%s", text.String())
}

// TestTabsTiny runs scenario 9 with a tiny account and checks its structure: both syncs
// succeeded (Run fails otherwise), every report type of the three tabs was created once per
// day, the Sheets requests were counted per tab, and every tab was built.
func TestTabsTiny(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the engine")
	}
	cfg := Config{
		TempDir: t.TempDir(), TabsOnly: true, TabsDays: 4, TabsMorningDays: 2,
		ProcCampaigns: 2, ProcAdgroups: 2, ProcKeywords: 3, ProcProcs: 2,
		FetchLatency: time.Millisecond, FetchBuild: 5 * time.Millisecond, FetchBuildSpread: 5 * time.Millisecond,
		Progress: func(msg string) { t.Log(msg) },
	}
	rep, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	y := rep.Tabs
	if y == nil || len(y.Kinds) != 3 || len(y.Titles) != 3 {
		t.Fatalf("tabs: %+v", y)
	}
	positive(t, "year", y.Year.Hold, y.Year.Bound, y.Morning.Hold, y.Morning.Bound)
	if len(y.Reports) != 5 {
		t.Errorf("report types: %+v", y.Reports)
	}
	for _, tr := range y.Reports {
		if !tr.Once() || tr.Expected != cfg.TabsDays {
			t.Errorf("%+v: want %d days, each created once", tr, cfg.TabsDays)
		}
	}
	if y.MaxJobs <= 0 || y.MaxJobs > y.JobCap || y.Evicted != 0 {
		t.Errorf("jobs at Naver: most %d, evicted %d", y.MaxJobs, y.Evicted)
	}
	for _, use := range [][]SheetUse{y.YearSheets, y.MorningSheets} {
		if len(use) != 4 {
			t.Fatalf("sheet use: %+v", use)
		}
		sum := 0
		for i, u := range use[:3] {
			if u.Tab != y.Titles[i] || u.Requests <= 0 || u.Sent <= 0 || u.Received <= 0 {
				t.Errorf("tab %d: %+v", i, u)
			}
			sum += u.Requests
		}
		if all := use[3]; all.Requests < sum {
			t.Errorf("in all %d requests, tabs %d", all.Requests, sum)
		}
	}
	if len(y.Build.Rows) != 3 || y.Build.Elapsed <= 0 || y.Build.PeakHeapInUse == 0 {
		t.Errorf("build: %+v", y.Build)
	}
	for i, n := range y.Build.Rows {
		if n <= 0 {
			t.Errorf("%s: %d rows", y.Kinds[i], n)
		}
	}
	var text, md bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteMarkdown(&md, "naversync bench -tabs-only"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"9 all three tabs", "reports created", "morning", y.Titles[1], y.Titles[2]} {
		if !strings.Contains(text.String(), want) || !strings.Contains(md.String(), want) {
			t.Errorf("output lacks %q:\n%s\n%s", want, text.String(), md.String())
		}
	}
	t.Logf("\n%s", text.String())
}

func positive(t *testing.T, what string, ds ...time.Duration) {
	t.Helper()
	for i, d := range ds {
		if d <= 0 {
			t.Errorf("%s: value %d is %v, want > 0", what, i, d)
		}
	}
}

// at is a time offset from a fixed origin, for synthetic timings.
func at(ms int) *time.Time {
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(ms) * time.Millisecond)
	return &t
}

func syncOf(customer string, queued, acquired, released int) service.Sync {
	return service.Sync{CustomerID: customer, Timings: service.Timings{QueuedAt: *at(queued), LockAcquiredAt: at(acquired), LockReleasedAt: at(released)}}
}

func TestUtilization(t *testing.T) {
	tests := []struct {
		name           string
		workers        int
		syncs          []service.Sync
		busy, possible time.Duration
	}{
		{"two workers, both always busy", 2, []service.Sync{
			syncOf("a", 0, 0, 100), syncOf("b", 0, 0, 100),
		}, 200 * time.Millisecond, 200 * time.Millisecond},
		{"a slow hand-off is idle time", 1, []service.Sync{
			syncOf("a", 0, 0, 100), syncOf("a", 0, 150, 250),
		}, 200 * time.Millisecond, 250 * time.Millisecond},
		{"one customer cannot use two workers", 2, []service.Sync{
			syncOf("a", 0, 0, 100), syncOf("a", 0, 100, 200),
		}, 200 * time.Millisecond, 200 * time.Millisecond},
		{"a second worker idle while a customer waits", 2, []service.Sync{
			syncOf("a", 0, 0, 100), syncOf("b", 0, 50, 100),
		}, 150 * time.Millisecond, 200 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			busy, possible := utilization(tt.syncs, tt.workers)
			if busy != tt.busy || possible != tt.possible {
				t.Errorf("busy %v possible %v, want %v and %v", busy, possible, tt.busy, tt.possible)
			}
		})
	}
}

func TestHandoffGaps(t *testing.T) {
	syncs := []service.Sync{
		syncOf("a", 0, 0, 100),
		syncOf("a", 0, 103, 200),   // waited: gap 3ms
		syncOf("a", 500, 500, 600), // queued after the release: not a hand-off
		syncOf("b", 0, 10, 50),
		syncOf("b", 20, 60, 70), // waited: gap 10ms
	}
	got := quantiles(handoffGaps(syncs))
	if got.N != 2 || got.P50 != 3*time.Millisecond || got.Max != 10*time.Millisecond {
		t.Errorf("got %+v, want 2 gaps of 3ms and 10ms", got)
	}
}

func TestQuantiles(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	q := quantiles(ds)
	if q.N != 100 || q.P50 != 50*time.Millisecond || q.P99 != 99*time.Millisecond || q.Max != 100*time.Millisecond {
		t.Errorf("got %+v", q)
	}
	if z := quantiles(nil); z != (Quantiles{}) {
		t.Errorf("empty sample: %+v", z)
	}
}

func TestCountCalls(t *testing.T) {
	reqs := []navertest.Request{
		{Customer: "1", Method: "POST", Path: "/stat-reports", ReportType: "AD", Status: 200},
		{Customer: "1", Method: "GET", Path: "/stat-reports/7", Status: 200},
		{Customer: "1", Method: "GET", Path: "/report-download", ReportType: "AD", Status: 200},
		{Customer: "1", Method: "DELETE", Path: "/stat-reports/7", Status: 204},
		{Customer: "1", Method: "POST", Path: "/master-reports", ReportType: "Keyword", Status: 200},
		{Customer: "1", Method: "GET", Path: "/report-download", ReportType: "Keyword", Status: 200},
		{Customer: "1", Method: "GET", Path: "/stat-reports", Status: 200}, // the job listing (100-job cap)
		{Customer: "2", Method: "POST", Path: "/stat-reports", ReportType: "AD", Status: 200},
	}
	c := countCalls(reqs, "1")
	want := Calls{Reports: 1, StatCalls: 4, Polls: 1, Deletes: 1, MasterCalls: 2, Listings: 1}
	if c != want {
		t.Fatalf("got %+v, want %+v", c, want)
	}
	if c.PerReport() != 4 || c.PerReportNoDelete() != 3 {
		t.Errorf("per report %v, without delete %v", c.PerReport(), c.PerReportNoDelete())
	}
}

// TestFleetTiny runs scenario 8 with a small fleet and checks its structure: both phases ran,
// every sync succeeded, and the Sheets requests were counted per identity and project within
// the stand-in's quota.
func TestFleetTiny(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the engine")
	}
	pg := os.Getenv(storetest.EnvDatabaseURL)
	cfg := Config{
		PostgresURL: pg, SkipPostgres: pg == "", TempDir: t.TempDir(), FleetOnly: true,
		FleetAccounts: 6, FleetCustomers: 3, FleetIdentities: 2, FleetReplicas: 1,
		FleetFetchWorkers: 2, FleetProcessWorkers: 2, FleetFirstDays: 3, FleetRefreshDays: 2,
		FleetSheetsLatency: time.Millisecond, FleetQuotaWindow: 2 * time.Second,
		FleetReadsPerUser: 1000, FleetWritesPerUser: 1000, FleetReadsPerProject: 1000, FleetWritesPerProject: 1000,
		FetchLatency: time.Millisecond, FetchBuild: 5 * time.Millisecond, FetchBuildSpread: 5 * time.Millisecond, FetchLimit: 1000,
		Progress: func(msg string) { t.Log(msg) },
	}
	if pg != "" {
		cfg.FleetReplicas = 2
	}
	rep, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	f := rep.Fleet
	if f == nil || len(f.Phases) != 2 {
		t.Fatalf("fleet: %+v", f)
	}
	// Measuring the morning alone: the first sync is setup.
	cfg.FleetMorningOnly = true
	only, err := Run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if g := only.Fleet; g == nil || len(g.Phases) != 1 || g.Phases[0].Name != "morning refresh" || g.Phases[0].Succeeded != cfg.FleetAccounts || g.Unmeasured == "" {
		t.Errorf("morning only: %+v", g)
	}
	for _, p := range f.Phases {
		if p.Syncs != cfg.FleetAccounts || p.Succeeded != p.Syncs || p.Failed != 0 {
			t.Errorf("%s: %d syncs, %d succeeded, %d failed %v", p.Name, p.Syncs, p.Succeeded, p.Failed, p.FailedKinds)
		}
		positive(t, p.Name, p.Makespan, p.NaverBound, p.GoogleBound)
		if p.NaverMinCalls <= 0 || p.NaverCalls < p.NaverMinCalls || p.SheetWrites < p.Syncs || p.SheetReads <= 0 {
			t.Errorf("%s: calls %d (fewest %d), sheet reads %d, writes %d", p.Name, p.NaverCalls, p.NaverMinCalls, p.SheetReads, p.SheetWrites)
		}
		if len(p.Identities) != cfg.FleetIdentities || len(p.Projects) != 1 {
			t.Errorf("%s: identities %+v, projects %+v", p.Name, p.Identities, p.Projects)
		}
		for _, u := range p.Identities {
			if u.MaxWrites <= 0 || u.MaxWrites > u.Writes {
				t.Errorf("%s: %+v", p.Name, u)
			}
		}
	}
	var text, md bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteMarkdown(&md, "naversync bench -fleet"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"8 fleet", "first sync", "morning refresh", fleetIdentity(0)} {
		if !strings.Contains(text.String(), want) || !strings.Contains(md.String(), want) {
			t.Errorf("output lacks %q:\n%s\n%s", want, text.String(), md.String())
		}
	}
	t.Logf("\n%s", text.String())
}

func TestMaxInWindow(t *testing.T) {
	at := func(s ...int) []time.Time {
		var out []time.Time
		for _, v := range s {
			out = append(out, time.Unix(int64(v), 0))
		}
		return out
	}
	tests := []struct {
		name string
		ts   []time.Time
		want int
	}{
		{"none", nil, 0},
		{"one", at(5), 1},
		{"a window is half open", at(0, 60, 120), 1},
		{"unsorted", at(100, 0, 59, 30, 61), 3},
	}
	for _, tt := range tests {
		if got := maxInWindow(tt.ts, time.Minute); got != tt.want {
			t.Errorf("%s: got %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestProjectOf(t *testing.T) {
	for in, want := range map[string]string{
		"a@proj-1.iam.gserviceaccount.com":           "proj-1",
		"someone@example.com":                        "default",
		"naversync@stand-in.iam.gserviceaccount.com": "stand-in",
		"@.iam.gserviceaccount.com":                  "default",
	} {
		if got := projectOf(in); got != want {
			t.Errorf("projectOf(%q) = %q, want %q", in, got, want)
		}
	}
}
