package service

import (
	"testing"
	"time"

	"github.com/naversync/naversync/report"
	"github.com/naversync/naversync/store"
)

// planDay waits only for the report types Naver serves on the day: a later type out of its
// window is not required (a file of it held from when it was served is still used), the
// primary type always is, and the tab shows only the days its primary type is served for
// (one more when its file is held: fetched before midnight).
func TestPlanDayWaitsOnlyForServedTypes(t *testing.T) {
	today := time.Date(2026, 7, 15, 0, 0, 0, 0, time.UTC)
	windows := map[string]int{report.ReportAD: 180, report.ReportADConversion: 45}
	servedFrom := func(tp string) time.Time { return today.AddDate(0, 0, -windows[tp]) }
	tab := report.Performance()
	ad := store.ReportFile{ReportType: report.ReportAD, State: store.FileBuilt, SHA256: "ad", Key: "ad", Seq: 3}
	conv := store.ReportFile{ReportType: report.ReportADConversion, State: store.FileBuilt, SHA256: "conv", Key: "conv", Seq: 4}
	pendingConv := conv
	pendingConv.State = store.FilePending
	for _, c := range []struct {
		name      string
		back      int
		files     []store.ReportFile
		shown     bool
		complete  bool
		fileCount int // the files a complete day is built from
	}{
		{"both served, conversions missing", 10, []store.ReportFile{ad}, true, false, 0},
		{"both served, both held", 10, []store.ReportFile{ad, conv}, true, true, 2},
		{"conversions not served", 100, []store.ReportFile{ad}, true, true, 1},
		{"conversions not served, pending file ignored", 100, []store.ReportFile{ad, pendingConv}, true, true, 1},
		{"conversions not served, held file used", 100, []store.ReportFile{ad, conv}, true, true, 2},
		{"primary missing", 100, nil, true, false, 0},
		{"primary's grace day, its file held", 181, []store.ReportFile{ad}, true, true, 1},
		{"primary's grace day, nothing held", 181, nil, false, false, 0},
		{"primary not served", 182, []store.ReportFile{ad}, false, false, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			files := map[string]store.ReportFile{}
			for _, f := range c.files {
				files[f.ReportType] = f
			}
			d, shown := planDay(tab, today.AddDate(0, 0, -c.back), files, servedFrom)
			if shown != c.shown {
				t.Fatalf("shown %v, want %v", shown, c.shown)
			}
			if !shown {
				return
			}
			if d.complete != c.complete || c.complete && len(d.files) != c.fileCount {
				t.Errorf("complete %v with %d files, want %v with %d", d.complete, len(d.files), c.complete, c.fileCount)
			}
		})
	}
}
