package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// customerRateRow is the call rate learned for one Naver customer id: the
// naver client's adaptive rate, kept here so that every replica, and the
// next sync, start from it.
type customerRateRow struct {
	CustomerID string    `gorm:"primaryKey"`
	Rate       float64   `gorm:"not null"`
	UpdatedAt  time.Time `gorm:"not null"`
}

func (customerRateRow) TableName() string { return "customer_rates" }

// CustomerRate returns the call rate (per second) learned for customerID;
// ok is false when none was saved.
func (s *Store) CustomerRate(ctx context.Context, customerID string) (rate float64, ok bool, err error) {
	var row customerRateRow
	err = s.conn(ctx).Where("customer_id = ?", customerID).Take(&row).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return 0, false, nil
	case err != nil:
		return 0, false, fmt.Errorf("customer rate %s: %w", customerID, mapErr(err))
	}
	return row.Rate, true, nil
}

// SetCustomerRate saves the call rate learned for customerID (the last
// writer wins: each replica saves what it just learned).
func (s *Store) SetCustomerRate(ctx context.Context, customerID string, rate float64) error {
	row := customerRateRow{CustomerID: customerID, Rate: rate, UpdatedAt: s.now()}
	err := s.conn(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "customer_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"rate", "updated_at"}),
	}).Create(&row).Error
	if err != nil {
		return fmt.Errorf("set customer rate %s: %w", customerID, mapErr(err))
	}
	return nil
}
