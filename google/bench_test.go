package google_test

import (
	"fmt"
	"iter"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/naversync/naversync/google"
	"github.com/naversync/naversync/google/sheetstest"
)

// benchTable is a report-like table of n rows: a date, three text columns
// and twelve numeric columns of the other types.
func benchTable(n int) google.Table {
	cols := []google.Column{
		{Name: "Date", Type: google.Date}, {Name: "Campaign"}, {Name: "Ad group"}, {Name: "Keyword"},
	}
	types := []google.ColumnType{google.Integer, google.Integer, google.Currency, google.Decimal, google.Percent, google.Integer}
	for i := range 12 {
		cols = append(cols, google.Column{Name: fmt.Sprintf("Metric %d", i), Type: types[i%len(types)]})
	}
	rows := func(yield func([]any) bool) {
		buf := make([]any, len(cols))
		for i := range n {
			buf[0] = day(2024, 1, 1).AddDate(0, 0, i%90)
			buf[1] = fmt.Sprintf("캠페인 %d", i%40)
			buf[2] = fmt.Sprintf("ad group \"%d\"", i%400)
			buf[3] = fmt.Sprintf("keyword-%d", i)
			for j := range 12 {
				switch types[j%len(types)] {
				case google.Decimal, google.Percent:
					buf[4+j] = float64(i%1000) / 7
				default:
					buf[4+j] = int64(i * (j + 1))
				}
			}
			if !yield(buf) {
				return
			}
		}
	}
	return google.Table{Columns: cols, NumRows: n, Rows: iter.Seq[[]any](rows)}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkWriteTable writes a table of 20,000 and of 100,000 rows x 16
// columns to the stand-in (the client's encoding, HTTP and the stand-in's
// decoding and apply included), over a tab holding the previous iteration's
// table.
func BenchmarkWriteTable(b *testing.B) {
	for _, n := range []int{20_000, 100_000} {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			srv := sheetstest.NewServer(sheetstest.Options{})
			hs := httptest.NewServer(srv)
			b.Cleanup(hs.Close)
			srv.CreateSpreadsheet(book, sheetstest.DefaultCaller)
			w, err := google.NewWriter(b.Context(), google.Config{Endpoint: hs.URL, WritesPerMinute: 6_000_000, ReadsPerMinute: 6_000_000})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			cpu := cpuTime(b)
			for b.Loop() {
				if _, err := w.WriteTable(b.Context(), book, "Keywords", benchTable(n), google.Status{}); err != nil {
					b.Fatal(err)
				}
			}
			// On a shared machine the process's CPU time (client and stand-in)
			// says more than the wall time.
			b.ReportMetric(float64((cpuTime(b)-cpu).Milliseconds())/float64(b.N), "cpu-ms/op")
			if got := len(srv.Values(book, "Keywords")); got != n+1 {
				b.Fatalf("rows written = %d, want %d", got, n+1)
			}
		})
	}
}

// yearDay is one day of yearTable: its rows and the version of their numbers.
type yearDay struct {
	date    time.Time
	rows    int
	version int
	changed bool
}

// yearTable is a report-like table of days (newest first) with one block
// per day, shaped as benchTable: 16 columns.
func yearTable(days []yearDay) google.Table {
	t := benchTable(0)
	for _, d := range days {
		t.Blocks = append(t.Blocks, google.Block{Key: d.date.Format(time.DateOnly), Rows: d.rows, Changed: d.changed})
		t.NumRows += d.rows
	}
	cols := t.Columns
	t.Rows = func(yield func([]any) bool) {
		buf := make([]any, len(cols))
		for _, d := range days {
			for i := range d.rows {
				buf[0] = d.date
				buf[1] = fmt.Sprintf("캠페인 %d", i%40)
				buf[2] = fmt.Sprintf("ad group \"%d\"", i)
				buf[3] = "(no keyword)"
				for j := range 12 {
					if j%6 == 3 || j%6 == 4 {
						buf[4+j] = float64((i+d.version)%1000) / 7
					} else {
						buf[4+j] = int64((i + d.version) * (j + 1))
					}
				}
				if !yield(buf) {
					return
				}
			}
		}
	}
	return t
}

