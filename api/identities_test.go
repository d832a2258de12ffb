package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/naversync/naversync/google/sheetstest"
	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/store/storetest"
)

// GET /info lists the Google identities with their accounts and names the one a new account
// gets; an account shows its identity; a foreign identity is refused with 422
// unknown-google-identity naming the field and the allowed addresses, at create, at update and
// at the sheet check, and changes nothing.
func TestGoogleIdentitiesAPI(t *testing.T) {
	t.Parallel()
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			const second = "naversync-2@stand-in.iam.gserviceaccount.com"
			e := newEnv(t, envOptions{db: &db, noStart: true, identities: []string{second}})
			type info struct {
				ServiceAccountEmail string                   `json:"service_account_email"`
				GoogleIdentities    []service.GoogleIdentity `json:"google_identities"`
			}
			var in info
			e.c.do("GET", "/info", nil, nil).want(http.StatusOK).decode(&in)
			if in.ServiceAccountEmail != sheetstest.DefaultCaller || len(in.GoogleIdentities) != 2 {
				t.Fatalf("info before any account: %+v", in)
			}
			a := e.account("6101")
			if a.GoogleIdentity != sheetstest.DefaultCaller {
				t.Fatalf("first account's google_identity = %q", a.GoogleIdentity)
			}
			e.c.do("GET", "/info", nil, nil).want(http.StatusOK).decode(&in)
			want := []service.GoogleIdentity{{Email: sheetstest.DefaultCaller, Accounts: 1}, {Email: second, Accounts: 0}}
			if in.ServiceAccountEmail != second || !slices.Equal(in.GoogleIdentities, want) {
				t.Fatalf("info after one account: %+v, want the next to be %s and counts %+v", in, second, want)
			}

			const foreign = "intruder@elsewhere.iam.gserviceaccount.com"
			refused := func(r *response) {
				t.Helper()
				p := r.want(http.StatusUnprocessableEntity).problem()
				if p.Type != "https://naversync.dev/problems/unknown-google-identity" || len(p.Errors) != 1 || p.Errors[0].Field != "google_identity" ||
					!strings.Contains(p.Errors[0].Reason, sheetstest.DefaultCaller) || !strings.Contains(p.Errors[0].Reason, second) {
					t.Fatalf("problem %+v: want unknown-google-identity naming google_identity and both allowed addresses", p)
				}
			}
			e.sheets.CreateSpreadsheet("sheet6102", sheetstest.DefaultCaller, second)
			refused(e.c.do("POST", "/accounts", map[string]any{"name": "n", "customer_id": "6102", "api_key": "k", "secret_key": "s",
				"spreadsheet_id": "sheet6102", "google_identity": foreign}, nil))
			refused(e.c.do("PATCH", "/accounts/"+a.ID, map[string]any{"google_identity": foreign}, nil))
			refused(e.c.do("POST", "/checks/sheet", map[string]any{"spreadsheet": "sheet6102", "google_identity": foreign}, nil))
			if n := e.accountCount(); n != 1 {
				t.Fatalf("%d accounts after refusals, want 1", n)
			}

			// A move: checked with the new identity (not shared: 422 sheet-not-editable naming
			// it), then saved once shared with it.
			p := e.c.do("PATCH", "/accounts/"+a.ID, map[string]any{"google_identity": second}, nil).want(http.StatusUnprocessableEntity).problem()
			if !strings.HasSuffix(p.Type, "/sheet-not-editable") || len(p.Errors) != 1 || !strings.Contains(p.Errors[0].Reason, second) {
				t.Fatalf("move to an identity the sheet is not shared with: %+v", p)
			}
			e.sheets.Share("sheet6101", second)
			var moved service.Account
			e.c.do("PATCH", "/accounts/"+a.ID, map[string]any{"google_identity": strings.ToUpper(second)}, nil).want(http.StatusOK).decode(&moved)
			if moved.GoogleIdentity != second {
				t.Fatalf("moved account's google_identity = %q", moved.GoogleIdentity)
			}
			var chk service.SheetAccess
			e.c.do("POST", "/checks/sheet", map[string]any{"spreadsheet": "sheet6101", "google_identity": second}, nil).want(http.StatusOK).decode(&chk)
			if chk.Access != service.SheetAccessEdit || chk.ServiceAccountEmail != second {
				t.Fatalf("sheet check with the new identity: %+v", chk)
			}
		})
	}
}
