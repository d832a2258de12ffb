package service

import (
	"fmt"
	"strings"

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
	return f
}

// changes names the fields that differ between an account before and after an update, and
// says how in a sentence for the audit log. Credentials are named, never shown: a new secret
// key (which cannot be compared) is "secret_key", an API key "api_key".
func changes(before, after store.Account, newSecret bool) (fields []string, detail string) {
	var parts []string
	show := func(field, was, is string) {
		if was != is {
			fields = append(fields, field)
			parts = append(parts, fmt.Sprintf("%s %s → %s", field, was, is))
		}
	}
	show("name", fmt.Sprintf("%q", before.Name), fmt.Sprintf("%q", after.Name))
	if before.APIKey != after.APIKey {
		fields = append(fields, "api_key")
		parts = append(parts, "api_key changed")
	}
	if newSecret {
		fields = append(fields, "secret_key")
		parts = append(parts, "secret_key replaced")
	}
	show("spreadsheet_id", before.SpreadsheetID, after.SpreadsheetID)
	show("sheet_tab", fmt.Sprintf("%q", before.SheetTab), fmt.Sprintf("%q", after.SheetTab))
	show("level", before.Level, after.Level)
	if before.RefreshEnabled != after.RefreshEnabled {
		fields = append(fields, "refresh_enabled")
	}
	if before.RefreshTime != after.RefreshTime {
		fields = append(fields, "refresh_time")
	}
	if b, a := refreshText(before.RefreshEnabled, before.RefreshTime), refreshText(after.RefreshEnabled, after.RefreshTime); b != a {
		parts = append(parts, fmt.Sprintf("refresh: %s → %s", b, a))
	}
	show("sheet_language", sheetLanguage(before.SheetLanguage), sheetLanguage(after.SheetLanguage))
	return fields, strings.Join(parts, "; ")
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
