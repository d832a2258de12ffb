package api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/naversync/naversync/api"
)

// spec is openapi.yaml, loaded and validated once per test binary.
type spec struct {
	doc    *openapi3.T
	router routers.Router
}

var loadSpec = sync.OnceValues(func() (*spec, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile("../openapi.yaml")
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, err
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, err
	}
	return &spec{doc: doc, router: router}, nil
})

func mustSpec(t testing.TB) *spec {
	t.Helper()
	s, err := loadSpec()
	if err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	return s
}

// client sends requests to the API and checks every exchange against openapi.yaml:
//   - a response must be one the spec lists for the operation (status, headers, body schema);
//   - a request the spec calls invalid must be refused with a 4xx problem;
//   - a request outside the spec's paths must get a 404 or 405 problem;
//   - every problem carries the request's path as instance and the X-Request-Id as request_id.
type client struct {
	t     *testing.T
	base  string
	token string
	spec  *spec
	http  *http.Client
}

func newClient(t *testing.T, base, token string) *client {
	return &client{t: t, base: base, token: token, spec: mustSpec(t), http: &http.Client{}}
}

// response is a received answer.
type response struct {
	t      *testing.T
	req    string
	Status int
	Header http.Header
	Body   []byte
}

// want fails the test unless the status is one of codes.
func (r *response) want(codes ...int) *response {
	r.t.Helper()
	for _, c := range codes {
		if r.Status == c {
			return r
		}
	}
	r.t.Fatalf("%s: status %d, want %v; body %s", r.req, r.Status, codes, r.Body)
	return r
}

// decode unmarshals the body into v.
func (r *response) decode(v any) *response {
	r.t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		r.t.Fatalf("%s: decode %s: %v", r.req, r.Body, err)
	}
	return r
}

// problem decodes the body as a problem.
func (r *response) problem() api.Problem {
	r.t.Helper()
	var p api.Problem
	r.decode(&p)
	return p
}

// do sends a request. body is JSON-encoded unless it is a []byte or string (sent as is, with
// Content-Type application/json unless hdr sets one). hdr may be nil.
func (c *client) do(method, path string, body any, hdr http.Header) *response {
	c.t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case []byte:
		raw = b
	case string:
		raw = []byte(b)
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			c.t.Fatal(err)
		}
	}
	req := c.newRequest(method, path, raw, hdr)
	specErr, route, params := c.validateRequest(req, raw)
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: read: %v", method, path, err)
	}
	r := &response{t: c.t, req: method + " " + path, Status: resp.StatusCode, Header: resp.Header, Body: got}
	c.check(req, raw, r, specErr, route, params, false)
	return r
}

