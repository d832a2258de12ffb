package store

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// SheetTab is where an account's table was last written, with the writer's record of the tab
// (opaque to the store).
type SheetTab struct {
	SpreadsheetID string
	Tab           string
	Layout        []byte
	// Usage is the writer's account of the spreadsheet's cells after that write (opaque).
	Usage []byte
}

// SheetTabs returns, for each of the accounts that has one, where each kind of its tabs was last
// written (account id -> tab kind -> tab): two queries whatever the number of accounts (GET
// /accounts links each sheet to its tab).
func (s *Store) SheetTabs(ctx context.Context, accountIDs []string) (map[string]map[string]SheetTab, error) {
	out := make(map[string]map[string]SheetTab, len(accountIDs))
	if len(accountIDs) == 0 {
		return out, nil
	}
	add := func(accountID, kind string, t SheetTab) {
		if out[accountID] == nil {
			out[accountID] = map[string]SheetTab{}
		}
		out[accountID][kind] = t
	}
	var rows []sheetStateRow
	if err := s.conn(ctx).Select("account_id, spreadsheet_id, tab, layout, cell_usage").
		Where("account_id IN ? AND dirty = ?", accountIDs, false).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("sheet tabs: %w", mapErr(err))
	}
	for _, r := range rows {
		add(r.AccountID, TabPerformance, SheetTab{SpreadsheetID: r.SpreadsheetID, Tab: r.Tab, Layout: r.Layout, Usage: r.CellUsage})
	}
	var others []sheetTabStateRow
	if err := s.conn(ctx).Select("account_id, tab_kind, spreadsheet_id, tab, layout, cell_usage").
		Where("account_id IN ? AND dirty = ?", accountIDs, false).Find(&others).Error; err != nil {
		return nil, fmt.Errorf("sheet tabs: %w", mapErr(err))
	}
	for _, r := range others {
		add(r.AccountID, r.TabKind, SheetTab{SpreadsheetID: r.SpreadsheetID, Tab: r.Tab, Layout: r.Layout, Usage: r.CellUsage})
	}
	return out, nil
}

// DeletedAccountSheet is where a deleted account's tab of one kind was last written (or was
// being written): what is left to clean up there.
type DeletedAccountSheet struct {
	AccountID, TabKind, SpreadsheetID, Tab string
}

// DeletedAccountSheets returns the recorded tab states of up to limit deleted accounts (every
// kind of tab of each), the oldest deletions first.
func (s *Store) DeletedAccountSheets(ctx context.Context, limit int) ([]DeletedAccountSheet, error) {
	var rows []struct {
		AccountID, TabKind, SpreadsheetID, Tab string
	}
	err := s.conn(ctx).Raw(`SELECT t.account_id, t.tab_kind, t.spreadsheet_id, t.tab FROM (
			SELECT account_id, CAST(? AS text) AS tab_kind, spreadsheet_id, tab FROM sheet_states
			UNION ALL SELECT account_id, tab_kind, spreadsheet_id, tab FROM sheet_tab_states) t
		JOIN (SELECT id, deleted_at FROM accounts WHERE deleted_at IS NOT NULL
			AND (id IN (SELECT account_id FROM sheet_states) OR id IN (SELECT account_id FROM sheet_tab_states))
			ORDER BY deleted_at, id LIMIT ?) a ON a.id = t.account_id
		ORDER BY a.deleted_at, t.account_id, t.tab_kind`, TabPerformance, clampLimit(limit, 100, 1000)).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("deleted account sheets: %w", mapErr(err))
	}
	out := make([]DeletedAccountSheet, len(rows))
	for i, r := range rows {
		out[i] = DeletedAccountSheet{AccountID: r.AccountID, TabKind: r.TabKind, SpreadsheetID: r.SpreadsheetID, Tab: r.Tab}
	}
	return out, nil
}

// ForgetSheet deletes the recorded state (and days) of every tab of a deleted account, once
// nothing is left to clean up in its spreadsheet; a live account's state is kept (ErrNotFound).
func (s *Store) ForgetSheet(ctx context.Context, accountID string) error {
	err := s.conn(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&accountRow{}).Where("id = ? AND deleted_at IS NOT NULL", accountID).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			return ErrNotFound
		}
		for _, m := range []any{&sheetDayRow{}, &sheetStateRow{}, &sheetTabDayRow{}, &sheetTabStateRow{}} {
			if err := tx.Where("account_id = ?", accountID).Delete(m).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("forget sheet of %s: %w", accountID, mapErr(err))
	}
	return nil
}
