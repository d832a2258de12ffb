package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/naversync/naversync/google"
	"github.com/naversync/naversync/report"
	"github.com/naversync/naversync/store"
)

// Onboarding safety. Two checks keep naversync from destroying data people keep in a sheet:
//
//   - Saving an account (create, or a change of its spreadsheet or tab) asks Google what the
//     service account may do with the spreadsheet (CheckAccess). A sheet it cannot edit (not
//     shared, view-only, no such spreadsheet) is refused with a *SheetAccessError unless the
//     request confirms it (ConfirmSheetAccess); then it is saved with a warning. Google
//     unreachable is ErrSheetsUnavailable, or, confirmed, a save with a warning that nothing
//     was checked: the first sync tells. A tab found holding someone's data is a warning (the
//     sync asks, below), unless the request consents to replacing it (ReplaceTabData, audited).
//   - Before its first write to a tab (no write of naversync to this tab recorded), a sync
//     asks Google whether the tab holds values naversync did not write
//     (google.Writer.TabHoldsForeignData: no layout record on the tab, a non-empty cell). Such
//     a tab is replaced only when a person consented to replacing that very tab
//     (ConsentToReplaceTab, audited); otherwise the sync fails with ErrConsentNeeded (kind
//     consent_needed) before anything is written, and the account records that consent is
//     needed. Consent names the tab by its spreadsheet and sheetId, so it covers the tab the
//     sync found and no other: a tab deleted and made again is a new one.

// Sheet consent states an account shows (Account.SheetConsent).
const (
	// SheetConsentNeeded: a sync stopped because the account's tab holds data naversync did
	// not write; it waits for a person's consent.
	SheetConsentNeeded = "needed"
	// SheetConsentGiven: a person consented to replacing the data of the account's tab.
	SheetConsentGiven = "given"
)

// SyncErrorConsentNeeded is the kind of a sync that stopped before replacing a tab holding
// data naversync did not write.
const SyncErrorConsentNeeded = KindConsentNeeded

// AuditAccountConsent records a person's consent to replacing the data of an account's tab.
const AuditAccountConsent = "account.consent"

// ErrConsentNeeded: the account's tab holds data naversync did not write, and nobody consented
// to replacing it. A *ForeignTabError matches it.
var ErrConsentNeeded = errors.New("the tab holds data naversync did not write")

// ForeignTabError is a sync's refusal to replace a tab holding data naversync did not write.
type ForeignTabError struct {
	AccountID, SpreadsheetID, Tab string
	SheetID                       int64
	// FirstCell is the A1 address of a value found there.
	FirstCell string
}

func (e *ForeignTabError) Error() string {
	return fmt.Sprintf("the tab %q of spreadsheet %s holds data naversync did not write (a value at %s); nothing was written: "+
		"confirm to replace it (POST /accounts/%s/sheet-consent, or the console's sync page), then retry the sync; "+
		"or give the account another tab", e.Tab, e.SpreadsheetID, e.FirstCell, e.AccountID)
}

// Is makes a ForeignTabError match ErrConsentNeeded.
func (e *ForeignTabError) Is(target error) bool { return target == ErrConsentNeeded }

// SheetAccessError refuses to save an account whose spreadsheet the service account cannot
// edit, unless the request confirms it (confirm_sheet_access). Nothing was changed.
type SheetAccessError struct {
	// Access is read (view-only), none (not shared) or not_found.
	Access string
	Fields []FieldError
}

func (e *SheetAccessError) Error() string {
	parts := make([]string, 0, len(e.Fields))
	for _, f := range e.Fields {
		parts = append(parts, f.Field+": "+f.Reason)
	}
	return "naversync cannot edit the spreadsheet: " + strings.Join(parts, "; ")
}

// SheetConsent is an account's consent to replacing the data in its tab.
type SheetConsent struct {
	// State is needed (a sync stopped and waits for consent) or given.
	State string `json:"state"`
	// SheetID is the sheetId of the tab found holding data naversync did not write.
	SheetID int64 `json:"sheet_id"`
	// Tab is that tab's title as the sync found it: one of the account's tabs, which a
	// request for consent must name (empty when unknown: a consent given when the account was
	// saved, which is for its performance tab, or a need recorded by an older release).
	Tab string `json:"tab,omitempty"`
}

