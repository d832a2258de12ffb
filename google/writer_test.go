package google_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/api/googleapi"

	"github.com/naversync/naversync/google"
	"github.com/naversync/naversync/google/sheetstest"
)

const book = "book-1"

type env struct {
	w   *google.Writer
	srv *sheetstest.Server
	url string
}

// setup serves a stand-in with one spreadsheet shared with the default caller
// and returns a Writer talking to it without authentication.
func setup(t *testing.T, cfg google.Config, opts sheetstest.Options) env {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	srv := sheetstest.NewServer(opts)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	srv.CreateSpreadsheet(book, sheetstest.DefaultCaller)
	if cfg.Endpoint == "" {
		cfg.Endpoint = hs.URL + "/v4" // normalised by the writer
	}
	cfg.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	if cfg.BackoffBase == 0 {
		cfg.BackoffBase = time.Microsecond
	}
	if cfg.WritesPerMinute == 0 {
		cfg.WritesPerMinute = 6_000_000
	}
	if cfg.ReadsPerMinute == 0 {
		cfg.ReadsPerMinute = 6_000_000
	}
	w, err := google.NewWriter(t.Context(), cfg)
	if err != nil {
		t.Fatalf("NewWriter: %v", err)
	}
	return env{w: w, srv: srv, url: hs.URL}
}

