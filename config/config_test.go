package config

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaultsJustWork(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != ":8080" || c.FetchWorkers != 16 || c.ProcessWorkers != min(max(runtime.GOMAXPROCS(0), 2), 8) || c.Timezone != "Asia/Seoul" ||
		c.RefreshSchedule != "0 6 * * *" || c.LeaseTTL != 30*time.Second || c.ReportWindow != 40 ||
		c.NaverBaseURL != "https://api.searchad.naver.com" || c.SettleDays != 7 || c.NaverMaxRate != 30 || c.SheetsScrubDays != 30 ||
		c.SheetsReadsPerMinute != 60 || c.SheetsWritesPerMinute != 60 || c.SheetsProjectReadsPerMinute != 300 || c.SheetsProjectWritesPerMinute != 300 {
		t.Errorf("defaults: %+v", c)
	}
	if !strings.HasSuffix(c.DatabaseURL, "naversync.db") || !strings.HasPrefix(c.FilesURL, "file://") {
		t.Errorf("database %q files %q, want SQLite and a local directory under the data dir", c.DatabaseURL, c.FilesURL)
	}
}

func TestBadValuesAreNamed(t *testing.T) {
	cases := map[string]string{
		"NAVERSYNC_FETCH_WORKERS":     "zero",
		"NAVERSYNC_SETTLE_DAYS":       "1",
		"NAVERSYNC_SHEETS_SCRUB_DAYS": "0",
		"NAVERSYNC_REPORT_WINDOW":     "99",
		"NAVERSYNC_LEASE_TTL":         "5ms",
		"NAVERSYNC_NAVER_MAX_RATE":    "0",
		"NAVERSYNC_TIMEZONE":          "Mars/Olympus",
		"NAVERSYNC_SECRET_KEY":        "short",
		"NAVERSYNC_LOG_LEVEL":         "loud",

		"NAVERSYNC_HTTP_READ_TIMEOUT":          "0s",
		"NAVERSYNC_HTTP_IDLE_TIMEOUT":          "forever",
		"NAVERSYNC_HTTP_MAX_CONNS":             "0",
		"NAVERSYNC_HTTP_MAX_HEADER_BYTES":      "10",
		"NAVERSYNC_HTTP_MAX_STREAMS_PER_TOKEN": "-1",
		"NAVERSYNC_SHUTDOWN_TIMEOUT":           "0",
		"NAVERSYNC_SYNC_RETENTION":             "1h",
		"NAVERSYNC_AUDIT_RETENTION":            "2h",
		"NAVERSYNC_SECRET_KEYS_OLD":            "short",
	}
	for name, value := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Load(env(map[string]string{name: value}))
			if err == nil || !strings.Contains(err.Error(), name) {
				t.Fatalf("err = %v, want one naming %s", err, name)
			}
		})
	}
}

func TestSecretKeyAndTokens(t *testing.T) {
	hexKey := strings.Repeat("ab", 32)
	c, err := Load(env(map[string]string{"NAVERSYNC_SECRET_KEY": hexKey, "NAVERSYNC_API_TOKENS": " a, b ,,c "}))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.SecretKey) != 32 || strings.Join(c.APITokens, "|") != "a|b|c" {
		t.Errorf("key %d bytes, tokens %q", len(c.SecretKey), c.APITokens)
	}
	if _, err := ParseSecretKey("q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s="); err != nil {
		t.Errorf("base64 key refused: %v", err)
	}
}

func TestServerLimitsAndRetention(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPReadHeaderTimeout != 10*time.Second || c.HTTPReadTimeout != 30*time.Second || c.HTTPWriteTimeout != 90*time.Second ||
		c.HTTPIdleTimeout != 120*time.Second || c.HTTPMaxConns != 1000 || c.MaxStreamsPerToken != 32 ||
		c.ShutdownTimeout != 25*time.Second || c.SyncRetention != 90*24*time.Hour || c.HTTPMaxHeaderBytes != 64<<10 ||
		c.AuditRetention != 400*24*time.Hour {
		t.Errorf("defaults: %+v", c)
	}
	c, err = Load(env(map[string]string{"NAVERSYNC_SYNC_RETENTION": "0", "NAVERSYNC_HTTP_IDLE_TIMEOUT": "5s",
		"NAVERSYNC_SECRET_KEYS_OLD": strings.Repeat("cd", 32) + ", " + strings.Repeat("ef", 32)}))
	if err != nil {
		t.Fatal(err)
	}
	if c.SyncRetention != 0 || c.HTTPIdleTimeout != 5*time.Second || len(c.OldSecretKeys) != 2 {
		t.Errorf("retention %s, idle %s, %d old keys", c.SyncRetention, c.HTTPIdleTimeout, len(c.OldSecretKeys))
	}
	if c, err := Load(env(map[string]string{"NAVERSYNC_SYNC_RETENTION": "30d"})); err != nil || c.SyncRetention != 30*24*time.Hour {
		t.Errorf("30d: %s %v", c.SyncRetention, err)
	}
	if c, err := Load(env(map[string]string{"NAVERSYNC_AUDIT_RETENTION": "0"})); err != nil || c.AuditRetention != 0 {
		t.Errorf("audit retention 0: %s %v", c.AuditRetention, err)
	}
}
