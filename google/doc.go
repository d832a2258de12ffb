// Package google writes naversync's report tables to Google Sheets through the
// Sheets API v4 (google.golang.org/api/sheets/v4).
//
// A Writer replaces one tab's content with a Table: typed cells (numbers,
// dates as serial numbers, text) written with updateCells, each column's
// number format set once with repeatCell, a bold frozen header row, and a
// "naversync status" tab recording the last successful sync per tab. The tab keeps its sheetId (charts and formulas that
// point at it survive); it is created when missing and its grid is resized to
// the table. Everything that fits in MaxRequestBytes goes in one atomic
// spreadsheets.batchUpdate; a bigger table is streamed in several.
//
// The batchUpdate bodies are encoded by hand (batch.go, encode.go, stream.go)
// and posted through the typed client's own authenticated HTTP client: the
// sheets/v4 types' MarshalJSON methods cost the nesting depth times the
// payload, a minute of CPU for a 100,000-row table. Reads and the small
// structural requests still use the sheets/v4 types.
//
// Google's limits (10,000,000 cells per spreadsheet, 18,278 columns per tab)
// are checked before anything is written (*TooLargeError). Writes are paced
// by a client-side limiter and retried with truncated exponential backoff on
// 429 and 5xx. Callers branch on ErrNotShared, ErrSpreadsheetNotFound,
// ErrQuota and *TooLargeError with errors.Is / errors.As.
package google
