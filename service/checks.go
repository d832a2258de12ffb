package service

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/naversync/naversync/google"
	"github.com/naversync/naversync/naver"
	"github.com/naversync/naversync/store"
)

// ErrSheetsUnavailable: Google Sheets could not be reached, failed, or its quota is used up,
// while checking a spreadsheet; try again later. It matches ErrUnavailable too.
var ErrSheetsUnavailable = fmt.Errorf("google sheets is not reachable: %w", ErrUnavailable)

// CredentialsError is Naver's refusal of an account's credentials, with the field its answer
// points at ("" when it points at none, e.g. this server's clock). It matches
// ErrInvalidCredentials.
type CredentialsError struct {
	Field  string
	Reason string
	// Code and Params name Reason for a client to say it in its own language.
	Code   MessageCode
	Params MessageParams
}

// credRefusal is the refusal of field saying m.
func credRefusal(field string, m Message) *CredentialsError {
	return &CredentialsError{Field: field, Reason: m.Text, Code: m.Code, Params: m.Params}
}

// Message is the refusal's sentence.
func (e *CredentialsError) Message() Message {
	return Message{Code: e.Code, Params: e.Params, Text: e.Reason}
}

func (e *CredentialsError) Error() string {
	return fmt.Sprintf("%v: %s", ErrInvalidCredentials, e.Reason)
}

// Is makes a CredentialsError match ErrInvalidCredentials.
func (e *CredentialsError) Is(target error) bool { return target == ErrInvalidCredentials }

// refusal turns Naver's refusal (an error matching naver.ErrAuth) into a *CredentialsError
// naming the field to fix: an unknown API key, a secret key that does not sign for it, a
// customer id the key may not use.
func refusal(err error, customerID string) *CredentialsError {
	var ae *naver.APIError
	if !errors.As(err, &ae) {
		return credRefusal("", Msg(MsgCredentialsRefused, "Naver refused the credentials: check the API key, the secret key and the customer id"))
	}
	switch {
	case strings.HasSuffix(ae.Type, ":invalid-signature"):
		return credRefusal("secret_key", Msg(MsgSecretMismatch, "Naver refused the signature: this secret key does not belong to the API key (copy both again from Naver's Search Ad system, Tools > API manager)"))
	case strings.HasSuffix(ae.Type, ":auth-failed"):
		return credRefusal("api_key", Msg(MsgUnknownAPIKey, "Naver does not know this API key (license): copy it again from Naver's Search Ad system, Tools > API manager"))
	case strings.HasSuffix(ae.Type, ":invalid-timestamp"):
		return credRefusal("", Msg(MsgClockSkew, "Naver refused the request's time: this server's clock is off by a minute or more; fix its clock (NTP)"))
	case ae.Code == 1018 || ae.Code == 1006:
		return credRefusal("customer_id", Msg(MsgCustomerNotAllowed, fmt.Sprintf("this API key may not read customer %s: use the customer id of the account the key belongs to", customerID), "customer_id", customerID))
	}
	return credRefusal("api_key", Msg(MsgCredentialsRefused, "Naver refused the credentials: check the API key, the secret key and the customer id"))
}

// CredentialsCheck asks Naver about credentials before they are saved. With AccountID, the
// fields left empty are the account's stored ones (a secret key left empty keeps the stored one).
type CredentialsCheck struct {
	AccountID  string `json:"account_id"`
	CustomerID string `json:"customer_id"`
	APIKey     string `json:"api_key"`
	SecretKey  string `json:"secret_key"`
}

