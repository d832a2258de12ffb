package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5/middleware"
)

func TestDecodeSyncRequest(t *testing.T) {
	cases := []struct {
		body   string
		status int    // 0: accepted
		field  string // the field the problem names
	}{
		{`{"account_id":"a","days":7}`, 0, ""},
		{`{"account_id":"a","from":"2026-01-01","to":"2026-01-02","full":true}`, 0, ""},
		{` {"account_id":"a"} ` + "\n", 0, ""},
		{`{"account_id":"a","days":0}`, 400, "days"},
		{`{"account_id":"a","days":"1"}`, 400, "days"},
		{`{"account_id":1}`, 400, "account_id"},
		{`{"account_id":"a","x":1}`, 400, "x"},
		{`{"account_id":"a"}{"account_id":"b"}`, 400, ""},
		{`{"account_id":"a"`, 400, ""},
		{`"a"`, 400, ""},
		{``, 400, ""},
		{`nul`, 400, ""},
	}
	for _, tc := range cases {
		req, err := decodeSyncRequest(strings.NewReader(tc.body))
		if tc.status == 0 {
			if err != nil || req.AccountID != "a" {
				t.Errorf("%s: %+v, %v", tc.body, req, err)
			}
			continue
		}
		var rerr *requestError
		if !errors.As(err, &rerr) || rerr.kind.status != tc.status {
			t.Errorf("%s: error %v, want status %d", tc.body, err, tc.status)
			continue
		}
		if tc.field != "" && (len(rerr.fields) != 1 || rerr.fields[0].Field != tc.field) {
			t.Errorf("%s: fields %+v, want %s", tc.body, rerr.fields, tc.field)
		}
	}
}

// FuzzDecodeSyncRequest: decoding never panics, every refusal is a 4xx requestError, and an
// accepted body means what it says (re-encoding and decoding gives the same request).
func FuzzDecodeSyncRequest(f *testing.F) {
	for _, s := range []string{`{"account_id":"a","days":7}`, `{"account_id":"a","from":"2026-01-01","to":"2026-01-31","full":true}`, `{}`, `[]`, `{"days":1e400}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := decodeSyncRequest(bytes.NewReader(body))
		if err != nil {
			var rerr *requestError
			if !errors.As(err, &rerr) || rerr.kind.status < 400 || rerr.kind.status > 499 {
				t.Fatalf("%q: %v is not a 4xx request error", body, err)
			}
			return
		}
		if req.Days < 0 || req.Days == 0 && bytes.Contains(body, []byte(`"days":0`)) {
			t.Fatalf("%q: accepted days %d", body, req.Days)
		}
		b := syncRequestBody{AccountID: req.AccountID, From: req.From, To: req.To, Full: req.Full}
		if req.Days != 0 {
			b.Days = &req.Days
		}
		again, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		back, err := decodeSyncRequest(bytes.NewReader(again))
		if err != nil || back != req {
			t.Fatalf("%q: round trip %+v -> %+v (%v)", body, req, back, err)
		}
	})
}

func TestDecodeBodyLimits(t *testing.T) {
	var v map[string]any
	w := httptest.NewRecorder()
	r := httptest.NewRequest("POST", "/x", strings.NewReader(`{"a":"`+strings.Repeat("x", 100)+`"}`))
	r.Header.Set("Content-Type", "application/json; charset=utf-8")
	var rerr *requestError
	if err := decodeBody(w, r, 50, &v); !errors.As(err, &rerr) || rerr.kind.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized body: %v", err)
	}
	r = httptest.NewRequest("POST", "/x", strings.NewReader(`{}`))
	r.Header.Set("Content-Type", "application/merge-patch+json")
	if err := decodeBody(w, r, 50, &v); err != nil {
		t.Fatalf("+json media type refused: %v", err)
	}
	r = httptest.NewRequest("POST", "/x", strings.NewReader(`{}`))
	if err := decodeBody(w, r, 50, &v); !errors.As(err, &rerr) || rerr.kind.status != http.StatusUnsupportedMediaType {
		t.Fatalf("no content type: %v", err)
	}
}

// TestPanicBecomesProblem: a panicking handler answers a 500 problem, and the panic is logged
// with the request id but not sent to the client.
func TestPanicBecomesProblem(t *testing.T) {
	var logs bytes.Buffer
	h := &handler{log: slog.New(slog.NewTextHandler(&logs, nil))}
	srv := httptest.NewServer(middleware.RequestID(h.observe(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("secret internal state")
	}))))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/boom")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var p Problem
	if err := json.Unmarshal(body, &p); err != nil || resp.StatusCode != 500 || p.Status != 500 || p.Instance != "/boom" || p.RequestID == "" {
		t.Fatalf("%d %s (%v)", resp.StatusCode, body, err)
	}
	if strings.Contains(string(body), "secret") {
		t.Fatalf("panic value sent to the client: %s", body)
	}
	if !strings.Contains(logs.String(), "secret internal state") || !strings.Contains(logs.String(), p.RequestID) {
		t.Fatalf("panic not logged with its request id:\n%s", logs.String())
	}
}

// TestTimeoutBecomesProblem: a request that outlives RequestTimeout is a 503 timeout problem.
func TestTimeoutBecomesProblem(t *testing.T) {
	h := &handler{log: slog.New(slog.DiscardHandler), timeout: time.Nanosecond}
	srv := httptest.NewServer(h.withTimeout(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
		h.fail(w, r, r.Context().Err())
	})))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/slow")
	if err != nil {
		t.Fatal(err)
	}
	var p Problem
	_ = json.NewDecoder(resp.Body).Decode(&p)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || p.Type != ProblemTypeBase+"timeout" {
		t.Fatalf("%d %+v", resp.StatusCode, p)
	}
}

// TestInternalErrorIsGeneric: an unexpected error is a 500 whose detail says nothing of it.
func TestInternalErrorIsGeneric(t *testing.T) {
	var logs bytes.Buffer
	h := &handler{log: slog.New(slog.NewTextHandler(&logs, nil))}
	w := httptest.NewRecorder()
	h.fail(w, httptest.NewRequest("GET", "/syncs", nil), errors.New("pq: password authentication failed for user naversync"))
	if w.Code != 500 || strings.Contains(w.Body.String(), "password") || !strings.Contains(logs.String(), "password") {
		t.Fatalf("%d %s\nlogs: %s", w.Code, w.Body.String(), logs.String())
	}
}