// rows yields data through one reused slice, as a streaming parser would.
func rows(data [][]any) iter.Seq[[]any] {
	return func(yield func([]any) bool) {
		buf := make([]any, 0, 8)
		for _, r := range data {
			buf = append(buf[:0], r...)
			if !yield(buf) {
				return
			}
		}
	}
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func table(cols []google.Column, data [][]any) google.Table {
	return google.Table{Columns: cols, NumRows: len(data), Rows: rows(data)}
}

var allTypes = []google.Column{
	{Name: "Date", Type: google.Date}, {Name: "Campaign", Type: google.Text},
	{Name: "Clicks", Type: google.Integer}, {Name: "Avg. rank", Type: google.Decimal},
	{Name: "Cost", Type: google.Currency}, {Name: "CTR", Type: google.Percent},
}

func TestWriteTableTypedValues(t *testing.T) {
	e := setup(t, google.Config{}, sheetstest.Options{})
	data := [][]any{
		{day(2024, 1, 1), "브랜드 검색", int64(1234), 2.5, int64(56000), 0.125},
		{day(2024, 1, 2), "", int64(0), nil, 0.0, nil},
		{day(1899, 12, 31), "x", 7, float32(1.5), int64(-3), 1.0},
	}
	res, err := e.w.WriteTable(t.Context(), book, "Daily", table(allTypes, data), google.Status{SyncID: "s1"})
	if err != nil {
		t.Fatalf("WriteTable: %v", err)
	}
	want := [][]any{
		{"Date", "Campaign", "Clicks", "Avg. rank", "Cost", "CTR"},
		{45292.0, "브랜드 검색", 1234.0, 2.5, 56000.0, 0.125},
		{45293.0, nil, 0.0, nil, 0.0},
		{1.0, "x", 7.0, 1.5, -3.0, 1.0},
	}
	if got := e.srv.Values(book, "Daily"); !reflect.DeepEqual(got, want) {
		t.Errorf("values:\n got %#v\nwant %#v", got, want)
	}
	wantFormats := []string{"yyyy-mm-dd", "", "#,##0", "#,##0.00", "₩#,##0", "0.00%"}
	if got := e.srv.Formats(book, "Daily"); !reflect.DeepEqual(got, wantFormats) {
		t.Errorf("formats = %q, want %q", got, wantFormats)
	}
	if c, _ := e.srv.Cell(book, "Daily", 1, 0); c.FormatType != "DATE" {
		t.Errorf("date cell format type = %q, want DATE", c.FormatType)
	}
	for col := range allTypes {
		if c, _ := e.srv.Cell(book, "Daily", 0, col); !c.Bold {
			t.Errorf("header cell %d not bold", col)
		}
	}
	info, ok := e.srv.Sheet(book, "Daily")
	if !ok || info.FrozenRows != 1 || info.Rows != 4 || info.Cols != 6 || info.SheetID != res.SheetID {
		t.Errorf("sheet = %+v (ok %v), want 4x6 frozen 1 id %d", info, ok, res.SheetID)
	}
	if res.Chunks != 1 || e.srv.BatchUpdateCount() != 1 {
		t.Errorf("chunks = %d, batchUpdates = %d; want one atomic batch", res.Chunks, e.srv.BatchUpdateCount())
	}
}

func TestWriteTableKeepsSheetIDAndShrinks(t *testing.T) {
	for _, tab := range []string{"Sheet1", "New tab"} { // Sheet1 exists with sheetId 0
		t.Run(tab, func(t *testing.T) {
			e := setup(t, google.Config{}, sheetstest.Options{})
			cols := []google.Column{{Name: "A"}, {Name: "B", Type: google.Integer}, {Name: "C"}}
			var long [][]any
			for i := range 50 {
				long = append(long, []any{fmt.Sprint("r", i), i, "c"})
			}
			first, err := e.w.WriteTable(t.Context(), book, tab, table(cols, long), google.Status{})
			if err != nil {
				t.Fatalf("first write: %v", err)
			}
			second, err := e.w.WriteTable(t.Context(), book, tab,
				table(cols[:2], [][]any{{"only", int64(1)}}), google.Status{})
			if err != nil {
				t.Fatalf("second write: %v", err)
			}
			if first.SheetID != second.SheetID {
				t.Errorf("sheetId changed: %d -> %d", first.SheetID, second.SheetID)
			}
			want := [][]any{{"A", "B"}, {"only", 1.0}}
			if got := e.srv.Values(book, tab); !reflect.DeepEqual(got, want) {
				t.Errorf("values = %#v, want %#v", got, want)
			}
			info, _ := e.srv.Sheet(book, tab)
			if info.Rows != 2 || info.Cols != 2 || info.SheetID != first.SheetID {
				t.Errorf("sheet = %+v, want 2x2 with id %d", info, first.SheetID)
			}
			// An empty table keeps a header and one cleared row (a frozen
			// header may not cover the whole grid).
			if _, err := e.w.WriteTable(t.Context(), book, tab, google.Table{Columns: cols[:1]}, google.Status{}); err != nil {
				t.Fatalf("empty write: %v", err)
			}
			if got, want := e.srv.Values(book, tab), [][]any{{"A"}}; !reflect.DeepEqual(got, want) {
				t.Errorf("values after empty write = %#v, want %#v", got, want)
			}
		})
	}
}

func TestWriteTableChunked(t *testing.T) {
	// The stand-in refuses anything above the writer's budget, so every
	// limit checks that the budget is kept exactly.
	for _, limit := range []int{4 << 10, 9_999, 16 << 10} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			e := setup(t, google.Config{MaxRequestBytes: limit}, sheetstest.Options{MaxRequestBytes: limit})
			var data [][]any
			want := [][]any{{"Date", "Campaign", "Clicks", "Avg. rank", "Cost", "CTR"}}
			for i := range 600 {
				d := day(2024, 1, 1).AddDate(0, 0, i%365)
				data = append(data, []any{d, fmt.Sprintf("campaign \"%d\"", i), int64(i), float64(i) / 4, int64(i * 100), 0.5})
				want = append(want, []any{float64(45292 + i%365), fmt.Sprintf("campaign \"%d\"", i), float64(i), float64(i) / 4, float64(i * 100), 0.5})
			}
			res, err := e.w.WriteTable(t.Context(), book, "Big", table(allTypes, data), google.Status{SyncID: "s-big", Rows: 600})
			if err != nil {
				t.Fatalf("WriteTable: %v", err)
			}
			t.Logf("result: %+v", res)
			if res.Chunks < 2 || e.srv.BatchUpdateCount() != res.Chunks {
				t.Errorf("chunks = %d, batchUpdates = %d; want several, equal", res.Chunks, e.srv.BatchUpdateCount())
			}
			if got := e.srv.Values(book, "Big"); !reflect.DeepEqual(got, want) {
				t.Errorf("read back %d rows, want %d equal rows", len(got), len(want))
			}
			wantFormats := []string{"yyyy-mm-dd", "", "#,##0", "#,##0.00", "₩#,##0", "0.00%"}
			for _, row := range []int{1, 300, 600} {
				for col, pattern := range wantFormats {
					if c, _ := e.srv.Cell(book, "Big", row, col); c.Pattern != pattern {
						t.Errorf("cell (%d,%d) pattern %q, want %q", row, col, c.Pattern, pattern)
					}
				}
			}
			if st := e.srv.Values(book, google.DefaultStatusTab); len(st) != 2 || st[1][5] != "s-big" {
				t.Errorf("status tab = %v", st)
			}
		})
	}
}

