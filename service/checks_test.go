package service_test

import (
	"testing"

	"github.com/naversync/naversync/service"
)

// A spreadsheet is named by the address a browser shows, in its usual shapes, or by its id;
// the gid of the address names a tab. Published copies and other sites are refused.
func TestParseSpreadsheet(t *testing.T) {
	for _, tc := range []struct {
		ref, id, gid string
		ok           bool
	}{
		{"1AbC-d_E", "1AbC-d_E", "", true},
		{"  1AbC-d_E  ", "1AbC-d_E", "", true},
		{"https://docs.google.com/spreadsheets/d/1AbC-d_E/edit#gid=0", "1AbC-d_E", "0", true},
		{"https://docs.google.com/spreadsheets/d/1AbC-d_E/edit?usp=sharing#gid=123456", "1AbC-d_E", "123456", true},
		{"https://docs.google.com/spreadsheets/d/1AbC-d_E/edit?gid=42#gid=42", "1AbC-d_E", "42", true},
		{"https://docs.google.com/spreadsheets/u/1/d/1AbC-d_E/edit", "1AbC-d_E", "", true},
		{"https://docs.google.com/spreadsheets/d/1AbC-d_E", "1AbC-d_E", "", true},
		{"https://docs.google.com/spreadsheets/d/1AbC-d_E/edit#gid=abc", "1AbC-d_E", "", true},
		{"https://docs.google.com/spreadsheets/d/e/2PACX-1vQ/pubhtml", "", "", false},
		{"https://docs.google.com/document/d/1AbC-d_E/edit", "", "", false},
		{"https://evil.example/spreadsheets/d/1AbC-d_E/edit", "", "", false},
		{"ftp://docs.google.com/spreadsheets/d/1AbC-d_E", "", "", false},
		{"not an id", "", "", false},
		{"", "", "", false},
	} {
		id, gid, ok := service.ParseSpreadsheet(tc.ref)
		if id != tc.id || gid != tc.gid || ok != tc.ok {
			t.Errorf("ParseSpreadsheet(%q) = %q, %q, %v; want %q, %q, %v", tc.ref, id, gid, ok, tc.id, tc.gid, tc.ok)
		}
	}
}
