package store

import (
	"fmt"
	"strings"
	"unicode"

	"gorm.io/gorm"
)

// foldKey is the key under which Google (and strings.EqualFold) compare tab names: every
// character replaced by the smallest character of its simple case-folding orbit, so that
// foldKey(a) == foldKey(b) exactly when strings.EqualFold(a, b).
func foldKey(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		b.WriteRune(least)
	}
	return b.String()
}

// migrateAPI is the part of the schema the API's queries need, applied after the tables exist:
// the case-insensitive key of tab names and the indexes of the frequent queries. Every step is
// idempotent; replicas run it under the migration lock.
func (s *Store) migrateAPI(tx *gorm.DB) error {
	if err := tx.Session(&gorm.Session{NewDB: true}).AutoMigrate(&idempotencyRow{}); err != nil {
		return fmt.Errorf("auto migrate: %w", err)
	}
	if err := migrateAudit(tx); err != nil {
		return err
	}
	if err := s.backfillTabKeys(tx); err != nil {
		return fmt.Errorf("tab keys: %w", err)
	}
	for _, q := range apiSchema {
		if err := tx.Session(&gorm.Session{NewDB: true}).Exec(q).Error; err != nil {
			return fmt.Errorf("index: %w", err)
		}
	}
	return nil
}

// apiSchema: a live tab is unique per spreadsheet ignoring case (as Google compares names),
// an index for every frequent query of the API, the console and the maintenance (so that
// their cost does not grow with the number of syncs stored), and no secret kept for a deleted
// account.
var apiSchema = []string{
	`DROP INDEX IF EXISTS accounts_live_sheet`, // the case-sensitive key it replaces
	`CREATE UNIQUE INDEX IF NOT EXISTS accounts_live_sheet_key ON accounts (spreadsheet_id, sheet_tab_key) WHERE deleted_at IS NULL AND spreadsheet_id <> ''`,
	// Replaced by the same keys ending with id (migrate.go), which serve "newest first" lists
	// without a sort.
	`DROP INDEX IF EXISTS syncs_status_created`,
	`DROP INDEX IF EXISTS syncs_account_created`,
	// GET /syncs without filters, and the live list: newest first.
	`CREATE INDEX IF NOT EXISTS syncs_created ON syncs (created_at, id)`,
	// GET /syncs?customer_id=, newest first.
	`CREATE INDEX IF NOT EXISTS syncs_customer_created ON syncs (customer_id, created_at, id)`,
	// An account's last successful sync (GET /accounts), ?account_id=&status=, and the retention
	// job's "newest succeeded sync of the account".
	`CREATE INDEX IF NOT EXISTS syncs_account_status_created ON syncs (account_id, status, created_at, id)`,
	// The change feed of event streams: syncs changed since a time.
	`CREATE INDEX IF NOT EXISTS syncs_updated ON syncs (updated_at)`,
	// Deleted accounts keep no secret (accounts deleted before DeleteAccount wiped it).
	`UPDATE accounts SET secret_enc = NULL WHERE deleted_at IS NOT NULL AND secret_enc IS NOT NULL`,
	// The retention job: the oldest finished syncs.
	`CREATE INDEX IF NOT EXISTS syncs_finished ON syncs (finished_at) WHERE finished_at IS NOT NULL`,
	// The maintenance: files of days no longer served, and whether a superseded object is
	// still a file's (pruning works from the database, never by listing the file store).
	`CREATE INDEX IF NOT EXISTS report_files_stat_date ON report_files (stat_date)`,
	`CREATE INDEX IF NOT EXISTS report_files_object_key ON report_files (object_key)`,
}

// backfillTabKeys computes sheet_tab_key for accounts stored before it existed. Live accounts
// that already share a tab ignoring case (the old case-sensitive key allowed it) keep working:
// the oldest keeps the plain key, the others get one that names them, and a warning asks the
// operator to move them to a tab of their own.
func (s *Store) backfillTabKeys(conn *gorm.DB) error {
	tx := func() *gorm.DB { return conn.Session(&gorm.Session{NewDB: true}) }
	var rows []accountRow
	if err := tx().Where("sheet_tab_key = '' AND sheet_tab <> ''").Order("created_at, id").Find(&rows).Error; err != nil {
		return err
	}
	if len(rows) == 0 {
		return nil
	}
	taken := map[string]bool{}
	var existing []accountRow
	if err := tx().Select("spreadsheet_id, sheet_tab_key").Where("sheet_tab_key <> '' AND deleted_at IS NULL").Find(&existing).Error; err != nil {
		return err
	}
	for _, e := range existing {
		taken[e.SpreadsheetID+"\x00"+e.SheetTabKey] = true
	}
	for _, r := range rows {
		key := foldKey(r.SheetTab)
		if r.DeletedAt == nil && r.SpreadsheetID != "" {
			k := r.SpreadsheetID + "\x00" + key
			if taken[k] {
				s.log.Warn("two live accounts write the same spreadsheet tab (tab names differ only in case); give this account a tab of its own",
					"account_id", r.ID, "spreadsheet_id", r.SpreadsheetID, "sheet_tab", r.SheetTab)
				key += " (shared with another account: " + r.ID + ")"
			}
			taken[k] = true
		}
		if err := tx().Model(&accountRow{}).Where("id = ?", r.ID).Update("sheet_tab_key", key).Error; err != nil {
			return err
		}
	}
	return nil
}