func (c *client) newRequest(method, path string, raw []byte, hdr http.Header) *http.Request {
	c.t.Helper()
	var rd io.Reader
	if raw != nil {
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(c.t.Context(), method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if raw != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for k, vs := range hdr {
		req.Header.Del(k)
		for _, v := range vs {
			if v != "" {
				req.Header.Add(k, v)
			}
		}
	}
	return req
}

// validateRequest checks req against the spec. It returns the validation error (nil when the
// spec accepts the request) and the route, or a nil route when no path of the spec matches.
func (c *client) validateRequest(req *http.Request, raw []byte) (error, *routers.Route, map[string]string) {
	route, params, err := c.spec.router.FindRoute(req)
	if err != nil {
		return err, nil, nil
	}
	clone := req.Clone(context.Background())
	clone.Body = io.NopCloser(bytes.NewReader(raw))
	in := &openapi3filter.RequestValidationInput{Request: clone, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	return openapi3filter.ValidateRequest(context.Background(), in), route, params
}

// check applies the conformance rules to one exchange.
func (c *client) check(req *http.Request, raw []byte, r *response, specErr error, route *routers.Route, params map[string]string, stream bool) {
	c.t.Helper()
	isProblem := strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json")
	if route == nil {
		if (r.Status != http.StatusNotFound && r.Status != http.StatusMethodNotAllowed) || !isProblem {
			c.t.Fatalf("%s: not in openapi.yaml (%v) but answered %d %s", r.req, specErr, r.Status, r.Body)
		}
	} else {
		if specErr != nil && (r.Status < 400 || r.Status > 499) {
			c.t.Fatalf("%s: openapi.yaml refuses the request (%v) but the handler answered %d %s", r.req, specErr, r.Status, r.Body)
		}
		clone := req.Clone(context.Background())
		clone.Body = io.NopCloser(bytes.NewReader(raw))
		in := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: clone, PathParams: params, Route: route},
			Status:                 r.Status,
			Header:                 r.Header,
			Body:                   io.NopCloser(bytes.NewReader(r.Body)),
			Options:                &openapi3filter.Options{IncludeResponseStatus: true, ExcludeResponseBody: stream},
		}
		if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
			c.t.Fatalf("%s: response %d does not conform to openapi.yaml: %v\nbody: %s", r.req, r.Status, err, r.Body)
		}
	}
	if r.Header.Get("X-Request-Id") == "" {
		c.t.Fatalf("%s: no X-Request-Id", r.req)
	}
	if r.Status >= 400 {
		if !isProblem {
			c.t.Fatalf("%s: error %d is %q, not a problem", r.req, r.Status, r.Header.Get("Content-Type"))
		}
		p := r.problem()
		if p.Status != r.Status || p.Instance != req.URL.Path || p.RequestID != r.Header.Get("X-Request-Id") ||
			!strings.HasPrefix(p.Type, api.ProblemTypeBase) || p.Title == "" {
			c.t.Fatalf("%s: inconsistent problem %+v (status %d, id %q)", r.req, p, r.Status, r.Header.Get("X-Request-Id"))
		}
	}
}

// event is one Server-Sent Event.
type event struct {
	ID, Name, Data, Retry string
}

// stream opens an event stream; on a 2xx it calls fn per event until fn returns false or the
// stream ends, and reports whether comment lines (heartbeats) were seen. A non-2xx answer is
// checked like any other and returned.
func (c *client) stream(path string, fn func(ev event, comments int) bool) *response {
	c.t.Helper()
	req := c.newRequest("GET", path, nil, nil)
	ctx, cancel := context.WithCancel(c.t.Context())
	defer cancel()
	req = req.WithContext(ctx)
	specErr, route, params := c.validateRequest(req, nil)
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	r := &response{t: c.t, req: "GET " + path, Status: resp.StatusCode, Header: resp.Header}
	if resp.StatusCode != http.StatusOK {
		r.Body, _ = io.ReadAll(resp.Body)
		c.check(req, nil, r, specErr, route, params, false)
		return r
	}
	c.check(req, nil, r, specErr, route, params, true)
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		c.t.Fatalf("event stream Content-Type %q", ct)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-cache" {
		c.t.Fatalf("event stream Cache-Control %q", cc)
	}
	sc := bufio.NewScanner(resp.Body)
	var ev event
	comments := 0
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if ev.Name != "" || ev.Data != "" {
				if !fn(ev, comments) {
					return r
				}
			}
			ev = event{}
		case strings.HasPrefix(line, ":"):
			comments++
			if !fn(event{}, comments) {
				return r
			}
		case strings.HasPrefix(line, "id: "):
			ev.ID = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "event: "):
			ev.Name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			ev.Data += strings.TrimPrefix(line, "data: ")
		case strings.HasPrefix(line, "retry: "):
			ev.Retry = strings.TrimPrefix(line, "retry: ")
		default:
			c.t.Fatalf("event stream: unexpected line %q", line)
		}
	}
	return r
}

// validateSchema checks a JSON document against a component schema of the spec.
func (c *client) validateSchema(name string, data []byte) {
	c.t.Helper()
	ref := c.spec.doc.Components.Schemas[name]
	if ref == nil {
		c.t.Fatalf("no schema %s", name)
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		c.t.Fatalf("%s: %v", name, err)
	}
	if err := ref.Value.VisitJSON(v); err != nil {
		c.t.Fatalf("%s does not conform: %v\n%s", name, err, data)
	}
}
