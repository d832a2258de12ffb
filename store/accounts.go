package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// Account is one advertiser: a Naver customer whose reports go to one
// spreadsheet tab.
type Account struct {
	ID             string // UUIDv7, assigned by CreateAccount
	Name           string
	CustomerID     string // Naver customer id
	APIKey         string
	SecretEnc      []byte // the Naver secret key, encrypted by the caller
	SpreadsheetID  string
	SheetTab       string
	Level          string // campaign|adgroup|keyword
	RefreshEnabled bool
	RefreshTime    string // "" = the global schedule; "HH:MM" = the account's own time
	SheetLanguage  string // the sheet's headers and labels: "en" or "ko"; "" reads as "en"
	// HistoryDays is how many days (up to yesterday) the account's tab keeps; 0 (the value of
	// accounts stored before it existed) means Naver's whole served window.
	HistoryDays int
	LastError   string
	// ConsentNeeded names the tab a sync found holding data naversync did not write, and stopped
	// before replacing ("<spreadsheet id>/<sheetId>"; "" for none). ConsentGiven names the tab
	// a person consented to replace, in the same form: a sync writes over such a tab only when
	// the two match.
	ConsentNeeded, ConsentGiven string
	// ConsentTab is the title of the tab the consent key written last names, as it was found:
	// ConsentNeeded's by the sync that stopped, or ConsentGiven's by a save that consented (""
	// when unknown: no consent, or stored by an older release).
	ConsentTab string
	// GoogleIdentity is the service account (its e-mail, lower case) whose writer writes the
	// account's sheet: the address the sheet is shared with. "" only in a database stored
	// before identities existed, until the service's start fills it (BackfillGoogleIdentity).
	GoogleIdentity string
	// Tabs are the kinds of tab the account's sheet gets, comma-separated (package report's
	// kinds); "" (the value of accounts stored before tabs existed) reads as the performance tab.
	Tabs string
	// TabTitles are the titles in the spreadsheet of the account's tabs other than the
	// performance tab (whose title is SheetTab): a JSON object, kind -> title; "" (the value of
	// accounts stored before it existed) or a kind it lacks reads as that kind's default title.
	TabTitles string
	CreatedAt time.Time
	UpdatedAt time.Time
	DeletedAt *time.Time // set by DeleteAccount
}

// AccountFilter selects accounts for ListAccounts.
type AccountFilter struct {
	Limit          int    // 0 = 100; at most 1000
	After          string // id cursor: only accounts with a greater id
	RefreshEnabled *bool  // nil = both
	SpreadsheetID  string // "" = any
}

func accountToRow(a *Account) accountRow {
	return accountRow{
		ID: a.ID, Name: a.Name, CustomerID: a.CustomerID, APIKey: a.APIKey, SecretEnc: a.SecretEnc,
		SpreadsheetID: a.SpreadsheetID, SheetTab: a.SheetTab, SheetTabKey: foldKey(a.SheetTab), Level: a.Level,
		RefreshEnabled: a.RefreshEnabled, RefreshTime: a.RefreshTime, SheetLanguage: a.SheetLanguage, HistoryDays: a.HistoryDays, LastError: a.LastError,
		ConsentNeeded: a.ConsentNeeded, ConsentGiven: a.ConsentGiven, ConsentTab: a.ConsentTab, GoogleIdentity: a.GoogleIdentity, Tabs: a.Tabs, TabTitles: a.TabTitles,
		CreatedAt: utc(a.CreatedAt), UpdatedAt: utc(a.UpdatedAt), DeletedAt: utcPtr(a.DeletedAt),
	}
}

func (r accountRow) toAccount() Account {
	return Account{
		ID: r.ID, Name: r.Name, CustomerID: r.CustomerID, APIKey: r.APIKey, SecretEnc: r.SecretEnc,
		SpreadsheetID: r.SpreadsheetID, SheetTab: r.SheetTab, Level: r.Level,
		RefreshEnabled: r.RefreshEnabled, RefreshTime: r.RefreshTime, SheetLanguage: r.SheetLanguage, HistoryDays: r.HistoryDays, LastError: r.LastError,
		ConsentNeeded: r.ConsentNeeded, ConsentGiven: r.ConsentGiven, ConsentTab: r.ConsentTab, GoogleIdentity: r.GoogleIdentity, Tabs: r.Tabs, TabTitles: r.TabTitles,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), DeletedAt: utcPtr(r.DeletedAt),
	}
}

