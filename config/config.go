// Package config reads naversync's configuration from the environment. Every variable has a
// default that just works on a laptop: SQLite under the data dir, Naver's and Google's real APIs.
package config

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

// DefaultFetchWorkers is how many syncs of a replica talk to Naver at once by default. A fetch
// is I/O-bound: it waits on Naver's build time and on the customer's own call rate (each worker
// holds a different customer), not on this machine. A morning of many customers finishes
// sooner with more customers in flight; 16 keeps a fleet's Naver waits overlapped while memory
// stays bounded (a fetch streams its downloads to the file store, NAVERSYNC_REPORT_WINDOW jobs
// at a time) and the database pool (on PostgreSQL, fetch + processing workers + 8 connections,
// set by cmd) serves the workers' short transactions. A single small account gains nothing from it and loses nothing either.
const DefaultFetchWorkers = 16

// DefaultBuildWorkers is how many syncs of a replica build their table at once by default:
// the number of cores (GOMAXPROCS), at least 2 and at most 8. Building (parsing and
// aggregating reports) is CPU-bound, so more builds than cores only queue for the CPU; at most
// 8 because each build holds up to twice the cores' days in memory, so memory grows with the
// product.
func DefaultBuildWorkers() int { return min(max(runtime.GOMAXPROCS(0), 2), 8) }

// DefaultProcessWorkers is how many syncs of a replica are processed and written at once by
// default, for a deployment of identities Google identities: the builds' default
// (DefaultBuildWorkers), and at least two per identity. A processing worker spends most of a
// small sync (a morning refresh) waiting on Google: on its identity's next quota slot and on
// the request's latency, not on the CPU; with one worker per identity an identity's slot goes
// unused whenever its worker is between requests, so two keep every identity's quota busy (the
// fleet benchmark: five identities, two replicas of 2 workers each wrote at 0.6 of the quota,
// 8 each at the quota). The builds stay bounded by NAVERSYNC_BUILD_WORKERS whatever this is.
func DefaultProcessWorkers(identities int) int {
	return max(DefaultBuildWorkers(), 2*max(identities, 1))
}

