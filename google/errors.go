package google

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"google.golang.org/api/googleapi"
)

// Sentinel errors callers branch on with errors.Is. The *googleapi.Error they
// came from stays reachable with errors.As.
var (
	// ErrNotShared: Google answered 403; the spreadsheet is not shared with
	// the service account as an editor. The wrapping error's message names
	// the e-mail to share with.
	ErrNotShared = errors.New("the service account may not edit the spreadsheet")
	// ErrSpreadsheetNotFound: Google answered 404; the spreadsheet id is wrong
	// or the spreadsheet was deleted.
	ErrSpreadsheetNotFound = errors.New("spreadsheet not found")
	// ErrQuota: Google answered 429 RESOURCE_EXHAUSTED until the caller's
	// context ended (quota answers are retried for as long as it lasts: the
	// error then also wraps the context's error).
	ErrQuota = errors.New("google sheets quota exhausted")
	// ErrTabReplaced: the tab the previous Layout names (its sheetId) is
	// gone and another tab that holds values but no naversync layout record
	// has its title: a person deleted naversync's tab and made one of their
	// own under its name. Nothing was written; the caller asks for consent
	// (as for a tab TabHoldsForeignData finds foreign) and, given, writes
	// again without a previous layout. An empty tab there is simply written.
	ErrTabReplaced = errors.New("the tab naversync wrote is gone and a tab holding data it did not write has its title")
)

// Google's limits checked before writing.
const (
	// LimitCells is the number of cells a spreadsheet may hold across its tabs.
	LimitCells = 10_000_000
	// LimitColumns is the number of columns a tab may have.
	LimitColumns = 18_278
	// LimitCellChars is the number of characters a cell may hold.
	LimitCellChars = 50_000
)

// TooLargeError reports a table that cannot fit in the spreadsheet within
// Google's limits. It is returned before anything is written (except for an
// over-long cell found in a later chunk of a chunked table).
type TooLargeError struct {
	SpreadsheetID string
	Tab           string
	// NeededCells is how many cells the spreadsheet would hold after the
	// write; LimitCells is Google's maximum; OtherCells is what other tabs use.
	NeededCells, LimitCells, OtherCells int64
	// Rows and Columns are the table's grid, header included.
	Rows, Columns int
	// LimitColumns is set when the table has too many columns.
	LimitColumns int
	// CellChars and LimitCellChars are set when one value is too long; Row
	// (1-based, header = 1) and Column name it.
	CellChars, LimitCellChars int
	Row                       int
	Column                    string
}

func (e *TooLargeError) Error() string {
	switch {
	case e.LimitCellChars > 0:
		return fmt.Sprintf("google: tab %q row %d column %q: a value of %d characters exceeds Google's limit of %d characters per cell",
			e.Tab, e.Row, e.Column, e.CellChars, e.LimitCellChars)
	case e.LimitColumns > 0:
		return fmt.Sprintf("google: tab %q needs %d columns but a tab holds at most %d: write fewer columns",
			e.Tab, e.Columns, e.LimitColumns)
	default:
		return fmt.Sprintf("google: tab %q needs %d cells (%d rows x %d columns) and spreadsheet %s would then hold %d cells, "+
			"above Google's limit of %d (other tabs use %d): choose a coarser level (such as campaign instead of keyword), "+
			"a shorter date range, or another spreadsheet",
			e.Tab, int64(e.Rows)*int64(e.Columns), e.Rows, e.Columns, e.SpreadsheetID, e.NeededCells, e.LimitCells, e.OtherCells)
	}
}

// classify maps a final API error to the package's vocabulary.
func (w *Writer) classify(op, spreadsheetID string, err error) error {
	var ge *googleapi.Error
	if !errors.As(err, &ge) {
		return fmt.Errorf("google: %s: %w", op, err)
	}
	switch {
	case ge.Code == http.StatusForbidden && !isQuota(ge):
		who := w.email
		if who == "" {
			who = "the account the writer runs as"
		}
		return fmt.Errorf("google: %s: spreadsheet %s: %w: share the spreadsheet with %s as an editor: %w",
			op, spreadsheetID, ErrNotShared, who, err)
	case ge.Code == http.StatusNotFound:
		return fmt.Errorf("google: %s: spreadsheet %s: %w: %w", op, spreadsheetID, ErrSpreadsheetNotFound, err)
	case isQuota(ge):
		return fmt.Errorf("google: %s: spreadsheet %s: %w: %w", op, spreadsheetID, ErrQuota, err)
	}
	return fmt.Errorf("google: %s: spreadsheet %s: %w", op, spreadsheetID, err)
}

// isQuota reports a quota answer: 429, or RESOURCE_EXHAUSTED in the body.
func isQuota(ge *googleapi.Error) bool {
	return ge.Code == http.StatusTooManyRequests || strings.Contains(ge.Body, "RESOURCE_EXHAUSTED")
}

// retryable reports an answer worth retrying: quota or a server error.
func retryable(err error) bool {
	var ge *googleapi.Error
	if !errors.As(err, &ge) {
		return false
	}
	return isQuota(ge) || ge.Code >= 500
}