// consentKey names one tab of one spreadsheet for consent: its sheetId, not its title, so
// that consent given for a tab does not carry over to a tab made later under the same name.
func consentKey(spreadsheetID string, sheetID int64) string {
	return fmt.Sprintf("%s/%d", spreadsheetID, sheetID)
}

// sheetConsent is what an account shows of its consent: the need when a sync waits for it,
// else the consent given, for its current spreadsheet only.
func sheetConsent(r store.Account) *SheetConsent {
	parse := func(key, state string) *SheetConsent {
		id, n, ok := strings.Cut(key, "/")
		var sheetID int64
		if !ok || id != r.SpreadsheetID {
			return nil
		}
		if _, err := fmt.Sscan(n, &sheetID); err != nil {
			return nil
		}
		return &SheetConsent{State: state, SheetID: sheetID}
	}
	var c *SheetConsent
	switch {
	case r.ConsentNeeded != "" && r.ConsentNeeded != r.ConsentGiven:
		c = parse(r.ConsentNeeded, SheetConsentNeeded)
	case r.ConsentGiven != "":
		c = parse(r.ConsentGiven, SheetConsentGiven)
	}
	if c != nil && (c.State == SheetConsentNeeded || r.ConsentNeeded == "" || r.ConsentGiven == r.ConsentNeeded) {
		c.Tab = r.ConsentTab // the title found with the need, or with the consent given at a save
	}
	return c
}

// sheetSave is what checkSheetForSave found: the answer's warnings, and the consent the save
// records (the consent key of the tab, "" for none), that tab's title and the audit detail.
type sheetSave struct {
	warnings      []FieldError
	consent       string
	consentTab    string
	consentDetail string
}

// savedTab is one of an account's tabs as a save names it: its title, and the field of the
// request a warning about it names (sheet_tab for the performance tab, else tab_titles).
type savedTab struct {
	field, title string
}

// tabsToCheck are the tabs an account (as it is after a save) writes, in the order a
// processing writes them.
func tabsToCheck(a store.Account) []savedTab {
	var out []savedTab
	for _, t := range tabsOf(a) {
		field := "tab_titles"
		if t.Kind() == report.KindPerformance {
			field = "sheet_tab"
		}
		out = append(out, savedTab{field: field, title: tabTitle(a, t.Kind())})
	}
	return out
}