// Config is the whole service configuration. The zero value is not useful; use Load.
type Config struct {
	HTTPAddr       string // NAVERSYNC_HTTP_ADDR, default ":8080"
	DatabaseURL    string // NAVERSYNC_DATABASE_URL, default sqlite file <data dir>/naversync.db
	DataDir        string // NAVERSYNC_DATA_DIR, default ./data (or $XDG_DATA_HOME/naversync)
	FilesURL       string // NAVERSYNC_FILES_URL, where downloaded reports live; default file://<data dir>/files
	NaverBaseURL   string // NAVERSYNC_NAVER_BASE_URL, default https://api.searchad.naver.com
	SheetsEndpoint string // NAVERSYNC_SHEETS_ENDPOINT, default "" (Google's)
	// GoogleCredentialsFiles are the service-account JSON keys, one Google identity each (the
	// first is the default identity): NAVERSYNC_GOOGLE_CREDENTIALS_FILE (comma-separated paths),
	// then the *.json files of NAVERSYNC_GOOGLE_CREDENTIALS_DIR by name. None: one identity
	// without a key (a Sheets stand-in, or application default credentials).
	GoogleCredentialsFiles []string
	GoogleCredentialsDir   string        // NAVERSYNC_GOOGLE_CREDENTIALS_DIR: a folder of service-account keys (*.json)
	FetchWorkers           int           // NAVERSYNC_FETCH_WORKERS, default 16 (DefaultFetchWorkers)
	ProcessWorkers         int           // NAVERSYNC_PROCESS_WORKERS, default the cores (2 to 8), at least 2 per Google identity (DefaultProcessWorkers)
	BuildWorkers           int           // NAVERSYNC_BUILD_WORKERS, default the cores, 2 to 8 (DefaultBuildWorkers)
	SecretKey              []byte        // NAVERSYNC_SECRET_KEY: 32 bytes as 64 hex chars or base64; encrypts Naver secrets
	APITokens              []string      // NAVERSYNC_API_TOKENS: comma-separated bearer tokens
	RefreshSchedule        string        // NAVERSYNC_REFRESH_SCHEDULE, cron, default "0 6 * * *"
	Timezone               string        // NAVERSYNC_TIMEZONE, default Asia/Seoul
	SettleDays             int           // NAVERSYNC_SETTLE_DAYS: days a refresh re-fetches, default 7 (at least 2)
	SheetsScrubDays        int           // NAVERSYNC_SHEETS_SCRUB_DAYS: every value of a day kept in a tab is read back once in this many days, default 30 (1: at every write)
	LeaseTTL               time.Duration // NAVERSYNC_LEASE_TTL, default 30s
	ReportWindow           int           // NAVERSYNC_REPORT_WINDOW: report jobs outstanding per sync, default 40 (Naver caps 100 per customer)
	NaverMaxRate           int           // NAVERSYNC_NAVER_MAX_RATE: ceiling of a customer's adaptive Naver call rate per second, default 30
	NaverJobMargin         int           // NAVERSYNC_NAVER_JOB_MARGIN: of the customer's 100 jobs, how many a fetch leaves free beside other tools' jobs, default 10
	NaverJobsMaxWait       time.Duration // NAVERSYNC_NAVER_JOBS_MAX_WAIT: how long a sync waits for room among the customer's jobs before it fails, default 1h
	FileRetention          time.Duration // NAVERSYNC_FILE_RETENTION: how long a superseded download (an older version of a day) is kept, default 1h; current files are kept for refreshes
	LogLevel               string        // NAVERSYNC_LOG_LEVEL: debug|info|warn|error, default info

	// Google's Sheets quota, shared by every replica through the database (docs/design.md,
	// "Google's quota as a shared budget"): requests a minute per identity (a service account,
	// "per user per project") and per Google Cloud project, for reads and writes.
	SheetsReadsPerMinute         int // NAVERSYNC_SHEETS_READS_PER_MINUTE, default 60 (Google's per-user read quota)
	SheetsWritesPerMinute        int // NAVERSYNC_SHEETS_WRITES_PER_MINUTE, default 60 (Google's per-user write quota)
	SheetsProjectReadsPerMinute  int // NAVERSYNC_SHEETS_PROJECT_READS_PER_MINUTE, default 300 (Google's per-project read quota)
	SheetsProjectWritesPerMinute int // NAVERSYNC_SHEETS_PROJECT_WRITES_PER_MINUTE, default 300 (Google's per-project write quota)

	// OldSecretKeys (NAVERSYNC_SECRET_KEYS_OLD, comma-separated) still decrypt Naver secrets
	// encrypted before a key rotation; SecretKey encrypts. See README, "Rotating the secret key".
	OldSecretKeys [][]byte

	// HTTP server limits, against slow and idle clients (none of them may be 0).
	HTTPReadHeaderTimeout time.Duration // NAVERSYNC_HTTP_READ_HEADER_TIMEOUT, default 10s
	HTTPReadTimeout       time.Duration // NAVERSYNC_HTTP_READ_TIMEOUT: headers and body, default 30s
	HTTPWriteTimeout      time.Duration // NAVERSYNC_HTTP_WRITE_TIMEOUT: from the request's end to the answer's (not event streams), default 90s
	HTTPIdleTimeout       time.Duration // NAVERSYNC_HTTP_IDLE_TIMEOUT: a keep-alive connection between requests, default 120s
	HTTPMaxHeaderBytes    int           // NAVERSYNC_HTTP_MAX_HEADER_BYTES, default 65536
	HTTPMaxConns          int           // NAVERSYNC_HTTP_MAX_CONNS: open connections; beyond, 503 and closed; default 1000
	MaxStreamsPerToken    int           // NAVERSYNC_HTTP_MAX_STREAMS_PER_TOKEN: event streams open at once per token, default 32
	ShutdownTimeout       time.Duration // NAVERSYNC_SHUTDOWN_TIMEOUT: drain of in-flight requests, then of the workers, default 25s each
	MetricsToken          string        // NAVERSYNC_METRICS_TOKEN: when set, /metrics needs it (or an API token)
	SyncRetention         time.Duration // NAVERSYNC_SYNC_RETENTION: finished syncs older than this are deleted, default 90d; 0 keeps all
	// Migrate (NAVERSYNC_MIGRATE, default true) applies the schema's pending migrations at start,
	// under a PostgreSQL advisory lock. false: serve migrates nothing and refuses a database
	// behind its version (operators who run `naversync migrate up` as a separate step). A
	// database ahead of the binary is refused either way.
	Migrate        bool
	AuditRetention time.Duration // NAVERSYNC_AUDIT_RETENTION: audit entries older than this are deleted, default 400d; 0 keeps all

	// Notifications to webhook targets (README, "Notifications").
	Language        string        // NAVERSYNC_LANGUAGE: en|ko, the language of the notifications, default en
	PublicURL       string        // NAVERSYNC_PUBLIC_URL: the console's public address, for links in notifications; default none (no link)
	NotifyStaleAt   string        // NAVERSYNC_NOTIFY_STALE_AT: HH:MM (NAVERSYNC_TIMEZONE) by which a refreshed account must have synced that day, default 09:00
	NotifyRoomWait  time.Duration // NAVERSYNC_NOTIFY_ROOM_WAIT: a sync waiting this long for room among Naver's report jobs is notified, default 30m
	NotifyRetention time.Duration // NAVERSYNC_NOTIFY_RETENTION: finished deliveries older than this are deleted, default 30d
}

