package store_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/naversync/naversync/store"
	"github.com/naversync/naversync/store/storetest"
)

// The models and the migrations agree: on a database made by the migrations alone, gorm's
// Migrator finds every table, column and index of every model, and AutoMigrate has nothing left
// to create or alter. A column or index added to a model without a migration (or a migration
// that makes a column of another type than the model's) fails here.
func TestMigrationsMatchModels(t *testing.T) {
	t.Parallel()
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			t.Parallel()
			s := storetest.Open(t, db, store.Options{})
			ddl, missing, err := s.AutoMigrateForTest(ctxT(t))
			must(t, err)
			if len(missing) > 0 {
				t.Errorf("the migrations lack what the models describe:\n%s", strings.Join(missing, "\n"))
			}
			if len(ddl) > 0 {
				t.Errorf("AutoMigrate would still change the migrated schema:\n%s", strings.Join(ddl, "\n"))
			}
		})
	}
}

// A database made by release 10e4a02 (AutoMigrate, no version table) is adopted at the next
// start: it ends with exactly the schema a fresh database gets from the migrations, at this
// binary's version, its rows kept.
func TestAdoptsDatabaseOfEarlierRelease(t *testing.T) {
	t.Parallel()
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			t.Parallel()
			ctx := ctxT(t)
			must(t, store.LegacyDatabaseForTest(ctx, db.URL))
			st, err := store.ReadSchemaStatus(ctx, db.URL, store.Options{})
			must(t, err)
			if !st.Legacy || st.Database != 0 {
				t.Fatalf("status of a 10e4a02 database = %+v, want legacy at version 0", st)
			}
			// serve with migrations disabled refuses it.
			_, err = store.Open(ctx, db.URL, store.Options{NoMigrate: true})
			var ve *store.SchemaVersionError
			if !errors.As(err, &ve) || ve.Database != 0 || ve.Binary != st.Binary {
				t.Fatalf("open without migrating = %v, want a SchemaVersionError 0 < %d", err, st.Binary)
			}
			s := storetest.Open(t, db, store.Options{})
			st, err = store.ReadSchemaStatus(ctx, db.URL, store.Options{})
			must(t, err)
			if st.Legacy || st.Database != s.LatestVersionForTest() {
				t.Fatalf("status after adoption = %+v, want version %d", st, s.LatestVersionForTest())
			}
			fresh := storetest.Databases(t)
			var other storetest.DB
			for _, f := range fresh {
				if f.Name == db.Name {
					other = f
				}
			}
			storetest.Open(t, other, store.Options{})
			got, want := storetest.Schema(t, db), storetest.Schema(t, other)
			if !slices.Equal(got, want) {
				t.Errorf("adopted schema differs from the migrations' schema:\n%s", diffLines(want, got))
			}
		})
	}
}

// serve refuses a database a newer release migrated, naming both versions, with or without
// migrations enabled; and a database behind it when migrations are disabled.
func TestRefusesDatabaseAheadOrBehind(t *testing.T) {
	t.Parallel()
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			t.Parallel()
			ctx := ctxT(t)
			s := storetest.Open(t, db, store.Options{})
			latest := s.LatestVersionForTest()
			s2, err := store.Open(ctx, db.URL, store.Options{NoMigrate: true})
			if err != nil {
				t.Fatalf("open at the binary's version without migrating: %v", err)
			}
			must(t, s2.Close())
			must(t, s.ExecForTest(ctx, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (?, ?)`, latest+1, true))
			for _, noMigrate := range []bool{false, true} {
				_, err := store.Open(ctx, db.URL, store.Options{NoMigrate: noMigrate})
				var ve *store.SchemaVersionError
				if !errors.As(err, &ve) || ve.Database != latest+1 || ve.Binary != latest {
					t.Fatalf("open (no migrate %v) of a database ahead = %v, want SchemaVersionError", noMigrate, err)
				}
				if msg := err.Error(); !strings.Contains(msg, fmt.Sprintf("version %d", latest+1)) || !strings.Contains(msg, fmt.Sprintf("version %d", latest)) {
					t.Errorf("message %q does not name both versions", msg)
				}
			}
			st, err := store.ReadSchemaStatus(ctx, db.URL, store.Options{})
			must(t, err)
			if st.Database != latest+1 || st.Binary != latest {
				t.Errorf("status = %+v", st)
			}
			// Behind: an empty database, migrations disabled.
			empty := storetest.Databases(t)
			for _, e := range empty {
				if e.Name != db.Name {
					continue
				}
				_, err := store.Open(ctx, e.URL, store.Options{NoMigrate: true})
				var ve *store.SchemaVersionError
				if !errors.As(err, &ve) || ve.Database != 0 || ve.Binary != latest {
					t.Fatalf("open of an empty database without migrating = %v", err)
				}
			}
		})
	}
}

// diffLines lists the lines only in want (-) and only in got (+).
func diffLines(want, got []string) string {
	var b strings.Builder
	for _, l := range want {
		if !slices.Contains(got, l) {
			fmt.Fprintln(&b, "-", l)
		}
	}
	for _, l := range got {
		if !slices.Contains(want, l) {
			fmt.Fprintln(&b, "+", l)
		}
	}
	return b.String()
}

// Every step after the baseline only expands the schema (store/migrations/README.md), unless
// it is marked as the contract step of an earlier expand: the previous release runs beside it
// during a rolling upgrade, and is what a rollback runs.
func TestMigrationsOnlyExpand(t *testing.T) {
	t.Parallel()
	contract := regexp.MustCompile(`(?i)\bDROP\s+(TABLE|COLUMN)\b|\bRENAME\b|\bALTER\s+COLUMN\s+\S+\s+(SET\s+DATA\s+)?TYPE\b|\bSET\s+NOT\s+NULL\b`)
	for _, dir := range []string{"migrations/postgres", "migrations/sqlite"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.sql"))
		must(t, err)
		if len(files) == 0 {
			t.Fatalf("no migrations in %s", dir)
		}
		for _, f := range files {
			if strings.HasPrefix(filepath.Base(f), "00001_") {
				continue // the baseline
			}
			b, err := os.ReadFile(f)
			must(t, err)
			up, _, _ := strings.Cut(string(b), "-- +goose Down")
			if strings.Contains(up, "-- contract:") {
				continue
			}
			for _, line := range strings.Split(up, "\n") {
				if code, _, _ := strings.Cut(line, "--"); contract.MatchString(code) {
					t.Errorf("%s: %q contracts the schema; it needs two releases (store/migrations/README.md)", f, strings.TrimSpace(line))
				}
			}
		}
	}
}

// Replicas starting together on an empty database all open it: one migrates (under the advisory
// lock on PostgreSQL), the others wait and find it done; every version is recorded once.
func TestReplicasMigrateTogether(t *testing.T) {
	t.Parallel()
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			t.Parallel()
			errs := make(chan error, 4)
			for range 4 {
				go func() {
					s, err := store.Open(ctxT(t), db.URL, store.Options{})
					if err == nil {
						err = s.Close()
					}
					errs <- err
				}()
			}
			for range 4 {
				must(t, <-errs)
			}
			s := storetest.Open(t, db, store.Options{})
			st, err := store.ReadSchemaStatus(ctxT(t), db.URL, store.Options{})
			must(t, err)
			want := make([]int64, 0, s.LatestVersionForTest())
			for v := int64(1); v <= s.LatestVersionForTest(); v++ {
				want = append(want, v)
			}
			if !slices.Equal(st.Applied, want) {
				t.Errorf("versions recorded %v, want %v", st.Applied, want)
			}
		})
	}
}
