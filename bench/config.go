package bench

import (
	"log/slog"
	"time"

	"github.com/naversync/naversync/config"
)

// DefaultPostgresURL is the database the benchmark creates its temporary schemas in.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Config sizes the benchmark. Zero values take the defaults noted on each field, which keep a
// whole run (both databases) within a minute or two on a small machine.
type Config struct {
	// PostgresURL is where a fresh schema per scenario is created (search_path) and dropped;
	// default DefaultPostgresURL. When it cannot be reached the PostgreSQL runs are skipped.
	PostgresURL string
	// SkipPostgres runs SQLite only.
	SkipPostgres bool
	// TempDir holds the SQLite databases, files and spills; default os.MkdirTemp.
	TempDir string

	// NaverLatency is the simulator's latency per API call; default 1ms.
	NaverLatency time.Duration
	// BuildDelay is how long the simulator takes to build a stat report; default 10ms.
	BuildDelay time.Duration
	// ReportWindow is the engine's outstanding Naver jobs per sync; default the service's (40).
	ReportWindow int

	// LockSyncs (K) full syncs of one customer, each of LockDays days; defaults 4 and 120
	// (365 is the configuration; it takes about three times as long).
	LockSyncs, LockDays int
	// ProcessRatio is processing time over fetch time the Sheets latency is calibrated to;
	// default 4 (the seed: fetch 3 min, processing 12 min per 50 days).
	ProcessRatio float64

	// IdleWorkers (W) fetch workers; IdleCustomers (C > W) customers with IdleSyncs syncs of
	// IdleDays days each; defaults 4, 8, 3, 20.
	IdleWorkers, IdleCustomers, IdleSyncs, IdleDays int

	// HandoffCustomers customers with HandoffSyncs queued syncs of 2 days each, and twice as
	// many fetch workers so a free worker always waits; defaults 4 and 26 (100 hand-offs).
	HandoffCustomers, HandoffSyncs int

	// ProcDays of a large account (ProcCampaigns × ProcAdgroups ad groups × ProcKeywords
	// keywords) are fetched and then processed with GOMAXPROCS = ProcProcs; defaults 365,
	// 10, 20, 12 (2,400 keywords, 5,200 AD rows a day) and 2.
	ProcDays, ProcCampaigns, ProcAdgroups, ProcKeywords, ProcProcs int
	// ProcRuns is how many times scenario 4 runs (its median is reported); default 1, or 3
	// with a baseline.
	ProcRuns int
	// ProcBaseline, when set, is a git revision whose own scenario 4 runs beside today's, one
	// run of each per round (ProcessingBaseline): its tree is taken from the repository at
	// ProcRepo (default ".") with git archive and built in a temporary directory. When the
	// commit is absent or does not build, the report says so and today's figures stand alone.
	ProcBaseline, ProcRepo string
	// ProcCPUProfile, when set, receives the CPU profile of today's measured processing (the
	// last run's), and ProcCPUProfile+".baseline" the baseline's (its whole run).
	ProcCPUProfile string
	// ProcessingOnly runs only scenario 4 (with its baseline).
	ProcessingOnly bool

	// APIRequests of each kind (POST /syncs, GET /syncs/{id}) sent by APIConcurrency
	// goroutines; defaults 2000 and 16.
	APIRequests, APIConcurrency int

	// Scenario 7, fetch under Naver's costs: a first sync of FetchDays, then one of FetchYearDays,
	// of an account of the processing scenario's size; defaults 60 and 365. The simulator adds
	// FetchLatency per call (default 30ms), builds a report in FetchBuild plus up to
	// FetchBuildSpread (defaults 1s and 2s), gives each customer a link of FetchLink bytes per
	// second (default 1000000, 8 Mbit/s) and allows FetchLimit calls per second per customer
	// (default 25). The "before" run uses plain TSV at a fixed FetchBaseRate (default 10).
	FetchDays, FetchYearDays     int
	FetchLatency                 time.Duration
	FetchBuild, FetchBuildSpread time.Duration
	FetchLink                    int64
	FetchLimit, FetchBaseRate    float64
	// SkipFetch leaves scenario 7 out (it takes several minutes at its default size);
	// FetchOnly runs only it.
	SkipFetch, FetchOnly bool

	// Scenario 8, the fleet (run alone, with FleetOnly): FleetAccounts accounts (default 1000)
	// on FleetCustomers Naver customers (default 500), written by FleetIdentities Google
	// identities (default 5, in one project) through FleetReplicas service instances on one
	// PostgreSQL schema (default 2), each with FleetFetchWorkers fetch and FleetProcessWorkers
	// processing workers (defaults the deployment's: config.DefaultFetchWorkers and
	// config.DefaultProcessWorkers). Naver's costs are scenario 7's (FetchLatency,
	// FetchBuild, FetchBuildSpread, FetchLink, FetchLimit). The first sync covers
	// FleetFirstDays (default 14), the morning refresh fetches FleetRefreshDays again (default
	// 7). The Sheets stand-in answers each request after FleetSheetsLatency (default 200ms)
	// and enforces Google's quotas: FleetReadsPerUser and FleetWritesPerUser (default 60 each)
	// per identity and FleetReadsPerProject and FleetWritesPerProject (default 300 each) per
	// project, per FleetQuotaWindow (default a minute, as Google's). A phase waits at most
	// FleetTimeout (default 1h) for its syncs.
	FleetAccounts, FleetCustomers, FleetIdentities, FleetReplicas int
	FleetFetchWorkers, FleetProcessWorkers                        int
	FleetFirstDays, FleetRefreshDays                              int
	FleetSheetsLatency, FleetQuotaWindow, FleetTimeout            time.Duration
	FleetReadsPerUser, FleetWritesPerUser                         int
	FleetReadsPerProject, FleetWritesPerProject                   int
	// FleetMorningOnly measures only the morning: the first sync runs as part of the setup,
	// without quotas or Sheets latency (a fleet with one identity would spend over half an hour
	// of Google's quota time on it).
	FleetMorningOnly bool
	// FleetOnly runs only scenario 8 (it is not part of the default run: it takes many minutes
	// of Google's quota time).
	FleetOnly bool

	// Scenario 9, all three tabs (run alone, with TabsOnly): a sync of TabsDays (default 365)
	// of an account of the processing scenario's size with every tab, under scenario 7's Naver
	// costs, then a morning's sync of its last TabsMorningDays (default 3).
	TabsDays, TabsMorningDays int
	// TabsOnly runs only scenario 9 (it is not part of the default run: it takes several
	// minutes).
	TabsOnly bool

	// Progress, when set, gets a line as each scenario starts.
	Progress func(msg string)
	// Logger receives the engine's logs; default discards.
	Logger *slog.Logger
	// Now is the clock of the report's date; default time.Now. Measurements use real time.
	Now func() time.Time
}