// CreateAccount inserts a, setting its ID and timestamps. It returns
// ErrDuplicate when another live account writes the same (spreadsheet, tab), tab names compared
// ignoring case as Google compares them.
func (s *Store) CreateAccount(ctx context.Context, a *Account) error {
	if a.ID == "" { // callers may choose the id (the service binds the encrypted secret to it)
		id, err := uuid.NewV7()
		if err != nil {
			return fmt.Errorf("create account: %w", err)
		}
		a.ID = id.String()
	}
	now := s.now()
	a.CreatedAt, a.UpdatedAt, a.DeletedAt = now, now, nil
	row := accountToRow(a)
	if err := s.conn(ctx).Create(&row).Error; err != nil {
		return fmt.Errorf("create account: %w", mapErr(err))
	}
	return nil
}

// GetAccount returns the account with id. Deleted accounts are returned too
// (DeletedAt set), because their running syncs still need them.
func (s *Store) GetAccount(ctx context.Context, id string) (Account, error) {
	var row accountRow
	if err := s.conn(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		return Account{}, fmt.Errorf("get account %s: %w", id, mapErr(err))
	}
	return row.toAccount(), nil
}

// AccountUpdate names the columns UpdateAccount changes; nil fields are left as they are
// stored, so that concurrent updates of different fields (a new secret, a worker's last error,
// a new name) do not undo each other.
type AccountUpdate struct {
	Name, APIKey, SpreadsheetID, SheetTab, Level, RefreshTime, LastError, SheetLanguage *string
	ConsentNeeded, ConsentGiven, ConsentTab, GoogleIdentity, Tabs, TabTitles            *string
	RefreshEnabled                                                                      *bool
	HistoryDays                                                                         *int
	// SecretEnc replaces the encrypted secret when set.
	SecretEnc *[]byte
	// IfSecretEnc, when set, makes the update happen only while the stored secret is still
	// this value (compare-and-swap: re-encrypting a secret must not undo a new one); otherwise
	// the update changes nothing and reports ErrConflict.
	IfSecretEnc *[]byte
}

// columns returns the changed columns and their values.
func (u AccountUpdate) columns() map[string]any {
	m := map[string]any{}
	set := func(col string, v *string) {
		if v != nil {
			m[col] = *v
		}
	}
	set("name", u.Name)
	set("api_key", u.APIKey)
	set("spreadsheet_id", u.SpreadsheetID)
	set("sheet_tab", u.SheetTab)
	if u.SheetTab != nil {
		m["sheet_tab_key"] = foldKey(*u.SheetTab)
	}
	set("level", u.Level)
	set("refresh_time", u.RefreshTime)
	set("last_error", u.LastError)
	set("sheet_language", u.SheetLanguage)
	set("consent_needed", u.ConsentNeeded)
	set("consent_given", u.ConsentGiven)
	set("consent_tab", u.ConsentTab)
	set("google_identity", u.GoogleIdentity)
	set("tabs", u.Tabs)
	set("tab_titles", u.TabTitles)
	if u.RefreshEnabled != nil {
		m["refresh_enabled"] = *u.RefreshEnabled
	}
	if u.HistoryDays != nil {
		m["history_days"] = *u.HistoryDays
	}
	if u.SecretEnc != nil {
		m["secret_enc"] = *u.SecretEnc
	}
	return m
}

