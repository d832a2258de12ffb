package service_test

import (
	"testing"
	"time"

	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/service/servicetest"
	"github.com/naversync/naversync/store/storetest"
)

// The audit log grew without end: nothing ever deleted an entry. Now the maintenance deletes
// the entries older than Config.AuditRetention, and only those.
func TestAuditRetentionByMaintenance(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := servicetest.NewWorld(t, db, servicetest.WorldOptions{})
			w.Customer("1001", 1, 1, 1)
			w.Customer("1002", 1, 1, 1)
			pruned := make(chan struct{}, 1)
			e := w.Engine(servicetest.EngineOptions{NoStart: true, AuditRetention: 30 * 24 * time.Hour,
				LogHook: func(msg string) {
					if msg == "retention: deleted old audit entries" {
						select {
						case pruned <- struct{}{}:
						default:
						}
					}
				}})
			old := w.Account(e, "Old", "1001", "s1", service.LevelCampaign)
			w.Clock.Advance(31 * 24 * time.Hour)
			recent := w.Account(e, "Recent", "1002", "s2", service.LevelCampaign)
			e.Start(t) // the maintenance runs at Start
			select {
			case <-pruned:
			case <-time.After(time.Minute):
				t.Fatal("the maintenance deleted no audit entry")
			}
			entries, _, err := e.Service.ListAudit(t.Context(), service.AuditFilter{Limit: 200})
			if err != nil {
				t.Fatal(err)
			}
			for _, en := range entries {
				if en.AccountID == old.ID {
					t.Errorf("an entry older than the retention is still there: %+v", en)
				}
			}
			if len(entries) != 1 || entries[0].AccountID != recent.ID || entries[0].Action != service.AuditAccountCreate {
				t.Errorf("entries left: %+v, want the recent account's creation", entries)
			}
		})
	}
}