// checkSheetForSave asks Google, before an account is saved with spreadsheetID and tabs (the
// account's tabs after the save), whether the service account of identity (the account's Google
// identity after the save) may edit it. A sheet it cannot edit is a *SheetAccessError, or,
// with confirm, a warning; Google unreachable is ErrSheetsUnavailable, or, with confirm, a
// warning that nothing was checked. Each tab holding someone's data is a warning naming it
// (the first sync asks before replacing it), unless given, the consent the account has, is
// for that very tab; with replace, the performance tab (sheet_tab: the tab a person saving the
// account is shown and asked about) gets the consent instead. The other tabs are not consented
// to at a save: an account keeps one consent, and a person consents to the tab they were
// shown, so the sync asks about each, by its title.
func (s *Service) checkSheetForSave(ctx context.Context, identity, spreadsheetID string, tabs []savedTab, given string, confirm, replace bool) (sheetSave, error) {
	w := s.ids.writer(identity)
	who := w.ServiceAccountEmail()
	if who == "" {
		who = "naversync's service account (GET /info)"
	}
	titles := make([]string, len(tabs))
	for i, t := range tabs {
		titles[i] = t.title
	}
	acc, err := w.CheckAccess(ctx, spreadsheetID, titles...)
	var problem FieldError
	access := ""
	switch {
	case errors.Is(err, google.ErrSpreadsheetNotFound):
		access = SheetAccessNotFound
		problem = FieldErr("spreadsheet_id", Msg(MsgSheetNotFound, "Google knows no spreadsheet with this id: copy the id from the spreadsheet's address again"))
	case err != nil:
		if ctx.Err() != nil {
			return sheetSave{}, fmt.Errorf("check sheet: %w", ctx.Err())
		}
		if !confirm {
			return sheetSave{}, fmt.Errorf("check sheet before saving (send confirm_sheet_access: true to save without the check): %w: %w", ErrSheetsUnavailable, err)
		}
		s.log.Warn("saving an account without checking its sheet: google sheets unreachable", "spreadsheet_id", spreadsheetID, "err", err)
		return sheetSave{warnings: []FieldError{FieldErr("spreadsheet_id", Msg(MsgSheetUnchecked, "Google Sheets could not be reached: saved without checking that naversync may edit the spreadsheet; the first sync will tell"))}}, nil
	case acc.Level == google.AccessRead:
		access = SheetAccessRead
		problem = FieldErr("spreadsheet_id", Msg(MsgSheetViewOnly, fmt.Sprintf("the spreadsheet is shared with %s for viewing only: share it as an editor, or syncs will fail", who), "email", who))
	case acc.Level == google.AccessNone:
		access = SheetAccessNone
		problem = FieldErr("spreadsheet_id", Msg(MsgSheetNotShared, fmt.Sprintf("the spreadsheet is not shared with %s: share it as an editor, or syncs will fail", who), "email", who))
	}
	var out sheetSave
	if access != "" {
		if !confirm {
			return sheetSave{}, &SheetAccessError{Access: access, Fields: []FieldError{problem}}
		}
		out.warnings = append(out.warnings, problem)
	}
	for i, st := range acc.Asked {
		if !st.Exists || !st.HasData || st.Naversync {
			continue
		}
		key := consentKey(spreadsheetID, st.SheetID)
		switch {
		case key == given:
			continue // a person consented to replacing this tab already
		case replace && tabs[i].field == "sheet_tab":
			out.consent, out.consentTab = key, st.Title
			out.consentDetail = fmt.Sprintf("consented, when saving the account, to replace the data naversync did not write in tab %q (sheetId %d) of spreadsheet %s",
				st.Title, st.SheetID, spreadsheetID)
		default:
			out.warnings = append(out.warnings, FieldErr(tabs[i].field, Msg(MsgSheetForeignTab, fmt.Sprintf("the tab %q holds data naversync did not write: the first sync stops before replacing it and asks for consent (or choose another tab)", st.Title), "tab", st.Title)))
		}
	}
	return out, nil
}

// guardForeignTab stops a sync before its first write to a tab of the account (titled title)
// that holds data naversync did not write, unless a person consented to replacing that tab. prev
// is the layout of the last write recorded for that tab: with one, naversync wrote the tab and the check is
// skipped (it costs one spreadsheets.get, and one or two reads of values for a tab without
// naversync's record). A failure to check is a sheet failure, classified as the write's would
// be (not shared, quota, ...).
func (s *Service) guardForeignTab(ctx context.Context, acct store.Account, title string, prev *google.Layout, log *slog.Logger) error {
	if prev != nil {
		return nil
	}
	tc, err := s.writerOf(acct).TabHoldsForeignData(ctx, acct.SpreadsheetID, title)
	if err != nil {
		return fmt.Errorf("%w: %w", errSheet, err)
	}
	if !tc.Foreign() {
		return nil
	}
	key := consentKey(acct.SpreadsheetID, tc.SheetID)
	if acct.ConsentGiven == key {
		log.Info("replacing a tab that held data naversync did not write, as a person consented", "tab", tc.Title, "sheet_id", tc.SheetID)
		return nil
	}
	if acct.ConsentNeeded != key || acct.ConsentTab != tc.Title {
		if _, err := s.store.UpdateAccount(ctx, acct.ID, store.AccountUpdate{ConsentNeeded: &key, ConsentTab: &tc.Title}); err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%w: record that consent is needed: %v", errStorage, err)
		}
	}
	log.Warn("the tab holds data naversync did not write; stopped before writing, consent needed", "tab", tc.Title, "sheet_id", tc.SheetID, "first_cell", tc.FirstCell)
	return &ForeignTabError{AccountID: acct.ID, SpreadsheetID: acct.SpreadsheetID, Tab: tc.Title, SheetID: tc.SheetID, FirstCell: tc.FirstCell}
}

