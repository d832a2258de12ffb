package service

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/naversync/naversync/google"
	"github.com/naversync/naversync/naver"
	"github.com/naversync/naversync/report"
	"github.com/naversync/naversync/store"
)

var (
	customerIDPattern = regexp.MustCompile(`^[0-9]{1,20}$`)
	refreshTimeRE     = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)
	spreadsheetIDRE   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,200}$`)
)

// CreateAccount registers an advertiser. With ValidateCredentials, a cheap signed call to Naver
// checks the keys first: a refusal is ErrInvalidCredentials, an unreachable Naver
// ErrNaverUnavailable; nothing is stored then.
func (s *Service) CreateAccount(ctx context.Context, in AccountInput) (Account, error) {
	in.Name = strings.TrimSpace(in.Name)
	in.SheetTab = strings.TrimSpace(in.SheetTab)
	in.APIKey = strings.TrimSpace(in.APIKey)
	in.SecretKey = strings.TrimSpace(in.SecretKey)
	if in.SheetTab == "" {
		in.SheetTab = "naver_ads"
	}
	if in.Level == "" {
		in.Level = LevelAdgroup
	}
	if in.SheetLanguage == "" {
		in.SheetLanguage = LanguageEnglish
	}
	verr := &ValidationError{}
	checkName(verr, in.Name)
	if !customerIDPattern.MatchString(in.CustomerID) {
		verr.add("customer_id", Msg(MsgFieldCustomerID, "Naver customer id: digits only"))
	}
	checkKey(verr, "api_key", in.APIKey, "the Naver API license key")
	checkKey(verr, "secret_key", in.SecretKey, "the Naver API secret key")
	checkSheet(verr, in.SpreadsheetID, in.SheetTab)
	checkLevel(verr, in.Level)
	checkLanguage(verr, in.SheetLanguage)
	s.checkRefreshTime(verr, in.RefreshTime)
	identity := normIdentity(in.GoogleIdentity)
	history := 0
	if in.HistoryDays != nil {
		s.checkHistoryDays(verr, *in.HistoryDays)
		history = *in.HistoryDays
	}
	tabs := ""
	if in.Tabs != nil {
		tabs = checkTabs(verr, in.Tabs)
	}
	titles := resolveTabTitles(verr, tabs, in.SheetTab, nil, in.TabTitles, "tabs")
	if err := verr.orNil(); err != nil {
		return Account{}, err
	}
	if err := s.checkTabTitlesFree(ctx, store.Account{SpreadsheetID: in.SpreadsheetID, SheetTab: in.SheetTab, Tabs: tabs, TabTitles: titles}); err != nil {
		return Account{}, err
	}
	if identity != "" {
		if err := s.checkIdentity(identity); err != nil {
			return Account{}, err
		}
	}
	if identity == "" {
		identity = s.NextGoogleIdentity(ctx)
	}
	if in.ValidateCredentials {
		if err := s.checkCredentials(ctx, naver.Credentials{CustomerID: in.CustomerID, APIKey: in.APIKey, SecretKey: in.SecretKey}); err != nil {
			return Account{}, err
		}
	}
	chk, err := s.checkSheetForSave(ctx, identity, in.SpreadsheetID, tabsToCheck(store.Account{SheetTab: in.SheetTab, Tabs: tabs, TabTitles: titles}),
		"", in.ConfirmSheetAccess, in.ReplaceTabData)
	if err != nil {
		return Account{}, err
	}
	refresh := true
	if in.RefreshEnabled != nil {
		refresh = *in.RefreshEnabled
	}
	row := store.Account{
		Name: in.Name, CustomerID: in.CustomerID, APIKey: in.APIKey,
		SpreadsheetID: in.SpreadsheetID, SheetTab: in.SheetTab, Level: in.Level,
		RefreshEnabled: refresh, RefreshTime: in.RefreshTime, SheetLanguage: in.SheetLanguage, ConsentGiven: chk.consent,
		ConsentTab:     chk.consentTab,
		GoogleIdentity: identity,
		HistoryDays:    history,
		Tabs:           tabs,
		TabTitles:      titles,
	}
	// The secret is sealed with the account id as associated data (a ciphertext cannot be moved
	// to another account), so the id is chosen here, before the row exists.
	row.ID = newID()
	sealed, err := s.crypt.seal(in.SecretKey, row.ID)
	if err != nil {
		return Account{}, err
	}
	row.SecretEnc = sealed
	err = s.audited(ctx, func(ctx context.Context) ([]auditNote, error) {
		if err := s.store.CreateAccount(ctx, &row); err != nil {
			return nil, err
		}
		fields, warned := confirmed(createdFields(in), in.ConfirmSheetAccess, chk.warnings)
		notes := []auditNote{{action: AuditAccountCreate, accountID: row.ID, fields: fields,
			detail: Msg(MsgAuditAccountCreate, fmt.Sprintf("%s: customer %s, spreadsheet %s, tab %q, level %s, %s, sheet in %s", row.Name, row.CustomerID,
				row.SpreadsheetID, row.SheetTab, row.Level, refreshText(row.RefreshEnabled, row.RefreshTime), languageName(row.SheetLanguage))+
				identityText(row.GoogleIdentity)+warned,
				"name", row.Name, "customer_id", row.CustomerID, "spreadsheet_id", row.SpreadsheetID, "tab", row.SheetTab)}}
		if chk.consent != "" {
			notes = append(notes, auditNote{action: AuditAccountConsent, accountID: row.ID, fields: []string{"replace_tab_data"},
				detail: Msg(MsgAuditConsent, row.Name+": "+chk.consentDetail, "name", row.Name, "tab", chk.consentTab, "spreadsheet_id", row.SpreadsheetID)})
		}
		return notes, nil
	})
	if err != nil {
		if errors.Is(err, store.ErrDuplicate) {
			return Account{}, tabTaken("sheet_tab")
		}
		return Account{}, fmt.Errorf("create account: %w", err)
	}
	s.log.Info("account created", "account_id", row.ID, "customer_id", row.CustomerID)
	out := s.accountView(ctx, row)
	out.Warnings = chk.warnings
	return out, nil
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
	return s.accountViews(ctx, rows), next, nil
}

// UpdateAccount changes the given fields, and only those: a concurrent change of another field
// (a worker's last error, another request's new secret) is kept. Every given field passes the
// rules of CreateAccount. A new secret is encrypted; running syncs keep the credentials they
// started with. With ValidateCredentials, the account's credentials after the change are checked
// with Naver first, as CreateAccount does.
func (s *Service) UpdateAccount(ctx context.Context, id string, p AccountPatch) (Account, error) {
	row, err := s.liveAccount(ctx, id)
	if err != nil {
		return Account{}, mapStoreErr("update account", err)
	}
	var u store.AccountUpdate
	verr := &ValidationError{}
	trimmed := func(v *string) *string {
		if v == nil {
			return nil
		}
		t := strings.TrimSpace(*v)
		return &t
	}
	if u.Name = trimmed(p.Name); u.Name != nil {
		checkName(verr, *u.Name)
	}
	if u.APIKey = trimmed(p.APIKey); u.APIKey != nil {
		checkKey(verr, "api_key", *u.APIKey, "the Naver API license key")
	}
	secret := trimmed(p.SecretKey)
	if secret != nil {
		checkKey(verr, "secret_key", *secret, "the Naver API secret key")
	}
	sheet, tab := row.SpreadsheetID, row.SheetTab
	if p.SpreadsheetID != nil {
		sheet = *p.SpreadsheetID
		u.SpreadsheetID = &sheet
	}
	if u.SheetTab = trimmed(p.SheetTab); u.SheetTab != nil {
		tab = *u.SheetTab
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
		s.checkRefreshTime(verr, *p.RefreshTime)
		u.RefreshTime = p.RefreshTime
	}
	if p.SheetLanguage != nil {
		checkLanguage(verr, *p.SheetLanguage)
		u.SheetLanguage = p.SheetLanguage
	}
	identity := row.GoogleIdentity
	if p.GoogleIdentity != nil && normIdentity(*p.GoogleIdentity) != "" { // "": kept as it is
		identity = normIdentity(*p.GoogleIdentity)
		if identity != row.GoogleIdentity {
			u.GoogleIdentity = &identity
		}
	}
	if p.HistoryDays != nil {
		s.checkHistoryDays(verr, *p.HistoryDays)
		u.HistoryDays = p.HistoryDays
	}
	if p.Tabs != nil {
		tabs := checkTabs(verr, *p.Tabs)
		u.Tabs = &tabs
	}
	after := row
	after.SpreadsheetID, after.SheetTab = sheet, tab
	if u.Tabs != nil {
		after.Tabs = *u.Tabs
	}
	if p.Tabs != nil || p.SheetTab != nil || p.TabTitles != nil {
		var given map[string]string
		if p.TabTitles != nil {
			given = *p.TabTitles
		}
		field := "tabs"
		if p.SheetTab != nil {
			field = "sheet_tab"
		}
		titles := resolveTabTitles(verr, after.Tabs, tab, tabTitles(row), given, field)
		after.TabTitles, u.TabTitles = titles, &titles
	}
	if err := verr.orNil(); err != nil {
		return Account{}, err
	}
	if p.SpreadsheetID != nil || p.Tabs != nil || p.SheetTab != nil || p.TabTitles != nil {
		if err := s.checkTabTitlesFree(ctx, after); err != nil {
			return Account{}, err
		}
	}
	if u.GoogleIdentity != nil {
		if err := s.checkIdentity(identity); err != nil {
			return Account{}, err
		}
	}
	var chk sheetSave
	afterTabs := tabsToCheck(after)
	switch {
	case sheet != row.SpreadsheetID || tab != row.SheetTab:
		if chk, err = s.checkSheetForSave(ctx, identity, sheet, afterTabs, "", p.ConfirmSheetAccess, p.ReplaceTabData); err != nil {
			return Account{}, err
		}
		// Another tab: what a sync found in the old one, or a consent given for it, does not apply.
		none := ""
		u.ConsentNeeded, u.ConsentGiven, u.ConsentTab = &none, &chk.consent, &chk.consentTab
	case !slices.Equal(afterTabs, tabsToCheck(row)):
		// Tabs added or retitled: each is checked as at the account's creation; a consent given
		// before stays (its tab is named by its sheetId), unless this save gives another.
		if chk, err = s.checkSheetForSave(ctx, identity, sheet, afterTabs, row.ConsentGiven, p.ConfirmSheetAccess, p.ReplaceTabData); err != nil {
			return Account{}, err
		}
		if chk.consent != "" {
			none := ""
			u.ConsentNeeded, u.ConsentGiven, u.ConsentTab = &none, &chk.consent, &chk.consentTab
		}
	case identity != row.GoogleIdentity:
		// A move to another identity: the same tabs, written from now on by another service
		// account, which must be able to edit the spreadsheet (the consent stays: same tabs).
		if chk, err = s.checkSheetForSave(ctx, identity, sheet, afterTabs, row.ConsentGiven, p.ConfirmSheetAccess, false); err != nil {
			return Account{}, err
		}
		chk.consent = ""
	}
	if p.ValidateCredentials {
		cred, err := s.credentials(row)
		if err != nil {
			return Account{}, err
		}
		if u.APIKey != nil {
			cred.APIKey = *u.APIKey
		}
		if secret != nil {
			cred.SecretKey = *secret
		}
		if err := s.checkCredentials(ctx, cred); err != nil {
			return Account{}, err
		}
	}
	if secret != nil {
		sealed, err := s.crypt.seal(*secret, row.ID)
		if err != nil {
			return Account{}, err
		}
		u.SecretEnc = &sealed
	}
	if p.APIKey != nil || p.SecretKey != nil {
		cleared := "" // new credentials: the old complaint no longer applies
		u.LastError = &cleared
	}
	var updated store.Account
	err = s.audited(ctx, func(ctx context.Context) ([]auditNote, error) {
		var err error
		if updated, err = s.store.UpdateAccount(ctx, id, u); err != nil {
			return nil, err
		}
		var notes []auditNote
		if fields, detail, params := changes(row, updated, secret != nil); len(fields) > 0 {
			fields, warned := confirmed(fields, p.ConfirmSheetAccess, chk.warnings)
			m := Msg(MsgAuditAccountUpdate, updated.Name+": "+detail+warned, "name", updated.Name, "fields", strings.Join(fields, ", "))
			for k, v := range params {
				m.Params[k] = v
			}
			warnedParams(m.Params, chk.warnings)
			notes = append(notes, auditNote{action: AuditAccountUpdate, accountID: id, fields: fields, detail: m})
		}
		if chk.consent != "" {
			notes = append(notes, auditNote{action: AuditAccountConsent, accountID: id, fields: []string{"replace_tab_data"},
				detail: Msg(MsgAuditConsent, updated.Name+": "+chk.consentDetail, "name", updated.Name, "tab", chk.consentTab, "spreadsheet_id", updated.SpreadsheetID)})
		}
		return notes, nil
	})
	if err != nil {
		if errors.Is(err, store.ErrDuplicate) {
			return Account{}, tabTaken("sheet_tab")
		}
		return Account{}, mapStoreErr("update account", err)
	}
	if tabMoved(row, updated) {
		// A staging tab a failed write left for the old tab would otherwise wait for the
		// account's next write (it is found by the account, whatever the tab is called).
		if st, err := s.store.SheetState(ctx, id, string(tabOf(row).Kind())); err != nil {
			s.log.Warn("sheet state", "account_id", id, "err", err)
		} else if st.SpreadsheetID != "" {
			s.removeStaging(ctx, row.GoogleIdentity, id, st.SpreadsheetID, st.Tab, "tab renamed")
		}
	}
	out := s.accountView(ctx, updated)
	out.Warnings = chk.warnings
	return out, nil
}

// checkCredentials asks Naver whether cred is accepted: a *CredentialsError (matching
// ErrInvalidCredentials) naming the field Naver's answer points at when refused,
// ErrNaverUnavailable when Naver cannot be reached or fails.
func (s *Service) checkCredentials(ctx context.Context, cred naver.Credentials) error {
	err := s.naver.CheckCredentials(ctx, cred)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, naver.ErrAuth):
		return refusal(err, cred.CustomerID)
	case ctx.Err() != nil:
		return fmt.Errorf("check credentials: %w", ctx.Err())
	default:
		return fmt.Errorf("check credentials: %w: %w", ErrNaverUnavailable, err)
	}
}

// DeleteAccount removes an account. Syncs already running finish; queued ones are canceled.
// Its secret key is wiped; its sheet tab and the customer's stored report files stay (another
// account of the customer may use the files; retention removes superseded ones).
func (s *Service) DeleteAccount(ctx context.Context, id string) error {
	row, err := s.liveAccount(ctx, id)
	if err != nil {
		return mapStoreErr("delete account", err)
	}
	err = s.audited(ctx, func(ctx context.Context) ([]auditNote, error) {
		if err := s.store.DeleteAccount(ctx, id); err != nil {
			return nil, err
		}
		return []auditNote{{action: AuditAccountDelete, accountID: id, detail: Msg(MsgAuditAccountDelete, fmt.Sprintf(
			"%s: customer %s, spreadsheet %s, tab %q (the tab and its data are left as they are)",
			row.Name, row.CustomerID, row.SpreadsheetID, row.SheetTab),
			"name", row.Name, "customer_id", row.CustomerID, "spreadsheet_id", row.SpreadsheetID, "tab", row.SheetTab)}}, nil
	})
	if err != nil {
		return mapStoreErr("delete account", err)
	}
	// Hidden staging tabs its failed writes left are removed now, or by the next retention pass
	// when Google cannot be reached (the state of the account's tabs is kept until then).
	if s.removeAccountStaging(ctx, row, "account deleted") {
		if err := s.store.ForgetSheet(ctx, id); err != nil {
			s.log.Warn("forget the deleted account's sheet state", "account_id", id, "err", err)
		}
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
	if len(a.SecretEnc) == 0 && a.DeletedAt != nil {
		return naver.Credentials{}, errors.New("the account was deleted: its secret key is wiped")
	}
	secret, err := s.crypt.open(a.SecretEnc, a.ID)
	if err != nil {
		return naver.Credentials{}, err
	}
	return naver.Credentials{CustomerID: a.CustomerID, APIKey: a.APIKey, SecretKey: secret}, nil
}

// accountView is what clients see of an account, with its last success.
func (s *Service) accountView(ctx context.Context, r store.Account) Account {
	return s.accountViews(ctx, []store.Account{r})[0]
}

// accountViews are what clients see of accounts; their last successes are read in one query
// (one index lookup per account, whatever the number of syncs stored). Without them (the query
// failed) the accounts are still shown.
func (s *Service) accountViews(ctx context.Context, rows []store.Account) []Account {
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	last, err := s.store.LastSuccesses(ctx, ids)
	if err != nil {
		s.log.Warn("accounts: last successes", "err", err)
	}
	tabs, err := s.store.SheetTabs(ctx, ids)
	if err != nil {
		s.log.Warn("accounts: sheet tabs", "err", err)
	}
	out := make([]Account, len(rows))
	for i, r := range rows {
		out[i] = Account{
			ID: r.ID, Name: r.Name, CustomerID: r.CustomerID, APIKey: r.APIKey,
			SpreadsheetID: r.SpreadsheetID, SheetTab: r.SheetTab, Level: r.Level,
			RefreshEnabled: r.RefreshEnabled, RefreshTime: r.RefreshTime, SheetLanguage: sheetLanguage(r.SheetLanguage),
			LastError: r.LastError, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, GoogleIdentity: r.GoogleIdentity,
			HistoryDays: s.historyDays(r),
			Tabs:        tabKinds(r),
			TabTitles:   tabTitles(r),
		}
		if r.LastError != "" {
			out[i].LastErrorCode = KindAuth.Code()
		}
		if t, ok := last[r.ID]; ok {
			out[i].LastSuccessAt = &t
		}
		out[i].NextRefreshAt = s.nextRefresh(r)
		for _, k := range tabKinds(r) {
			if gid, ok := sheetGID(r, report.Kind(k), tabs[r.ID][k]); ok {
				if out[i].TabGIDs == nil {
					out[i].TabGIDs = map[string]int64{}
				}
				out[i].TabGIDs[k] = gid
			}
		}
		// The account's tab is its first (tabOf).
		first := string(tabOf(r).Kind())
		if gid, ok := out[i].TabGIDs[first]; ok {
			out[i].SheetGID = &gid
		}
		out[i].SheetCells = accountSheetCells(r, tabs[r.ID][first])
		out[i].SheetConsent = sheetConsent(r)
	}
	return out
}

// Account field limits, in characters (Unicode code points), as openapi.yaml states them.
const (
	maxNameChars = 200
	maxKeyChars  = 500
	maxTabChars  = 100 // Google's limit for a tab name
)

// tabTaken refuses a spreadsheet tab another live account writes, naming field.
func tabTaken(field string) error {
	return &ValidationError{Fields: []FieldError{FieldErr(field, Msg(MsgFieldTabTaken,
		"another account already writes to this spreadsheet tab (Google compares tab names ignoring case); two accounts in one tab would overwrite each other"))}}
}

// checkText applies the rules every free-text field shares: present, at most maxChars
// characters, valid UTF-8, no control characters (NUL, ESC, CR, LF, ...). It reports whether
// the value passed.
func checkText(verr *ValidationError, field, v string, maxChars int, what string) bool {
	switch n := utf8.RuneCountInString(v); {
	case n == 0:
		verr.add(field, Msg(MsgFieldTextRequired, fmt.Sprintf("required: %s, 1 to %d characters", what, maxChars), "max", itoa(maxChars)))
	case n > maxChars:
		verr.add(field, Msg(MsgFieldTooLong, fmt.Sprintf("at most %d characters (%d given)", maxChars, n), "max", itoa(maxChars), "given", itoa(n)))
	case !utf8.ValidString(v):
		verr.add(field, Msg(MsgFieldUTF8, "not valid UTF-8"))
	case strings.IndexFunc(v, isControl) >= 0:
		verr.add(field, Msg(MsgFieldControlChars, "must not contain control characters (such as NUL, ESC, tab or line breaks)"))
	default:
		return true
	}
	return false
}

// isControl reports the characters refused in names and keys: C0 and C1 controls, DEL, and
// the Unicode line and paragraph separators.
func isControl(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
}

func checkName(verr *ValidationError, name string) {
	checkText(verr, "name", name, maxNameChars, "a name for people")
}

func checkKey(verr *ValidationError, field, key, what string) {
	checkText(verr, field, key, maxKeyChars, what)
}

func checkSheet(verr *ValidationError, id, tab string) {
	if !spreadsheetIDRE.MatchString(id) {
		verr.add("spreadsheet_id", Msg(MsgFieldSpreadsheetID, "the id from the sheet's URL (letters, digits, - and _)"))
	}
	checkTabName(verr, "sheet_tab", tab)
}

// checkTabName applies Google's rules for a tab's title (and naversync's: not its status tab's)
// to the value of field, and reports whether it passed.
func checkTabName(verr *ValidationError, field, tab string) bool {
	if !checkText(verr, field, tab, maxTabChars, "the tab's name") {
		return false
	}
	switch {
	case strings.ContainsAny(tab, "[]*?:/\\'"):
		verr.add(field, Msg(MsgFieldTabChars, "none of [ ] * ? : / \\ ' (Google refuses them in tab names)"))
	case strings.EqualFold(tab, google.DefaultStatusTab):
		verr.add(field, Msg(MsgFieldTabReserved, fmt.Sprintf("%q is reserved: naversync writes its status tab there", google.DefaultStatusTab), "tab", google.DefaultStatusTab))
	default:
		return true
	}
	return false
}

func (s *Service) checkRefreshTime(verr *ValidationError, v string) {
	if v != "" && !refreshTimeRE.MatchString(v) {
		verr.add("refresh_time", Msg(MsgFieldRefreshTime, fmt.Sprintf("HH:MM, 24-hour, in %s", s.cfg.Location), "timezone", s.cfg.Location.String()))
	}
}

// checkHistoryDays: an account's history is 1 day to Naver's served window.
func (s *Service) checkHistoryDays(verr *ValidationError, days int) {
	if days < 1 || days > s.cfg.ServedDays {
		verr.add("history_days", Msg(MsgFieldHistoryDays, fmt.Sprintf("1 to %d: the days up to yesterday the tab keeps, at most what Naver serves (%d days)", s.cfg.ServedDays, s.cfg.ServedDays),
			"served_days", itoa(s.cfg.ServedDays)))
	}
}

// historyDays is how many days up to yesterday the account's tab keeps: its own setting, or
// Naver's served window when it has none (0, accounts stored before the setting existed) or
// the setting is longer than the window served now.
func (s *Service) historyDays(a store.Account) int {
	if a.HistoryDays < 1 || a.HistoryDays > s.cfg.ServedDays {
		return s.cfg.ServedDays
	}
	return a.HistoryDays
}

// historyWindow is the range of days the account's tab keeps now: [today-historyDays, yesterday].
func (s *Service) historyWindow(a store.Account) (from, to time.Time) {
	t := s.today()
	return t.AddDate(0, 0, -s.historyDays(a)), t.AddDate(0, 0, -1)
}

// checkTabs: an account's tabs are known kinds, each once, at least one. It returns them as
// stored.
func checkTabs(verr *ValidationError, kinds []string) string {
	var known []string
	for _, t := range report.Tabs() {
		known = append(known, string(t.Kind()))
	}
	if len(kinds) == 0 {
		verr.add("tabs", Msg(MsgFieldTabsRequired, "at least one of: "+strings.Join(known, ", "), "kinds", strings.Join(known, ", ")))
		return ""
	}
	seen := map[string]bool{}
	for _, k := range kinds {
		if _, ok := report.TabOf(report.Kind(k)); !ok {
			verr.add("tabs", Msg(MsgFieldTabsUnknown, fmt.Sprintf("%q is not a kind of tab; the kinds are: %s", k, strings.Join(known, ", ")),
				"kind", k, "kinds", strings.Join(known, ", ")))
			return ""
		}
		if seen[k] {
			verr.add("tabs", Msg(MsgFieldTabsTwice, fmt.Sprintf("%q is given twice", k), "kind", k))
			return ""
		}
		seen[k] = true
	}
	return strings.Join(kinds, ",")
}

func checkLanguage(verr *ValidationError, lang string) {
	switch lang {
	case LanguageEnglish, LanguageKorean:
	default:
		verr.add("sheet_language", Msg(MsgFieldSheetLanguage, "en (English) or ko (Korean)"))
	}
}

func checkLevel(verr *ValidationError, level string) {
	switch level {
	case LevelCampaign, LevelAdgroup, LevelKeyword:
	default:
		verr.add("level", Msg(MsgFieldLevel, "one of campaign, adgroup, keyword"))
	}
}

// newID returns a time-ordered unique id (UUIDv7).
func newID() string { return uuid.Must(uuid.NewV7()).String() }
