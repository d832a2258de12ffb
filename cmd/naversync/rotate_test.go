package main

import (
	"bytes"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestSecretKeyRotation follows README's procedure: secrets stored under key 1; the new key 2
// encrypts and key 1 still decrypts (NAVERSYNC_SECRET_KEYS_OLD) until rotate-secrets (or serve,
// in the background) re-encrypted every secret; then key 1 can go.
func TestSecretKeyRotation(t *testing.T) {
	t.Parallel()
	key1 := hex.EncodeToString(bytes.Repeat([]byte{1}, 32))
	key2 := hex.EncodeToString(bytes.Repeat([]byte{2}, 32))
	env := serveEnv(t, map[string]string{"NAVERSYNC_SECRET_KEY": key1})
	// validate asks Naver to check the stored credentials of account id: the stored secret must
	// decrypt with the running keys.
	validate := func(base, id string) int {
		st, _ := call(t, "PATCH", base+"/accounts/"+id, map[string]any{"validate_credentials": true}, nil)
		return st
	}

	addr, _, stop := startServe(t, env)
	base := "http://" + addr
	var ids []string
	for i, tab := range []string{"one", "two", "three"} {
		st, body := call(t, "POST", base+"/accounts", map[string]any{"name": tab, "customer_id": "9001", "api_key": "key-9001",
			"secret_key": "secret-9001", "spreadsheet_id": "sheet9001", "sheet_tab": tab}, nil)
		if st != http.StatusCreated {
			t.Fatalf("account %d: %d %s", i, st, body)
		}
		ids = append(ids, strings.Split(strings.Split(string(body), `"id":"`)[1], `"`)[0])
	}
	if st := validate(base, ids[0]); st != http.StatusOK {
		t.Fatalf("validate under key 1: %d", st)
	}
	must(t, stop())

	// Key 2 alone cannot decrypt what key 1 encrypted.
	env["NAVERSYNC_SECRET_KEY"] = key2
	addr, _, stop = startServe(t, env)
	if st := validate("http://"+addr, ids[0]); st == http.StatusOK {
		t.Fatal("key 2 decrypted a secret of key 1")
	}
	must(t, stop())

	// Step 1: key 2 encrypts, key 1 still decrypts; serve re-encrypts in the background.
	env["NAVERSYNC_SECRET_KEYS_OLD"] = key1
	addr, logs, stop := startServe(t, env)
	if st := validate("http://"+addr, ids[1]); st != http.StatusOK {
		t.Fatalf("validate with key 2 and old key 1: %d", st)
	}
	waitFor(t, "serve to re-encrypt the secrets", func() bool { return strings.Contains(logs.String(), "secrets re-encrypted") })
	must(t, stop())
	// Step 2: rotate-secrets confirms that nothing is left for key 1.
	var out, errs bytes.Buffer
	if err := run(t.Context(), []string{"rotate-secrets"}, func(k string) string { return env[k] }, &out, &errs); err != nil {
		t.Fatalf("rotate-secrets: %v\n%s%s", err, out.String(), errs.String())
	}
	if !strings.Contains(out.String(), "re-encrypted 0 secrets; 3 were already encrypted") {
		t.Fatalf("rotate-secrets: %s", out.String())
	}
	// Step 3: key 1 removed; every secret decrypts with key 2.
	delete(env, "NAVERSYNC_SECRET_KEYS_OLD")
	addr, _, stop = startServe(t, env)
	for _, id := range ids {
		if st := validate("http://"+addr, id); st != http.StatusOK {
			t.Fatalf("validate %s with key 2 only: %d", id, st)
		}
	}
	must(t, stop())
}

// TestRotateSecretsCommand: the command re-encrypts what the old key encrypted and fails while
// a secret remains that no key decrypts.
func TestRotateSecretsCommand(t *testing.T) {
	t.Parallel()
	key1 := hex.EncodeToString(bytes.Repeat([]byte{1}, 32))
	key2 := hex.EncodeToString(bytes.Repeat([]byte{2}, 32))
	key3 := hex.EncodeToString(bytes.Repeat([]byte{3}, 32))
	env := serveEnv(t, map[string]string{"NAVERSYNC_SECRET_KEY": key1})
	addr, _, stop := startServe(t, env)
	st, body := call(t, "POST", "http://"+addr+"/accounts", map[string]any{"name": "n", "customer_id": "9001", "api_key": "key-9001",
		"secret_key": "secret-9001", "spreadsheet_id": "sheet9001"}, nil)
	if st != http.StatusCreated {
		t.Fatalf("account: %d %s", st, body)
	}
	must(t, stop())
	rotate := func(keys ...string) (string, error) {
		env["NAVERSYNC_SECRET_KEY"], env["NAVERSYNC_SECRET_KEYS_OLD"] = keys[0], strings.Join(keys[1:], ",")
		var out bytes.Buffer
		err := run(t.Context(), []string{"rotate-secrets"}, func(k string) string { return env[k] }, &out, io.Discard)
		return out.String(), err
	}
	if out, err := rotate(key2, key3); err == nil || !strings.Contains(out, "1 no key decrypts") {
		t.Fatalf("without the old key: %v %s", err, out)
	}
	if out, err := rotate(key2, key3, key1); err != nil || !strings.Contains(out, "re-encrypted 1 secrets") {
		t.Fatalf("with the old key: %v %s", err, out)
	}
	if out, err := rotate(key2); err != nil || !strings.Contains(out, "0 secrets; 1 were already") {
		t.Fatalf("after the rotation: %v %s", err, out)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