// BenchmarkWriteTableFromYear measures what a year of an ad-group-level
// account costs in Sheets bytes and requests: 365 days of about 822 rows x
// 16 columns (300,000 rows, 4.8M cells, as large as fits Google's 10M-cell
// limit with a staging copy beside it). "full" is the first write to a new
// tab; "refresh-7d" a daily 7-day sync over it (a new day, six days
// re-fetched with other numbers and row counts, the oldest day gone);
// "rewrite" a full write over the existing tab (prev unknown), which needs
// the staging copy. share-ratio is the refresh's bytes, sent and received
// (the answers as on the wire: the check's read gzipped), over the changed
// days' share of the full write's bytes; send-share-ratio counts only the
// bytes sent. Run with -benchtime=1x: one full
// write takes about 20 s.
func BenchmarkWriteTableFromYear(b *testing.B) {
	const days = 365
	end := time.Date(2026, 7, 14, 0, 0, 0, 0, time.UTC)
	year := func(end time.Time, version int) []yearDay {
		out := make([]yearDay, days)
		for i := range out {
			d := end.AddDate(0, 0, -i)
			out[i] = yearDay{date: d, rows: 800 + int(d.Unix()/86400*7%45), version: version}
		}
		return out
	}
	// slide is the next day's 7-day refresh of ds.
	slide := func(ds []yearDay, version int) []yearDay {
		next := year(ds[0].date.AddDate(0, 0, 1), 0)
		for i := range next {
			if i > 0 {
				next[i] = ds[i-1]
				next[i].changed = false
			}
			if i < 7 {
				next[i].version, next[i].changed = version, true
				next[i].rows += (version + i) % 5
			}
		}
		return next
	}
	newServer := func(b *testing.B) (*sheetstest.Server, *google.Writer) {
		srv := sheetstest.NewServer(sheetstest.Options{})
		hs := httptest.NewServer(srv)
		b.Cleanup(hs.Close)
		// A fixed clock: which days' values the check reads in full
		// (Config.ScrubDays) depends on the day.
		now := func() time.Time { return end.Add(27 * time.Hour) }
		w, err := google.NewWriter(b.Context(), google.Config{Endpoint: hs.URL, WritesPerMinute: 6_000_000, ReadsPerMinute: 6_000_000, Now: now})
		if err != nil {
			b.Fatal(err)
		}
		return srv, w
	}
	report := func(b *testing.B, res google.WriteResult, cpu time.Duration) {
		b.ReportMetric(float64(res.Bytes), "sheets-bytes/op")
		b.ReportMetric(float64(res.Requests), "sheets-requests/op")
		b.ReportMetric(float64(res.Chunks), "batchUpdates/op")
		b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
		if len(res.Dropped) > 0 {
			b.Fatalf("%d days left out for the cell limit", len(res.Dropped))
		}
	}
	first := func(b *testing.B, srv *sheetstest.Server, w *google.Writer, ds []yearDay) google.WriteResult {
		srv.CreateSpreadsheet(book, sheetstest.DefaultCaller)
		res, err := w.WriteTableFrom(b.Context(), book, "Ad groups", nil, yearTable(ds), google.Status{})
		if err != nil {
			b.Fatal(err)
		}
		return res
	}

	b.Run("full", func(b *testing.B) {
		srv, w := newServer(b)
		ds := year(end, 0)
		var res google.WriteResult
		cpu := cpuTime(b)
		for b.Loop() {
			res = first(b, srv, w, ds)
		}
		report(b, res, cpuTime(b)-cpu)
		b.ReportMetric(float64(yearTable(ds).NumRows), "rows")
		b.ReportMetric(float64(srv.Cells(book)), "sheet-cells")
	})
	b.Run("refresh-7d", func(b *testing.B) {
		srv, w := newServer(b)
		ds := year(end, 0)
		full := first(b, srv, w, ds)
		var res google.WriteResult
		var ratio, sendRatio float64
		var readRaw, readWire int64
		cpu := cpuTime(b)
		version := 0
		for b.Loop() {
			version++
			next := slide(ds, version)
			t := yearTable(next)
			raw0, wire0 := srv.ResponseBytes()
			var err error
			if res, err = w.WriteTableFrom(b.Context(), book, "Ad groups", &full.Layout, t, google.Status{}); err != nil {
				b.Fatal(err)
			}
			raw1, wire1 := srv.ResponseBytes()
			readRaw, readWire = raw1-raw0, wire1-wire0
			if !res.Incremental {
				b.Fatalf("refresh not incremental: %+v", res)
			}
			changed := 0
			for _, d := range next[:7] {
				changed += d.rows
			}
			share := float64(full.Bytes) * float64(changed) / float64(t.NumRows)
			// Counting the reads: every answer's bytes as sent on the wire.
			ratio = float64(res.Bytes+readWire) / share
			sendRatio = float64(res.Bytes) / share
			ds, full.Layout = next, res.Layout
		}
		report(b, res, cpuTime(b)-cpu)
		b.ReportMetric(ratio, "share-ratio")
		b.ReportMetric(sendRatio, "send-share-ratio")
		b.ReportMetric(float64(readWire), "read-wire-bytes/op")
		b.ReportMetric(float64(readRaw), "read-raw-bytes/op")
		b.ReportMetric(float64(res.ReadBytes), "check-wire-bytes/op")
		b.ReportMetric(float64(res.ReadRawBytes), "check-raw-bytes/op")
		if ratio > 2 {
			b.Errorf("the refresh sent %.2f times the changed days' share of the full write", ratio)
		}
	})
	b.Run("rewrite", func(b *testing.B) {
		srv, w := newServer(b)
		ds := year(end, 0)
		first(b, srv, w, ds)
		var res google.WriteResult
		cpu := cpuTime(b)
		version := 0
		for b.Loop() {
			version++
			ds = slide(ds, version)
			var err error
			if res, err = w.WriteTableFrom(b.Context(), book, "Ad groups", nil, yearTable(ds), google.Status{}); err != nil {
				b.Fatal(err)
			}
			if !res.Staged {
				b.Fatalf("rewrite not staged: %+v", res)
			}
		}
		report(b, res, cpuTime(b)-cpu)
	})
}
