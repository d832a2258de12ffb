package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestRotateSecretsWebhookURLs: a webhook's URL is a secret like a Naver secret key, so
// rotate-secrets re-encrypts it too: once the old key is removed, a message still reaches the
// receiver (and the command's report counts the URL).
func TestRotateSecretsWebhookURLs(t *testing.T) {
	t.Parallel()
	key1 := hex.EncodeToString(bytes.Repeat([]byte{1}, 32))
	key2 := hex.EncodeToString(bytes.Repeat([]byte{2}, 32))
	var got atomic.Int64
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hook/s3cr3t" {
			got.Add(1)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(rcv.Close)
	env := serveEnv(t, map[string]string{"NAVERSYNC_SECRET_KEY": key1})
	sendTest := func(id string) (int, string) {
		addr, _, stop := startServe(t, env)
		defer func() { must(t, stop()) }()
		st, body := call(t, "POST", "http://"+addr+"/webhooks/"+id+"/test", nil, nil)
		return st, string(body)
	}

	// A webhook whose URL key 1 encrypts; its test message is delivered.
	addr, _, stop := startServe(t, env)
	st, body := call(t, "POST", "http://"+addr+"/webhooks", map[string]any{"name": "ops", "kind": "slack",
		"url": rcv.URL + "/hook/s3cr3t", "events": []string{"sync_failed"}}, nil)
	if st != http.StatusCreated {
		t.Fatalf("create the webhook: %d %s", st, body)
	}
	var hook struct{ ID string }
	must(t, json.Unmarshal(body, &hook))
	must(t, stop())
	if st, body := sendTest(hook.ID); st != http.StatusOK || got.Load() != 1 {
		t.Fatalf("test message under key 1: %d %s, %d received", st, body, got.Load())
	}

	// rotate-secrets with key 2 current and key 1 old (no serve in between, which would
	// re-encrypt in the background): the URL is re-encrypted.
	env["NAVERSYNC_SECRET_KEY"], env["NAVERSYNC_SECRET_KEYS_OLD"] = key2, key1
	var out, errs bytes.Buffer
	if err := run(t.Context(), []string{"rotate-secrets"}, func(k string) string { return env[k] }, &out, &errs); err != nil {
		t.Fatalf("rotate-secrets: %v\n%s%s", err, out.String(), errs.String())
	}
	if !strings.Contains(out.String(), "re-encrypted 1 secrets") {
		t.Errorf("rotate-secrets: %s", out.String())
	}

	// Key 1 removed: the URL still decrypts, and the message reaches the receiver.
	delete(env, "NAVERSYNC_SECRET_KEYS_OLD")
	if st, body := sendTest(hook.ID); st != http.StatusOK || got.Load() != 2 {
		t.Fatalf("test message with key 2 only after the rotation: %d %s, %d received", st, body, got.Load())
	}
	var check bytes.Buffer
	if err := run(t.Context(), []string{"rotate-secrets"}, func(k string) string { return env[k] }, &check, io.Discard); err != nil ||
		!strings.Contains(check.String(), "re-encrypted 0 secrets; 1 were already encrypted") {
		t.Errorf("rotate-secrets after the rotation: %v %s", err, check.String())
	}
}
