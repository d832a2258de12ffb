// Package google writes naversync's report tables to Google Sheets through the
// Sheets API v4 (google.golang.org/api/sheets/v4).
//
// A Writer makes one tab hold a Table: typed cells (numbers, dates as serial
// numbers, text) written with updateCells, each column's number format set
// once per run of columns with repeatCell, a bold frozen header row, and a
// "naversync status" tab recording the last successful sync per tab. The tab
// keeps its sheetId (charts and formulas that point at it survive); it is
// created when missing and its grid sized to the table.
//
// A table cut into Blocks (days, for naversync) is written incrementally
// (WriteTableFrom): given the Layout the previous write returned, only the
// rows of changed and new blocks are sent; rows are inserted and deleted
// around the unchanged blocks, which are never sent again. A developer
// metadata entry on the tab records its layout, so that a tab changed since
// (by a user, or by a write whose answer was lost) is rewritten in full
// instead of patched at the wrong rows. A person's sort or typing changes
// cells but not the layout: before patching, the writer reads back the
// header and the key columns (Date and Text) of the blocks it keeps and
// compares them with the checks the Layout recorded (verify.go); blocks that
// moved are written again, a changed header means a full write. A tab
// renamed by a person is found by the Layout's sheetId (WriteResult.Tab).
//
// Readers never see a half-written tab: a write that fits MaxRequestBytes is
// one atomic spreadsheets.batchUpdate; a bigger one is built in a hidden
// staging tab over several batchUpdates and moved into the tab by a last one.
// Before a failed batch is retried, the writer checks whether it was applied
// after all, so that a batch is never applied twice.
//
// The batchUpdate bodies are encoded by hand (batch.go, encode.go, stream.go)
// and posted through the typed client's own authenticated HTTP client: the
// sheets/v4 types' MarshalJSON methods cost the nesting depth times the
// payload, a minute of CPU for a 100,000-row table. Reads and the small
// structural requests still use the sheets/v4 types.
//
// Google's limits (10,000,000 cells per spreadsheet, staging tab included,
// 18,278 columns per tab) are checked before anything is written: a table
// with blocks loses its oldest blocks until it fits (WriteResult.Dropped),
// one without is a *TooLargeError. Every request, read or write, first takes
// its slot from the Writer's Budget (per identity and kind; a LocalBudget
// by default, or one shared by replicas through the database), is retried
// with truncated exponential backoff on 429 and 5xx, and a 429 holds the
// identity's budget for its Retry-After. Callers
// branch on ErrNotShared, ErrSpreadsheetNotFound, ErrQuota and
// *TooLargeError with errors.Is / errors.As.
package google
