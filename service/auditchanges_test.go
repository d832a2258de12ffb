package service_test

import (
	"testing"

	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/service/servicetest"
	"github.com/naversync/naversync/store/storetest"
)

// TestAccountUpdateDetailParams: an account update's audit entry names, beside the changed
// fields, each one's value before and after as parameters (values as data or codes, never an
// English sentence), so that a client says "field: before → after" in its own language; the
// secret and the API key are named as changed, without their values.
func TestAccountUpdateDetailParams(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := servicetest.NewWorld(t, db, servicetest.WorldOptions{})
			w.Customer("8020", 1, 1, 1)
			e := w.Engine(servicetest.EngineOptions{NoStart: true})
			ctx := service.WithActor(t.Context(), service.Actor{Name: "operator token 0a1b2c3d", Role: service.RoleOperator})
			svc := e.Service
			a := w.Account(e, "Before", "8020", "sheet-changes", service.LevelCampaign)
			name, tab, at, lang, days, secret := "After", "Ads 2", "21:30", "ko", 90, "another-secret"
			level := service.LevelKeyword
			if _, err := svc.UpdateAccount(ctx, a.ID, service.AccountPatch{Name: &name, SheetTab: &tab, RefreshTime: &at,
				SheetLanguage: &lang, HistoryDays: &days, Level: &level, SecretKey: &secret}); err != nil {
				t.Fatal(err)
			}
			entries, _, err := svc.ListAudit(ctx, service.AuditFilter{AccountID: a.ID})
			if err != nil {
				t.Fatal(err)
			}
			var upd *service.AuditEntry
			for i := range entries {
				if entries[i].Action == service.AuditAccountUpdate {
					upd = &entries[i]
				}
			}
			if upd == nil || upd.DetailCode != service.MsgAuditAccountUpdate {
				t.Fatalf("the update's entry %+v", upd)
			}
			want := service.MessageParams{
				"name":                "After",
				"changes":             "name, secret_key, sheet_tab, level, refresh, sheet_language, history_days",
				"name_from":           "Before",
				"name_to":             "After",
				"sheet_tab_from":      a.SheetTab,
				"sheet_tab_to":        "Ads 2",
				"level_from":          string(service.LevelCampaign),
				"level_to":            string(service.LevelKeyword),
				"refresh_from":        "schedule",
				"refresh_to":          "21:30",
				"sheet_language_from": "en",
				"sheet_language_to":   "ko",
				"history_days_from":   "0",
				"history_days_to":     "90",
			}
			for k, v := range want {
				if got, ok := upd.DetailParams[k]; !ok || got != v {
					t.Errorf("param %s = %q (present %v), want %q", k, got, ok, v)
				}
			}
			for k, v := range upd.DetailParams {
				if v == secret {
					t.Errorf("param %s holds the secret", k)
				}
			}
		})
	}
}
