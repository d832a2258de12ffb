// Package deploy holds what an operator deploys besides the binary: the Prometheus alert rules,
// the Grafana dashboard and the compose example. Its tests check them against the service: every
// metric a rule or a panel reads is one the service registers.
package deploy

import (
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"go.yaml.in/yaml/v3"

	"github.com/naversync/naversync/service/servicetest"
	"github.com/naversync/naversync/store/storetest"
)

// registered returns the names of the series the service exports at /metrics, from the real
// registry of a real engine (histograms with their _bucket, _sum and _count series).
func registered(t *testing.T) map[string]bool {
	t.Helper()
	w := servicetest.NewWorld(t, storetest.Databases(t)[0], servicetest.WorldOptions{})
	e := w.Engine(servicetest.EngineOptions{NoStart: true})
	families, err := e.Service.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range families {
		names[f.GetName()] = true
		switch f.GetType() {
		case dto.MetricType_HISTOGRAM:
			names[f.GetName()+"_bucket"], names[f.GetName()+"_sum"], names[f.GetName()+"_count"] = true, true, true
		case dto.MetricType_SUMMARY:
			names[f.GetName()+"_sum"], names[f.GetName()+"_count"] = true, true
		}
	}
	return names
}

// metricName finds the metric names in a PromQL expression: the service's own (naversync_) and
// the Go and process collectors'.
var metricName = regexp.MustCompile(`\b(?:naversync|go|process)_[a-zA-Z0-9_]+`)

type ruleFile struct {
	Groups []struct {
		Name  string
		Rules []struct {
			Alert       string
			Expr        string
			For         *string
			Labels      map[string]string
			Annotations map[string]string
		}
	}
}

func readRules(t *testing.T) ruleFile {
	t.Helper()
	raw, err := os.ReadFile("prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var rf ruleFile
	if err := yaml.Unmarshal(raw, &rf); err != nil {
		t.Fatalf("alerts.yml: %v", err)
	}
	return rf
}

// anchors are the GitHub anchors of docs/operations.md's headings.
func anchors(t *testing.T) map[string]bool {
	t.Helper()
	raw, err := os.ReadFile("../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	drop := regexp.MustCompile(`[^a-z0-9 _-]`)
	for _, line := range strings.Split(string(raw), "\n") {
		if h, ok := strings.CutPrefix(line, "#"); ok {
			h = strings.TrimSpace(strings.TrimLeft(h, "#"))
			out[strings.ReplaceAll(drop.ReplaceAllString(strings.ToLower(h), ""), " ", "-")] = true
		}
	}
	return out
}

// TestAlertRules: every rule is complete (expr, for, a severity of warning or critical, a
// summary, a description and a runbook that is a heading of docs/operations.md), the alerts the
// operations guide promises are there, and every metric a rule reads is one the service exports.
func TestAlertRules(t *testing.T) {
	rf := readRules(t)
	names := registered(t)
	heads := anchors(t)
	var alerts []string
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			alerts = append(alerts, r.Alert)
			if r.Alert == "" || strings.TrimSpace(r.Expr) == "" || r.For == nil {
				t.Errorf("rule %q: want alert, expr and for", r.Alert)
			}
			if s := r.Labels["severity"]; s != "warning" && s != "critical" {
				t.Errorf("rule %s: severity %q, want warning or critical", r.Alert, s)
			}
			for _, k := range []string{"summary", "description", "runbook"} {
				if strings.TrimSpace(r.Annotations[k]) == "" {
					t.Errorf("rule %s: no %s annotation", r.Alert, k)
				}
			}
			doc, anchor, _ := strings.Cut(r.Annotations["runbook"], "#")
			if doc != "docs/operations.md" || !heads[anchor] {
				t.Errorf("rule %s: runbook %q is not a heading of docs/operations.md", r.Alert, r.Annotations["runbook"])
			}
			used := metricName.FindAllString(r.Expr, -1)
			if len(used) == 0 {
				t.Errorf("rule %s reads no metric of the service: %s", r.Alert, r.Expr)
			}
			for _, m := range used {
				if !names[m] {
					t.Errorf("rule %s reads %s, which the service does not export", r.Alert, m)
				}
			}
		}
	}
	// One rule at least for each thing an operator must hear about (issue 29).
	for _, want := range []string{"NaversyncSyncsFailing", "NaversyncDataStale", "NaversyncWaitingForNaverJobRoom",
		"NaversyncSheetsQuota", "NaversyncLeasesExpiring", "NaversyncProcessPoolSaturated"} {
		if !slices.Contains(alerts, want) {
			t.Errorf("no alert %s", want)
		}
	}
}

