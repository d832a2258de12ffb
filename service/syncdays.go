package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/naversync/naversync/naver"
	"github.com/naversync/naversync/report"
	"github.com/naversync/naversync/store"
)

// States of one day of a sync, as SyncDays reports them (the vocabulary of the README).
const (
	DayFetched    = "fetched"     // every report of the day is stored
	DayNone       = "none"        // Naver has no data for the day
	DayPending    = "pending"     // not ready at Naver yet, or asked again
	DayDamaged    = "damaged"     // a stored file did not read back: fetched again
	DayNotFetched = "not_fetched" // no report of the day is stored yet
)

// States of one report of a day besides a stored file's (store.FileBuilt, FileNone,
// FilePending, FileDamaged), as SyncDays reports them.
const (
	ReportMissing   = "missing"    // served, and nothing stored
	ReportNotServed = "not_served" // Naver does not serve the type for the day (naver.ServedDays)
)

// SyncDayReport is one report of a day, as stored.
type SyncDayReport struct {
	ReportType string `json:"report_type"`
	// Tabs are the kinds of the account's tabs the report feeds, in the tabs' order, so that a
	// client can group a day's reports by tab.
	Tabs []report.Kind `json:"tabs"`
	// State is built, none, pending, damaged, missing (served, nothing stored) or not_served
	// (Naver does not serve the type for the day, and no final file of it is held: never asked
	// for; the tabs show its figures empty).
	State string `json:"state"`
	// Reason says why a report is not_served; Code and Params name it for a client to say it
	// in its own language (MsgDayTypeNotServed: report_type, served_days).
	Reason string        `json:"reason,omitempty"`
	Code   MessageCode   `json:"code,omitempty"`
	Params MessageParams `json:"params,omitempty"`
	// Recheck: the report is served but asked for again (Naver said "not ready" while a good
	// file was held, or a recent day's conversions were NONE, which may still come).
	Recheck   bool       `json:"recheck"`
	FetchedAt *time.Time `json:"fetched_at,omitempty"`
}

// SyncDay is one day of a sync's range: its state, why, and its reports.
type SyncDay struct {
	Day    string `json:"day"`
	State  string `json:"state"`
	Reason string `json:"reason"`
	// Code and Params name Reason for a client to say it in its own language ("" with no
	// reason).
	Code    MessageCode     `json:"code,omitempty"`
	Params  MessageParams   `json:"params,omitempty"`
	Reports []SyncDayReport `json:"reports"`
}

// SyncDays lists the days of a sync's range, newest first, with the state of the customer's
// stored reports for each (as they stand now: a later sync of the customer may have fetched a
// day again).
func (s *Service) SyncDays(ctx context.Context, id string) ([]SyncDay, error) {
	sy, err := s.store.GetSync(ctx, id)
	if err != nil {
		return nil, mapStoreErr("sync days", err)
	}
	acct, err := s.store.GetAccount(ctx, sy.AccountID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, mapStoreErr("sync days", err)
	}
	types := reportTypes(acct) // an account gone for good reads as the performance tab's
	feeds := tabsFed(acct)
	files, err := s.store.ReportFiles(ctx, sy.CustomerID, types, sy.From, sy.To)
	if err != nil {
		return nil, mapStoreErr("sync days", err)
	}
	byDay := map[string]map[string]store.ReportFile{}
	for _, f := range files {
		if byDay[f.StatDate] == nil {
			byDay[f.StatDate] = map[string]store.ReportFile{}
		}
		byDay[f.StatDate][f.ReportType] = f
	}
	from, err1 := time.Parse(dayLayout, sy.From)
	to, err2 := time.Parse(dayLayout, sy.To)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("sync days: sync %s has the range %s..%s", id, sy.From, sy.To)
	}
	running := sy.Status == StatusQueued || sy.Status == StatusFetching
	var out []SyncDay
	for d := to; !d.Before(from); d = d.AddDate(0, 0, -1) {
		day := d.Format(dayLayout)
		out = append(out, s.syncDay(types, feeds, d, byDay[day], running))
	}
	return out, nil
}

