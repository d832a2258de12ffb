package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// MasterEntity is one campaign, ad group or keyword of a customer, from
// Naver's master reports; it names the ids found in stat reports.
type MasterEntity struct {
	CustomerID string
	Kind       string // campaign|adgroup|keyword
	ID         string
	ParentID   string // campaign of an ad group, ad group of a keyword
	Name       string
	Deleted    bool
}

// masterBatch is the rows per INSERT: 6 columns stay far below both
// dialects' bind-parameter limits.
const masterBatch = 1000

// UpsertMasterEntities inserts or updates entities (keyed by customer, kind,
// id) of the claim's customer in batches, all in one transaction, while the
// fetch claim c holds the customer's lease (else ErrLeaseLost, nothing written).
func (s *Store) UpsertMasterEntities(ctx context.Context, c Claim, entities []MasterEntity) error {
	if len(entities) == 0 {
		return nil
	}
	rows := make([]masterEntityRow, len(entities))
	for i, e := range entities {
		if e.CustomerID != c.CustomerID {
			return fmt.Errorf("upsert master entities: customer %s under the lease of %s: %w", e.CustomerID, c.CustomerID, ErrLeaseLost)
		}
		rows[i] = masterEntityRow{CustomerID: e.CustomerID, Kind: e.Kind, ID: e.ID, ParentID: e.ParentID, Name: e.Name, Deleted: e.Deleted}
	}
	err := s.underLease(ctx, c, func(tx *gorm.DB, _ time.Time) error {
		return tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "customer_id"}, {Name: "kind"}, {Name: "entity_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"parent_id", "name", "deleted"}),
		}).CreateInBatches(rows, masterBatch).Error
	})
	if err != nil {
		return fmt.Errorf("upsert master entities: %w", mapErr(err))
	}
	return nil
}

// MasterEntities calls fn for every entity of a customer, ordered by kind and
// id, reading in pages so fn may use the Store. An error from fn stops the
// walk and is returned as is.
func (s *Store) MasterEntities(ctx context.Context, customerID string, fn func(MasterEntity) error) error {
	var lastKind, lastID string
	for {
		q := s.conn(ctx).Where("customer_id = ?", customerID)
		if lastKind != "" || lastID != "" {
			q = q.Where("(kind > ? OR (kind = ? AND entity_id > ?))", lastKind, lastKind, lastID)
		}
		var rows []masterEntityRow
		if err := q.Order("kind, entity_id").Limit(masterBatch).Find(&rows).Error; err != nil {
			return fmt.Errorf("master entities %s: %w", customerID, mapErr(err))
		}
		for _, r := range rows {
			if err := fn(MasterEntity{CustomerID: r.CustomerID, Kind: r.Kind, ID: r.ID, ParentID: r.ParentID, Name: r.Name, Deleted: r.Deleted}); err != nil {
				return err
			}
		}
		if len(rows) < masterBatch {
			return nil
		}
		lastKind, lastID = rows[len(rows)-1].Kind, rows[len(rows)-1].ID
	}
}

// MasterState returns the time stored for a customer's master item (for
// example the last successful download); the zero time when none was stored.
func (s *Store) MasterState(ctx context.Context, customerID, item string) (time.Time, error) {
	var rows []masterStateRow
	if err := s.conn(ctx).Where("customer_id = ? AND item = ?", customerID, item).Limit(1).Find(&rows).Error; err != nil {
		return time.Time{}, fmt.Errorf("master state %s/%s: %w", customerID, item, mapErr(err))
	}
	if len(rows) == 0 {
		return time.Time{}, nil
	}
	return rows[0].At.UTC(), nil
}

// SetMasterState stores t for a master item of the claim's customer, while the
// fetch claim c holds the customer's lease (else ErrLeaseLost, nothing written).
func (s *Store) SetMasterState(ctx context.Context, c Claim, item string, t time.Time) error {
	row := masterStateRow{CustomerID: c.CustomerID, Item: item, At: utc(t)}
	err := s.underLease(ctx, c, func(tx *gorm.DB, _ time.Time) error {
		return tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "customer_id"}, {Name: "item"}},
			DoUpdates: clause.AssignmentColumns([]string{"at"}),
		}).Create(&row).Error
	})
	if err != nil {
		return fmt.Errorf("set master state %s/%s: %w", c.CustomerID, item, mapErr(err))
	}
	return nil
}
