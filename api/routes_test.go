package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/go-chi/chi/v5"

	"github.com/naversync/naversync/api"
)

// TestRoutesMatchSpec: every chi route is an operation of openapi.yaml and vice versa.
func TestRoutesMatchSpec(t *testing.T) {
	e := newEnv(t, envOptions{noStart: true})
	h := api.New(e.svc, api.Options{UI: http.NotFoundHandler()})
	var routes []string
	err := chi.Walk(h.(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if route == "/" || strings.HasPrefix(route, "/ui") {
			return nil // the UI is not part of the API
		}
		routes = append(routes, method+" "+strings.TrimSuffix(route, "/"))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for path, item := range mustSpec(t).doc.Paths.Map() {
		for method := range item.Operations() {
			ops = append(ops, method+" "+path)
		}
	}
	slices.Sort(routes)
	slices.Sort(ops)
	for _, r := range routes {
		if !slices.Contains(ops, r) {
			t.Errorf("route %s is not in openapi.yaml", r)
		}
	}
	for _, o := range ops {
		if !slices.Contains(routes, o) {
			t.Errorf("openapi.yaml operation %s has no route", o)
		}
	}
}

// TestSpecSecurity: only health, readiness and metrics are open (metrics optionally protected).
func TestSpecSecurity(t *testing.T) {
	open := []string{"/healthz", "/readyz", "/metrics"}
	for path, item := range mustSpec(t).doc.Paths.Map() {
		for method, op := range item.Operations() {
			isOpen := op.Security != nil && (len(*op.Security) == 0 || slices.ContainsFunc(*op.Security, func(r openapi3.SecurityRequirement) bool { return len(r) == 0 }))
			if isOpen != slices.Contains(open, path) {
				t.Errorf("%s %s: open=%v", method, path, isOpen)
			}
		}
	}
}
