package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// AuditEntry records one change a person made through the API: who (the token's role and a
// fingerprint of it, never the token), when, what (an action such as "account.update"), on
// which account or sync, and which fields. It never holds a secret value: callers put field
// names in Fields and only values that are not credentials in Detail.
type AuditEntry struct {
	ID        string // UUIDv7, assigned by AddAudit
	At        time.Time
	Actor     string // e.g. "operator token 3f9a1c2b"
	Role      string // viewer|operator|admin, or "" for the service itself
	Action    string // e.g. account.create, account.update, account.delete, sync.create
	AccountID string
	SyncID    string
	Fields    []string // the fields the change set (names only)
	Detail    string   // a sentence for people; never a secret value
	// DetailCode and DetailParams (a JSON object of strings, "" for none) name Detail for the
	// console to render in the viewer's language ("" for entries recorded before them).
	DetailCode   string
	DetailParams string
}

// AuditFilter selects audit entries, newest first.
type AuditFilter struct {
	AccountID string
	Limit     int    // 0 = 50; at most 500
	Before    string // id cursor: only entries older than this one
}

type auditRow struct {
	ID        string    `gorm:"primaryKey"`
	At        time.Time `gorm:"not null;index:audit_at"` // retention deletes by age
	Actor     string    `gorm:"not null"`
	Role      string    `gorm:"not null"`
	Action    string    `gorm:"not null"`
	AccountID string    `gorm:"not null;index:audit_account,priority:1"`
	SyncID    string    `gorm:"not null"`
	Fields    string    `gorm:"not null"` // comma-separated names
	Detail    string    `gorm:"not null"`
	// DetailCode and DetailParams: AuditEntry's.
	DetailCode   string `gorm:"not null;default:''"`
	DetailParams string `gorm:"not null;default:''"`
}

func (auditRow) TableName() string { return "audit_entries" }

// AddAudit stores e, setting its ID and, when zero, its time (the database's clock).
func (s *Store) AddAudit(ctx context.Context, e *AuditEntry) error {
	id, err := uuid.NewV7()
	if err != nil {
		return fmt.Errorf("add audit: %w", err)
	}
	e.ID = id.String()
	if e.At.IsZero() {
		e.At = s.now()
	}
	row := auditRow{ID: e.ID, At: utc(e.At), Actor: e.Actor, Role: e.Role, Action: e.Action,
		AccountID: e.AccountID, SyncID: e.SyncID, Fields: strings.Join(e.Fields, ","), Detail: e.Detail,
		DetailCode: e.DetailCode, DetailParams: e.DetailParams}
	if err := s.conn(ctx).Create(&row).Error; err != nil {
		return fmt.Errorf("add audit: %w", mapErr(err))
	}
	return nil
}

// ListAudit returns entries newest first (by id, UUIDv7: creation order), after the cursor
// f.Before; next is the cursor of the following page, "" at the end.
func (s *Store) ListAudit(ctx context.Context, f AuditFilter) (entries []AuditEntry, next string, err error) {
	limit := clampLimit(f.Limit, 50, 500)
	q := s.conn(ctx).Model(&auditRow{})
	if f.AccountID != "" {
		q = q.Where("account_id = ?", f.AccountID)
	}
	if f.Before != "" {
		q = q.Where("id < ?", f.Before)
	}
	var rows []auditRow
	if err := q.Order("id DESC").Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, "", fmt.Errorf("list audit: %w", mapErr(err))
	}
	if len(rows) > limit {
		rows = rows[:limit]
		next = rows[limit-1].ID
	}
	out := make([]AuditEntry, len(rows))
	for i, r := range rows {
		var fields []string
		if r.Fields != "" {
			fields = strings.Split(r.Fields, ",")
		}
		out[i] = AuditEntry{ID: r.ID, At: r.At.UTC(), Actor: r.Actor, Role: r.Role, Action: r.Action,
			AccountID: r.AccountID, SyncID: r.SyncID, Fields: fields, Detail: r.Detail,
			DetailCode: r.DetailCode, DetailParams: r.DetailParams}
	}
	return out, next, nil
}

// DeleteAuditBefore deletes one batch (at most batch, 0 = 1000) of the audit entries recorded
// before cutoff, oldest first, in one statement, and returns how many it deleted; call it until
// it returns fewer than the batch.
func (s *Store) DeleteAuditBefore(ctx context.Context, cutoff time.Time, batch int) (int, error) {
	batch = clampLimit(batch, 1000, 10000)
	res := s.conn(ctx).Exec(`DELETE FROM audit_entries WHERE id IN (
  SELECT id FROM audit_entries WHERE at < ? ORDER BY at LIMIT ?)`, utc(cutoff), batch)
	if res.Error != nil {
		return 0, fmt.Errorf("delete audit entries: %w", mapErr(res.Error))
	}
	return int(res.RowsAffected), nil
}