// DefaultReportWindow is NAVERSYNC_REPORT_WINDOW's default: with Naver's build times of seconds,
// about this many reports must be in flight for the call rate, not the build time, to bound a
// fetch (docs/benchmarks.md, scenario 7).
const DefaultReportWindow = 40

// Load reads the configuration through getenv (os.Getenv in main, a map in tests).
func Load(getenv func(string) string) (Config, error) {
	c := Config{
		HTTPAddr:        or(getenv("NAVERSYNC_HTTP_ADDR"), ":8080"),
		DataDir:         or(getenv("NAVERSYNC_DATA_DIR"), "data"),
		NaverBaseURL:    or(getenv("NAVERSYNC_NAVER_BASE_URL"), "https://api.searchad.naver.com"),
		SheetsEndpoint:  getenv("NAVERSYNC_SHEETS_ENDPOINT"),
		RefreshSchedule: or(getenv("NAVERSYNC_REFRESH_SCHEDULE"), "0 6 * * *"),
		Timezone:        or(getenv("NAVERSYNC_TIMEZONE"), "Asia/Seoul"),
		LogLevel:        or(getenv("NAVERSYNC_LOG_LEVEL"), "info"),
	}
	var errs []error
	c.GoogleCredentialsDir = strings.TrimSpace(getenv("NAVERSYNC_GOOGLE_CREDENTIALS_DIR"))
	keys, err := googleKeys(getenv("NAVERSYNC_GOOGLE_CREDENTIALS_FILE"), c.GoogleCredentialsDir)
	if err != nil {
		errs = append(errs, err)
	}
	c.GoogleCredentialsFiles = keys
	c.DatabaseURL = or(getenv("NAVERSYNC_DATABASE_URL"), filepath.Join(c.DataDir, "naversync.db"))
	c.FilesURL = getenv("NAVERSYNC_FILES_URL")
	if c.FilesURL == "" {
		abs, err := filepath.Abs(filepath.Join(c.DataDir, "files"))
		if err != nil {
			errs = append(errs, fmt.Errorf("NAVERSYNC_DATA_DIR: %w", err))
		}
		c.FilesURL = "file://" + filepath.ToSlash(abs)
	}
	intVar := func(name string, def, min int) int {
		v := getenv(name)
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < min {
			errs = append(errs, fmt.Errorf("%s=%q: want a whole number >= %d", name, v, min))
			return def
		}
		return n
	}
	durVar := func(name string, def time.Duration) time.Duration {
		v := getenv(name)
		if v == "" {
			return def
		}
		d, err := parseDuration(v)
		if err != nil || d < 0 {
			errs = append(errs, fmt.Errorf("%s=%q: want a duration such as 30s, 24h or 90d", name, v))
			return def
		}
		return d
	}
	positive := func(name string, def time.Duration) time.Duration {
		d := durVar(name, def)
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s=%q: want a duration above 0", name, getenv(name)))
			return def
		}
		return d
	}
	c.FetchWorkers = intVar("NAVERSYNC_FETCH_WORKERS", DefaultFetchWorkers, 1)
	c.ProcessWorkers = intVar("NAVERSYNC_PROCESS_WORKERS", DefaultProcessWorkers(len(keys)), 1)
	c.BuildWorkers = intVar("NAVERSYNC_BUILD_WORKERS", DefaultBuildWorkers(), 1)
	c.SettleDays = intVar("NAVERSYNC_SETTLE_DAYS", 7, 2)
	c.SheetsScrubDays = intVar("NAVERSYNC_SHEETS_SCRUB_DAYS", 30, 1)
	c.SheetsReadsPerMinute = intVar("NAVERSYNC_SHEETS_READS_PER_MINUTE", 60, 1)
	c.SheetsWritesPerMinute = intVar("NAVERSYNC_SHEETS_WRITES_PER_MINUTE", 60, 1)
	c.SheetsProjectReadsPerMinute = intVar("NAVERSYNC_SHEETS_PROJECT_READS_PER_MINUTE", 300, 1)
	c.SheetsProjectWritesPerMinute = intVar("NAVERSYNC_SHEETS_PROJECT_WRITES_PER_MINUTE", 300, 1)
	c.ReportWindow = intVar("NAVERSYNC_REPORT_WINDOW", DefaultReportWindow, 1)
	if c.ReportWindow > 80 {
		errs = append(errs, fmt.Errorf("NAVERSYNC_REPORT_WINDOW=%d: Naver keeps at most 100 report jobs per customer id, shared with other tools; use 80 or less", c.ReportWindow))
	}
	c.NaverJobMargin = intVar("NAVERSYNC_NAVER_JOB_MARGIN", 10, 1)
	if c.NaverJobMargin > 50 {
		errs = append(errs, fmt.Errorf("NAVERSYNC_NAVER_JOB_MARGIN=%d: want 50 or less (of Naver's 100 jobs per customer)", c.NaverJobMargin))
	}
	c.NaverJobsMaxWait = positive("NAVERSYNC_NAVER_JOBS_MAX_WAIT", time.Hour)
	c.NaverMaxRate = intVar("NAVERSYNC_NAVER_MAX_RATE", 30, 1)
	c.LeaseTTL = durVar("NAVERSYNC_LEASE_TTL", 30*time.Second)
	if c.LeaseTTL < time.Second {
		errs = append(errs, fmt.Errorf("NAVERSYNC_LEASE_TTL=%s: want at least 1s", c.LeaseTTL))
	}
	c.FileRetention = durVar("NAVERSYNC_FILE_RETENTION", time.Hour)
	c.HTTPReadHeaderTimeout = positive("NAVERSYNC_HTTP_READ_HEADER_TIMEOUT", 10*time.Second)
	c.HTTPReadTimeout = positive("NAVERSYNC_HTTP_READ_TIMEOUT", 30*time.Second)
	c.HTTPWriteTimeout = positive("NAVERSYNC_HTTP_WRITE_TIMEOUT", 90*time.Second)
	c.HTTPIdleTimeout = positive("NAVERSYNC_HTTP_IDLE_TIMEOUT", 120*time.Second)
	c.ShutdownTimeout = positive("NAVERSYNC_SHUTDOWN_TIMEOUT", 25*time.Second)
	c.HTTPMaxHeaderBytes = intVar("NAVERSYNC_HTTP_MAX_HEADER_BYTES", 64<<10, 4<<10)
	c.HTTPMaxConns = intVar("NAVERSYNC_HTTP_MAX_CONNS", 1000, 1)
	c.MaxStreamsPerToken = intVar("NAVERSYNC_HTTP_MAX_STREAMS_PER_TOKEN", 32, 1)
	c.MetricsToken = strings.TrimSpace(getenv("NAVERSYNC_METRICS_TOKEN"))
	c.SyncRetention = durVar("NAVERSYNC_SYNC_RETENTION", 90*24*time.Hour)
	if c.SyncRetention > 0 && c.SyncRetention < 48*time.Hour {
		errs = append(errs, fmt.Errorf("NAVERSYNC_SYNC_RETENTION=%s: want 0 (keep every sync) or at least 48h", c.SyncRetention))
	}
	c.Language = or(strings.TrimSpace(getenv("NAVERSYNC_LANGUAGE")), "en")
	if c.Language != "en" && c.Language != "ko" {
		errs = append(errs, fmt.Errorf("NAVERSYNC_LANGUAGE=%q: want en or ko", c.Language))
	}
	c.PublicURL = strings.TrimRight(strings.TrimSpace(getenv("NAVERSYNC_PUBLIC_URL")), "/")
	if c.PublicURL != "" && !strings.HasPrefix(c.PublicURL, "https://") && !strings.HasPrefix(c.PublicURL, "http://") {
		errs = append(errs, fmt.Errorf("NAVERSYNC_PUBLIC_URL=%q: want an http(s) address such as https://naversync.example.com", c.PublicURL))
	}
	c.NotifyStaleAt = or(strings.TrimSpace(getenv("NAVERSYNC_NOTIFY_STALE_AT")), "09:00")
	if _, err := time.Parse("15:04", c.NotifyStaleAt); err != nil {
		errs = append(errs, fmt.Errorf("NAVERSYNC_NOTIFY_STALE_AT=%q: want HH:MM", c.NotifyStaleAt))
	}
	c.NotifyRoomWait = positive("NAVERSYNC_NOTIFY_ROOM_WAIT", 30*time.Minute)
	c.NotifyRetention = positive("NAVERSYNC_NOTIFY_RETENTION", 30*24*time.Hour)
	c.Migrate = true
	if v := strings.TrimSpace(getenv("NAVERSYNC_MIGRATE")); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("NAVERSYNC_MIGRATE=%q: want true or false", v))
		}
		c.Migrate = b || err != nil
	}
	c.AuditRetention = durVar("NAVERSYNC_AUDIT_RETENTION", 400*24*time.Hour)
	if c.AuditRetention > 0 && c.AuditRetention < 24*time.Hour {
		errs = append(errs, fmt.Errorf("NAVERSYNC_AUDIT_RETENTION=%s: want 0 (keep every entry) or at least 24h", c.AuditRetention))
	}
	if _, err := time.LoadLocation(c.Timezone); err != nil {
		errs = append(errs, fmt.Errorf("NAVERSYNC_TIMEZONE=%q: %w", c.Timezone, err))
	}
	if v := getenv("NAVERSYNC_SECRET_KEY"); v != "" {
		k, err := ParseSecretKey(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("NAVERSYNC_SECRET_KEY: %w", err))
		}
		c.SecretKey = k
	}
	for i, v := range strings.Split(getenv("NAVERSYNC_SECRET_KEYS_OLD"), ",") {
		if v = strings.TrimSpace(v); v == "" {
			continue
		}
		k, err := ParseSecretKey(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("NAVERSYNC_SECRET_KEYS_OLD (key %d): %w", i+1, err))
			continue
		}
		c.OldSecretKeys = append(c.OldSecretKeys, k)
	}
	for _, t := range strings.Split(getenv("NAVERSYNC_API_TOKENS"), ",") {
		if t = strings.TrimSpace(t); t != "" {
			c.APITokens = append(c.APITokens, t)
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("NAVERSYNC_LOG_LEVEL=%q: want debug, info, warn or error", c.LogLevel))
	}
	return c, errors.Join(errs...)
}

