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

// SheetTabs returns, for each of the accounts that has one, where its table was last written:
// one query whatever the number of accounts (GET /accounts links each sheet to its tab).
func (s *Store) SheetTabs(ctx context.Context, accountIDs []string) (map[string]SheetTab, error) {
	out := make(map[string]SheetTab, len(accountIDs))
	if len(accountIDs) == 0 {
		return out, nil
	}
	var rows []sheetStateRow
	if err := s.conn(ctx).Select("account_id, spreadsheet_id, tab, layout, cell_usage").
		Where("account_id IN ? AND dirty = ?", accountIDs, false).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("sheet tabs: %w", mapErr(err))
	}
	for _, r := range rows {
		out[r.AccountID] = SheetTab{SpreadsheetID: r.SpreadsheetID, Tab: r.Tab, Layout: r.Layout, Usage: r.CellUsage}
	}
	return out, nil
}

// DeletedAccountSheet is where a deleted account's table was last written (or was being
// written): what is left to clean up there.
type DeletedAccountSheet struct {
	AccountID, SpreadsheetID, Tab string
}

// DeletedAccountSheets returns up to limit deleted accounts that still have a recorded tab
// state, the oldest deletions first.
func (s *Store) DeletedAccountSheets(ctx context.Context, limit int) ([]DeletedAccountSheet, error) {
	var rows []sheetStateRow
	err := s.conn(ctx).Table("sheet_states").
		Select("sheet_states.account_id, sheet_states.spreadsheet_id, sheet_states.tab").
		Joins("JOIN accounts ON accounts.id = sheet_states.account_id").
		Where("accounts.deleted_at IS NOT NULL").
		Order("accounts.deleted_at, sheet_states.account_id").Limit(clampLimit(limit, 100, 1000)).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("deleted account sheets: %w", mapErr(err))
	}
	out := make([]DeletedAccountSheet, len(rows))
	for i, r := range rows {
		out[i] = DeletedAccountSheet{AccountID: r.AccountID, SpreadsheetID: r.SpreadsheetID, Tab: r.Tab}
	}
	return out, nil
}

// ForgetSheet deletes the recorded tab state (and days) of a deleted account, once nothing is
// left to clean up in its spreadsheet; a live account's state is kept (ErrNotFound).
func (s *Store) ForgetSheet(ctx context.Context, accountID string) error {
	err := s.conn(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&accountRow{}).Where("id = ? AND deleted_at IS NOT NULL", accountID).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			return ErrNotFound
		}
		if err := tx.Where("account_id = ?", accountID).Delete(&sheetDayRow{}).Error; err != nil {
			return err
		}
		return tx.Where("account_id = ?", accountID).Delete(&sheetStateRow{}).Error
	})
	if err != nil {
		return fmt.Errorf("forget sheet of %s: %w", accountID, mapErr(err))
	}
	return nil
}