// CheckCredentials asks Naver whether the credentials are accepted, changing nothing: nil when
// they are, a *CredentialsError (matching ErrInvalidCredentials) naming the field to fix, a
// *ValidationError for missing fields, ErrNaverUnavailable when Naver cannot be reached.
func (s *Service) CheckCredentials(ctx context.Context, in CredentialsCheck) error {
	cred := naver.Credentials{CustomerID: strings.TrimSpace(in.CustomerID), APIKey: strings.TrimSpace(in.APIKey), SecretKey: strings.TrimSpace(in.SecretKey)}
	if in.AccountID != "" {
		row, err := s.liveAccount(ctx, in.AccountID)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return &ValidationError{Fields: []FieldError{FieldErr("account_id", Msg(MsgFieldNoSuchAccount, "no such account"))}}
			}
			return mapStoreErr("check credentials", err)
		}
		stored, err := s.credentials(row)
		if err != nil {
			return err
		}
		if cred.CustomerID == "" {
			cred.CustomerID = stored.CustomerID
		}
		if cred.APIKey == "" {
			cred.APIKey = stored.APIKey
		}
		if cred.SecretKey == "" {
			cred.SecretKey = stored.SecretKey
		}
	}
	verr := &ValidationError{}
	if !customerIDPattern.MatchString(cred.CustomerID) {
		verr.add("customer_id", Msg(MsgFieldCustomerID, "Naver customer id: digits only"))
	}
	checkKey(verr, "api_key", cred.APIKey, "the Naver API license key")
	checkKey(verr, "secret_key", cred.SecretKey, "the Naver API secret key")
	if err := verr.orNil(); err != nil {
		return err
	}
	return s.checkCredentials(ctx, cred)
}

// SheetCheck asks what the service may do with a spreadsheet: Spreadsheet is its id or the
// address of the spreadsheet in a browser (the id is taken from it; its gid names a tab);
// SheetTab, when given, is the tab an account would write.
type SheetCheck struct {
	Spreadsheet string `json:"spreadsheet"`
	SheetTab    string `json:"sheet_tab"`
	// GoogleIdentity is the identity whose access is checked: an account's, or one it may move
	// to; "" means the one a new account would get (NextGoogleIdentity).
	GoogleIdentity string `json:"google_identity"`
}

// Spreadsheet access levels a SheetAccess reports.
const (
	SheetAccessEdit     = google.AccessEdit
	SheetAccessRead     = google.AccessRead
	SheetAccessNone     = google.AccessNone
	SheetAccessNotFound = "not_found"
)

// SheetTabInfo is one tab of a spreadsheet.
type SheetTabInfo struct {
	SheetID int64  `json:"sheet_id"`
	Title   string `json:"title"`
}

// SheetTabState describes the tab an account would write.
type SheetTabState struct {
	Title  string `json:"title"`
	Exists bool   `json:"exists"`
	// HasData: the tab holds values naversync did not write (saving the account would replace
	// them: the console asks first).
	HasData bool `json:"has_data"`
	// WrittenByNaversync: the tab holds a table naversync wrote.
	WrittenByNaversync bool `json:"written_by_naversync"`
}

// SheetAccess is what CheckSheet found.
type SheetAccess struct {
	SpreadsheetID string `json:"spreadsheet_id"`
	// Access is edit, read (shared for viewing only), none (not shared) or not_found.
	Access string `json:"access"`
	Title  string `json:"title,omitempty"`
	// Tabs are the spreadsheet's tabs, in order.
	Tabs []SheetTabInfo `json:"tabs"`
	// GidTab is the title of the tab the address's gid names ("" without one, or when unknown).
	GidTab string `json:"gid_tab,omitempty"`
	// Tab describes SheetTab (absent when none was given).
	Tab *SheetTabState `json:"tab,omitempty"`
	// ServiceAccountEmail is the address to share the spreadsheet with, as an editor.
	ServiceAccountEmail string `json:"service_account_email"`
	// Message says what the result means and what to do, in English; Code and Params say it
	// for a client to say in its own language (Params' email: the address to share with).
	Message string        `json:"message"`
	Code    MessageCode   `json:"code"`
	Params  MessageParams `json:"params,omitempty"`
}

// say sets the answer's message.
func (a *SheetAccess) say(m Message) { a.Message, a.Code, a.Params = m.Text, m.Code, m.Params }

// spreadsheetURL matches the path of a spreadsheet's address: /spreadsheets/d/<id>/...,
// possibly after /u/<n>/ (several Google accounts in one browser).
var spreadsheetURL = regexp.MustCompile(`^(?:/u/\d+)?/spreadsheets(?:/u/\d+)?/d/([A-Za-z0-9_-]+)`)

