package service

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/naversync/naversync/report"
	"github.com/naversync/naversync/store"
)

// createdFields names the fields an account was created with, for the audit log.
func createdFields(in AccountInput) []string {
	f := []string{"name", "customer_id", "api_key", "secret_key", "spreadsheet_id", "sheet_tab", "level", "sheet_language"}
	if in.RefreshEnabled != nil {
		f = append(f, "refresh_enabled")
	}
	if in.RefreshTime != "" {
		f = append(f, "refresh_time")
	}
	if in.HistoryDays != nil {
		f = append(f, "history_days")
	}
	if in.Tabs != nil {
		f = append(f, "tabs")
	}
	if in.TabTitles != nil {
		f = append(f, "tab_titles")
	}
	return f
}

// changes names the fields that differ between an account before and after an update, and
// says how in a sentence for the audit log. Credentials are named, never shown: a new secret
// key (which cannot be compared) is "secret_key", an API key "api_key". params say the same for
// a client in its own language: "changes" lists what changed (the fields, and "refresh" for
// refresh_enabled and refresh_time together), and each one with values has <change>_from and
// <change>_to, as data (names, ids, tabs, e-mails, HH:MM) or codes (a level; "off" and
// "schedule" for the refresh; "en" and "ko"; a number of days, 0 for the served window).
func changes(before, after store.Account, newSecret bool) (fields []string, detail string, params MessageParams) {
	var parts, changed []string
	params = MessageParams{}
	values := func(change, was, is string) {
		changed = append(changed, change)
		params[change+"_from"], params[change+"_to"] = was, is
	}
	show := func(field, was, is, wasText, isText string) {
		if was != is {
			fields = append(fields, field)
			parts = append(parts, fmt.Sprintf("%s %s → %s", field, wasText, isText))
			values(field, was, is)
		}
	}
	show("name", before.Name, after.Name, fmt.Sprintf("%q", before.Name), fmt.Sprintf("%q", after.Name))
	if before.APIKey != after.APIKey {
		fields = append(fields, "api_key")
		parts = append(parts, "api_key changed")
		changed = append(changed, "api_key")
	}
	if newSecret {
		fields = append(fields, "secret_key")
		parts = append(parts, "secret_key replaced")
		changed = append(changed, "secret_key")
	}
	show("spreadsheet_id", before.SpreadsheetID, after.SpreadsheetID, before.SpreadsheetID, after.SpreadsheetID)
	show("sheet_tab", before.SheetTab, after.SheetTab, fmt.Sprintf("%q", before.SheetTab), fmt.Sprintf("%q", after.SheetTab))
	show("level", before.Level, after.Level, before.Level, after.Level)
	if before.RefreshEnabled != after.RefreshEnabled {
		fields = append(fields, "refresh_enabled")
	}
	if before.RefreshTime != after.RefreshTime {
		fields = append(fields, "refresh_time")
	}
	if b, a := refreshText(before.RefreshEnabled, before.RefreshTime), refreshText(after.RefreshEnabled, after.RefreshTime); b != a {
		parts = append(parts, fmt.Sprintf("refresh: %s → %s", b, a))
		values("refresh", refreshValue(before.RefreshEnabled, before.RefreshTime), refreshValue(after.RefreshEnabled, after.RefreshTime))
	}
	bl, al := sheetLanguage(before.SheetLanguage), sheetLanguage(after.SheetLanguage)
	show("sheet_language", bl, al, bl, al)
	if before.GoogleIdentity != after.GoogleIdentity {
		fields = append(fields, "google_identity")
		parts = append(parts, fmt.Sprintf("moved from Google identity %s to %s (the spreadsheet must be shared with %s as an editor)",
			before.GoogleIdentity, after.GoogleIdentity, after.GoogleIdentity))
		values("google_identity", before.GoogleIdentity, after.GoogleIdentity)
	}
	show("history_days", strconv.Itoa(before.HistoryDays), strconv.Itoa(after.HistoryDays), historyText(before.HistoryDays), historyText(after.HistoryDays))
	bt, at := strings.Join(tabKinds(before), ","), strings.Join(tabKinds(after), ",")
	show("tabs", bt, at, bt, at)
	btt, att := titlesText(before), titlesText(after)
	show("tab_titles", btt, att, btt, att)
	params["changes"] = strings.Join(changed, ", ")
	return fields, strings.Join(parts, "; "), params
}

// titlesText names the titles of an account's tabs other than the performance tab (whose title
// is sheet_tab), as kind "title" pairs in the order of its tabs.
func titlesText(a store.Account) string {
	var parts []string
	for _, k := range tabKinds(a) {
		if k != string(report.KindPerformance) {
			parts = append(parts, fmt.Sprintf("%s %q", k, tabTitle(a, report.Kind(k))))
		}
	}
	return strings.Join(parts, ", ")
}

// refreshValue is when an account is refreshed, as a code for a client: "off", "schedule" (the
// service's) or the account's own HH:MM.
func refreshValue(enabled bool, at string) string {
	switch {
	case !enabled:
		return "off"
	case at == "":
		return "schedule"
	}
	return at
}

// historyText says how many days an account keeps as stored (0: the served window).
func historyText(days int) string {
	if days == 0 {
		return "served window"
	}
	return fmt.Sprintf("%d days", days)
}

// refreshText says when an account is refreshed.
func refreshText(enabled bool, at string) string {
	switch {
	case !enabled:
		return "no scheduled refresh"
	case at == "":
		return "refreshed on the service's schedule"
	}
	return "refreshed daily at " + at
}
