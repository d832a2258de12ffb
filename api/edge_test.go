package api_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/naversync/naversync/api"
	"github.com/naversync/naversync/service"
)

// rawRequest writes head (request line and headers, without the final blank line) on a new
// connection to the env's server and returns the connection and a reader of the answer. The
// body is not sent.
func rawRequest(t *testing.T, base, head string) (net.Conn, *bufio.Reader) {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := io.WriteString(conn, strings.ReplaceAll(head, "\n", "\r\n")+"\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	// A generous bound: the answer is expected at once, the bound only stops a hung test.
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	return conn, bufio.NewReader(conn)
}

// TestRefusalsDoNotReadTheBody: a request refused before its body is read (no token, wrong
// media type, a malformed Idempotency-Key) is answered at once, without waiting for the body the
// client announced, and its connection is closed.
func TestRefusalsDoNotReadTheBody(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noStart: true, tokens: []string{"tok"}})
	cases := []struct {
		name, head string
		status     int
	}{
		{"no token", "POST /accounts HTTP/1.1\nHost: x\nContent-Type: application/json\nContent-Length: 100000", 401},
		{"no token, chunked", "POST /syncs HTTP/1.1\nHost: x\nContent-Type: application/json\nTransfer-Encoding: chunked", 401},
		{"media type", "POST /syncs HTTP/1.1\nHost: x\nAuthorization: Bearer tok\nContent-Type: text/plain\nContent-Length: 100000", 415},
		{"idempotency key", "POST /syncs HTTP/1.1\nHost: x\nAuthorization: Bearer tok\nIdempotency-Key: a b\nContent-Type: application/json\nContent-Length: 100000", 400},
		{"unknown route", "POST /nope HTTP/1.1\nHost: x\nAuthorization: Bearer tok\nContent-Length: 100000", 404},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, rd := rawRequest(t, e.srv.URL, tc.head)
			resp, err := http.ReadResponse(rd, nil)
			if err != nil {
				t.Fatalf("no answer while the body is not sent: %v", err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
				t.Fatalf("status %d %q, want %d problem", resp.StatusCode, resp.Header.Get("Content-Type"), tc.status)
			}
			if _, err := rd.ReadByte(); !errors.Is(err, io.EOF) && !isReset(err) {
				t.Fatalf("the connection stays open after the refusal: %v", err)
			}
		})
	}
}

func isReset(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "reset") || strings.Contains(err.Error(), "closed"))
}

// openStream opens GET path with token and holds it open, after its first event, until the
// returned stop is called. The first result is the answer's status.
func openStream(t *testing.T, base, path, token string) (int, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	req, err := http.NewRequestWithContext(ctx, "GET", base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		cancel()
		return resp.StatusCode, func() {}
	}
	line, err := bufio.NewReader(resp.Body).ReadString('\n') // the first event has begun
	if err != nil || !strings.HasPrefix(line, "id: ") {
		t.Fatalf("stream: %q %v", line, err)
	}
	return http.StatusOK, func() { cancel(); resp.Body.Close() }
}

