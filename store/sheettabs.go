package store

import (
	"context"
	"fmt"
)

// SheetTab is where an account's table was last written, with the writer's record of the tab
// (opaque to the store).
type SheetTab struct {
	SpreadsheetID string
	Tab           string
	Layout        []byte
}

// SheetTabs returns, for each of the accounts that has one, where its table was last written:
// one query whatever the number of accounts (GET /accounts links each sheet to its tab).
func (s *Store) SheetTabs(ctx context.Context, accountIDs []string) (map[string]SheetTab, error) {
	out := make(map[string]SheetTab, len(accountIDs))
	if len(accountIDs) == 0 {
		return out, nil
	}
	var rows []sheetStateRow
	if err := s.conn(ctx).Select("account_id, spreadsheet_id, tab, layout").
		Where("account_id IN ? AND dirty = ?", accountIDs, false).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("sheet tabs: %w", mapErr(err))
	}
	for _, r := range rows {
		out[r.AccountID] = SheetTab{SpreadsheetID: r.SpreadsheetID, Tab: r.Tab, Layout: r.Layout}
	}
	return out, nil
}
