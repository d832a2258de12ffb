package sheetstest_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/naversync/naversync/google/sheetstest"
)

// updateBody is a batchUpdate body writing rows [r0, r0+n) x 16 columns of
// tab sheetID with updateCells, as naversync's writer encodes table rows.
func updateBody(sheetID int64, r0, n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"requests":[{"updateCells":{"rows":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"values":[{"userEnteredValue":{"numberValue":%d}},{"userEnteredValue":{"stringValue":"campaign %d"}}`, 45292+i%90, i%40)
		for j := range 14 {
			fmt.Fprintf(&b, `,{"userEnteredValue":{"numberValue":%g}}`, float64(i*(j+1))/7)
		}
		b.WriteString(`]}`)
	}
	fmt.Fprintf(&b, `],"fields":"userEnteredValue","range":{"sheetId":%d,"startRowIndex":%d,"endRowIndex":%d,"endColumnIndex":16}}}]}`, sheetID, r0, r0+n)
	return b.Bytes()
}

// post sends a batchUpdate straight to the handler.
func post(tb testing.TB, srv *sheetstest.Server, body []byte) {
	tb.Helper()
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v4/spreadsheets/"+book+":batchUpdate", bytes.NewReader(body)))
	if rec.Code != http.StatusOK {
		tb.Fatalf("batchUpdate: %d %s", rec.Code, rec.Body)
	}
}

// BenchmarkBatchUpdate applies a 3,000-row x 16-column updateCells (about
// 1.4 MB) to a tab already holding 100,000 written rows: the cost must be
// the batch's, not the spreadsheet's.
func BenchmarkBatchUpdate(b *testing.B) {
	const rows, chunk = 100_000, 3_000
	srv := sheetstest.NewServer(sheetstest.Options{})
	srv.CreateSpreadsheet(book, sheetstest.DefaultCaller)
	id := srv.AddSheet(book, "Data", rows, 16)
	for r := 0; r < rows; r += chunk {
		post(b, srv, updateBody(id, r, min(chunk, rows-r)))
	}
	body := updateBody(id, 50_000, chunk)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		post(b, srv, body)
	}
}
