// Package sheetstest is a strict stand-in for the Google Sheets API v4, meant to
// be served with net/http/httptest and driven by the real
// google.golang.org/api/sheets/v4 client.
//
// It implements what naversync's writer uses (spreadsheets.get,
// spreadsheets.batchUpdate with addSheet, updateSheetProperties (grid,
// title, hidden), deleteSheet, updateCells, appendCells, repeatCell,
// copyPaste, appendDimension, insertDimension, deleteDimension and
// create/update/deleteDeveloperMetadata on tabs and the spreadsheet, and
// values.get and values.batchGet), what a person does through Google's menus
// (sortRange, setBasicFilter with sort specs and hidden values,
// clearBasicFilter, moveDimension; see person.go), with Google's contracts: batchUpdate is all-or-nothing, writes
// outside a tab's grid fail with Google's messages, a spreadsheet holds at
// most 10,000,000 cells (checked after every request of a batch), request
// payloads are limited, at least one tab stays visible, and only the
// accounts a spreadsheet is shared with may use it (403 PERMISSION_DENIED
// otherwise, 404 NOT_FOUND for an unknown id; an account shared read-only
// may read but its batchUpdates get 403). Errors use Google's body
// {"error":{"code","message","status"}}. Cells hold a value, a format and
// a note; inserted rows take the formats of their neighbour
// (inheritFromBefore); copyPaste PASTE_NORMAL copies values, formats and
// notes, and repeats the source over a destination a multiple of its size.
// Answers are gzipped, as Google's, when the request accepts gzip and its
// User-Agent contains "gzip" (ResponseBytes counts them before and after).
//
// The caller's identity is, in order: the e-mail behind a bearer token issued
// by the server's own OAuth token endpoint (POST /token, so a service-account
// key whose token_uri points at the server works end to end), the
// X-Sheetstest-Caller header, or Options.Caller.
//
// Options.Quota enforces Google's per-minute request quota, reads and writes
// apart, per caller and per project (the e-mail's project), over a rolling
// window: over it, 429 RESOURCE_EXHAUSTED with Google's message and a
// Retry-After header. QuotaUsage counts requests, 429s and the most requests
// in any window, per caller and per project, with or without a quota.
//
// A batchUpdate costs what it carries and touches, not the spreadsheet's
// size: cell rows are decoded by a fast path (falling back to strict
// decoding with the sheets/v4 types for anything unusual), and the
// all-or-nothing working copy is copy-on-write per tab and per row.
//
// Test helpers (CreateSpreadsheet, Share, Values, Formats, Sheet, InjectErrors,
// counters) let tests arrange state and assert on what was written. Track
// and History record every committed state of a tab that a reader could
// have seen; InjectBatchFault fails the Nth batchUpdate of a spreadsheet,
// before it is applied or after (a lost answer).
package sheetstest
