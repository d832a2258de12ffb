package api_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/naversync/naversync/service"
)

// Webhook targets through the API, every exchange checked against openapi.yaml: admins only;
// the URL is write-only (answers, the list and the audit log show its host, never the URL);
// "send test message" reaches the receiver, and a receiver that cannot be reached is a 502
// problem that does not name the URL.
func TestWebhooksAPI(t *testing.T) {
	e := newEnv(t, envOptions{noStart: true, tokens: []string{"admin-token", "operator:operator-token", "viewer:viewer-token"}})
	var got atomic.Int64
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		if json.Unmarshal(b, &m) != nil || m["text"] == nil {
			http.Error(w, "bad", http.StatusBadRequest)
			return
		}
		got.Add(1)
	}))
	t.Cleanup(rcv.Close)
	secretURL := rcv.URL + "/services/T000/B000/s3cr3tPathPart"

	for _, tok := range []string{"operator-token", "viewer-token"} {
		c := newClient(t, e.srv.URL, tok)
		c.do("GET", "/webhooks", nil, nil).want(http.StatusForbidden)
		c.do("POST", "/webhooks", map[string]any{"name": "x", "kind": "slack", "url": secretURL, "events": []string{"stale"}}, nil).want(http.StatusForbidden)
	}
	e.c.do("POST", "/webhooks", map[string]any{"name": "x", "kind": "teams", "url": "ftp://x", "events": []string{"nope"}}, nil).want(http.StatusBadRequest)

	var h map[string]any
	r := e.c.do("POST", "/webhooks", map[string]any{"name": "ops", "kind": "slack", "url": secretURL, "events": []string{"sync_failed", "stale"}}, nil)
	r.want(http.StatusCreated).decode(&h)
	id := h["id"].(string)
	if h["url_host"] != strings.TrimPrefix(rcv.URL, "http://") || h["enabled"] != true {
		t.Errorf("created %v", h)
	}
	e.c.do("PATCH", "/webhooks/"+id, map[string]any{"name": "ops team", "enabled": true}, nil).want(http.StatusOK)
	e.c.do("GET", "/webhooks/"+id, nil, nil).want(http.StatusOK)
	e.c.do("POST", "/webhooks/"+id+"/test", nil, nil).want(http.StatusOK)
	if got.Load() != 1 {
		t.Errorf("the receiver got %d test messages, want 1", got.Load())
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String() + "/services/T000/B000/s3cr3tPathPart"
	_ = l.Close()
	e.c.do("PATCH", "/webhooks/"+id, map[string]any{"url": closed}, nil).want(http.StatusOK)
	p := e.c.do("POST", "/webhooks/"+id+"/test", nil, nil).want(http.StatusBadGateway).problem()
	if !strings.Contains(p.Detail, "connection refused") || p.Code != service.MsgWebhookFailed ||
		p.Params["error_code"] != string(service.MsgWebhookErrUnreached) || p.Params["error"] != p.Detail {
		t.Errorf("problem %+v", p)
	}

	var all []string
	for _, path := range []string{"/webhooks", "/webhooks/" + id, "/audit?limit=200"} {
		all = append(all, string(e.c.do("GET", path, nil, nil).want(http.StatusOK).Body))
	}
	all = append(all, p.Detail)
	for _, body := range all {
		if strings.Contains(body, "s3cr3tPathPart") {
			t.Errorf("a webhook URL shows in an answer: %s", body)
		}
	}
	e.c.do("DELETE", "/webhooks/"+id, nil, nil).want(http.StatusNoContent)
	e.c.do("GET", "/webhooks/"+id, nil, nil).want(http.StatusNotFound)
}
