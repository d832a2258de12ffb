package service

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/google/uuid"

	"github.com/naversync/naversync/naver"
	"github.com/naversync/naversync/store"
)

var (
	customerIDPattern = regexp.MustCompile(`^[0-9]{1,20}$`)
	refreshTimeRE     = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)
	spreadsheetIDRE   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,200}$`)
)

// CreateAccount registers an advertiser. With ValidateCredentials, a cheap signed call to Naver
// checks the keys first and a refusal is ErrInvalidCredentials; nothing is stored then.
func (s *Service) CreateAccount(ctx context.Context, in AccountInput) (Account, error) {
	in.Name = strings.TrimSpace(in.Name)
	in.SheetTab = strings.TrimSpace(in.SheetTab)
	if in.SheetTab == "" {
		in.SheetTab = "naver_ads"
	}
	if in.Level == "" {
		in.Level = LevelAdgroup
	}
	verr := &ValidationError{}
	checkName(verr, in.Name)
	if !customerIDPattern.MatchString(in.CustomerID) {
		verr.add("customer_id", "Naver customer id: digits only")
	}
	if strings.TrimSpace(in.APIKey) == "" || len(in.APIKey) > 500 {
		verr.add("api_key", "required (Naver API license key)")
	}
	if strings.TrimSpace(in.SecretKey) == "" || len(in.SecretKey) > 500 {
		verr.add("secret_key", "required (Naver API secret key)")
	}
	checkSheet(verr, in.SpreadsheetID, in.SheetTab)
	checkLevel(verr, in.Level)
	if in.RefreshTime != "" && !refreshTimeRE.MatchString(in.RefreshTime) {
		verr.add("refresh_time", "HH:MM, 24-hour, in %s", s.cfg.Location)
	}
	if err := verr.orNil(); err != nil {
		return Account{}, err
	}
	if in.ValidateCredentials {
		cred := naver.Credentials{CustomerID: in.CustomerID, APIKey: in.APIKey, SecretKey: in.SecretKey}
		if err := s.naver.CheckCredentials(ctx, cred); err != nil {
			if errors.Is(err, naver.ErrAuth) {
				return Account{}, fmt.Errorf("%w: check the API key, the secret key and the customer id", ErrInvalidCredentials)
			}
			return Account{}, fmt.Errorf("check credentials: %w", err)
		}
	}
	refresh := true
	if in.RefreshEnabled != nil {
		refresh = *in.RefreshEnabled
	}
	row := store.Account{
		Name: in.Name, CustomerID: in.CustomerID, APIKey: in.APIKey,
		SpreadsheetID: in.SpreadsheetID, SheetTab: in.SheetTab, Level: in.Level,
		RefreshEnabled: refresh, RefreshTime: in.RefreshTime,
	}
	// The secret is sealed with the account id as associated data (a ciphertext cannot be moved
	// to another account), so the id is chosen here, before the row exists.
	row.ID = newID()
	sealed, err := s.crypt.seal(in.SecretKey, row.ID)
	if err != nil {
		return Account{}, err
	}
	row.SecretEnc = sealed
	if err := s.store.CreateAccount(ctx, &row); err != nil {
		if errors.Is(err, store.ErrDuplicate) {
			return Account{}, &ValidationError{Fields: []FieldError{{Field: "sheet_tab", Reason: "another account already writes to this spreadsheet tab; two accounts in one tab would overwrite each other"}}}
		}
		return Account{}, fmt.Errorf("create account: %w", err)
	}
	s.log.Info("account created", "account_id", row.ID, "customer_id", row.CustomerID)
	return s.accountView(ctx, row), nil
}

// GetAccount returns one account (without secrets).
func (s *Service) GetAccount(ctx context.Context, id string) (Account, error) {
	row, err := s.liveAccount(ctx, id)
	if err != nil {
		return Account{}, mapStoreErr("get account", err)
	}
	return s.accountView(ctx, row), nil
}

// liveAccount reads an account that has not been deleted (deleted ones stay readable in the
// store for their running syncs, but not for users).
func (s *Service) liveAccount(ctx context.Context, id string) (store.Account, error) {
	row, err := s.store.GetAccount(ctx, id)
	if err != nil {
		return row, err
	}
	if row.DeletedAt != nil {
		return row, store.ErrNotFound
	}
	return row, nil
}

// ListAccounts lists accounts in creation order; after continues after that id.
func (s *Service) ListAccounts(ctx context.Context, limit int, after string) ([]Account, string, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	rows, err := s.store.ListAccounts(ctx, store.AccountFilter{Limit: limit + 1, After: after})
	if err != nil {
		return nil, "", mapStoreErr("list accounts", err)
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		next = rows[limit-1].ID
	}
	out := make([]Account, 0, len(rows))
	for _, r := range rows {
		out = append(out, s.accountView(ctx, r))
	}
	return out, next, nil
}

// UpdateAccount changes the given fields, and only those: a concurrent change of another field
// (a worker's last error, another request's new secret) is kept. A new secret is encrypted;
// running syncs keep the credentials they started with.
func (s *Service) UpdateAccount(ctx context.Context, id string, p AccountPatch) (Account, error) {
	row, err := s.liveAccount(ctx, id)
	if err != nil {
		return Account{}, mapStoreErr("update account", err)
	}
	var u store.AccountUpdate
	verr := &ValidationError{}
	if p.Name != nil {
		name := strings.TrimSpace(*p.Name)
		checkName(verr, name)
		u.Name = &name
	}
	if p.APIKey != nil {
		if strings.TrimSpace(*p.APIKey) == "" {
			verr.add("api_key", "must not be empty")
		}
		u.APIKey = p.APIKey
	}
	sheet, tab := row.SpreadsheetID, row.SheetTab
	if p.SpreadsheetID != nil {
		sheet = *p.SpreadsheetID
		u.SpreadsheetID = &sheet
	}
	if p.SheetTab != nil {
		tab = strings.TrimSpace(*p.SheetTab)
		u.SheetTab = &tab
	}
	if p.SpreadsheetID != nil || p.SheetTab != nil {
		checkSheet(verr, sheet, tab)
	}
	if p.Level != nil {
		checkLevel(verr, *p.Level)
		u.Level = p.Level
	}
	u.RefreshEnabled = p.RefreshEnabled
	if p.RefreshTime != nil {
		if *p.RefreshTime != "" && !refreshTimeRE.MatchString(*p.RefreshTime) {
			verr.add("refresh_time", "HH:MM, 24-hour, in %s", s.cfg.Location)
		}
		u.RefreshTime = p.RefreshTime
	}
	if p.SecretKey != nil {
		if strings.TrimSpace(*p.SecretKey) == "" {
			verr.add("secret_key", "must not be empty")
		} else {
			sealed, err := s.crypt.seal(*p.SecretKey, row.ID)
			if err != nil {
				return Account{}, err
			}
			u.SecretEnc = &sealed
		}
	}
	if err := verr.orNil(); err != nil {
		return Account{}, err
	}
	if p.APIKey != nil || p.SecretKey != nil {
		cleared := "" // new credentials: the old complaint no longer applies
		u.LastError = &cleared
	}
	updated, err := s.store.UpdateAccount(ctx, id, u)
	if err != nil {
		if errors.Is(err, store.ErrDuplicate) {
			return Account{}, &ValidationError{Fields: []FieldError{{Field: "sheet_tab", Reason: "another account already writes to this spreadsheet tab"}}}
		}
		return Account{}, mapStoreErr("update account", err)
	}
	return s.accountView(ctx, updated), nil
}

// DeleteAccount removes an account. Syncs already running finish; queued ones are canceled.
func (s *Service) DeleteAccount(ctx context.Context, id string) error {
	if err := s.store.DeleteAccount(ctx, id); err != nil {
		return mapStoreErr("delete account", err)
	}
	queued, _, err := s.store.ListSyncs(ctx, store.SyncFilter{AccountID: id, Statuses: []string{StatusQueued}, Limit: 1000})
	if err != nil {
		return mapStoreErr("delete account", err)
	}
	for _, q := range queued {
		if _, err := s.store.CancelSync(ctx, q.ID); err != nil && !errors.Is(err, store.ErrConflict) {
			return mapStoreErr("delete account", err)
		}
	}
	return nil
}

// credentials decrypts an account's Naver credentials for one sync.
func (s *Service) credentials(a store.Account) (naver.Credentials, error) {
	secret, err := s.crypt.open(a.SecretEnc, a.ID)
	if err != nil {
		return naver.Credentials{}, err
	}
	return naver.Credentials{CustomerID: a.CustomerID, APIKey: a.APIKey, SecretKey: secret}, nil
}

func (s *Service) accountView(ctx context.Context, r store.Account) Account {
	a := Account{
		ID: r.ID, Name: r.Name, CustomerID: r.CustomerID, APIKey: r.APIKey,
		SpreadsheetID: r.SpreadsheetID, SheetTab: r.SheetTab, Level: r.Level,
		RefreshEnabled: r.RefreshEnabled, RefreshTime: r.RefreshTime, LastError: r.LastError,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
	ok, _, err := s.store.ListSyncs(ctx, store.SyncFilter{AccountID: r.ID, Statuses: []string{StatusSucceeded}, Limit: 1})
	if err == nil && len(ok) == 1 && ok[0].FinishedAt != nil {
		t := *ok[0].FinishedAt
		a.LastSuccessAt = &t
	}
	return a
}

func checkName(verr *ValidationError, name string) {
	if name == "" || len(name) > 200 {
		verr.add("name", "required, at most 200 characters")
	}
}

func checkSheet(verr *ValidationError, id, tab string) {
	if !spreadsheetIDRE.MatchString(id) {
		verr.add("spreadsheet_id", "the id from the sheet's URL (letters, digits, - and _)")
	}
	if tab == "" || len(tab) > 100 || strings.ContainsAny(tab, "[]*?:/\\'") {
		verr.add("sheet_tab", "1 to 100 characters, none of [ ] * ? : / \\ '")
	}
}

func checkLevel(verr *ValidationError, level string) {
	switch level {
	case LevelCampaign, LevelAdgroup, LevelKeyword:
	default:
		verr.add("level", "one of campaign, adgroup, keyword")
	}
}

// newID returns a time-ordered unique id (UUIDv7).
func newID() string { return uuid.Must(uuid.NewV7()).String() }