// ParseSpreadsheet reads a spreadsheet's id, and the gid of a tab when there is one, from the
// address of the spreadsheet in a browser (https://docs.google.com/spreadsheets/d/<id>/edit#gid=<n>)
// or from a bare id. ok is false for anything else.
func ParseSpreadsheet(ref string) (id, gid string, ok bool) {
	ref = strings.TrimSpace(ref)
	if spreadsheetIDRE.MatchString(ref) {
		return ref, "", true
	}
	u, err := url.Parse(ref)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host != "docs.google.com" {
		return "", "", false
	}
	m := spreadsheetURL.FindStringSubmatch(u.Path)
	if m == nil || m[1] == "e" || !spreadsheetIDRE.MatchString(m[1]) {
		// /spreadsheets/d/e/... is a published copy, whose id is not the spreadsheet's.
		return "", "", false
	}
	gid = u.Query().Get("gid")
	if frag, err := url.ParseQuery(u.Fragment); err == nil && frag.Get("gid") != "" {
		gid = frag.Get("gid")
	}
	if gid != "" && strings.Trim(gid, "0123456789") != "" {
		gid = ""
	}
	return m[1], gid, true
}

// CheckSheet tells what the service account may do with a spreadsheet, changing nothing a user
// can see (see google.Writer.CheckAccess): the access, the tabs, the tab the address's gid
// names, and whether the chosen tab holds data naversync did not write. A malformed reference
// is a *ValidationError; Google unreachable or out of quota ErrSheetsUnavailable.
func (s *Service) CheckSheet(ctx context.Context, in SheetCheck) (SheetAccess, error) {
	id, gid, ok := ParseSpreadsheet(in.Spreadsheet)
	verr := &ValidationError{}
	if !ok {
		verr.add("spreadsheet", Msg(MsgFieldSpreadsheet, "the spreadsheet's address (https://docs.google.com/spreadsheets/d/…) or its id"))
	}
	tab := strings.TrimSpace(in.SheetTab)
	if tab != "" {
		checkSheet(verr, "x", tab)
	}
	if err := verr.orNil(); err != nil {
		return SheetAccess{}, err
	}
	identity := normIdentity(in.GoogleIdentity)
	if identity == "" {
		identity = s.NextGoogleIdentity(ctx)
	} else if err := s.checkIdentity(identity); err != nil {
		return SheetAccess{}, err
	}
	w := s.ids.writer(identity)
	email := w.ServiceAccountEmail()
	out := SheetAccess{SpreadsheetID: id, Tabs: []SheetTabInfo{}, ServiceAccountEmail: email}
	who := email
	if who == "" {
		who = "the service account"
	}
	var asked []string
	if tab != "" {
		asked = append(asked, tab)
	}
	acc, err := w.CheckAccess(ctx, id, asked...)
	switch {
	case errors.Is(err, google.ErrSpreadsheetNotFound):
		out.Access = SheetAccessNotFound
		out.say(Msg(MsgSheetCheckNotFound, "Google knows no spreadsheet with this id: copy the address of the spreadsheet again from the browser"))
		return out, nil
	case err != nil:
		if ctx.Err() != nil {
			return SheetAccess{}, fmt.Errorf("check sheet: %w", ctx.Err())
		}
		return SheetAccess{}, fmt.Errorf("check sheet: %w: %w", ErrSheetsUnavailable, err)
	}
	out.Access, out.Title = acc.Level, acc.Title
	for _, t := range acc.Tabs {
		out.Tabs = append(out.Tabs, SheetTabInfo{SheetID: t.SheetID, Title: t.Title})
		if gid != "" && fmt.Sprint(t.SheetID) == gid {
			out.GidTab = t.Title
		}
	}
	if len(acc.Asked) == 1 {
		st := acc.Asked[0]
		out.Tab = &SheetTabState{Title: st.Title, Exists: st.Exists, HasData: st.HasData && !st.Naversync, WrittenByNaversync: st.Naversync}
	}
	switch acc.Level {
	case google.AccessEdit:
		out.say(Msg(MsgSheetCheckEdit, "naversync may edit this spreadsheet"))
	case google.AccessRead:
		out.say(Msg(MsgSheetCheckViewOnly, fmt.Sprintf("the spreadsheet is shared with %s for viewing only: share it as an editor", who), "email", email))
	default:
		out.say(Msg(MsgSheetCheckNotShared, fmt.Sprintf("the spreadsheet is not shared with %s: share it with that address as an editor", who), "email", email))
	}
	return out, nil
}
