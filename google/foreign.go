package google

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/api/sheets/v4"
)

// foreignWindow is how many rows TabHoldsForeignData reads first: a tab people use holds
// values near its top, so one small read usually settles it.
const foreignWindow = 200

// TabContent is what TabHoldsForeignData found in a tab.
type TabContent struct {
	// Exists: the spreadsheet has a tab of that title (compared ignoring case, as Google
	// compares titles). Title and SheetID are the tab's own; both are zero when it is missing.
	Exists  bool
	Title   string
	SheetID int64
	// Naversync: the tab carries naversync's layout record (the developer metadata entry every
	// write of the writer sets, in the same batch as its cells, also on a write still under
	// way): naversync wrote its table, so its cells are naversync's to replace.
	Naversync bool
	// FirstCell is the A1 address of the first value found in a tab without that record ("" for
	// none). Only read when the tab exists and carries no record.
	FirstCell string
	// Requests is the number of API requests the check made, retries included.
	Requests int
}

// Foreign reports whether the tab holds values naversync did not write: it exists, carries no
// layout record of naversync, and has at least one non-empty cell. Writing the table there would
// replace someone's data.
func (c TabContent) Foreign() bool { return c.Exists && !c.Naversync && c.FirstCell != "" }

// TabHoldsForeignData tells whether tab of spreadsheetID holds cells naversync did not write,
// changing nothing. A tab is naversync's when it carries the writer's layout record
// (developer metadata naversync.layout); a tab without it is foreign as soon as one of its
// cells holds a value (formats alone do not count). It costs one spreadsheets.get of the tabs'
// properties and metadata and, for an existing tab without the record, one values read of its
// first rows (and, when those are empty, one of the rest). Errors are the writer's: a sheet not
// shared is ErrNotShared, a wrong id ErrSpreadsheetNotFound, a quota used up ErrQuota.
func (w *Writer) TabHoldsForeignData(ctx context.Context, spreadsheetID, tab string) (TabContent, error) {
	var out TabContent
	var book *sheets.Spreadsheet
	n, err := w.call(ctx, false, func() error {
		var err error
		book, err = w.svc.Spreadsheets.Get(spreadsheetID).
			Fields("sheets(properties(sheetId,title,gridProperties(rowCount,columnCount)),developerMetadata(metadataKey))").
			Context(ctx).Do()
		return err
	}, nil)
	out.Requests += n
	if err != nil {
		return out, w.classify("check tab for foreign data: read spreadsheet", spreadsheetID, err)
	}
	var rows int64
	for _, sh := range book.Sheets {
		p := sh.Properties
		if p == nil || !strings.EqualFold(p.Title, tab) {
			continue
		}
		out.Exists, out.Title, out.SheetID = true, p.Title, p.SheetId
		if p.GridProperties != nil {
			rows = p.GridProperties.RowCount
		}
		for _, m := range sh.DeveloperMetadata {
			out.Naversync = out.Naversync || m.MetadataKey == layoutKey
		}
		break
	}
	if !out.Exists || out.Naversync {
		return out, nil
	}
	quoted := "'" + strings.ReplaceAll(out.Title, "'", "''") + "'"
	read := func(rng string, firstRow int) error {
		var vr *sheets.ValueRange
		n, err := w.call(ctx, false, func() error {
			var err error
			vr, err = w.svc.Spreadsheets.Values.Get(spreadsheetID, rng).MajorDimension("ROWS").Context(ctx).Do()
			return err
		}, nil)
		out.Requests += n
		if err != nil {
			return w.classify(fmt.Sprintf("check tab %q for foreign data: read values", out.Title), spreadsheetID, err)
		}
		for r, row := range vr.Values {
			for c, v := range row {
				if v != nil && fmt.Sprint(v) != "" {
					out.FirstCell = columnLetters(c) + strconv.Itoa(firstRow+r)
					return nil
				}
			}
		}
		return nil
	}
	if rows <= foreignWindow {
		return out, read(quoted, 1)
	}
	if err := read(fmt.Sprintf("%s!1:%d", quoted, foreignWindow), 1); err != nil || out.FirstCell != "" {
		return out, err
	}
	return out, read(fmt.Sprintf("%s!%d:%d", quoted, foreignWindow+1, rows), foreignWindow+1)
}
