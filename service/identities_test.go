package service_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/naversync/naversync/google/sheetstest"
	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/store/storetest"
)

const (
	identity2 = "naversync-2@stand-in.iam.gserviceaccount.com"
	identity3 = "naversync-3@other-project.iam.gserviceaccount.com"
)

// An account moved to another Google identity is written by that identity only: the move checks
// the spreadsheet's access with the new identity (refused while the sheet is not shared with it),
// and once the sheet is shared with the new identity and no longer with the old one, the next
// sync succeeds, which it could not if any of its Sheets requests were the old identity's (the
// stand-in refuses those with 403).
func TestAccountMovedToAnotherIdentityWritesWithIt(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			ctx := t.Context()
			w := newWorld(t, db, worldOptions{})
			w.customer("2601", 1, 2, 2)
			e := w.engine(engineOptions{identities: []string{identity2}})
			a := w.account(e, "moved", "2601", "sheet-move", service.LevelAdgroup)
			if a.GoogleIdentity != sheetstest.DefaultCaller {
				t.Fatalf("first account's identity = %q, want the default %s", a.GoogleIdentity, sheetstest.DefaultCaller)
			}
			first := enqueue(t, e, a.ID, 3)
			if got := waitTerminal(t, e.svc, first.ID)[first.ID]; got.Status != service.StatusSucceeded {
				t.Fatalf("sync with the first identity: %s %s", got.Status, got.Error)
			}

			to := identity2
			_, err := e.svc.UpdateAccount(ctx, a.ID, service.AccountPatch{GoogleIdentity: &to})
			var serr *service.SheetAccessError
			if !errors.As(err, &serr) || serr.Access != service.SheetAccessNone || !strings.Contains(serr.Fields[0].Reason, identity2) {
				t.Fatalf("move to an identity the sheet is not shared with: %v, want a SheetAccessError naming %s", err, identity2)
			}
			if got, _ := e.svc.GetAccount(ctx, a.ID); got.GoogleIdentity != sheetstest.DefaultCaller {
				t.Fatalf("a refused move changed the identity to %s", got.GoogleIdentity)
			}
			// Confirmed without sharing, the move is saved; the warning says whom to share with.
			moved, err := e.svc.UpdateAccount(ctx, a.ID, service.AccountPatch{GoogleIdentity: &to, ConfirmSheetAccess: true})
			if err != nil || moved.GoogleIdentity != identity2 || len(moved.Warnings) != 1 || !strings.Contains(moved.Warnings[0].Reason, "not shared with "+identity2) {
				t.Fatalf("confirmed move: %+v, %v; want moved with a warning to share with %s", moved, err, identity2)
			}
			entries, _, err := e.svc.ListAudit(ctx, service.AuditFilter{AccountID: a.ID, Limit: 1})
			if err != nil || len(entries) != 1 || !slices.Contains(entries[0].Fields, "google_identity") ||
				!strings.Contains(entries[0].Detail, sheetstest.DefaultCaller) || !strings.Contains(entries[0].Detail, identity2) {
				t.Fatalf("audit of the move: %+v, %v", entries, err)
			}

			w.sheets.Share("sheet-move", identity2)
			w.sheets.Unshare("sheet-move", sheetstest.DefaultCaller)
			second := enqueue(t, e, a.ID, 6) // three more days: the sync must write them

			if got := waitTerminal(t, e.svc, second.ID)[second.ID]; got.Status != service.StatusSucceeded || got.To == "" {
				t.Fatalf("sync after the move: %s %s (%s), want written by %s", got.Status, got.Error, got.From, identity2)
			}
			got := waitTerminal(t, e.svc, second.ID)[second.ID]
			checkSheetMatchesNaver(t, w, "sheet-move", "2601", got.From, got.To)

			// Moving back without the old identity's access is refused again: access is checked
			// with the identity the account moves to.
			back := sheetstest.DefaultCaller
			if _, err := e.svc.UpdateAccount(ctx, a.ID, service.AccountPatch{GoogleIdentity: &back}); !errors.As(err, &serr) {
				t.Fatalf("move back to an identity the sheet is no longer shared with: %v", err)
			}
		})
	}
}

