// Package storetest gives tests fresh, isolated store databases of both
// dialects: a temporary SQLite file, and a fresh PostgreSQL schema in the
// database named by the environment variable NAVERSYNC_TEST_DATABASE_URL.
//
// Without that variable the PostgreSQL entry is skipped (with a t.Log), unless
// CI is set, where its absence fails the test.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/glebarez/go-sqlite" // database/sql driver "sqlite", for Schema
	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", for Schema

	"github.com/naversync/naversync/store"
)

// EnvDatabaseURL names the PostgreSQL database tests create schemas in.
const EnvDatabaseURL = "NAVERSYNC_TEST_DATABASE_URL"

// DB is one test database.
type DB struct {
	Name string // "sqlite" or "postgres"
	URL  string // pass to store.Open; valid for several Stores and child processes
}

// Databases returns a fresh isolated database per dialect, removed when the
// test ends.
func Databases(t testing.TB) []DB {
	t.Helper()
	dbs := []DB{{Name: store.DialectSQLite, URL: "sqlite://" + filepath.Join(t.TempDir(), "naversync.db")}}
	base := os.Getenv(EnvDatabaseURL)
	if base == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("storetest: %s is not set (required when CI is set)", EnvDatabaseURL)
		}
		t.Logf("storetest: %s not set; skipping PostgreSQL", EnvDatabaseURL)
		return dbs
	}
	return append(dbs, DB{Name: store.DialectPostgres, URL: postgresSchema(t, base)})
}

// postgresSchema creates a uniquely named schema, registers its removal and
// returns base with search_path set to it.
func postgresSchema(t testing.TB, base string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("storetest: %s must be a postgres:// URL: %v", EnvDatabaseURL, err)
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	schema := "naversync_test_" + hex.EncodeToString(b[:])

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("storetest: connect %s: %v", u.Redacted(), err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("storetest: create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("storetest: drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("storetest: drop schema %s: %v", schema, err)
		}
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open opens a Store on db with opts and closes it when the test ends. Call it
// twice on one DB for two replicas.
func Open(t testing.TB, db DB, opts store.Options) *store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := store.Open(ctx, db.URL, opts)
	if err != nil {
		t.Fatalf("storetest: open %s: %v", db.Name, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("storetest: close %s: %v", db.Name, err)
		}
	})
	return s
}

// Schema describes db's schema, one line per column and per index (PostgreSQL: from
// information_schema and pg_indexes of the current schema; SQLite: the CREATE statements SQLite
// keeps). Two databases with equal Schema have the same tables, columns, types, defaults,
// nullability and indexes.
func Schema(t testing.TB, db DB) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var q string
	var sqlDB *sql.DB
	var err error
	if db.Name == store.DialectPostgres {
		sqlDB, err = sql.Open("pgx", db.URL)
		q = `SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' nullable=' || is_nullable || ' default=' || COALESCE(column_default, '')
			FROM information_schema.columns WHERE table_schema = current_schema()
			UNION ALL
			SELECT 'index ' || tablename || '.' || indexname || ' ' || replace(indexdef, current_schema() || '.', '')
			FROM pg_indexes WHERE schemaname = current_schema()
			ORDER BY 1`
	} else {
		sqlDB, err = sql.Open("sqlite", strings.TrimPrefix(db.URL, "sqlite://"))
		q = `SELECT type || ' ' || name || ' ' || COALESCE(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name`
	}
	if err != nil {
		t.Fatalf("storetest: schema of %s: %v", db.Name, err)
	}
	defer sqlDB.Close()
	rows, err := sqlDB.QueryContext(ctx, q)
	if err != nil {
		t.Fatalf("storetest: schema of %s: %v", db.Name, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatalf("storetest: schema of %s: %v", db.Name, err)
		}
		out = append(out, line)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("storetest: schema of %s: %v", db.Name, err)
	}
	return out
}
