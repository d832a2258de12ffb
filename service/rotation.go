package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/naversync/naversync/store"
)

// Reencrypted is the outcome of ReencryptSecrets.
type Reencrypted struct {
	// Done: secrets encrypted again with the current key.
	Done int
	// Current: secrets the current key already encrypted.
	Current int
	// Undecryptable: accounts whose secret no configured key decrypts (left as they are; the
	// account needs its secret key again, PATCH secret_key).
	Undecryptable []string
	// UndecryptableWebhooks: webhook targets whose URL no configured key decrypts (PATCH
	// /webhooks/{id} with the url again). Their URLs re-encrypted are counted in Done and
	// Current with the accounts' secrets.
	UndecryptableWebhooks []string
}

// ReencryptSecrets encrypts with the current SecretKey every stored Naver secret that an old key
// (OldSecretKeys) encrypted, so that the old key can then be dropped. Each secret is replaced
// only if it is still the value that was read (a concurrent PATCH of the secret wins). Running
// it again is harmless.
func (s *Service) ReencryptSecrets(ctx context.Context) (Reencrypted, error) {
	var out Reencrypted
	after := ""
	for {
		page, err := s.store.ListAccounts(ctx, store.AccountFilter{Limit: 500, After: after})
		if err != nil {
			return out, fmt.Errorf("reencrypt secrets: %w", err)
		}
		for _, a := range page {
			if len(a.SecretEnc) == 0 {
				continue
			}
			plain, current, err := s.crypt.openCurrent(a.SecretEnc, a.ID)
			switch {
			case err != nil:
				out.Undecryptable = append(out.Undecryptable, a.ID)
				continue
			case current:
				out.Current++
				continue
			}
			sealed, err := s.crypt.seal(plain, a.ID)
			if err != nil {
				return out, err
			}
			old := a.SecretEnc
			_, err = s.store.UpdateAccount(ctx, a.ID, store.AccountUpdate{SecretEnc: &sealed, IfSecretEnc: &old})
			switch {
			case err == nil:
				out.Done++
			case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrNotFound):
				// Changed or deleted meanwhile: the new value is not ours to replace.
			default:
				return out, fmt.Errorf("reencrypt secrets: %w", err)
			}
		}
		if len(page) < 500 {
			break
		}
		after = page[len(page)-1].ID
	}
	if err := s.reencryptWebhooks(ctx, &out); err != nil {
		return out, fmt.Errorf("reencrypt secrets: %w", err)
	}
	if len(out.UndecryptableWebhooks) > 0 {
		s.log.Warn("webhook URLs that no configured key decrypts: set these targets' url again", "webhooks", out.UndecryptableWebhooks)
	}
	if len(out.Undecryptable) > 0 {
		s.log.Warn("secrets that no configured key decrypts: set these accounts' secret_key again", "accounts", out.Undecryptable)
	}
	return out, nil
}