// A new account goes to the least-loaded identity (fewest live accounts, ties to the first in
// order); an explicit choice is kept when it is one of the pool's, else refused naming the field
// and the allowed addresses.
func TestNewAccountLeastLoadedIdentity(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			ctx := t.Context()
			w := newWorld(t, db, worldOptions{})
			w.customer("2602", 1, 1, 1)
			e := w.engine(engineOptions{identities: []string{identity2, identity3}, processWorkers: -1, noStart: true})
			pool := []string{sheetstest.DefaultCaller, identity2, identity3}
			// The processing pool's default has two workers per identity (a write waits on its
			// identity's quota), whatever the cores.
			if n := mustMetric(t, e.svc.Gatherer(), "naversync_workers", "pool", "process"); n < 6 {
				t.Errorf("processing workers by default with three identities: %v, want at least 6", n)
			}
			create := func(n int, identity string) (service.Account, error) {
				sheet := "sheet-ll-" + string(rune('a'+n))
				w.sheets.CreateSpreadsheet(sheet, pool...)
				return e.svc.CreateAccount(ctx, service.AccountInput{Name: sheet, CustomerID: "2602", APIKey: "key-2602", SecretKey: "secret-2602",
					SpreadsheetID: sheet, Level: service.LevelCampaign, GoogleIdentity: identity})
			}
			var got []string
			for i := range 4 {
				a, err := create(i, "")
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, a.GoogleIdentity)
			}
			if want := []string{sheetstest.DefaultCaller, identity2, identity3, sheetstest.DefaultCaller}; !slices.Equal(got, want) {
				t.Fatalf("identities of four new accounts = %v, want %v", got, want)
			}
			a, err := create(4, strings.ToUpper(identity3)) // addresses compare in lower case
			if err != nil || a.GoogleIdentity != identity3 {
				t.Fatalf("explicit choice: %+v, %v", a, err)
			}
			if a, err := create(5, ""); err != nil || a.GoogleIdentity != identity2 {
				t.Fatalf("next automatic identity = %q (%v), want the least-loaded %s", a.GoogleIdentity, err, identity2)
			}
			ids, err := e.svc.GoogleIdentities(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := []service.GoogleIdentity{{Email: sheetstest.DefaultCaller, Accounts: 2}, {Email: identity2, Accounts: 2}, {Email: identity3, Accounts: 2}}
			if !slices.Equal(ids, want) {
				t.Fatalf("GoogleIdentities = %+v, want %+v", ids, want)
			}

			const foreign = "someone@elsewhere.iam.gserviceaccount.com"
			_, err = create(6, foreign)
			var ierr *service.IdentityError
			if !errors.As(err, &ierr) || ierr.Fields()[0].Field != "google_identity" {
				t.Fatalf("foreign identity at create: %v, want an IdentityError naming google_identity", err)
			}
			for _, id := range pool {
				if !strings.Contains(ierr.Fields()[0].Reason, id) {
					t.Errorf("refusal %q does not name the allowed %s", ierr.Fields()[0].Reason, id)
				}
			}
			to := foreign
			if _, err := e.svc.UpdateAccount(ctx, a.ID, service.AccountPatch{GoogleIdentity: &to}); !errors.As(err, &ierr) {
				t.Fatalf("foreign identity at update: %v", err)
			}
			if got, _ := e.svc.GetAccount(ctx, a.ID); got.GoogleIdentity != identity3 {
				t.Fatalf("a refused move changed the identity to %s", got.GoogleIdentity)
			}
		})
	}
}

// An engine whose pool lacks an account's identity (its key was removed) fails the account's
// syncs as not shared, saying what to do, and writes nothing with another identity; and at start
// it binds accounts stored without an identity (a database from before identities) to its
// default.
func TestIdentityMissingFromPool(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			ctx := t.Context()
			w := newWorld(t, db, worldOptions{})
			w.customer("2603", 1, 1, 1)
			two := w.engine(engineOptions{identities: []string{identity2}, noStart: true})
			w.sheets.CreateSpreadsheet("sheet-gone", sheetstest.DefaultCaller, identity2)
			gone, err := two.svc.CreateAccount(ctx, service.AccountInput{Name: "gone", CustomerID: "2603", APIKey: "key-2603", SecretKey: "secret-2603",
				SpreadsheetID: "sheet-gone", Level: service.LevelCampaign, GoogleIdentity: identity2})
			if err != nil {
				t.Fatal(err)
			}
			old := w.account(two, "old", "2603", "sheet-old", service.LevelCampaign)
			if _, err := rawDB(t, db).ExecContext(ctx, `UPDATE accounts SET google_identity = '' WHERE id = $1`, old.ID); err != nil {
				t.Fatal(err)
			}

			one := w.engine(engineOptions{}) // the default identity only; started: binds "old"
			if a, err := one.svc.GetAccount(ctx, old.ID); err != nil || a.GoogleIdentity != sheetstest.DefaultCaller {
				t.Fatalf("account stored without an identity, after start: %q, %v; want the default", a.GoogleIdentity, err)
			}
			s := enqueue(t, one, gone.ID, 2)
			got := waitTerminal(t, one.svc, s.ID)[s.ID]
			if got.Status != service.StatusFailed || got.Error == nil || got.Error.Kind != service.KindNotShared ||
				!strings.Contains(got.Error.Message, identity2) || !strings.Contains(got.Error.Message, "no key") {
				t.Fatalf("sync of an account whose identity has no key: %s %+v", got.Status, got.Error)
			}
			if v := w.sheets.Values("sheet-gone", "naver_ads"); len(v) != 0 {
				t.Fatalf("another identity wrote the account's sheet: %v", v)
			}
		})
	}
}
