package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/naversync/naversync/config"
	"github.com/naversync/naversync/store"
)

// migrate runs `naversync migrate up|status` on NAVERSYNC_DATABASE_URL: for operators who
// migrate as a separate step (and start serve with NAVERSYNC_MIGRATE=false), and to see which
// version a database is at. See docs/operations.md, "Upgrading".
func migrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) != 1 || (args[0] != "up" && args[0] != "status") {
		fmt.Fprint(stderr, "usage: naversync migrate up|status\n")
		return errUsage
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	log := newLogger(stderr, cfg.LogLevel)
	opts := store.Options{Logger: log}
	if args[0] == "up" {
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil { // as serve does: the default SQLite file is in it
			return fmt.Errorf("data dir %s: %w", cfg.DataDir, err)
		}
		before, err := store.ReadSchemaStatus(ctx, cfg.DatabaseURL, opts)
		if err != nil {
			return fmt.Errorf("database: %w", err)
		}
		st, err := store.Open(ctx, cfg.DatabaseURL, opts)
		if err != nil {
			return fmt.Errorf("database: %w", err)
		}
		if err := st.Close(); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "schema migrated from version %d to %d\n", before.Database, before.Binary)
		return nil
	}
	st, err := store.ReadSchemaStatus(ctx, cfg.DatabaseURL, opts)
	if err != nil {
		return fmt.Errorf("database: %w", err)
	}
	fmt.Fprintf(stdout, "database schema version: %d\nthis binary's version:   %d\n", st.Database, st.Binary)
	switch {
	case st.Legacy:
		fmt.Fprintln(stdout, "state: made by a release before versioned migrations; `naversync migrate up` (or serve) adopts it")
	case st.Database == 0:
		fmt.Fprintln(stdout, "state: empty; `naversync migrate up` (or serve) creates the schema")
	case st.Database < st.Binary:
		fmt.Fprintf(stdout, "state: behind; `naversync migrate up` applies versions %d to %d\n", st.Database+1, st.Binary)
	case st.Database > st.Binary:
		fmt.Fprintln(stdout, "state: ahead; a newer release migrated it and this binary refuses to serve it")
	default:
		fmt.Fprintln(stdout, "state: up to date")
	}
	return nil
}