// ParseSecretKey accepts a 32-byte AES-256 key as 64 hex characters or as base64.
func ParseSecretKey(v string) ([]byte, error) {
	if k, err := hex.DecodeString(v); err == nil && len(k) == 32 {
		return k, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(v); err == nil && len(k) == 32 {
			return k, nil
		}
	}
	return nil, errors.New("want 32 bytes as 64 hex characters or base64 (e.g. `openssl rand -hex 32`)")
}

// parseDuration is time.ParseDuration that also takes whole days: "90d".
func parseDuration(v string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(v, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil {
			return 0, err
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	return time.ParseDuration(v)
}

// Getenv is os.Getenv, named for callers that pass the environment in.
func Getenv(name string) string { return os.Getenv(name) }

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// googleKeys lists the service-account keys of NAVERSYNC_GOOGLE_CREDENTIALS_FILE (a
// comma-separated list) and NAVERSYNC_GOOGLE_CREDENTIALS_DIR (its *.json files, by name), and
// checks each: readable, a service-account key with a client_email, and no two of one service
// account (one identity, one key: two would share its quota unknowingly).
func googleKeys(files, dir string) ([]string, error) {
	var paths []string
	for _, f := range strings.Split(files, ",") {
		if f = strings.TrimSpace(f); f != "" {
			paths = append(paths, f)
		}
	}
	if dir != "" {
		found, err := filepath.Glob(filepath.Join(dir, "*.json"))
		if err != nil {
			return nil, fmt.Errorf("NAVERSYNC_GOOGLE_CREDENTIALS_DIR=%q: %w", dir, err)
		}
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("NAVERSYNC_GOOGLE_CREDENTIALS_DIR=%q: not a readable folder", dir)
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("NAVERSYNC_GOOGLE_CREDENTIALS_DIR=%q: no service-account key (*.json) in it", dir)
		}
		sort.Strings(found)
		paths = append(paths, found...)
	}
	var errs []error
	seen := map[string]string{} // client_email -> file
	var out []string
	for _, p := range paths {
		email, err := keyEmail(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("google credentials %s: %w", p, err))
			continue
		}
		if prev, dup := seen[email]; dup {
			if filepath.Clean(prev) != filepath.Clean(p) {
				errs = append(errs, fmt.Errorf("google credentials %s: a second key of %s (the first is %s): each key must be another service account; keep one", p, email, prev))
			}
			continue
		}
		seen[email] = p
		out = append(out, p)
	}
	return out, errors.Join(errs...)
}

// keyEmail reads a service-account key's client_email (lower case).
func keyEmail(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var k struct {
		Type        string `json:"type"`
		ClientEmail string `json:"client_email"`
		PrivateKey  string `json:"private_key"`
	}
	if err := json.Unmarshal(b, &k); err != nil {
		return "", fmt.Errorf("not a JSON key: %w", err)
	}
	if k.Type != "service_account" || k.ClientEmail == "" || k.PrivateKey == "" {
		return "", fmt.Errorf("not a service-account key (type %q, client_email %q): download a JSON key of a service account from Google Cloud's console", k.Type, k.ClientEmail)
	}
	return strings.ToLower(strings.TrimSpace(k.ClientEmail)), nil
}
