package service_test

import (
	"testing"

	"github.com/naversync/naversync/google/sheetstest"
	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/service/servicetest"
	"github.com/naversync/naversync/store"
	"github.com/naversync/naversync/store/storetest"
)

// Every audit entry is written in the transaction of the change it records: when the entry
// cannot be written (here a trigger refuses every insert into the audit log), the change is not
// made either and the caller gets the error. (Before: the change was committed first and the
// entry written afterwards, its failure only logged: a crash, or a failure, between the two left
// a change nobody could tell who made.)
func TestAuditEntryCommitsWithItsChange(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := servicetest.NewWorld(t, db, servicetest.WorldOptions{})
			w.Customer("8008", 1, 1, 1)
			w.Customer("8009", 1, 1, 1)
			e := w.Engine(servicetest.EngineOptions{NoStart: true})
			ctx := service.WithActor(t.Context(), service.Actor{Name: "admin token 0a1b2c3d", Role: service.RoleAdmin})
			svc := e.Service
			a := w.Account(e, "Kept", "8008", "sheet-kept", service.LevelCampaign)
			queued, _, err := svc.EnqueueSync(ctx, service.SyncRequest{AccountID: a.ID, Days: 3})
			if err != nil {
				t.Fatal(err)
			}

			raw := rawDB(t, db)
			var refuse []string
			if db.Name == store.DialectPostgres {
				refuse = []string{
					`CREATE FUNCTION audit_down() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit log down'; END $$`,
					`CREATE TRIGGER audit_down BEFORE INSERT ON audit_entries FOR EACH ROW EXECUTE FUNCTION audit_down()`,
				}
			} else {
				refuse = []string{`CREATE TRIGGER audit_down BEFORE INSERT ON audit_entries BEGIN SELECT RAISE(ABORT, 'audit log down'); END`}
			}
			for _, q := range refuse {
				if _, err := raw.ExecContext(t.Context(), q); err != nil {
					t.Fatal(err)
				}
			}

			w.Sheets.CreateSpreadsheet("sheet-new", sheetstest.DefaultCaller)
			if _, err := svc.CreateAccount(ctx, service.AccountInput{Name: "New", CustomerID: "8009", APIKey: "key-8009",
				SecretKey: "secret-8009", SpreadsheetID: "sheet-new", SheetTab: "data", Level: service.LevelCampaign}); err == nil {
				t.Error("an account was created without its audit entry")
			}
			renamed := "Renamed"
			if _, err := svc.UpdateAccount(ctx, a.ID, service.AccountPatch{Name: &renamed}); err == nil {
				t.Error("an account was updated without its audit entry")
			}
			if _, _, err := svc.EnqueueSync(ctx, service.SyncRequest{AccountID: a.ID, Days: 5}); err == nil {
				t.Error("a sync was queued without its audit entry")
			}
			if _, err := svc.CancelSync(ctx, queued.ID); err == nil {
				t.Error("a sync was canceled without its audit entry")
			}
			if _, err := svc.RunRefreshNow(ctx); err == nil {
				t.Error("a refresh ran without its audit entry")
			}
			if err := svc.DeleteAccount(ctx, a.ID); err == nil {
				t.Error("an account was deleted without its audit entry")
			}

			// Nothing of those changes was made.
			accts, _, err := svc.ListAccounts(ctx, 100, "")
			if err != nil {
				t.Fatal(err)
			}
			if len(accts) != 1 || accts[0].ID != a.ID || accts[0].Name != "Kept" {
				t.Errorf("accounts after the refused changes: %+v, want only %q unchanged", accts, a.Name)
			}
			syncs, _, err := svc.ListSyncs(ctx, service.SyncFilter{Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			if len(syncs) != 1 || syncs[0].ID != queued.ID || syncs[0].Status != service.StatusQueued {
				t.Errorf("syncs after the refused changes: %+v, want only %s, still queued", syncs, queued.ID)
			}
			entries, _, err := svc.ListAudit(ctx, service.AuditFilter{Limit: 200})
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 2 || entries[0].Action != service.AuditSyncCreate || entries[1].Action != service.AuditAccountCreate {
				t.Errorf("audit log: %+v, want the account's creation and its sync's request", entries)
			}
		})
	}
}
