package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The demo runs end to end on its embedded defaults: SQLite, the Naver simulator and the
// Sheets stand-in, and shows the lease hand-off.
func TestDemoRunsEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	var out, errs bytes.Buffer
	args := []string{"demo", "-days", "5", "-addr", "127.0.0.1:0", "-build-delay", "5ms", "-sheet-latency", "0", "-latency", "0"}
	if err := run(ctx, args, func(string) string { return "" }, &out, &errs); err != nil {
		t.Fatalf("demo: %v\n%s\n%s", err, out.String(), errs.String())
	}
	// Each tab's rows are named: Blue Cafe's search terms tab besides its performance tab.
	for _, want := range []string{"console: http://", "When each customer's Naver lease was held", "released customer 1001's lease", "Acme Shoes:",
		`Blue Cafe: tab "naver_ads" (performance)`, `Blue Cafe: tab "naver_search_terms" (search terms)`, "Search term", "Match type"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out.String())
		}
	}
	// The sheets print cleanly: blanks for empty cells, figures in full, then what to do next.
	for _, bad := range []string{"<nil>", "%!"} {
		if strings.Contains(out.String(), bad) {
			t.Errorf("demo output shows %q:\n%s", bad, out.String())
		}
	}
	for _, want := range []string{"Next: add an advertiser of your own", `"Add account"`, "POST /accounts", "Tools > API manager"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if !regexp.MustCompile(`\d,\d{3},\d{3}|\d+\.\d{2}%`).MatchString(out.String()) {
		t.Errorf("demo output shows no figure in full (grouped, or a percentage):\n%s", out.String())
	}
	// Two identities from keys the stand-in's /token honours: the accounts are spread over them.
	for _, id := range demoIdentities {
		if !strings.Contains(out.String(), "written by "+id) {
			t.Errorf("demo output shows no account written by %s:\n%s", id, out.String())
		}
	}
	if strings.Count(out.String(), "succeeded") < 3 {
		t.Errorf("not every demo sync succeeded:\n%s", out.String())
	}
}

func TestServeRefusesToStartWithoutSecrets(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, "NAVERSYNC_SECRET_KEY is required"},
		{map[string]string{"NAVERSYNC_SECRET_KEY": strings.Repeat("00", 32)}, "NAVERSYNC_API_TOKENS is required"},
		{map[string]string{"NAVERSYNC_FETCH_WORKERS": "-1"}, "NAVERSYNC_FETCH_WORKERS"},
		// A mistyped role would otherwise be a token with every right.
		{map[string]string{"NAVERSYNC_SECRET_KEY": strings.Repeat("00", 32), "NAVERSYNC_API_TOKENS": "viewer:a,veiwer:b"}, "NAVERSYNC_API_TOKENS: token 2: unknown role"},
	}
	for _, c := range cases {
		var errs bytes.Buffer
		err := run(t.Context(), []string{"serve"}, func(k string) string { return c.env[k] }, &bytes.Buffer{}, &errs)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("serve with %v: err = %v, want %q", c.env, err, c.want)
		}
	}
}

func TestUnknownCommand(t *testing.T) {
	var errs bytes.Buffer
	if err := run(t.Context(), []string{"frobnicate"}, func(string) string { return "" }, &bytes.Buffer{}, &errs); err == nil || !strings.Contains(errs.String(), "unknown command") {
		t.Errorf("err = %v, stderr %q", err, errs.String())
	}
}