// ConsentToReplaceTab records that the caller consents to naversync replacing the data of the
// account's tab that a sync found holding data naversync did not write (Account.SheetConsent
// needed); the next sync writes the tab. The consent is in the audit log. ErrNotFound for no
// such account; a *ConsentError (matching ErrConflict) when no sync waits for consent.
func (s *Service) ConsentToReplaceTab(ctx context.Context, id string) (Account, error) {
	row, err := s.liveAccount(ctx, id)
	if err != nil {
		return Account{}, mapStoreErr("consent", err)
	}
	c := sheetConsent(row)
	if c == nil || c.State != SheetConsentNeeded {
		return Account{}, &ConsentError{Reason: "no sync of this account is waiting for consent: naversync asks only after a sync found the account's tab holding data it did not write", Code: MsgNoConsentWaiting}
	}
	key := row.ConsentNeeded
	tab := c.Tab
	if tab == "" {
		tab = row.SheetTab // a need recorded by an older release, which wrote the performance tab alone
	}
	var updated store.Account
	err = s.audited(ctx, func(ctx context.Context) ([]auditNote, error) {
		var err error
		if updated, err = s.store.UpdateAccount(ctx, id, store.AccountUpdate{ConsentGiven: &key}); err != nil {
			return nil, err
		}
		return []auditNote{{action: AuditAccountConsent, accountID: id, fields: []string{"sheet_tab"}, detail: Msg(MsgAuditConsent, fmt.Sprintf(
			"%s: consented to replace the data naversync did not write in tab %q (sheetId %d) of spreadsheet %s",
			updated.Name, tab, c.SheetID, updated.SpreadsheetID),
			"name", updated.Name, "tab", tab, "spreadsheet_id", updated.SpreadsheetID)}}, nil
	})
	if err != nil {
		return Account{}, mapStoreErr("consent", err)
	}
	s.log.Info("consent to replace a tab's data", "account_id", id, "spreadsheet_id", row.SpreadsheetID, "sheet_id", c.SheetID)
	return s.accountView(ctx, updated), nil
}

// ConsentError refuses a consent that has nothing to apply to. It matches ErrConflict.
type ConsentError struct {
	Reason string
	Code   MessageCode
}

func (e *ConsentError) Error() string { return "consent: " + e.Reason }

// Is makes a ConsentError match ErrConflict.
func (e *ConsentError) Is(target error) bool { return target == ErrConflict }

// confirmed adds to an audit entry's fields and detail what a save confirmed and warned of.
func confirmed(fields []string, confirm bool, warnings []FieldError) ([]string, string) {
	if len(warnings) == 0 {
		return fields, ""
	}
	parts := make([]string, len(warnings))
	for i, w := range warnings {
		parts[i] = w.Field + ": " + w.Reason
		if confirm && w.Field == "spreadsheet_id" {
			fields = append(fields, "confirm_sheet_access")
		}
	}
	return fields, "; saved with warnings (" + strings.Join(parts, "; ") + ")"
}

// warnedParams adds to params the warnings an account was saved with, for a client to say them
// in its own language: "warnings" lists their codes (sheet.not_shared, ...), and their own
// parameters (email, tab) are added as they are.
func warnedParams(params MessageParams, warnings []FieldError) {
	if len(warnings) == 0 {
		return
	}
	codes := make([]string, len(warnings))
	for i, w := range warnings {
		codes[i] = string(w.Code)
		for k, v := range w.Params {
			if _, taken := params[k]; !taken {
				params[k] = v
			}
		}
	}
	params["warnings"] = strings.Join(codes, ", ")
}
