package service

import (
	"encoding/json"
	"time"

	"github.com/naversync/naversync/report"
	"github.com/naversync/naversync/store"
)

// nextRefresh is when the scheduler of this process refreshes the account next: at its own
// time (the next HH:MM in Naver's time zone) or at the service's schedule; nil when its
// refresh is off or no scheduler runs here.
func (s *Service) nextRefresh(a store.Account) *time.Time {
	if !a.RefreshEnabled {
		return nil
	}
	s.mu.Lock()
	sc := s.sched
	s.mu.Unlock()
	if sc == nil {
		return nil
	}
	if a.RefreshTime == "" {
		next, err := sc.global.NextRun()
		if err != nil || next.IsZero() {
			return nil
		}
		return &next
	}
	at, err := time.Parse("15:04", a.RefreshTime)
	if err != nil {
		return nil
	}
	now := s.now().In(s.cfg.Location)
	next := time.Date(now.Year(), now.Month(), now.Day(), at.Hour(), at.Minute(), 0, 0, s.cfg.Location)
	if !next.After(now) {
		next = next.AddDate(0, 0, 1)
	}
	return &next
}

// sheetGID is the sheetId of the account's tab of kind k as last written (t, the writer's
// record of that tab), when that is still the account's spreadsheet and the tab's title. Only
// the layout's SheetID is decoded: GET /accounts asks this of every tab of every account, and
// a layout holds a block per day.
func sheetGID(a store.Account, k report.Kind, t store.SheetTab) (int64, bool) {
	if len(t.Layout) == 0 || t.SpreadsheetID != a.SpreadsheetID || t.Tab != tabTitle(a, k) {
		return 0, false
	}
	var l struct{ SheetID int64 } // google.Layout's field, as stored
	if err := json.Unmarshal(t.Layout, &l); err != nil {
		return 0, false
	}
	return l.SheetID, true
}
