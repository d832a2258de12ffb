package service

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/naversync/naversync/google"
	"github.com/naversync/naversync/report"
	"github.com/naversync/naversync/store"
)

// stagingCleanupTimeout bounds the best-effort removal of an account's stale staging tabs when
// its tab is renamed or it is deleted, so that the request answering the person stays quick.
const stagingCleanupTimeout = 15 * time.Second

// removeStaging deletes the hidden staging tabs an account's failed writes left in a
// spreadsheet (marked with the account's id, or by older markers with tab's title). Best
// effort: a failure is logged and reported, never returned to the person's request. It
// reports whether nothing is left to try: none of them is left, or the spreadsheet is gone or
// no longer shared with naversync (then nobody but its owners can remove them).
func (s *Service) removeStaging(ctx context.Context, identity, accountID, spreadsheetID, tab, why string) bool {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stagingCleanupTimeout)
	defer cancel()
	n, err := s.ids.writer(identity).RemoveStaging(ctx, spreadsheetID, accountID, tab)
	if errors.Is(err, google.ErrSpreadsheetNotFound) || errors.Is(err, google.ErrNotShared) {
		s.log.Warn("cannot look for the account's stale staging tabs: the spreadsheet is gone or not shared with naversync",
			"account_id", accountID, "spreadsheet_id", spreadsheetID, "why", why, "err", err)
		return true
	}
	if err != nil {
		s.log.Warn("could not remove the account's stale staging tabs", "account_id", accountID, "spreadsheet_id", spreadsheetID,
			"tab", tab, "why", why, "err", err)
		return false
	}
	if n > 0 {
		s.log.Info("removed the account's stale staging tabs", "account_id", accountID, "spreadsheet_id", spreadsheetID, "tab", tab, "why", why, "count", n)
	}
	return true
}

// removeAccountStaging removes the stale staging tabs of every kind of tab of the account that
// has a recorded state (removeStaging). It reports whether there was a state and nothing is
// left to try for any of them: the account's tab state may then be forgotten.
func (s *Service) removeAccountStaging(ctx context.Context, acct store.Account, why string) bool {
	found, done := false, true
	for _, t := range report.Tabs() {
		st, err := s.store.SheetState(ctx, acct.ID, string(t.Kind()))
		if err != nil {
			s.log.Warn("sheet state", "account_id", acct.ID, "tab_kind", t.Kind(), "err", err)
			return false
		}
		if st.SpreadsheetID == "" {
			continue
		}
		found = true
		if !s.removeStaging(ctx, acct.GoogleIdentity, acct.ID, st.SpreadsheetID, st.Tab, why) {
			done = false
		}
	}
	return found && done
}

// forgetDeletedSheets removes the stale staging tabs of deleted accounts whose removal at
// deletion did not succeed (Google unreachable then), and then forgets the state of their tabs
// (every kind); it runs with each retention pass and returns how many accounts it settled.
func (s *Service) forgetDeletedSheets(ctx context.Context) (int, error) {
	left, err := s.store.DeletedAccountSheets(ctx, 100)
	if err != nil {
		return 0, err
	}
	done := 0
	// left holds every tab of an account together (ordered by account).
	for i := 0; i < len(left); {
		accountID := left[i].AccountID
		identity := s.ids.order[0]
		if a, err := s.store.GetAccount(ctx, accountID); err == nil {
			identity = a.GoogleIdentity
		}
		settled := true
		for ; i < len(left) && left[i].AccountID == accountID; i++ {
			d := left[i]
			if d.SpreadsheetID != "" && !s.removeStaging(ctx, identity, d.AccountID, d.SpreadsheetID, d.Tab, "account deleted; retried by retention") {
				settled = false
			}
		}
		if !settled {
			continue
		}
		if err := s.store.ForgetSheet(ctx, accountID); err != nil {
			return done, err
		}
		done++
	}
	return done, nil
}

// SheetCells is how much of Google's cell limit an account's spreadsheet used after its last
// write, and what took the room.
type SheetCells struct {
	Cells int64 `json:"cells"`
	Limit int64 `json:"limit"`
	// NearLimit: at least 80% of the limit is used; the status tab says so too. A full
	// spreadsheet leaves the oldest days out of the account's tab.
	NearLimit bool `json:"near_limit"`
	// Tabs are the largest tabs (at most 5), largest first.
	Tabs []TabCells `json:"tabs"`
}

// TabCells is one tab's size in cells.
type TabCells struct {
	Title string `json:"title"`
	Cells int64  `json:"cells"`
}

// sheetCells turns a write's cell usage into what the account shows; nil when unknown.
func sheetCells(u google.CellUsage) *SheetCells {
	if u.Limit == 0 {
		return nil
	}
	out := &SheetCells{Cells: u.Cells, Limit: u.Limit, NearLimit: u.Near(), Tabs: []TabCells{}}
	for _, t := range u.Tabs[:min(5, len(u.Tabs))] {
		out.Tabs = append(out.Tabs, TabCells{Title: t.Title, Cells: t.Cells})
	}
	return out
}

// accountSheetCells is the recorded cell usage of the account's spreadsheet, when the record is
// of the account's current spreadsheet.
func accountSheetCells(a store.Account, t store.SheetTab) *SheetCells {
	if len(t.Usage) == 0 || t.SpreadsheetID != a.SpreadsheetID {
		return nil
	}
	var c SheetCells
	if err := json.Unmarshal(t.Usage, &c); err != nil {
		return nil
	}
	return &c
}

// tabMoved reports whether an account update moves its table to another tab or spreadsheet.
func tabMoved(before, after store.Account) bool {
	return before.SpreadsheetID != after.SpreadsheetID || before.SheetTab != after.SheetTab
}
