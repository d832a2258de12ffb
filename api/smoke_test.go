package api_test

import (
	"net/http"
	"testing"

	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/store/storetest"
)

// TestSmokeBothDatabases runs one account's sync through the API on every database dialect
// (PostgreSQL when NAVERSYNC_TEST_DATABASE_URL is set).
func TestSmokeBothDatabases(t *testing.T) {
	t.Parallel()
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			e := newEnv(t, envOptions{db: &db, tokens: []string{"smoke"}})
			a := e.account("5001")
			var s service.Sync
			e.c.do("POST", "/syncs", map[string]any{"account_id": a.ID, "days": 1}, http.Header{"Idempotency-Key": {"smoke-1"}}).want(http.StatusAccepted).decode(&s)
			if fin := e.waitTerminal(s.ID); fin.Status != service.StatusSucceeded {
				t.Fatalf("sync %+v", fin)
			}
			var pg struct{ Items []service.Sync }
			e.c.do("GET", "/syncs?status=succeeded&account_id="+a.ID, nil, nil).want(http.StatusOK).decode(&pg)
			if len(pg.Items) != 1 || pg.Items[0].ID != s.ID {
				t.Fatalf("list %+v", pg.Items)
			}
			if len(e.sheets.Values("sheet5001", "naver_ads")) < 2 {
				t.Fatal("nothing written to the sheet")
			}
			e.c.do("DELETE", "/accounts/"+a.ID, nil, nil).want(http.StatusNoContent)
		})
	}
}
