package config

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// writeKey writes a service-account key file of email (the private key is not parsed here).
func writeKey(t *testing.T, dir, name, email string) string {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"type": "service_account", "client_email": email,
		"private_key": "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n", "token_uri": "https://oauth2.googleapis.com/token"})
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Several keys: a comma-separated list, then a folder's *.json by name; each one identity.
func TestGoogleKeysFilesAndFolder(t *testing.T) {
	files, dir := t.TempDir(), t.TempDir()
	a := writeKey(t, files, "a.json", "a@p1.iam.gserviceaccount.com")
	b := writeKey(t, files, "b.json", "b@p1.iam.gserviceaccount.com")
	d2 := writeKey(t, dir, "2.json", "d2@p2.iam.gserviceaccount.com")
	d1 := writeKey(t, dir, "1.json", "d1@p2.iam.gserviceaccount.com")
	writeKey(t, dir, "notes.txt", "ignored@p2.iam.gserviceaccount.com") // not *.json
	c, err := Load(env(map[string]string{"NAVERSYNC_GOOGLE_CREDENTIALS_FILE": " " + a + " , " + b + ",",
		"NAVERSYNC_GOOGLE_CREDENTIALS_DIR": dir}))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{a, b, d1, d2}; !slices.Equal(c.GoogleCredentialsFiles, want) {
		t.Errorf("keys = %v, want %v", c.GoogleCredentialsFiles, want)
	}
	if c, err := Load(env(nil)); err != nil || len(c.GoogleCredentialsFiles) != 0 {
		t.Errorf("no key: %v, %v; want none (one identity without a key)", c.GoogleCredentialsFiles, err)
	}
}

// A bad key, a second key of one service account, or a folder without keys stops the start,
// naming the file and what is wrong.
func TestGoogleKeysRefused(t *testing.T) {
	dir := t.TempDir()
	good := writeKey(t, dir, "good.json", "Same@p1.iam.gserviceaccount.com")
	twin := writeKey(t, t.TempDir(), "twin.json", "same@p1.iam.gserviceaccount.com")
	notKey := filepath.Join(dir, "user.json")
	if err := os.WriteFile(notKey, []byte(`{"type":"authorized_user","client_id":"x"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(t.TempDir(), "garbage.json")
	if err := os.WriteFile(garbage, []byte("not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		env  map[string]string
		want []string
	}{
		"duplicate":             {map[string]string{"NAVERSYNC_GOOGLE_CREDENTIALS_FILE": good + "," + twin}, []string{twin, "second key of same@p1.iam.gserviceaccount.com", good}},
		"not a service account": {map[string]string{"NAVERSYNC_GOOGLE_CREDENTIALS_FILE": notKey}, []string{notKey, "not a service-account key"}},
		"not json":              {map[string]string{"NAVERSYNC_GOOGLE_CREDENTIALS_FILE": garbage}, []string{garbage, "not a JSON key"}},
		"missing file":          {map[string]string{"NAVERSYNC_GOOGLE_CREDENTIALS_FILE": filepath.Join(dir, "none.json")}, []string{"none.json"}},
		"empty folder":          {map[string]string{"NAVERSYNC_GOOGLE_CREDENTIALS_DIR": t.TempDir()}, []string{"NAVERSYNC_GOOGLE_CREDENTIALS_DIR", "no service-account key"}},
		"no folder":             {map[string]string{"NAVERSYNC_GOOGLE_CREDENTIALS_DIR": filepath.Join(dir, "nope")}, []string{"NAVERSYNC_GOOGLE_CREDENTIALS_DIR"}},
		"folder and file twin":  {map[string]string{"NAVERSYNC_GOOGLE_CREDENTIALS_FILE": twin, "NAVERSYNC_GOOGLE_CREDENTIALS_DIR": dir}, []string{"second key", notKey}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Load(env(tc.env))
			if err == nil {
				t.Fatal("loaded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err %q lacks %q", err, w)
				}
			}
		})
	}
}

// Writes wait on each identity's quota, not on the CPU: with five identities the default
// processing pool has two workers per identity (one waits for its identity's next slot while
// another writes), and the CPU-bound builds stay at the cores (NAVERSYNC_BUILD_WORKERS).
func TestProcessWorkersGrowWithIdentities(t *testing.T) {
	dir := t.TempDir()
	for i := range 5 {
		writeKey(t, dir, fmt.Sprintf("%d.json", i), fmt.Sprintf("id%d@p1.iam.gserviceaccount.com", i))
	}
	cores := min(max(runtime.GOMAXPROCS(0), 2), 8)
	c, err := Load(env(map[string]string{"NAVERSYNC_GOOGLE_CREDENTIALS_DIR": dir}))
	if err != nil {
		t.Fatal(err)
	}
	if c.ProcessWorkers != max(cores, 10) || c.BuildWorkers != cores {
		t.Errorf("five identities: %d processing workers, %d builds at once; want %d and %d", c.ProcessWorkers, c.BuildWorkers, max(cores, 10), cores)
	}
	c, err = Load(env(map[string]string{"NAVERSYNC_GOOGLE_CREDENTIALS_DIR": dir, "NAVERSYNC_PROCESS_WORKERS": "3", "NAVERSYNC_BUILD_WORKERS": "1"}))
	if err != nil || c.ProcessWorkers != 3 || c.BuildWorkers != 1 {
		t.Errorf("set: %d processing workers, %d builds (%v); want 3 and 1", c.ProcessWorkers, c.BuildWorkers, err)
	}
	if _, err := Load(env(map[string]string{"NAVERSYNC_BUILD_WORKERS": "0"})); err == nil || !strings.Contains(err.Error(), "NAVERSYNC_BUILD_WORKERS") {
		t.Errorf("NAVERSYNC_BUILD_WORKERS=0: %v, want refused by name", err)
	}
}