// TestAlertRulesPromtool runs promtool on the rules (syntax, PromQL) and on their unit tests
// (alerts_test.yml: each alert fires on the series it is meant for, and not before its time),
// when promtool is installed (Debian: apt-get install prometheus).
func TestAlertRulesPromtool(t *testing.T) {
	if _, err := exec.LookPath("promtool"); err != nil {
		t.Skip("promtool is not installed")
	}
	for _, args := range [][]string{{"check", "rules", "prometheus/alerts.yml"}, {"test", "rules", "prometheus/alerts_test.yml"}} {
		out, err := exec.Command("promtool", args...).CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// TestDashboard: the Grafana dashboard is valid JSON whose panels query only metrics the
// service exports, through the dashboard's data source variable, and every metric of the
// service's own (naversync_) is on it.
func TestDashboard(t *testing.T) {
	raw, err := os.ReadFile("grafana/naversync.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Title, UID string
		Panels     []struct {
			ID         int
			Type       string
			Title      string
			Datasource struct{ UID string }
			Targets    []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("dashboard: %v", err)
	}
	if d.Title == "" || d.UID == "" {
		t.Errorf("dashboard without title or uid")
	}
	names := registered(t)
	shown := map[string]bool{}
	ids := map[int]bool{}
	queries := 0
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d twice", p.ID)
		}
		ids[p.ID] = true
		if p.Type == "row" {
			continue
		}
		if p.Datasource.UID != "${datasource}" || len(p.Targets) == 0 {
			t.Errorf("panel %q: data source %q, %d queries", p.Title, p.Datasource.UID, len(p.Targets))
		}
		for _, q := range p.Targets {
			queries++
			used := metricName.FindAllString(q.Expr, -1)
			if len(used) == 0 {
				t.Errorf("panel %q queries no metric of the service: %s", p.Title, q.Expr)
			}
			for _, m := range used {
				if !names[m] {
					t.Errorf("panel %q queries %s, which the service does not export", p.Title, m)
				}
				shown[strings.TrimSuffix(m, "_bucket")] = true
			}
		}
	}
	for n := range names {
		if strings.HasPrefix(n, "naversync_") && !shown[n] && !strings.HasSuffix(n, "_bucket") &&
			!strings.HasSuffix(n, "_sum") && !strings.HasSuffix(n, "_count") {
			t.Errorf("the dashboard does not show %s", n)
		}
	}
	if queries < 10 {
		t.Errorf("%d queries: the dashboard is nearly empty", queries)
	}
}

// TestCompose: the compose example runs PostgreSQL and at least two replicas of the image, each
// on that PostgreSQL, on one file store volume they all mount where NAVERSYNC_FILES_URL points,
// with the same secret key and tokens, on distinct host ports, started once PostgreSQL is healthy.
func TestCompose(t *testing.T) {
	raw, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	type service struct {
		Image       string
		Build       map[string]string
		Environment map[string]string
		Volumes     []string
		Ports       []string
		DependsOn   map[string]map[string]string `yaml:"depends_on"`
		Healthcheck map[string]any
	}
	var c struct {
		Services map[string]service
		Volumes  map[string]any
	}
	if err := yaml.Unmarshal(raw, &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	pg, ok := c.Services["postgres"]
	if !ok || !strings.HasPrefix(pg.Image, "postgres:") || pg.Healthcheck == nil {
		t.Fatalf("no postgres service with a health check: %+v", pg)
	}
	var replicas []string
	for name, s := range c.Services {
		if s.Environment["NAVERSYNC_DATABASE_URL"] != "" {
			replicas = append(replicas, name)
		}
	}
	slices.Sort(replicas)
	if len(replicas) < 2 {
		t.Fatalf("replicas %v, want two at least", replicas)
	}
	first := c.Services[replicas[0]]
	ports := map[string]bool{}
	for _, name := range replicas {
		s := c.Services[name]
		env := s.Environment
		if !strings.HasPrefix(env["NAVERSYNC_DATABASE_URL"], "postgres://") || !strings.Contains(env["NAVERSYNC_DATABASE_URL"], "@postgres:5432/") {
			t.Errorf("%s: database %q, want the postgres service", name, env["NAVERSYNC_DATABASE_URL"])
		}
		if s.DependsOn["postgres"]["condition"] != "service_healthy" {
			t.Errorf("%s: does not wait for a healthy postgres: %v", name, s.DependsOn)
		}
		if s.Image != first.Image || s.Build["dockerfile"] != "Dockerfile" || s.Build["context"] != ".." {
			t.Errorf("%s: image %q build %v, want the repository's image, as the other replicas", name, s.Image, s.Build)
		}
		for _, k := range []string{"NAVERSYNC_SECRET_KEY", "NAVERSYNC_API_TOKENS", "NAVERSYNC_FILES_URL", "NAVERSYNC_GOOGLE_CREDENTIALS_FILE"} {
			if env[k] == "" || env[k] != first.Environment[k] {
				t.Errorf("%s: %s is %q, want one value set on every replica", name, k, env[k])
			}
		}
		path, ok := strings.CutPrefix(env["NAVERSYNC_FILES_URL"], "file://")
		if !ok {
			t.Errorf("%s: files at %q, want the shared volume (file://)", name, env["NAVERSYNC_FILES_URL"])
		}
		path, _, _ = strings.Cut(path, "?")
		if !slices.Contains(s.Volumes, "files:"+path) {
			t.Errorf("%s: volumes %v do not mount the shared volume files at %s", name, s.Volumes, path)
		}
		for _, v := range s.Volumes {
			if dst := strings.Split(v, ":"); len(dst) > 1 && dst[1] == "/var/lib/naversync" {
				t.Errorf("%s: shares its whole data directory (%s): its temporary files are its own", name, v)
			}
		}
		for _, p := range s.Ports {
			host, _, _ := strings.Cut(p, ":")
			if ports[host] {
				t.Errorf("%s: host port %s taken by another replica", name, host)
			}
			ports[host] = true
		}
	}
	if _, ok := c.Volumes["files"]; !ok {
		t.Errorf("no named volume files")
	}
}

// TestDockerfileStatic: the image's binary is static (CGO off) and the final stage is
// distroless static running as nonroot, with the file store's directory owned by it (a fresh
// volume mounted there takes the owner from the image).
func TestDockerfileStatic(t *testing.T) {
	raw, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var last string
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) > 1 && strings.EqualFold(f[0], "FROM") {
			last = f[1]
		}
	}
	text := string(raw)
	if !strings.Contains(last, "distroless/static") || !strings.HasSuffix(last, ":nonroot") {
		t.Errorf("final stage FROM %s, want distroless static, nonroot", last)
	}
	if !strings.Contains(text, "CGO_ENABLED=0") {
		t.Errorf("the binary is not built with CGO_ENABLED=0")
	}
	if !strings.Contains(text, "mkdir -p /out/var/lib/naversync/files") || !strings.Contains(text, "--chown=65532:65532 /out/var/lib/naversync /var/lib/naversync") {
		t.Errorf("the image does not hold /var/lib/naversync/files owned by nonroot")
	}
}
