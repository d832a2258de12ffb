package google

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"

	"google.golang.org/api/googleapi"
	"google.golang.org/api/sheets/v4"
)

// Access levels of the writer's identity on a spreadsheet, as CheckAccess finds them.
const (
	// AccessNone: Google refuses to show the spreadsheet to the service account (it is not
	// shared with it).
	AccessNone = "none"
	// AccessRead: the spreadsheet is shared for viewing only; writes would be refused.
	AccessRead = "read"
	// AccessEdit: the service account may edit the spreadsheet.
	AccessEdit = "edit"
)

// accessCheckKey names the developer metadata entry CheckAccess creates and deletes in one
// batch; users never see it, and it is gone when the batch returns.
const accessCheckKey = "naversync.access-check"

// TabInfo is one tab of a spreadsheet.
type TabInfo struct {
	SheetID int64
	Title   string
}

// Access is what CheckAccess found.
type Access struct {
	// Level is AccessNone, AccessRead or AccessEdit.
	Level string
	// Title is the spreadsheet's title (empty with AccessNone).
	Title string
	// Tabs are the spreadsheet's tabs in order (empty with AccessNone).
	Tabs []TabInfo
	// Asked describes the tabs CheckAccess was asked about, one per title in the order asked
	// (each with the title asked when it does not exist; empty with AccessNone).
	Asked []TabState
}

// TabState describes one tab: whether it exists, holds values, and was written by naversync.
type TabState struct {
	Title string
	// SheetID is the tab's sheetId (0 when it does not exist).
	SheetID int64
	Exists  bool
	// HasData: the first rows hold values.
	HasData bool
	// Naversync: the tab carries naversync's layout record (its table was written by it).
	Naversync bool
}

// CheckAccess tells what the writer's identity may do with a spreadsheet, changing nothing a
// user can see: it reads the spreadsheet (spreadsheets.get: the title, the tabs, and for each
// of tabs whether it holds data, one values.get per tab that exists, and whether naversync
// wrote it), then proves edit rights
// with a batchUpdate that creates and deletes a developer metadata entry (invisible to users,
// and gone when the batch returns), which Google refuses with 403 to a viewer. A spreadsheet
// not shared at all is Level AccessNone, not an error; a wrong id is ErrSpreadsheetNotFound,
// a quota exhausted ErrQuota.
func (w *Writer) CheckAccess(ctx context.Context, spreadsheetID string, tabs ...string) (Access, error) {
	var book *sheets.Spreadsheet
	_, err := w.call(ctx, false, func() error {
		var err error
		book, err = w.svc.Spreadsheets.Get(spreadsheetID).
			Fields("properties(title),sheets(properties(sheetId,title),developerMetadata(metadataKey))").
			Context(ctx).Do()
		return err
	}, nil)
	if forbidden(err) {
		return Access{Level: AccessNone}, nil
	}
	if err != nil {
		return Access{}, w.classify("check access: read spreadsheet", spreadsheetID, err)
	}
	acc := Access{Level: AccessRead, Asked: make([]TabState, len(tabs))}
	if book.Properties != nil {
		acc.Title = book.Properties.Title
	}
	for i, tab := range tabs {
		acc.Asked[i] = TabState{Title: tab}
	}
	for _, sh := range book.Sheets {
		p := sh.Properties
		if p == nil {
			continue
		}
		acc.Tabs = append(acc.Tabs, TabInfo{SheetID: p.SheetId, Title: p.Title})
		for i := range acc.Asked {
			st := &acc.Asked[i]
			if st.Exists || !strings.EqualFold(p.Title, tabs[i]) {
				continue
			}
			*st = TabState{Title: p.Title, SheetID: p.SheetId, Exists: true}
			for _, m := range sh.DeveloperMetadata {
				st.Naversync = st.Naversync || m.MetadataKey == layoutKey
			}
		}
	}
	for i := range acc.Asked {
		if st := &acc.Asked[i]; st.Exists {
			if st.HasData, err = w.tabHasData(ctx, spreadsheetID, st.Title); err != nil {
				return Access{}, err
			}
		}
	}

	// Prove edit rights: create and delete one developer metadata entry in one batch. The id is
	// chosen so that the delete finds exactly this entry.
	id := rand.Int64N(1<<31-2) + 1
	req := &sheets.BatchUpdateSpreadsheetRequest{Requests: []*sheets.Request{
		{CreateDeveloperMetadata: &sheets.CreateDeveloperMetadataRequest{DeveloperMetadata: &sheets.DeveloperMetadata{
			MetadataId: id, MetadataKey: accessCheckKey, MetadataValue: "ok", Visibility: "PROJECT",
			Location: &sheets.DeveloperMetadataLocation{Spreadsheet: true},
		}}},
		{DeleteDeveloperMetadata: &sheets.DeleteDeveloperMetadataRequest{DataFilter: &sheets.DataFilter{
			DeveloperMetadataLookup: &sheets.DeveloperMetadataLookup{MetadataId: id}}}},
	}}
	_, err = w.call(ctx, true, func() error {
		_, err := w.svc.Spreadsheets.BatchUpdate(spreadsheetID, req).Context(ctx).Do()
		return err
	}, nil)
	switch {
	case forbidden(err):
		return acc, nil // readable, not editable
	case err != nil:
		return Access{}, w.classify("check access: edit", spreadsheetID, err)
	}
	acc.Level = AccessEdit
	return acc, nil
}

// tabHasData reports whether the first rows of tab hold any value. It reads rows 1 to 5; a tab
// with fewer rows (Google refuses a range past the grid) is read whole, which is then small.
func (w *Writer) tabHasData(ctx context.Context, spreadsheetID, tab string) (bool, error) {
	quoted := "'" + strings.ReplaceAll(tab, "'", "''") + "'"
	var vr *sheets.ValueRange
	get := func(rng string) error {
		_, err := w.call(ctx, false, func() error {
			var err error
			vr, err = w.svc.Spreadsheets.Values.Get(spreadsheetID, rng).MajorDimension("ROWS").Context(ctx).Do()
			return err
		}, nil)
		return err
	}
	err := get(quoted + "!1:5")
	var ge *googleapi.Error
	if errors.As(err, &ge) && ge.Code == http.StatusBadRequest {
		err = get(quoted)
	}
	if err != nil {
		return false, w.classify(fmt.Sprintf("check access: read tab %q", tab), spreadsheetID, err)
	}
	for _, row := range vr.Values {
		for _, v := range row {
			if v != nil && fmt.Sprint(v) != "" {
				return true, nil
			}
		}
	}
	return false, nil
}

// forbidden reports a 403 that is not a quota answer: the caller lacks the permission.
func forbidden(err error) bool {
	var ge *googleapi.Error
	return errors.As(err, &ge) && ge.Code == http.StatusForbidden && !isQuota(ge)
}
