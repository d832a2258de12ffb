package service_test

import (
	"strings"
	"testing"

	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/service/servicetest"
	"github.com/naversync/naversync/store/storetest"
)

// TestStoredReasonsCarryCodes: the reasons the service keeps (an audit entry's detail) and the
// ones it computes (a day's reason, a failed sync's error) are stored and read back with their
// code and parameters, beside the English text as it was.
func TestStoredReasonsCarryCodes(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := servicetest.NewWorld(t, db, servicetest.WorldOptions{})
			w.Customer("8010", 1, 1, 1)
			e := w.Engine(servicetest.EngineOptions{NoStart: true})
			ctx := service.WithActor(t.Context(), service.Actor{Name: "operator token 0a1b2c3d", Role: service.RoleOperator})
			svc := e.Service
			a := w.Account(e, "Coded", "8010", "sheet-coded", service.LevelCampaign)
			if _, err := svc.RunRefreshNow(ctx); err != nil {
				t.Fatal(err)
			}
			entries, _, err := svc.ListAudit(ctx, service.AuditFilter{})
			if err != nil {
				t.Fatal(err)
			}
			var run, created *service.AuditEntry
			for i := range entries {
				switch entries[i].Action {
				case service.AuditRefreshRun:
					run = &entries[i]
				case service.AuditAccountCreate:
					created = &entries[i]
				}
			}
			if run == nil || run.DetailCode != service.MsgRunQueued || run.DetailParams["syncs"] != "1" || run.DetailParams["accounts"] != "1" ||
				run.Detail != "queued 1 syncs for 1 accounts" {
				t.Errorf("the refresh's entry %+v", run)
			}
			if created == nil || created.DetailCode != service.MsgAuditAccountCreate || created.DetailParams["name"] != "Coded" ||
				created.DetailParams["customer_id"] != "8010" || !strings.HasPrefix(created.Detail, "Coded: customer 8010, spreadsheet sheet-coded") {
				t.Errorf("the account's entry %+v", created)
			}
			syncs, _, err := svc.ListSyncs(ctx, service.SyncFilter{AccountID: a.ID})
			if err != nil || len(syncs) != 1 {
				t.Fatalf("syncs %v, %v", syncs, err)
			}
			days, err := svc.SyncDays(ctx, syncs[0].ID)
			if err != nil || len(days) == 0 {
				t.Fatalf("days %v, %v", days, err)
			}
			if days[0].Code != service.MsgDayNotYet || days[0].Reason != "not fetched yet" {
				t.Errorf("a queued sync's day %+v", days[0])
			}
		})
	}
}