// TestWriteTableRewriteClears checks that a rewrite leaves nothing of the
// previous table: values the new rows leave empty (trailing ones included,
// which the writer does not send) and formats of columns that became text.
func TestWriteTableRewriteClears(t *testing.T) {
	e := setup(t, google.Config{}, sheetstest.Options{})
	cols := []google.Column{{Name: "A", Type: google.Integer}, {Name: "B", Type: google.Decimal}, {Name: "C", Type: google.Percent}}
	full := [][]any{{1, 2.5, 0.5}, {3, 4.5, 0.25}, {5, 6.5, 0.75}}
	if _, err := e.w.WriteTable(t.Context(), book, "T", table(cols, full), google.Status{}); err != nil {
		t.Fatal(err)
	}
	cols[2].Type = google.Text
	sparse := [][]any{{1, nil, nil}, {nil, 4.5}, {"x", math.NaN(), ""}}
	if _, err := e.w.WriteTable(t.Context(), book, "T", table(cols, sparse), google.Status{}); err != nil {
		t.Fatal(err)
	}
	want := [][]any{{"A", "B", "C"}, {1.0}, {nil, 4.5}, {"x"}}
	if got := e.srv.Values(book, "T"); !reflect.DeepEqual(got, want) {
		t.Errorf("values = %#v, want %#v", got, want)
	}
	if got, want := e.srv.Formats(book, "T"), []string{"#,##0", "#,##0.00", ""}; !reflect.DeepEqual(got, want) {
		t.Errorf("formats = %q, want %q", got, want)
	}
}

func TestWriteTableRetries(t *testing.T) {
	tests := []struct {
		name   string
		code   int
		status string
		n      int
	}{
		{"quota", http.StatusTooManyRequests, "RESOURCE_EXHAUSTED", 3},
		{"server", http.StatusInternalServerError, "INTERNAL", 2},
		{"unavailable", http.StatusServiceUnavailable, "UNAVAILABLE", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, google.Config{}, sheetstest.Options{})
			e.srv.InjectErrors(tc.code, tc.status, tc.n)
			res, err := e.w.WriteTable(t.Context(), book, "T", table(allTypes[:1], [][]any{{day(2024, 5, 1)}}), google.Status{})
			if err != nil {
				t.Fatalf("WriteTable: %v", err)
			}
			if res.Requests != tc.n+2 || e.srv.RequestCount() != tc.n+2 {
				t.Errorf("requests = %d (server %d), want %d", res.Requests, e.srv.RequestCount(), tc.n+2)
			}
			if got := e.srv.Values(book, "T"); len(got) != 2 {
				t.Errorf("values = %v", got)
			}
		})
	}
}

// A quota answer is a wait, not a failure: it is retried past MaxRetries
// for as long as the context lasts (5xx answers still give up).
func TestWriteTableQuotaRetriedPastMaxRetries(t *testing.T) {
	e := setup(t, google.Config{MaxRetries: 2}, sheetstest.Options{})
	e.srv.InjectErrors(http.StatusTooManyRequests, "RESOURCE_EXHAUSTED", 30)
	res, err := e.w.WriteTable(t.Context(), book, "T", table(allTypes[:1], nil), google.Status{})
	if err != nil {
		t.Fatalf("WriteTable: %v", err)
	}
	if got := e.srv.RequestCount(); got != 32 || res.Requests != 32 {
		t.Errorf("requests = %d (writer %d), want 30 answered 429 + a read and a write", got, res.Requests)
	}

	e.srv.InjectErrors(http.StatusInternalServerError, "INTERNAL", 30)
	if _, err := e.w.WriteTable(t.Context(), book, "T", table(allTypes[:1], nil), google.Status{}); err == nil {
		t.Fatal("WriteTable succeeded through 30 500s with MaxRetries 2")
	}
}

// A quota wait the context ends says both: the context's error and ErrQuota
// wrapping Google's 429.
func TestWriteTableQuotaUntilContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var seen atomic.Int64
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		res, err := http.DefaultTransport.RoundTrip(r)
		if err == nil && res.StatusCode == http.StatusTooManyRequests && seen.Add(1) == 20 {
			cancel()
		}
		return res, err
	})}
	e := setup(t, google.Config{MaxRetries: 2, HTTPClient: hc}, sheetstest.Options{})
	e.srv.InjectErrors(http.StatusTooManyRequests, "RESOURCE_EXHAUSTED", 1000)
	_, err := e.w.WriteTable(ctx, book, "T", table(allTypes[:1], nil), google.Status{})
	if !errors.Is(err, google.ErrQuota) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want ErrQuota and context.Canceled", err)
	}
	var ge *googleapi.Error
	if !errors.As(err, &ge) || ge.Code != http.StatusTooManyRequests {
		t.Errorf("err does not wrap the 429 *googleapi.Error: %v", err)
	}
	if got := seen.Load(); got != 20 {
		t.Errorf("429s seen = %d, want 20 (retried past MaxRetries until the context ended)", got)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// cancelOn429 cancels a context when it sees a 429, so the test can check
// that the backoff wait honours cancellation.
type cancelOn429 struct{ cancel context.CancelFunc }

func (c cancelOn429) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := http.DefaultTransport.RoundTrip(r)
	if err == nil && res.StatusCode == http.StatusTooManyRequests {
		c.cancel()
	}
	return res, err
}

func TestWriteTableBackoffHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	e := setup(t, google.Config{BackoffBase: time.Hour, HTTPClient: &http.Client{Transport: cancelOn429{cancel}}}, sheetstest.Options{})
	e.srv.InjectErrors(http.StatusTooManyRequests, "RESOURCE_EXHAUSTED", 1)
	_, err := e.w.WriteTable(ctx, book, "T", table(allTypes[:1], nil), google.Status{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestWriteTableTooLarge(t *testing.T) {
	e := setup(t, google.Config{}, sheetstest.Options{})
	if id := e.srv.AddSheet(book, "Other", 9_900, 1000); id < 0 { // 9.9M cells + Sheet1's 26,000
		t.Fatal("AddSheet failed")
	}
	before := e.srv.Values(book, "Sheet1")
	tabs := e.srv.Sheets(book)
	tbl := google.Table{Columns: allTypes[:2], NumRows: 40_000, Rows: func(func([]any) bool) {
		t.Error("rows were read although the table cannot fit")
	}}
	_, err := e.w.WriteTable(t.Context(), book, "Keywords", tbl, google.Status{})
	var tl *google.TooLargeError
	if !errors.As(err, &tl) {
		t.Fatalf("err = %v, want *TooLargeError", err)
	}
	if tl.NeededCells <= google.LimitCells || tl.LimitCells != google.LimitCells {
		t.Errorf("TooLargeError = %+v", tl)
	}
	for _, s := range []string{"80002 cells", "coarser level", "shorter date range"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("message %q lacks %q", err, s)
		}
	}
	if n := e.srv.BatchUpdateCount(); n != 0 {
		t.Errorf("batchUpdates = %d, want none", n)
	}
	if !reflect.DeepEqual(e.srv.Sheets(book), tabs) || !reflect.DeepEqual(e.srv.Values(book, "Sheet1"), before) {
		t.Error("spreadsheet changed")
	}
	// Too many columns fails before any request.
	wide := make([]google.Column, google.LimitColumns+1)
	reqs := e.srv.RequestCount()
	if _, err := e.w.WriteTable(t.Context(), book, "Wide", google.Table{Columns: wide}, google.Status{}); !errors.As(err, &tl) || tl.LimitColumns == 0 {
		t.Errorf("wide table err = %v", err)
	}
	if e.srv.RequestCount() != reqs {
		t.Error("a request was made for a table with too many columns")
	}
}

func TestWriteTableRowCountMismatch(t *testing.T) {
	e := setup(t, google.Config{}, sheetstest.Options{})
	cols := allTypes[1:2]
	for _, tc := range []struct {
		name    string
		numRows int
		data    [][]any
	}{
		{"more", 1, [][]any{{"a"}, {"b"}}},
		{"fewer", 3, [][]any{{"a"}}},
		{"too wide", 1, [][]any{{"a", "b"}}},
		{"bad type", 1, [][]any{{struct{}{}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tbl := google.Table{Columns: cols, NumRows: tc.numRows, Rows: rows(tc.data)}
			if _, err := e.w.WriteTable(t.Context(), book, "T", tbl, google.Status{}); err == nil {
				t.Fatal("no error")
			}
			if n := e.srv.BatchUpdateCount(); n != 0 {
				t.Errorf("batchUpdates = %d, want none", n)
			}
		})
	}
}

func TestWriteTableStatusTab(t *testing.T) {
	e := setup(t, google.Config{}, sheetstest.Options{})
	at := time.Date(2024, 3, 5, 9, 30, 0, 0, time.FixedZone("KST", 9*3600))
	write := func(tab, id string) {
		t.Helper()
		st := google.Status{SyncID: id, SyncedAt: at, From: day(2024, 3, 1), To: day(2024, 3, 4), Rows: 1, Note: "ok"}
		if _, err := e.w.WriteTable(t.Context(), book, tab, table(allTypes[1:2], [][]any{{"x"}}), st); err != nil {
			t.Fatalf("WriteTable %s: %v", tab, err)
		}
	}
	write("Campaigns", "s1")
	write("Keywords", "s2")
	write("Campaigns", "s3")
	want := [][]any{
		{"Tab", "Last successful sync", "From", "To", "Rows", "Sync ID", "Note"},
		{"Campaigns", "2024-03-05 09:30:00 +09:00", 45352.0, 45355.0, 1.0, "s3", "ok"},
		{"Keywords", "2024-03-05 09:30:00 +09:00", 45352.0, 45355.0, 1.0, "s2", "ok"},
	}
	if got := e.srv.Values(book, google.DefaultStatusTab); !reflect.DeepEqual(got, want) {
		t.Errorf("status tab:\n got %#v\nwant %#v", got, want)
	}
	if info, _ := e.srv.Sheet(book, google.DefaultStatusTab); info.FrozenRows != 1 {
		t.Errorf("status tab = %+v, want a frozen header", info)
	}
	if c, _ := e.srv.Cell(book, google.DefaultStatusTab, 1, 2); c.Pattern != "yyyy-mm-dd" {
		t.Errorf("From cell pattern = %q", c.Pattern)
	}
	if e.srv.BatchUpdateCount() != 3 {
		t.Errorf("batchUpdates = %d, want one per write (status in the same batch)", e.srv.BatchUpdateCount())
	}
	if _, err := e.w.WriteTable(t.Context(), book, "NAVERSYNC STATUS", table(allTypes[1:2], nil), google.Status{}); err == nil {
		t.Error("writing a table over the status tab succeeded")
	}
}

// serviceAccountKey writes a service-account key whose token_uri is the
// stand-in's token endpoint.
func serviceAccountKey(t *testing.T, email, tokenURL string) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]string{
		"type": "service_account", "project_id": "naversync-test", "private_key_id": "k1",
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": email, "client_id": "1", "token_uri": tokenURL,
	})
	path := filepath.Join(t.TempDir(), "key.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestWriteTableAccessErrors(t *testing.T) {
	const email = "writer@naversync-test.iam.gserviceaccount.com"
	srv := sheetstest.NewServer(sheetstest.Options{})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	w, err := google.NewWriter(t.Context(), google.Config{
		Endpoint:        hs.URL,
		CredentialsFile: serviceAccountKey(t, email, hs.URL+"/token"),
		BackoffBase:     time.Microsecond,
		ReadsPerMinute:  6_000_000,
		WritesPerMinute: 6_000_000,
	})
	if err != nil {
		t.Fatalf("NewWriter: %v", err)
	}
	if got := w.ServiceAccountEmail(); got != email {
		t.Errorf("ServiceAccountEmail = %q", got)
	}
	srv.CreateSpreadsheet(book, sheetstest.DefaultCaller) // not with the writer's account
	tbl := func() google.Table { return table(allTypes[1:2], [][]any{{"x"}}) }

	_, err = w.WriteTable(t.Context(), book, "T", tbl(), google.Status{})
	if !errors.Is(err, google.ErrNotShared) {
		t.Fatalf("err = %v, want ErrNotShared", err)
	}
	if want := "share the spreadsheet with " + email + " as an editor"; !strings.Contains(err.Error(), want) {
		t.Errorf("message %q lacks %q", err, want)
	}
	var ge *googleapi.Error
	if !errors.As(err, &ge) || ge.Code != http.StatusForbidden {
		t.Errorf("err does not wrap the 403: %v", err)
	}

	srv.Share(book, email)
	if _, err := w.WriteTable(t.Context(), book, "T", tbl(), google.Status{}); err != nil {
		t.Fatalf("after sharing: %v", err)
	}

	srv.DeleteSpreadsheet(book)
	if _, err := w.WriteTable(t.Context(), book, "T", tbl(), google.Status{}); !errors.Is(err, google.ErrSpreadsheetNotFound) {
		t.Errorf("err = %v, want ErrSpreadsheetNotFound", err)
	}
}

func TestNormalizeEndpoint(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:8080":            "http://127.0.0.1:8080/",
		"http://127.0.0.1:8080/":           "http://127.0.0.1:8080/",
		"http://127.0.0.1:8080/v4/":        "http://127.0.0.1:8080/",
		"http://127.0.0.1:8080/v4":         "http://127.0.0.1:8080/",
		"http://host/prefix":               "http://host/prefix/",
		"https://sheets.googleapis.com/v4": "https://sheets.googleapis.com/",
	} {
		if got := google.NormalizeEndpoint(in); got != want {
			t.Errorf("NormalizeEndpoint(%q) = %q, want %q", in, got, want)
		}
	}
}
