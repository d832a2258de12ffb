package main

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	_ "github.com/glebarez/go-sqlite" // database/sql driver "sqlite"
)

// `naversync migrate status` prints the versions; `migrate up` applies them; serve with
// NAVERSYNC_MIGRATE=false refuses a database behind it, and serve refuses a database ahead of
// it whatever NAVERSYNC_MIGRATE says, naming both versions.
func TestMigrateCommandAndServeRefusals(t *testing.T) {
	env := serveEnv(t, nil)
	getenv := func(k string) string { return env[k] }
	runOut := func(args ...string) (string, error) {
		var out, errs bytes.Buffer
		err := run(t.Context(), args, getenv, &out, &errs)
		return out.String(), err
	}
	out, err := runOut("migrate", "status")
	if err != nil || !strings.Contains(out, "database schema version: 0") || !strings.Contains(out, "state: empty") {
		t.Fatalf("status of an empty database: %v\n%s", err, out)
	}
	binary := regexpInt(t, out, `this binary's version:\s+(\d+)`)

	env["NAVERSYNC_MIGRATE"] = "false"
	if err := run(t.Context(), []string{"serve"}, getenv, &bytes.Buffer{}, &bytes.Buffer{}); err == nil ||
		!strings.Contains(err.Error(), fmt.Sprintf("version 0, behind this binary's version %d", binary)) || !strings.Contains(err.Error(), "naversync migrate up") {
		t.Fatalf("serve without migrating on an empty database: %v", err)
	}
	if out, err := runOut("migrate", "up"); err != nil || !strings.Contains(out, fmt.Sprintf("from version 0 to %d", binary)) {
		t.Fatalf("migrate up: %v\n%s", err, out)
	}
	if out, err := runOut("migrate", "status"); err != nil || !strings.Contains(out, fmt.Sprintf("database schema version: %d", binary)) || !strings.Contains(out, "up to date") {
		t.Fatalf("status after up: %v\n%s", err, out)
	}
	_, logs, stop := startServe(t, env) // at its version: serves without migrating
	if err := stop(); err != nil {
		t.Fatalf("serve: %v\n%s", err, logs)
	}

	// A newer release migrated the database.
	db, err := sql.Open("sqlite", env["NAVERSYNC_DATA_DIR"]+"/naversync.db")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO goose_db_version (version_id, is_applied) VALUES (?, 1)`, binary+5); err != nil {
		t.Fatal(err)
	}
	_ = db.Close()
	for _, m := range []string{"true", "false"} {
		env["NAVERSYNC_MIGRATE"] = m
		err := run(t.Context(), []string{"serve"}, getenv, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("version %d, newer than this binary's version %d", binary+5, binary)) {
			t.Errorf("serve (NAVERSYNC_MIGRATE=%s) on a database ahead: %v", m, err)
		}
	}
	if out, err := runOut("migrate", "status"); err != nil || !strings.Contains(out, "state: ahead") {
		t.Errorf("status of a database ahead: %v\n%s", err, out)
	}
	if _, err := runOut("migrate", "up"); err == nil || !strings.Contains(err.Error(), "newer than this binary's") {
		t.Errorf("migrate up of a database ahead: %v", err)
	}
}

func regexpInt(t *testing.T, s, re string) int64 {
	t.Helper()
	var n int64
	m := regexp.MustCompile(re).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("%q not in %q", re, s)
	}
	fmt.Sscan(m[1], &n)
	return n
}

// TestMigrateOnFreshMachine: on a machine where the service never ran (the default SQLite file
// under a data directory that does not exist yet), `migrate status` says the database is empty
// and creates nothing, and `migrate up` makes the directory and the schema, as serve would.
func TestMigrateOnFreshMachine(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "not", "yet")
	getenv := func(k string) string {
		if k == "NAVERSYNC_DATA_DIR" {
			return dir
		}
		return ""
	}
	var out, errs bytes.Buffer
	if err := run(t.Context(), []string{"migrate", "status"}, getenv, &out, &errs); err != nil || !strings.Contains(out.String(), "state: empty") {
		t.Fatalf("status on a fresh machine: %v\n%s%s", err, out.String(), errs.String())
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("status made %s (%v): it must create nothing", dir, err)
	}
	out.Reset()
	if err := run(t.Context(), []string{"migrate", "up"}, getenv, &out, &errs); err != nil || !strings.Contains(out.String(), "from version 0 to") {
		t.Fatalf("up on a fresh machine: %v\n%s%s", err, out.String(), errs.String())
	}
	out.Reset()
	if err := run(t.Context(), []string{"migrate", "status"}, getenv, &out, &errs); err != nil || !strings.Contains(out.String(), "up to date") {
		t.Fatalf("status after up: %v\n%s%s", err, out.String(), errs.String())
	}
}
