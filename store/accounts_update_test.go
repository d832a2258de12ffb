package store_test

import (
	"testing"

	"github.com/naversync/naversync/store"
)

// TestUpdateAccountKeepsConcurrentChanges: an update changes only the columns it sets; a
// worker's last_error and another request's new secret written meanwhile stay. (Before partial
// updates, the update wrote back every column of the copy it had read, losing both.)
func TestUpdateAccountKeepsConcurrentChanges(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := ctxT(t)
		a := &store.Account{Name: "A", CustomerID: "111", APIKey: "k", SecretEnc: []byte{1},
			SpreadsheetID: "sheet1", SheetTab: "Data", Level: "campaign", RefreshEnabled: true}
		must(t, e.s.CreateAccount(ctx, a))
		// A PATCH of the name has read the account; meanwhile a worker records an error and
		// another PATCH sets a new secret; then the first PATCH writes its name.
		must(t, e.s.SetAccountError(ctx, a.ID, "auth failed"))
		_, err := e.s.UpdateAccount(ctx, a.ID, store.AccountUpdate{SecretEnc: &[]byte{2}})
		must(t, err)
		got, err := e.s.UpdateAccount(ctx, a.ID, store.AccountUpdate{Name: ptr("A2")})
		must(t, err)
		if got.Name != "A2" || string(got.SecretEnc) != "\x02" || got.LastError != "auth failed" || got.Level != "campaign" {
			t.Fatalf("after concurrent updates: %+v; want name A2, secret [2], last_error auth failed", got)
		}
		// A compare-and-swap of the secret fails once the secret changed, and changes nothing.
		_, err = e.s.UpdateAccount(ctx, a.ID, store.AccountUpdate{SecretEnc: &[]byte{3}, IfSecretEnc: &[]byte{1}})
		wantErr(t, err, store.ErrConflict)
		got, err = e.s.UpdateAccount(ctx, a.ID, store.AccountUpdate{SecretEnc: &[]byte{3}, IfSecretEnc: &[]byte{2}})
		must(t, err)
		if string(got.SecretEnc) != "\x03" {
			t.Fatalf("secret %v after compare-and-swap, want [3]", got.SecretEnc)
		}
		_, err = e.s.UpdateAccount(ctx, "nope", store.AccountUpdate{Name: ptr("x")})
		wantErr(t, err, store.ErrNotFound)
	})
}

func ptr[T any](v T) *T { return &v }
