package service_test

import (
	"bufio"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/naversync/naversync/google/sheetstest"
	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/store/storetest"
)

// The Naver secret key is stored encrypted: read straight from the accounts table with
// database/sql, no column holds it in clear, hex or base64.
func TestSecretEncryptedAtRest(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := newWorld(t, db, worldOptions{})
			e := w.relEngine(relOptions{noStart: true})
			secret := "TOPSECRET-naver-key-7f3a9c"
			w.sheets.CreateSpreadsheet("sheet-v", sheetstest.DefaultCaller)
			a, err := e.svc.CreateAccount(t.Context(), service.AccountInput{Name: "Vault", CustomerID: "7007",
				APIKey: "key-7007", SecretKey: secret, SpreadsheetID: "sheet-v", SheetTab: "data"})
			if err != nil {
				t.Fatal(err)
			}
			rows, err := rawDB(t, w.db).QueryContext(t.Context(), "SELECT * FROM accounts")
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			cols, err := rows.Columns()
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					t.Fatal(err)
				}
				for i, v := range vals {
					raw := fmt.Sprint(v)
					if b, ok := v.([]byte); ok {
						raw = string(b)
					}
					for _, form := range []string{secret, hex.EncodeToString([]byte(secret)), base64.StdEncoding.EncodeToString([]byte(secret))} {
						if strings.Contains(raw, form) {
							t.Errorf("column %s of account %s holds the secret key (%q)", cols[i], a.ID, form)
						}
					}
					if cols[i] == "secret_enc" && len(raw) < len(secret) {
						t.Errorf("secret_enc is %d bytes: nothing sealed", len(raw))
					}
				}
				n++
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if n != 1 {
				t.Fatalf("read %d account rows, want 1", n)
			}
		})
	}
}

// A sync whose secret key Naver refuses fails with an auth error; neither that secret nor the
// customer's real one appears in the engine's log, in the sync's or account's error, or in
// anything the service returns. The sync that follows with the right key succeeds, and its
// log does not show the key either.
func TestSecretAbsentFromLogsAndErrors(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := newWorld(t, db, worldOptions{})
			w.customer("8008", 1, 2, 2)
			var logs syncBuffer
			e := w.relEngine(relOptions{log: &logs, leaseTTL: 3 * time.Second})
			wrong := "WRONG-secret-9d81e2"
			real := "secret-8008" // what the simulator's customer signs with (world.customer)
			w.sheets.CreateSpreadsheet("sheet-s", sheetstest.DefaultCaller)
			a, err := e.svc.CreateAccount(t.Context(), service.AccountInput{Name: "Leaky?", CustomerID: "8008",
				APIKey: "key-8008", SecretKey: wrong, SpreadsheetID: "sheet-s", SheetTab: "data"})
			if err != nil {
				t.Fatal(err)
			}
			s := enqueue(t, e, a.ID, 3)
			got := waitTerminal(t, e.svc, s.ID)[s.ID]
			if got.Status != service.StatusFailed || got.Error == nil || got.Error.Kind != "auth" {
				t.Fatalf("sync with a wrong secret ended %s %+v, want failed with kind auth", got.Status, got.Error)
			}
			acct, err := e.svc.GetAccount(t.Context(), a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if acct.LastError == "" {
				t.Error("the account does not say its credentials were refused")
			}
			fixed := real
			if _, err := e.svc.UpdateAccount(t.Context(), a.ID, service.AccountPatch{SecretKey: &fixed}); err != nil {
				t.Fatal(err)
			}
			s2 := enqueue(t, e, a.ID, 3)
			if g := waitTerminal(t, e.svc, s2.ID)[s2.ID]; g.Status != service.StatusSucceeded {
				t.Fatalf("sync with the right secret ended %s %+v", g.Status, g.Error)
			}
			acct, err = e.svc.GetAccount(t.Context(), a.ID)
			if err != nil {
				t.Fatal(err)
			}
			// The audit log records both changes, naming the secret key's field but never its value,
			// read through the service and straight from its table.
			entries, _, err := e.svc.ListAudit(t.Context(), service.AuditFilter{AccountID: a.ID})
			if err != nil {
				t.Fatal(err)
			}
			var changes []service.AuditEntry // the account's own changes; its sync requests are there too
			for _, en := range entries {
				if strings.HasPrefix(en.Action, "account.") {
					changes = append(changes, en)
				}
			}
			if len(changes) != 2 || changes[0].Action != service.AuditAccountUpdate || !slices.Contains(changes[0].Fields, "secret_key") ||
				changes[1].Action != service.AuditAccountCreate || !slices.Contains(changes[1].Fields, "secret_key") || len(entries) != 4 {
				t.Errorf("audit log of the account: %+v; want its creation and the new secret key", entries)
			}
			auditRows := dumpTable(t, w.db, "audit_entries")
			views, err := json.Marshal([]any{got, acct, a, entries})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(logs.String(), "8008") {
				t.Fatal("the captured log does not mention the customer: nothing was captured")
			}
			for _, sec := range []string{wrong, real} {
				for where, text := range map[string]string{"log": logs.String(), "responses": string(views), "sync error": got.Error.Message, "audit table": auditRows} {
					if strings.Contains(text, sec) {
						t.Errorf("the secret %q appears in the %s", sec, where)
					}
				}
			}
		})
	}
}

// dumpTable reads every row of a table straight from the database, as text.
func dumpTable(t *testing.T, db storetest.DB, table string) string {
	t.Helper()
	rows, err := rawDB(t, db).QueryContext(t.Context(), "SELECT * FROM "+table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			if bs, ok := v.([]byte); ok {
				v = string(bs)
			}
			fmt.Fprintf(&b, "%v\t", v)
		}
		b.WriteString("\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// The container runs as a non-root user: the final stage of the Dockerfile sets USER to a
// named or numeric user other than root/0.
func TestDockerfileRunsAsNonRoot(t *testing.T) {
	f, err := os.Open("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	user, stages := "", 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		switch strings.ToUpper(fields[0]) {
		case "FROM":
			stages++
			user = "" // USER does not carry across stages
			if strings.Contains(fields[1], ":nonroot") {
				user = "nonroot (base image default)"
			}
		case "USER":
			user = fields[1]
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if stages == 0 {
		t.Fatal("no FROM in the Dockerfile")
	}
	name, _, _ := strings.Cut(user, ":")
	if name == "" || name == "root" || name == "0" {
		t.Fatalf("the final stage runs as %q, want a non-root user", user)
	}
	t.Logf("final stage runs as %s", user)
}
