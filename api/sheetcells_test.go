package api_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/naversync/naversync/api"
	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/service/servicetest"
	"github.com/naversync/naversync/store/storetest"
)

// TestAccountShowsItsSpreadsheetNearTheCellLimit: once a write leaves the account's spreadsheet
// at 80% of Google's cell limit or more, GET /accounts/{id} and the list carry sheet_cells with
// near_limit and the tabs that take the room, as openapi.yaml describes them.
func TestAccountShowsItsSpreadsheetNearTheCellLimit(t *testing.T) {
	t.Parallel()
	w := servicetest.NewWorld(t, storetest.Databases(t)[0], servicetest.WorldOptions{})
	eng := w.Engine(servicetest.EngineOptions{PollInterval: 100 * time.Millisecond, LogLevel: slog.LevelWarn})
	srv := httptest.NewServer(api.New(eng.Service, api.Options{}))
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL, "")
	w.Customer("7001", 1, 1, 1)
	a := w.Account(eng, "Full", "7001", "sheet-full", service.LevelCampaign)
	w.Sheets.AddSheet("sheet-full", "Archive", 8_500_000, 1)

	var acct service.Account
	c.do("GET", "/accounts/"+a.ID, nil, nil).want(http.StatusOK).decode(&acct)
	if acct.SheetCells != nil {
		t.Errorf("sheet_cells %+v before the first write, want none", acct.SheetCells)
	}
	var s service.Sync
	c.do("POST", "/syncs", map[string]any{"account_id": a.ID, "days": 3}, nil).want(http.StatusAccepted).decode(&s)
	if got := servicetest.WaitTerminal(t, eng.Service, s.ID)[s.ID]; got.Status != service.StatusSucceeded {
		t.Fatalf("sync %s %+v", got.Status, got.Error)
	}
	c.do("GET", "/accounts/"+a.ID, nil, nil).want(http.StatusOK).decode(&acct)
	cells := w.Sheets.Cells("sheet-full")
	if sc := acct.SheetCells; sc == nil || !sc.NearLimit || sc.Cells != cells || sc.Limit != 10_000_000 ||
		len(sc.Tabs) == 0 || sc.Tabs[0] != (service.TabCells{Title: "Archive", Cells: 8_500_000}) {
		t.Errorf("sheet_cells %+v, want near the limit, %d cells, Archive first", sc, cells)
	}
	var list struct{ Items []service.Account }
	c.do("GET", "/accounts", nil, nil).want(http.StatusOK).decode(&list)
	if len(list.Items) != 1 || list.Items[0].SheetCells == nil || !list.Items[0].SheetCells.NearLimit {
		t.Errorf("listed accounts %+v, want sheet_cells near the limit", list.Items)
	}
}