// tabsFed maps each report type of the account's tabs to the kinds of tab it feeds.
func tabsFed(acct store.Account) map[string][]report.Kind {
	out := map[string][]report.Kind{}
	for _, t := range tabsOf(acct) {
		for _, tp := range t.ReportTypes() {
			out[tp] = append(out[tp], t.Kind())
		}
	}
	return out
}

// syncDay says what a day's stored reports mean for a reader of the sheet. A report of a type
// Naver does not serve for the day (and of which no final file is held) is not_served and does
// not count: a day whose served reports are all stored is fetched.
func (s *Service) syncDay(types []string, feeds map[string][]report.Kind, date time.Time, files map[string]store.ReportFile, running bool) SyncDay {
	day := date.Format(dayLayout)
	d := SyncDay{Day: day, Reports: []SyncDayReport{}}
	var served, missing, pending, damaged, none, recheckBuilt, provisional int
	notServed := -1 // the first not_served report
	for _, tp := range types {
		f, ok := files[tp]
		r := SyncDayReport{ReportType: tp, Tabs: feeds[tp], State: ReportMissing}
		if r.Tabs == nil {
			r.Tabs = []report.Kind{}
		}
		if (!ok || !f.Final()) && !s.served(tp, date) {
			n := naver.ServedDays(tp, s.cfg.ServedDays)
			m := Msg(MsgDayTypeNotServed, fmt.Sprintf("Naver serves %s for the last %d days only: not asked for this day, its figures show empty", tp, n),
				"report_type", tp, "served_days", itoa(n))
			r.State, r.Reason, r.Code, r.Params = ReportNotServed, m.Text, m.Code, m.Params
			d.Reports = append(d.Reports, r)
			if notServed < 0 {
				notServed = len(d.Reports) - 1
			}
			continue
		}
		served++
		if ok {
			r.State, r.Recheck = f.State, f.Recheck
			if !f.FetchedAt.IsZero() {
				at := f.FetchedAt
				r.FetchedAt = &at
			}
		}
		d.Reports = append(d.Reports, r)
		switch {
		case !ok:
			missing++
		case f.State == store.FileDamaged:
			damaged++
		case f.State == store.FilePending:
			pending++
		case f.State == store.FileNone:
			none++
			if f.Recheck {
				provisional++
			}
		case f.Recheck:
			recheckBuilt++
		}
	}
	switch {
	case served == 0 && notServed >= 0:
		// Naver serves none of the day's reports: nothing was asked for, nothing is shown.
		r := d.Reports[notServed]
		d.State, d.Code, d.Params, d.Reason = DayNone, r.Code, r.Params, r.Reason
	case damaged > 0:
		d.State, d.Code, d.Reason = DayDamaged, MsgDayDamaged, "a stored report did not read back as recorded; the next sync of the day fetches it again (the sheet shows the day as pending meanwhile)"
	case pending > 0:
		d.State, d.Code, d.Reason = DayPending, MsgDayPending, "not ready at Naver yet (Naver usually makes a day ready 3 to 4 hours after midnight, Korean time, at times later), or its answer for a recent day was not final; the sheet shows the day as pending until a later refresh (the morning one, or the retries of pending days later that day) fetches it"
	case missing == served && running:
		d.State, d.Code, d.Reason = DayNotFetched, MsgDayNotYet, "not fetched yet"
	case missing > 0 && running:
		d.State, d.Code, d.Reason = DayNotFetched, MsgDayPartly, "partly fetched; the rest is on its way"
	case missing > 0:
		d.State, d.Code, d.Reason = DayNotFetched, MsgDayEnded, "not fetched: the sync ended before this day (retry it to fetch the rest)"
	case none == served:
		d.State, d.Code, d.Reason = DayNone, MsgDayNoData, "Naver has no data for this day (no impressions)"
	case recheckBuilt > 0:
		d.State, d.Code, d.Reason = DayFetched, MsgDayRecheck, "fetched; when asked again Naver said the day was not ready, so the file fetched before is kept and asked for again"
	case provisional > 0:
		d.State, d.Code, d.Reason = DayFetched, MsgDayProvisional, "fetched; no conversions yet, which may still change for a recent day: asked for again"
	default:
		d.State = DayFetched
	}
	return d
}
