package service

import (
	"context"
	"fmt"
	"time"

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

// SyncDayReport is one report of a day, as stored.
type SyncDayReport struct {
	ReportType string `json:"report_type"`
	// State is built, none, pending, damaged, or missing (nothing stored).
	State string `json:"state"`
	// Recheck: the report is served but asked for again (Naver said "not ready" while a good
	// file was held, or a recent day's conversions were NONE, which may still come).
	Recheck   bool       `json:"recheck"`
	FetchedAt *time.Time `json:"fetched_at,omitempty"`
}

// SyncDay is one day of a sync's range: its state, why, and its reports.
type SyncDay struct {
	Day     string          `json:"day"`
	State   string          `json:"state"`
	Reason  string          `json:"reason"`
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
	files, err := s.store.ReportFiles(ctx, sy.CustomerID, s.cfg.ReportTypes, sy.From, sy.To)
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
		out = append(out, s.syncDay(day, byDay[day], running))
	}
	return out, nil
}

// syncDay says what a day's stored reports mean for a reader of the sheet.
func (s *Service) syncDay(day string, files map[string]store.ReportFile, running bool) SyncDay {
	d := SyncDay{Day: day, Reports: []SyncDayReport{}}
	var missing, pending, damaged, none, recheckBuilt, provisional int
	for _, tp := range s.cfg.ReportTypes {
		f, ok := files[tp]
		r := SyncDayReport{ReportType: tp, State: "missing"}
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
	case damaged > 0:
		d.State, d.Reason = DayDamaged, "a stored report did not read back as recorded; the next sync of the day fetches it again (the sheet shows the day as pending meanwhile)"
	case pending > 0:
		d.State, d.Reason = DayPending, "not ready at Naver yet (Naver usually makes a day ready 3 to 4 hours after midnight, Korean time, at times later), or its answer for a recent day was not final; the sheet shows the day as pending until a later refresh (the morning one, or the retries of pending days later that day) fetches it"
	case missing == len(s.cfg.ReportTypes) && running:
		d.State, d.Reason = DayNotFetched, "not fetched yet"
	case missing > 0 && running:
		d.State, d.Reason = DayNotFetched, "partly fetched; the rest is on its way"
	case missing > 0:
		d.State, d.Reason = DayNotFetched, "not fetched: the sync ended before this day (retry it to fetch the rest)"
	case none == len(s.cfg.ReportTypes):
		d.State, d.Reason = DayNone, "Naver has no data for this day (no impressions)"
	case recheckBuilt > 0:
		d.State, d.Reason = DayFetched, "fetched; when asked again Naver said the day was not ready, so the file fetched before is kept and asked for again"
	case provisional > 0:
		d.State, d.Reason = DayFetched, "fetched; no conversions yet, which may still change for a recent day: asked for again"
	default:
		d.State = DayFetched
	}
	return d
}
