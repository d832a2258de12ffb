package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/naversync/naversync/config"
	"github.com/naversync/naversync/google/sheetstest"
	"github.com/naversync/naversync/naver/navertest"
	"github.com/naversync/naversync/store"
)

const testToken = "test-token"

// serveEnv is the environment of a serve process in a test: SQLite in a temporary directory,
// the Naver simulator and the Sheets stand-in on loopback, a token, and small server limits.
func serveEnv(t *testing.T, extra map[string]string) map[string]string {
	t.Helper()
	nsim := navertest.New(navertest.Options{InstantBuild: true})
	nsim.AddCustomer(navertest.Customer{ID: "9001", APIKey: "key-9001", SecretKey: "secret-9001", Campaigns: 1, AdgroupsPerCampaign: 1, KeywordsPerAdgroup: 1, Seed: 1})
	nsrv := httptest.NewServer(nsim)
	t.Cleanup(nsrv.Close)
	ssim := sheetstest.NewServer(sheetstest.Options{})
	ssim.CreateSpreadsheet("sheet9001", sheetstest.DefaultCaller)
	ssrv := httptest.NewServer(ssim)
	t.Cleanup(ssrv.Close)
	env := map[string]string{
		"NAVERSYNC_HTTP_ADDR":       "127.0.0.1:0",
		"NAVERSYNC_DATA_DIR":        t.TempDir(),
		"NAVERSYNC_NAVER_BASE_URL":  nsrv.URL,
		"NAVERSYNC_SHEETS_ENDPOINT": ssrv.URL,
		"NAVERSYNC_SECRET_KEY":      hex.EncodeToString(bytes.Repeat([]byte{7}, 32)),
		"NAVERSYNC_API_TOKENS":      testToken,
		"NAVERSYNC_LOG_LEVEL":       "debug",
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var servingAddr = regexp.MustCompile(`msg="naversync serving" addr=(\S+)`)

// startServe runs "naversync serve" with env until the returned stop (SIGTERM) is called; stop
// returns serve's result once it has returned. addr is where it listens.
func startServe(t *testing.T, env map[string]string) (addr string, logs *syncBuffer, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs = &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, func(k string) string { return env[k] }, io.Discard, logs) }()
	waitFor(t, "serve to listen", func() bool {
		select {
		case err := <-done:
			t.Fatalf("serve ended: %v\n%s", err, logs.String())
		default:
		}
		return servingAddr.MatchString(logs.String())
	})
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(2 * time.Minute):
				err = errors.New("serve did not return")
			}
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return servingAddr.FindStringSubmatch(logs.String())[1], logs, stop
}

// waitFor polls cond until it holds, failing the test after a generous deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// call sends one request with the test token and returns the status and body.
func call(t *testing.T, method, url string, body any, hdr map[string]string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := (&http.Client{Timeout: time.Minute}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, got
}

// closedByServer reads c until the server closes it (EOF or reset), within a generous bound.
func closedByServer(c net.Conn) error {
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Minute))
	_, err := io.Copy(io.Discard, c)
	if err == nil || errors.Is(err, io.EOF) || strings.Contains(err.Error(), "reset") {
		return nil
	}
	return err
}

// TestHostileConnectionsAreClosed: connections held open without a token (idle, half a
// header, a POST whose body never comes, an idle keep-alive) and an authenticated POST whose
// body stops half way are closed by the server within its timeouts; connections beyond the cap
// get a 503 problem at once; and the API answers throughout and afterwards. An event stream
// lives on past the read and write timeouts.
func TestHostileConnectionsAreClosed(t *testing.T) {
	t.Parallel()
	env := serveEnv(t, map[string]string{
		"NAVERSYNC_HTTP_READ_HEADER_TIMEOUT": "300ms",
		"NAVERSYNC_HTTP_READ_TIMEOUT":        "500ms",
		"NAVERSYNC_HTTP_WRITE_TIMEOUT":       "700ms",
		"NAVERSYNC_HTTP_IDLE_TIMEOUT":        "500ms",
		"NAVERSYNC_HTTP_MAX_CONNS":           "30",
	})
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	a, err := newApp(t.Context(), cfg, newLogger(io.Discard, "info"), appOptions{heartbeat: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.close)
	if err := a.start(t.Context()); err != nil {
		t.Fatal(err)
	}
	addr, err := a.listen(cfg.HTTPAddr)
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + addr
	dial := func(t *testing.T, send string) net.Conn {
		t.Helper()
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if send != "" {
			if _, err := io.WriteString(c, strings.ReplaceAll(send, "\n", "\r\n")); err != nil {
				t.Fatal(err)
			}
		}
		return c
	}

	// An event stream, open before the attack, outlives the read and write timeouts.
	streamDone := make(chan error, 1)
	go func() {
		req, _ := http.NewRequest("GET", base+"/syncs/events", nil)
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			streamDone <- err
			return
		}
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		beats := 0
		for beats < 100 && sc.Scan() { // 100 heartbeats of 20ms: longer than every timeout
			if sc.Text() == ": heartbeat" {
				beats++
			}
		}
		if beats < 100 {
			streamDone <- fmt.Errorf("the stream ended after %d heartbeats: %v", beats, sc.Err())
			return
		}
		streamDone <- nil
	}()

	var hostile []net.Conn
	for range 5 {
		hostile = append(hostile,
			dial(t, ""), // idle: not a byte
			dial(t, "GET /accounts HTTP/1.1\nHost: x\n"),                                                                                                    // half a header
			dial(t, "POST /accounts HTTP/1.1\nHost: x\nContent-Type: application/json\nContent-Length: 1000\n\n{\"na"),                                      // no token, body stops
			dial(t, "POST /accounts HTTP/1.1\nHost: x\nAuthorization: Bearer "+testToken+"\nContent-Type: application/json\nContent-Length: 1000\n\n{\"na"), // token, body stops
		)
		keepAlive := dial(t, "GET /healthz HTTP/1.1\nHost: x\n\n") // a finished request, then idle
		resp, err := http.ReadResponse(bufio.NewReader(keepAlive), nil)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("keep-alive request: %v", err)
		}
		hostile = append(hostile, keepAlive)
	}
	// Beyond the cap (30 connections, the stream's and the hostile 25 held): a 503 at once.
	var refused []net.Conn
	for range 10 {
		refused = append(refused, dial(t, ""))
	}
	over := 0
	for _, c := range refused {
		_ = c.SetReadDeadline(time.Now().Add(2 * time.Minute))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err == nil && resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Content-Type") == "application/problem+json" {
			over++
		}
	}
	if over == 0 {
		t.Fatal("no connection beyond the cap was answered 503")
	}
	for i, c := range hostile {
		if err := closedByServer(c); err != nil {
			t.Fatalf("hostile connection %d: not closed by the server: %v", i, err)
		}
	}
	// The API answers: health, and an authenticated request.
	waitFor(t, "the API to answer", func() bool {
		st, _ := call(t, "GET", base+"/healthz", nil, nil)
		return st == http.StatusOK
	})
	if st, body := call(t, "GET", base+"/accounts", nil, nil); st != http.StatusOK {
		t.Fatalf("GET /accounts: %d %s", st, body)
	}
	if err := <-streamDone; err != nil {
		t.Fatal(err)
	}
}

