package service

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/naversync/naversync/google"
)

// BuildTable runs the processing path of a fetched sync (its stored report files, parsed and
// aggregated into the on-disk spill, named from the master data) up to the finished sheet
// table, without writing it. It exists for the benchmark of processing (package bench), which
// drains Table.Rows to measure throughput and memory. It changes no state; done removes the
// spill and must be called once the rows are drained.
//
// It mirrors the first half of process(); keep the two in step.
func (s *Service) BuildTable(ctx context.Context, syncID string) (t google.Table, done func(), err error) {
	sy, err := s.store.GetSync(ctx, syncID)
	if err != nil {
		return google.Table{}, nil, mapStoreErr("build table", err)
	}
	acct, err := s.store.GetAccount(ctx, sy.AccountID)
	if err != nil {
		return google.Table{}, nil, mapStoreErr("build table: account", err)
	}
	// As process(): the account's whole table, every served day held, not only the sync's range.
	from, to := s.ServedWindow()
	if sf, err := time.Parse(dayLayout, sy.From); err == nil && sf.Before(from) {
		from = sf
	}
	files, err := s.store.ReportFiles(ctx, sy.CustomerID, s.cfg.ReportTypes, from.Format(dayLayout), to.Format(dayLayout))
	if err != nil {
		return google.Table{}, nil, fmt.Errorf("build table: %w: report files: %v", errStorage, err)
	}
	byDay := map[string]*dayFiles{}
	for _, f := range files {
		if f.State != "built" {
			continue
		}
		d := byDay[f.StatDate]
		if d == nil {
			day, _ := time.Parse(dayLayout, f.StatDate)
			d = &dayFiles{day: day}
			byDay[f.StatDate] = d
		}
		switch f.ReportType {
		case reportAD:
			d.ad = f.Key
		case reportConversion:
			d.conv = f.Key
		}
	}
	var days []dayFiles
	for d := to; !d.Before(from); d = d.AddDate(0, 0, -1) {
		if f := byDay[d.Format(dayLayout)]; f != nil {
			days = append(days, *f)
		}
	}
	nm, err := s.loadNames(ctx, sy.CustomerID)
	if err != nil {
		return google.Table{}, nil, fmt.Errorf("build table: %w: names: %v", errStorage, err)
	}
	sp, err := newSpill(filepath.Join(s.cfg.DataDir, "tmp"))
	if err != nil {
		return google.Table{}, nil, fmt.Errorf("build table: %w", err)
	}
	if err := s.buildDays(ctx, acct.Level, days, sp, func(int) error { return nil }); err != nil {
		sp.close()
		return google.Table{}, nil, fmt.Errorf("build table: %w", err)
	}
	t, err = sp.table(acct.Level, nm)
	if err != nil {
		sp.close()
		return google.Table{}, nil, fmt.Errorf("build table: %w", err)
	}
	return t, sp.close, nil
}