// UpdateAccount writes only the columns u sets (and updated_at) of a live account, and returns
// the account as stored afterwards. ErrNotFound for a missing or deleted account, ErrDuplicate
// when the (spreadsheet, tab) is taken, ErrConflict when u.IfSecretEnc no longer matches.
func (s *Store) UpdateAccount(ctx context.Context, id string, u AccountUpdate) (Account, error) {
	upd := u.columns()
	upd["updated_at"] = s.now()
	var out accountRow
	err := s.tx(ctx, func(tx *gorm.DB) error {
		q := tx.Model(&accountRow{}).Where("id = ? AND deleted_at IS NULL", id)
		if u.IfSecretEnc != nil {
			q = q.Where("secret_enc = ?", *u.IfSecretEnc)
		}
		res := q.Updates(upd)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			var live int64
			if err := tx.Model(&accountRow{}).Where("id = ? AND deleted_at IS NULL", id).Count(&live).Error; err != nil {
				return err
			}
			if live == 0 {
				return ErrNotFound
			}
			return ErrConflict
		}
		return tx.Where("id = ?", id).Take(&out).Error
	})
	if err != nil {
		return Account{}, fmt.Errorf("update account %s: %w", id, mapErr(err))
	}
	return out.toAccount(), nil
}

// DeleteAccount soft-deletes a live account and wipes its encrypted secret; its syncs keep
// running (a fetch holds the credentials it started with).
func (s *Store) DeleteAccount(ctx context.Context, id string) error {
	now := s.now()
	res := s.conn(ctx).Model(&accountRow{}).Where("id = ? AND deleted_at IS NULL", id).
		Updates(map[string]any{"deleted_at": now, "updated_at": now, "secret_enc": nil})
	if res.Error != nil {
		return fmt.Errorf("delete account %s: %w", id, mapErr(res.Error))
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("delete account %s: %w", id, ErrNotFound)
	}
	return nil
}

// ListAccounts returns live accounts ordered by id (UUIDv7: creation order),
// after the cursor f.After.
func (s *Store) ListAccounts(ctx context.Context, f AccountFilter) ([]Account, error) {
	q := s.conn(ctx).Where("deleted_at IS NULL")
	if f.After != "" {
		q = q.Where("id > ?", f.After)
	}
	if f.RefreshEnabled != nil {
		q = q.Where("refresh_enabled = ?", *f.RefreshEnabled)
	}
	if f.SpreadsheetID != "" {
		q = q.Where("spreadsheet_id = ?", f.SpreadsheetID)
	}
	var rows []accountRow
	if err := q.Order("id").Limit(clampLimit(f.Limit, 100, 1000)).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list accounts: %w", mapErr(err))
	}
	out := make([]Account, len(rows))
	for i, r := range rows {
		out[i] = r.toAccount()
	}
	return out, nil
}

// SetAccountError records the last error of an account ("" clears it).
func (s *Store) SetAccountError(ctx context.Context, id, msg string) error {
	res := s.conn(ctx).Model(&accountRow{}).Where("id = ?", id).
		Updates(map[string]any{"last_error": msg, "updated_at": s.now()})
	if res.Error != nil {
		return fmt.Errorf("set account error %s: %w", id, mapErr(res.Error))
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("set account error %s: %w", id, ErrNotFound)
	}
	return nil
}

// clampLimit applies a default and a maximum to a page size.
func clampLimit(n, def, maxN int) int {
	switch {
	case n <= 0:
		return def
	case n > maxN:
		return maxN
	}
	return n
}

// BackfillGoogleIdentity binds every account (deleted ones too: their staging tabs may still be
// removed) stored without a Google identity, as before identities existed, to identity, and
// returns how many it bound.
func (s *Store) BackfillGoogleIdentity(ctx context.Context, identity string) (int64, error) {
	res := s.conn(ctx).Model(&accountRow{}).Where("google_identity = ''").Update("google_identity", identity)
	if res.Error != nil {
		return 0, fmt.Errorf("backfill google identity: %w", mapErr(res.Error))
	}
	return res.RowsAffected, nil
}

// AccountsPerIdentity counts the live accounts bound to each Google identity.
func (s *Store) AccountsPerIdentity(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		GoogleIdentity string
		N              int
	}
	if err := s.conn(ctx).Model(&accountRow{}).Select("google_identity, COUNT(*) AS n").
		Where("deleted_at IS NULL").Group("google_identity").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("accounts per identity: %w", mapErr(err))
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.GoogleIdentity] = r.N
	}
	return out, nil
}
