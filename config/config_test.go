package config

import (
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
	if c.HTTPAddr != ":8080" || c.FetchWorkers != 4 || c.ProcessWorkers != 2 || c.Timezone != "Asia/Seoul" ||
		c.RefreshSchedule != "0 6 * * *" || c.LeaseTTL != 30*time.Second || c.ReportWindow != 40 ||
		c.NaverBaseURL != "https://api.searchad.naver.com" || c.SettleDays != 7 || c.NaverMaxRate != 30 {
		t.Errorf("defaults: %+v", c)
	}
	if !strings.HasSuffix(c.DatabaseURL, "naversync.db") || !strings.HasPrefix(c.FilesURL, "file://") {
		t.Errorf("database %q files %q, want SQLite and a local directory under the data dir", c.DatabaseURL, c.FilesURL)
	}
}

func TestBadValuesAreNamed(t *testing.T) {
	cases := map[string]string{
		"NAVERSYNC_FETCH_WORKERS":  "zero",
		"NAVERSYNC_SETTLE_DAYS":    "1",
		"NAVERSYNC_REPORT_WINDOW":  "99",
		"NAVERSYNC_LEASE_TTL":      "5ms",
		"NAVERSYNC_NAVER_MAX_RATE": "0",
		"NAVERSYNC_TIMEZONE":       "Mars/Olympus",
		"NAVERSYNC_SECRET_KEY":     "short",
		"NAVERSYNC_LOG_LEVEL":      "loud",
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