func (c *Config) setDefaults() {
	def := func(p *int, v int) {
		if *p <= 0 {
			*p = v
		}
	}
	if c.PostgresURL == "" {
		c.PostgresURL = DefaultPostgresURL
	}
	if c.NaverLatency <= 0 {
		c.NaverLatency = time.Millisecond
	}
	if c.BuildDelay <= 0 {
		c.BuildDelay = 10 * time.Millisecond
	}
	def(&c.LockSyncs, 4)
	def(&c.LockDays, 120)
	if c.ProcessRatio <= 0 {
		c.ProcessRatio = 4
	}
	def(&c.IdleWorkers, 4)
	def(&c.IdleCustomers, 8)
	def(&c.IdleSyncs, 3)
	def(&c.IdleDays, 20)
	def(&c.HandoffCustomers, 4)
	def(&c.HandoffSyncs, 26)
	def(&c.ProcDays, 365)
	def(&c.ProcCampaigns, 10)
	def(&c.ProcAdgroups, 20)
	def(&c.ProcKeywords, 12)
	def(&c.ProcProcs, 2)
	if c.ProcBaseline != "" {
		def(&c.ProcRuns, 3)
	}
	def(&c.ProcRuns, 1)
	if c.ProcRepo == "" {
		c.ProcRepo = "."
	}
	def(&c.FetchDays, 60)
	def(&c.FetchYearDays, 365)
	if c.FetchLatency <= 0 {
		c.FetchLatency = 30 * time.Millisecond
	}
	if c.FetchBuild <= 0 {
		c.FetchBuild = time.Second
	}
	if c.FetchBuildSpread <= 0 {
		c.FetchBuildSpread = 2 * time.Second
	}
	if c.FetchLink <= 0 {
		c.FetchLink = 1_000_000
	}
	if c.FetchLimit <= 0 {
		c.FetchLimit = 25
	}
	if c.FetchBaseRate <= 0 {
		c.FetchBaseRate = 10
	}
	def(&c.TabsDays, 365)
	def(&c.TabsMorningDays, 3)
	def(&c.FleetAccounts, 1000)
	def(&c.FleetCustomers, 500)
	def(&c.FleetIdentities, 5)
	def(&c.FleetReplicas, 2)
	def(&c.FleetFetchWorkers, config.DefaultFetchWorkers)
	def(&c.FleetProcessWorkers, config.DefaultProcessWorkers(c.FleetIdentities))
	def(&c.FleetFirstDays, 14)
	def(&c.FleetRefreshDays, 7)
	def(&c.FleetReadsPerUser, 60)
	def(&c.FleetWritesPerUser, 60)
	def(&c.FleetReadsPerProject, 300)
	def(&c.FleetWritesPerProject, 300)
	if c.FleetSheetsLatency <= 0 {
		c.FleetSheetsLatency = 200 * time.Millisecond
	}
	if c.FleetQuotaWindow <= 0 {
		c.FleetQuotaWindow = time.Minute
	}
	if c.FleetTimeout <= 0 {
		c.FleetTimeout = time.Hour
	}
	def(&c.APIRequests, 2000)
	def(&c.APIConcurrency, 16)
	if c.Progress == nil {
		c.Progress = func(string) {}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}
