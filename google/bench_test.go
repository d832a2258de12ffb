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
			w, err := google.NewWriter(b.Context(), google.Config{Endpoint: hs.URL, WritesPerMinute: 6_000_000})
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
