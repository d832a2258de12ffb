package service

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/naversync/naversync/report"
	"github.com/naversync/naversync/store"
)

// An account's tabs each have a title in the spreadsheet: the performance tab's is the account's
// sheet_tab, the others' are kept in store.Account.TabTitles (a JSON object, kind -> title).

// defaultTabTitle is the title a kind of tab other than the performance tab gets when the
// account does not name it.
func defaultTabTitle(k report.Kind) string {
	switch k {
	case report.KindSearchTerms:
		return "naver_search_terms"
	case report.KindShoppingTerms:
		return "naver_shopping_terms"
	}
	return "naver_" + string(k)
}

// storedTabTitles reads an account's stored titles (none for "" or an unreadable value).
func storedTabTitles(a store.Account) map[string]string {
	out := map[string]string{}
	if a.TabTitles != "" {
		if err := json.Unmarshal([]byte(a.TabTitles), &out); err != nil {
			return map[string]string{}
		}
	}
	return out
}

// tabTitle is the title in the spreadsheet of the account's tab of kind k.
func tabTitle(a store.Account, k report.Kind) string {
	if k == report.KindPerformance {
		return a.SheetTab
	}
	if t := storedTabTitles(a)[string(k)]; t != "" {
		return t
	}
	return defaultTabTitle(k)
}

// tabTitles are the titles of every kind of the account's tabs, kind -> title.
func tabTitles(a store.Account) map[string]string {
	out := map[string]string{}
	for _, k := range tabKinds(a) {
		out[k] = tabTitle(a, report.Kind(k))
	}
	return out
}

// encodeTabTitles stores the titles of the kinds other than the performance tab ("" for none).
func encodeTabTitles(titles map[string]string) string {
	rest := maps.Clone(titles)
	delete(rest, string(report.KindPerformance))
	if len(rest) == 0 {
		return ""
	}
	b, err := json.Marshal(rest) // a map of strings always encodes
	if err != nil {
		return ""
	}
	return string(b)
}

// resolveTabTitles checks the titles of an account's tabs after a save: kinds are its tabs
// (stored form, "" for the performance tab alone), sheetTab its performance tab's title, was
// its titles before (nil for a new account) and given the titles the request names (nil for
// none). Every kind gets a title: given, else as it was, else its default. A given kind must be
// one of the account's tabs; the performance tab's title, when given, must be sheetTab; every
// title follows Google's rules for tab names; titles are distinct (Google compares them
// ignoring case). It returns the titles as stored (store.Account.TabTitles); problems are added
// to verr, naming tab_titles (or field, the request's field that made two titles one).
func resolveTabTitles(verr *ValidationError, kinds, sheetTab string, was, given map[string]string, field string) string {
	ks := tabKinds(store.Account{Tabs: kinds})
	titles := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(given)) {
		t := strings.TrimSpace(given[k])
		switch {
		case !slices.Contains(ks, k):
			verr.add("tab_titles", Msg(MsgFieldTabTitlesKind, fmt.Sprintf("%q is not one of the account's tabs (%s)", k, strings.Join(ks, ", ")),
				"kind", k, "tabs", strings.Join(ks, ", ")))
			return ""
		case k == string(report.KindPerformance):
			if t != sheetTab {
				verr.add("tab_titles", Msg(MsgFieldTabTitlesPerformance, fmt.Sprintf("the performance tab's title is sheet_tab (%q): leave it out or give the same", sheetTab),
					"sheet_tab", sheetTab))
				return ""
			}
		default:
			if !checkTabName(verr, "tab_titles", t) {
				return ""
			}
			titles[k] = t
		}
	}
	seen := map[string]string{}
	for _, k := range ks {
		t, ok := titles[k]
		switch {
		case k == string(report.KindPerformance):
			t = sheetTab
		case ok:
		case was[k] != "":
			t = was[k]
		default:
			t = defaultTabTitle(report.Kind(k))
		}
		titles[k] = t
		if other, dup := seen[strings.ToLower(t)]; dup {
			if given != nil {
				field = "tab_titles"
			}
			verr.add(field, Msg(MsgFieldTabTitlesSame, fmt.Sprintf("the tabs %s and %s would both be titled %q: each tab needs its own title (Google compares titles ignoring case)", other, k, t),
				"title", t, "kind", k, "other", other))
			return ""
		}
		seen[strings.ToLower(t)] = k
	}
	return encodeTabTitles(titles)
}

// checkTabTitlesFree refuses titles another live account of the spreadsheet writes (any of its
// tabs, titles compared ignoring case, as Google compares them): two accounts in one tab would
// overwrite each other. The performance tab's title is also kept unique by the store
// (store.ErrDuplicate), this check covers every tab.
func (s *Service) checkTabTitlesFree(ctx context.Context, a store.Account) error {
	mine := map[string]string{}
	for k, t := range tabTitles(a) {
		mine[strings.ToLower(t)] = k
	}
	after := ""
	for {
		others, err := s.store.ListAccounts(ctx, store.AccountFilter{SpreadsheetID: a.SpreadsheetID, After: after, Limit: 1000})
		if err != nil {
			return fmt.Errorf("%w: accounts of the spreadsheet: %v", errStorage, err)
		}
		for _, o := range others {
			if o.ID == a.ID {
				continue
			}
			for _, t := range tabTitles(o) {
				if k, taken := mine[strings.ToLower(t)]; taken {
					field := "tab_titles"
					if k == string(report.KindPerformance) {
						field = "sheet_tab"
					}
					return &ValidationError{Fields: []FieldError{FieldErr(field, Msg(MsgFieldTabTaken,
						"another account already writes to this spreadsheet tab (Google compares tab names ignoring case); two accounts in one tab would overwrite each other"))}}
				}
			}
		}
		if len(others) < 1000 {
			return nil
		}
		after = others[len(others)-1].ID
	}
}
