package report_test

import (
	"context"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/naversync/naversync/report"
)

// files is an in-memory file store for Build.
type files map[string]string

func (fs files) open(_ context.Context, f report.File) (io.ReadCloser, error) {
	s, ok := fs[f.Key]
	if !ok {
		return nil, &report.DamagedError{File: f, Err: errors.New("gone")}
	}
	return io.NopCloser(strings.NewReader(s)), nil
}

func (fs files) file(tp, key string) report.File {
	return report.File{ReportType: tp, Key: key, Size: int64(len(fs[key]))}
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// build runs the performance tab over days and returns its rows.
func build(t *testing.T, o report.Options, fs files, days []report.DayFiles) ([]string, [][]any, []report.DayResult) {
	t.Helper()
	return buildTab(t, report.Performance(), o, fs, days)
}

// buildTab runs a tab over days and returns its header, rows and what Build did with each day.
func buildTab(t *testing.T, tab report.Tab, o report.Options, fs files, days []report.DayFiles) ([]string, [][]any, []report.DayResult) {
	t.Helper()
	tbl, err := tab.NewTable(t.TempDir(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Close()
	var results []report.DayResult
	err = report.Build(context.Background(), tbl, days, fs.open, func(i int, r report.DayResult) error {
		if i != len(results) {
			t.Errorf("day %d reported as %d", len(results), i)
		}
		results = append(results, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := tbl.Sheet()
	if err != nil {
		t.Fatal(err)
	}
	var header []string
	for _, c := range st.Columns {
		header = append(header, c.Name)
	}
	var rows [][]any
	for r := range st.Rows {
		rows = append(rows, append([]any(nil), r...))
	}
	if tbl.Err() != nil || len(rows) != st.NumRows || tbl.Rows() != st.NumRows {
		t.Fatalf("read back %d rows of %d (%d written): %v", len(rows), st.NumRows, tbl.Rows(), tbl.Err())
	}
	return header, rows, results
}

// The performance tab joins AD with AD_CONVERSION per day, level key and device, sums
// duplicate rows of one key, shows costs VAT included (×1.1 before the switch), names entities
// from the master data, and shows an incomplete day as one pending row.
func TestPerformanceTab(t *testing.T) {
	fs := files{
		"ad-0402": "20260402\t1\tc1\tg1\tk1\ta1\tb\tm\tP\t100\t10\t500\t200\t0\n" +
			"20260402\t1\tc1\tg1\tk2\ta1\tb\tm\tP\t50\t5\t250\t100\t0\n" + // same ad group, another keyword
			"20260402\t1\tc1\tg1\tk1\ta2\tb\tm\tP\t100\t10\t500\t200\t0\n" + // duplicate key: summed
			"20260402\t1\tc1\tg1\tk1\ta1\tb\tm\tM\t10\t0\t0\t30\t0\n",
		"cv-0402": "20260402\t1\tc1\tg1\tk1\ta1\tb\tm\tP\t1\t1\t2\t3000\n" +
			"20260402\t1\tc1\tg1\tk1\ta1\tb\tm\tP\t1\t1\t1\t1000\n",
		"ad-0301": "20260301\t1\tc1\tg1\tk1\ta1\tb\tm\tP\t10\t1\t100\t10\t0\n",
	}
	days := []report.DayFiles{
		{Day: day("2026-04-02"), Complete: true, Files: []report.File{fs.file(report.ReportAD, "ad-0402"), fs.file(report.ReportADConversion, "cv-0402")}},
		{Day: day("2026-04-01")},
		{Day: day("2026-03-01"), Complete: true, Files: []report.File{fs.file(report.ReportAD, "ad-0301")}},
	}
	names := report.Names{Campaign: map[string]string{"c1": "Brand"}, Adgroup: map[string]string{"g1": "Shoes"}, Keyword: map[string]string{"k1": "running shoes"}}

	header, rows, results := build(t, report.Options{Level: report.LevelAdgroup, Language: report.LanguageEnglish, Names: names}, fs, days)
	wantHeader := []string{"Date", "Campaign", "Ad group", "Device", "Impressions", "Clicks", "Video views", "Cost (VAT incl.)",
		"Avg. rank", "Conversions", "Conversion revenue", "CTR", "CPC", "ROAS", "Cost (as reported by Naver)"}
	if !reflect.DeepEqual(header, wantHeader) {
		t.Errorf("header %q, want %q", header, wantHeader)
	}
	d := func(s string) any { return day(s) }
	want := [][]any{
		{d("2026-04-02"), "Brand", "Shoes", "Mobile", int64(10), int64(0), int64(0), 0.0, 3.0, int64(0), 0.0, 0.0, nil, nil, 0.0},
		{d("2026-04-02"), "Brand", "Shoes", "PC", int64(250), int64(25), int64(0), 1250.0, 2.0, int64(3), 4000.0, 0.1, 50.0, 3.2, 1250.0},
		{d("2026-04-01"), "(pending: not ready at Naver yet)", nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil},
		{d("2026-03-01"), "Brand", "Shoes", "PC", int64(10), int64(1), int64(0), 110.0, 1.0, int64(0), 0.0, 0.1, 110.0, 0.0, 100.0},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("rows\n%v\nwant\n%v", rows, want)
	}
	if r := results[1]; !r.Pending || r.Rows != 1 || r.Names != "" {
		t.Errorf("pending day: %+v", r)
	}
	if r := results[0]; r.Pending || r.Rows != 2 || r.Names == "" {
		t.Errorf("day: %+v", r)
	}

	// Keyword level, in Korean: a keyword column, Korean labels, a keyword without a name shown by its id.
	header, rows, _ = build(t, report.Options{Level: report.LevelKeyword, Language: report.LanguageKorean, Names: names}, fs, days[:1])
	if header[3] != "키워드" || header[4] != "PC/모바일" {
		t.Errorf("Korean header %q", header)
	}
	if len(rows) != 3 || rows[0][3] != "k2" || rows[1][3] != "running shoes" || rows[1][4] != "모바일" || rows[2][4] != "PC" {
		t.Errorf("Korean keyword rows %v", rows)
	}
}

// A file that does not read back as recorded (cut short, gone, not a report) makes its day
// pending and is reported as damaged; the other days are built.
func TestPerformanceTabDamaged(t *testing.T) {
	fs := files{
		"ad-1": "20260402\t1\tc1\tg1\tk1\ta1\tb\tm\tP\t100\t10\t500\t200\t0\n",
		"ad-2": "20260401\t1\tc1\tg1\tk1\ta1\tb\tm\tP\t100\t10\t500\t200\t0\n",
		"ad-3": "not a report\n",
	}
	short := fs.file(report.ReportAD, "ad-2")
	short.Size++
	days := []report.DayFiles{
		{Day: day("2026-04-02"), Complete: true, Files: []report.File{fs.file(report.ReportAD, "ad-1")}},
		{Day: day("2026-04-01"), Complete: true, Files: []report.File{short}},
		{Day: day("2026-03-31"), Complete: true, Files: []report.File{fs.file(report.ReportAD, "gone")}},
		{Day: day("2026-03-30"), Complete: true, Files: []report.File{fs.file(report.ReportAD, "ad-3")}},
	}
	_, rows, results := build(t, report.Options{Level: report.LevelCampaign}, fs, days)
	if len(rows) != 4 || rows[0][1] != "c1" {
		t.Fatalf("rows %v", rows)
	}
	for i, key := range []string{"", "ad-2", "gone", "ad-3"} {
		r := results[i]
		switch {
		case key == "" && (r.Pending || r.Damaged != nil):
			t.Errorf("day %d: %+v", i, r)
		case key != "" && (!r.Pending || r.Damaged == nil || r.Damaged.File.Key != key):
			t.Errorf("day %d: %+v, want damaged %s", i, r, key)
		}
	}
	if !errors.Is(results[3].Damaged, report.ErrBadFile) {
		t.Errorf("unparsable file: %v, want ErrBadFile", results[3].Damaged)
	}
}