// TestShutdownDrainsAPost: SIGTERM while a POST /syncs is still sending its body: the client
// gets its answer (202), the sync exists exactly once, an open event stream ends with a final
// event, and serve returns only after the drain.
func TestShutdownDrainsAPost(t *testing.T) {
	t.Parallel()
	env := serveEnv(t, nil)
	addr, logs, stop := startServe(t, env)
	base := "http://" + addr
	st, body := call(t, "POST", base+"/accounts", map[string]any{"name": "n", "customer_id": "9001", "api_key": "key-9001",
		"secret_key": "secret-9001", "spreadsheet_id": "sheet9001"}, nil)
	if st != http.StatusCreated {
		t.Fatalf("create account: %d %s", st, body)
	}
	var acct struct{ ID string }
	_ = json.Unmarshal(body, &acct)

	// An event stream, open at the signal.
	streamEnd := make(chan string, 1)
	streamOpen := make(chan struct{})
	go func() {
		req, _ := http.NewRequest("GET", base+"/syncs/events", nil)
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := http.DefaultClient.Do(req)
		close(streamOpen)
		if err != nil {
			streamEnd <- err.Error()
			return
		}
		defer resp.Body.Close()
		last := ""
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "event: ") {
				last = sc.Text()
			}
		}
		streamEnd <- last
	}()

	// The stream is open before the signal (on a loaded machine its dial could otherwise come
	// after the listener closed).
	<-streamOpen

	// The POST sends its headers, waits for 100 Continue (its handler is reading the body)...
	payload := fmt.Sprintf(`{"account_id":%q,"days":3}`, acct.ID)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST /syncs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\n"+
		"Idempotency-Key: drain-1\r\nExpect: 100-continue\r\nContent-Length: %d\r\n\r\n", testToken, len(payload))
	rd := bufio.NewReader(c)
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Minute))
	line, err := rd.ReadString('\n')
	if err != nil || !strings.Contains(line, "100 Continue") {
		t.Fatalf("no 100 Continue: %q %v", line, err)
	}
	_, _ = rd.ReadString('\n') // the blank line after it
	io.WriteString(c, payload[:10])

	// ... SIGTERM ...
	served := make(chan error, 1)
	go func() { served <- stop() }()
	waitFor(t, "the drain to start (no new connections)", func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return true
		}
		c.Close()
		return false
	})
	select {
	case err := <-served:
		t.Fatalf("serve returned (%v) before the request in flight was answered", err)
	default:
	}
	// ... and the rest of the body arrives: the answer is the created sync.
	io.WriteString(c, payload[10:])
	resp, err := http.ReadResponse(rd, nil)
	if err != nil {
		t.Fatalf("no answer to the POST in flight: %v\n%s", err, logs.String())
	}
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST in flight: %d %s", resp.StatusCode, got)
	}
	var sy struct{ ID string }
	_ = json.Unmarshal(got, &sy)
	if err := <-served; err != nil {
		t.Fatalf("serve: %v", err)
	}
	if last := <-streamEnd; last != "event: shutdown" {
		t.Fatalf("the event stream ended with %q, want event: shutdown", last)
	}

	// Exactly one sync exists, the one answered.
	st2, err := store.Open(t.Context(), filepath.Join(env["NAVERSYNC_DATA_DIR"], "naversync.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	list, _, err := st2.ListSyncs(t.Context(), store.SyncFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ID != sy.ID {
		t.Fatalf("%d syncs after the drain (answered %s), want exactly that one", len(list), sy.ID)
	}
}
