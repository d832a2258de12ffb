package console_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/naversync/naversync/console"
)

// get answers one request of the console handler, mounted as the api package mounts it.
func get(t *testing.T, h http.Handler, method, path string, hdr map[string]string) *http.Response {
	t.Helper()
	r := httptest.NewRequest(method, path, nil)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestHandlerServesEmbeddedFiles(t *testing.T) {
	h := console.Handler()
	for _, tc := range []struct {
		path   string
		status int
		ctype  string
	}{
		{"/ui/", http.StatusOK, "text/html; charset=utf-8"},
		{"/ui/index.html", http.StatusOK, "text/html; charset=utf-8"},
		{"/ui/app.js", http.StatusOK, "text/javascript; charset=utf-8"},
		{"/ui/api.js", http.StatusOK, "text/javascript; charset=utf-8"},
		{"/ui/style.css", http.StatusOK, "text/css; charset=utf-8"},
		{"/ui/icon.svg", http.StatusOK, "image/svg+xml"},
		{"/ui/nothing.js", http.StatusNotFound, ""},
		{"/ui/static/app.js", http.StatusNotFound, ""},
		{"/ui/../console.go", http.StatusNotFound, ""},
		{"/ui/%2e%2e/console.go", http.StatusNotFound, ""},
		{"/app.js", http.StatusNotFound, ""}, // only under /ui/
	} {
		t.Run(tc.path, func(t *testing.T) {
			res := get(t, h, http.MethodGet, tc.path, nil)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.status)
			}
			if tc.ctype != "" && res.Header.Get("Content-Type") != tc.ctype {
				t.Errorf("Content-Type %q, want %q", res.Header.Get("Content-Type"), tc.ctype)
			}
			// The security headers are on every answer, errors included.
			for k, want := range map[string]string{
				"Content-Security-Policy": console.ContentSecurityPolicy,
				"X-Content-Type-Options":  "nosniff",
				"X-Frame-Options":         "DENY",
				"Referrer-Policy":         "no-referrer",
			} {
				if got := res.Header.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
		})
	}
}

func TestContentSecurityPolicy(t *testing.T) {
	csp := console.ContentSecurityPolicy
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	for _, bad := range []string{"unsafe-inline", "unsafe-eval", "http:", "https:", "*"} {
		if strings.Contains(csp, bad) {
			t.Errorf("CSP %q allows %q", csp, bad)
		}
	}
}

func TestHandlerMethodsAndRevalidation(t *testing.T) {
	h := console.Handler()
	res := get(t, h, http.MethodPost, "/ui/", nil)
	if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: %d Allow %q, want 405 with GET, HEAD", res.StatusCode, res.Header.Get("Allow"))
	}
	res = get(t, h, http.MethodHead, "/ui/app.js", nil)
	if res.StatusCode != http.StatusOK || body(t, res) != "" {
		t.Errorf("HEAD: %d with a body", res.StatusCode)
	}
	res = get(t, h, http.MethodGet, "/ui/app.js", nil)
	etag := res.Header.Get("ETag")
	if etag == "" || res.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("ETag %q Cache-Control %q, want an ETag and no-cache", etag, res.Header.Get("Cache-Control"))
	}
	res = get(t, h, http.MethodGet, "/ui/app.js", map[string]string{"If-None-Match": etag})
	if res.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: %d, want 304", res.StatusCode)
	}
	res = get(t, h, http.MethodGet, "/ui/style.css", map[string]string{"If-None-Match": etag})
	if res.StatusCode != http.StatusOK {
		t.Errorf("another file's ETag: %d, want 200", res.StatusCode)
	}
}

var (
	attrRef     = regexp.MustCompile(`(?:src|href)="([^"]*)"`)
	importRef   = regexp.MustCompile(`from "([^"]+)"`)
	inlineCode  = regexp.MustCompile(`<script[^>]*>[^<]+</script>|\sstyle=|\son[a-z]+=`)
	unsafeSinks = regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function`)
)

// TestPageIsSelfContained checks what the CSP and "no asset from the internet" require of the
// files: every file the page loads is served, none comes from elsewhere, there is no inline
// script, style or event handler, and the scripts never build HTML from strings.
func TestPageIsSelfContained(t *testing.T) {
	h := console.Handler()
	index := body(t, get(t, h, http.MethodGet, "/ui/", nil))
	if m := inlineCode.FindString(index); m != "" {
		t.Errorf("index.html has inline code the CSP would block: %q", m)
	}
	scripts := []string{}
	for _, m := range attrRef.FindAllStringSubmatch(index, -1) {
		ref := m[1]
		if strings.HasPrefix(ref, "#") {
			continue
		}
		if strings.Contains(ref, ":") || strings.HasPrefix(ref, "//") || strings.HasPrefix(ref, "/") {
			t.Errorf("index.html loads %q: only files of the console itself are allowed", ref)
			continue
		}
		if res := get(t, h, http.MethodGet, "/ui/"+ref, nil); res.StatusCode != http.StatusOK {
			t.Errorf("index.html refers to %q: %d", ref, res.StatusCode)
		}
		if strings.HasSuffix(ref, ".js") {
			scripts = append(scripts, ref)
		}
	}
	if len(scripts) == 0 {
		t.Fatal("index.html loads no script")
	}
	seen := map[string]bool{}
	for len(scripts) > 0 {
		name := scripts[0]
		scripts = scripts[1:]
		if seen[name] {
			continue
		}
		seen[name] = true
		src := body(t, get(t, h, http.MethodGet, "/ui/"+name, nil))
		if m := unsafeSinks.FindString(src); m != "" {
			t.Errorf("%s uses %s", name, m)
		}
		for _, m := range importRef.FindAllStringSubmatch(src, -1) {
			ref := strings.TrimPrefix(m[1], "./")
			if strings.Contains(ref, ":") || strings.Contains(ref, "/") {
				t.Errorf("%s imports %q: only sibling files are allowed", name, m[1])
				continue
			}
			if res := get(t, h, http.MethodGet, "/ui/"+ref, nil); res.StatusCode != http.StatusOK {
				t.Errorf("%s imports %q: %d", name, ref, res.StatusCode)
			}
			scripts = append(scripts, ref)
		}
	}
	if len(seen) < 3 {
		t.Errorf("followed only %v", seen)
	}
}

// TestMountedInAPI checks the console through the real API handler: the page is served without
// a token while the API itself requires one, and "/" leads to the page.
func TestMountedInAPI(t *testing.T) {
	e := newEnv(t, true)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tc := range []struct {
		path     string
		status   int
		location string
	}{
		{"/", http.StatusFound, "/ui/"},
		{"/ui", http.StatusFound, "/ui/"},
		{"/ui/", http.StatusOK, ""},
		{"/ui/app.js", http.StatusOK, ""},
		{"/accounts", http.StatusUnauthorized, ""},
	} {
		res, err := c.Get(e.srv.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		_ = res.Body.Close()
		if res.StatusCode != tc.status || res.Header.Get("Location") != tc.location {
			t.Errorf("GET %s: %d Location %q, want %d %q", tc.path, res.StatusCode, res.Header.Get("Location"), tc.status, tc.location)
		}
	}
}
