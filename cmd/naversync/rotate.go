package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/naversync/naversync/config"
	"github.com/naversync/naversync/google"
	"github.com/naversync/naversync/naver"
	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/store"
)

// rotateSecrets encrypts every stored Naver secret that an old key (NAVERSYNC_SECRET_KEYS_OLD)
// encrypted with the current NAVERSYNC_SECRET_KEY, and reports what is left. It fails when a
// secret remains that no configured key decrypts. See README, "Rotating the secret key".
func rotateSecrets(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	if len(cfg.SecretKey) == 0 {
		return errors.New("NAVERSYNC_SECRET_KEY is required: the new key")
	}
	log := newLogger(stderr, cfg.LogLevel)
	st, err := store.Open(ctx, cfg.DatabaseURL, store.Options{Logger: log, NoMigrate: !cfg.Migrate})
	if err != nil {
		return fmt.Errorf("database: %w", err)
	}
	defer st.Close()
	files, err := openFiles(ctx, cfg.FilesURL)
	if err != nil {
		return err
	}
	defer files.Close()
	nv, err := naver.NewClient(naver.Options{BaseURL: cfg.NaverBaseURL, Logger: log})
	if err != nil {
		return err
	}
	svc, err := service.New(service.Config{SecretKey: cfg.SecretKey, OldSecretKeys: cfg.OldSecretKeys,
		DataDir: cfg.DataDir, Files: files, Logger: log}, st, nv, noSheets{})
	if err != nil {
		return err
	}
	res, err := svc.ReencryptSecrets(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "re-encrypted %d secrets; %d were already encrypted with NAVERSYNC_SECRET_KEY; %d no key decrypts\n",
		res.Done, res.Current, len(res.Undecryptable))
	if len(res.Undecryptable) > 0 {
		for _, id := range res.Undecryptable {
			fmt.Fprintf(stdout, "  account %s: set its secret_key again (PATCH /accounts/%s)\n", id, id)
		}
		return fmt.Errorf("%d secrets cannot be decrypted with the configured keys", len(res.Undecryptable))
	}
	if len(res.UndecryptableWebhooks) > 0 {
		for _, id := range res.UndecryptableWebhooks {
			fmt.Fprintf(stdout, "  webhook %s: set its url again (PATCH /webhooks/%s)\n", id, id)
		}
		return fmt.Errorf("%d webhook URLs cannot be decrypted with the configured keys", len(res.UndecryptableWebhooks))
	}
	fmt.Fprintln(stdout, "every stored secret is encrypted with NAVERSYNC_SECRET_KEY: NAVERSYNC_SECRET_KEYS_OLD can be removed")
	return nil
}

// noSheets is the Sheets writer of a command that writes no sheet.
type noSheets struct{}

func (noSheets) WriteTableFrom(context.Context, string, string, *google.Layout, google.Table, google.Status) (google.WriteResult, error) {
	return google.WriteResult{}, errors.New("rotate-secrets writes no sheet")
}

func (noSheets) ServiceAccountEmail() string { return "" }

func (noSheets) CheckAccess(context.Context, string, ...string) (google.Access, error) {
	return google.Access{}, errors.New("rotate-secrets reads no sheet")
}

func (noSheets) RemoveStaging(context.Context, string, string, ...string) (int, error) {
	return 0, errors.New("rotate-secrets changes no sheet")
}

func (noSheets) TabHoldsForeignData(context.Context, string, string) (google.TabContent, error) {
	return google.TabContent{}, errors.New("rotate-secrets reads no sheet")
}