// TestEventStreamsPerToken: one token holds at most MaxStreamsPerToken event streams; beyond
// that it gets a 429 problem with Retry-After, other tokens are not affected, and a closed
// stream frees its place.
func TestEventStreamsPerToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noStart: true, tokens: []string{"t1", "t2"}, api: func(o *api.Options) { o.MaxStreamsPerToken = 3 }})
	a := e.account("8001")
	var s service.Sync
	e.c.do("POST", "/syncs", map[string]any{"account_id": a.ID, "days": 1}, nil).want(http.StatusAccepted).decode(&s)
	var stops []func()
	for _, path := range []string{"/syncs/events", "/syncs/" + s.ID + "/events", "/syncs/events?status=queued"} {
		st, stop := openStream(t, e.srv.URL, path, "t1")
		if st != http.StatusOK {
			t.Fatalf("%s: %d", path, st)
		}
		stops = append(stops, stop)
	}
	c1 := newClient(t, e.srv.URL, "t1")
	for _, path := range []string{"/syncs/events", "/syncs/" + s.ID + "/events"} {
		r := c1.stream(path, nil).want(http.StatusTooManyRequests)
		if p := r.problem(); p.Type != api.ProblemTypeBase+"too-many-streams" || r.Header.Get("Retry-After") == "" {
			t.Fatalf("problem %+v, Retry-After %q", p, r.Header.Get("Retry-After"))
		}
	}
	// Requests that are not streams are not limited.
	c1.do("GET", "/syncs", nil, nil).want(http.StatusOK)
	st, stop := openStream(t, e.srv.URL, "/syncs/events", "t2")
	if st != http.StatusOK {
		t.Fatalf("another token: %d", st)
	}
	stop()
	// A stream that ends frees its place (the server notices the client left).
	stops[0]()
	deadline := time.Now().Add(60 * time.Second)
	for {
		st, stop := openStream(t, e.srv.URL, "/syncs/events", "t1")
		if st == http.StatusOK {
			stop()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the place of a closed stream is not freed: %d", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, stop := range stops[1:] {
		stop()
	}
}

// TestShutdownEndsEventStreams: when the server shuts down, every event stream ends with a final
// "event: shutdown", new streams are refused with 503, and /readyz says not ready, so that a
// drain finishes and load balancers send traffic elsewhere.
func TestShutdownEndsEventStreams(t *testing.T) {
	t.Parallel()
	shutdown := make(chan struct{})
	e := newEnv(t, envOptions{noStart: true, api: func(o *api.Options) { o.Shutdown = shutdown }})
	a := e.account("8101")
	var s service.Sync
	e.c.do("POST", "/syncs", map[string]any{"account_id": a.ID, "days": 1}, nil).want(http.StatusAccepted).decode(&s)
	var wg sync.WaitGroup
	started := make(chan struct{}, 2)
	for _, path := range []string{"/syncs/events", "/syncs/" + s.ID + "/events"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var names []string
			e.c.stream(path, func(ev event, _ int) bool {
				if ev.Name != "" {
					names = append(names, ev.Name)
					if len(names) == 1 {
						started <- struct{}{}
					}
				}
				return true // read until the server ends the stream
			})
			if len(names) < 2 || names[len(names)-1] != "shutdown" {
				t.Errorf("%s: events %v, want a final shutdown event", path, names)
			}
		}()
	}
	<-started
	<-started
	close(shutdown)
	wg.Wait()
	e.c.stream("/syncs/events", nil).want(http.StatusServiceUnavailable)
	e.c.do("GET", "/readyz", nil, nil).want(http.StatusServiceUnavailable)
	e.c.do("GET", "/syncs/"+s.ID, nil, nil).want(http.StatusOK) // in-flight requests are still answered
}

// TestMetricsToken: with a metrics token configured, /metrics needs it (or an API token).
func TestMetricsToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noStart: true, tokens: []string{"api"}, api: func(o *api.Options) { o.MetricsToken = "scrape" }})
	newClient(t, e.srv.URL, "").do("GET", "/metrics", nil, nil).want(http.StatusUnauthorized)
	newClient(t, e.srv.URL, "wrong").do("GET", "/metrics", nil, nil).want(http.StatusUnauthorized)
	newClient(t, e.srv.URL, "scrape").do("GET", "/metrics", nil, nil).want(http.StatusOK)
	newClient(t, e.srv.URL, "api").do("GET", "/metrics", nil, nil).want(http.StatusOK)
	newClient(t, e.srv.URL, "scrape").do("GET", "/accounts", nil, nil).want(http.StatusUnauthorized)
	newClient(t, e.srv.URL, "").do("GET", "/healthz", nil, nil).want(http.StatusOK)
}
