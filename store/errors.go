package store

import (
	"errors"

	"gorm.io/gorm"
)

var (
	// ErrNotFound means the requested row does not exist (or, for accounts, was deleted).
	ErrNotFound = errors.New("store: not found")
	// ErrLeaseLost means a fenced operation failed: the customer lease (or the
	// processing claim) expired or now belongs to someone else. Nothing was written.
	ErrLeaseLost = errors.New("store: lease lost")
	// ErrConflict means the row is in the wrong state for the operation, for
	// example canceling a sync that already finished.
	ErrConflict = errors.New("store: conflict")
	// ErrDuplicate means a unique key is already taken, for example two live
	// accounts writing the same spreadsheet tab.
	ErrDuplicate = errors.New("store: duplicate")
	// ErrBadCursor means a list cursor was not one the store handed out.
	ErrBadCursor = errors.New("store: bad cursor")
)

// mapErr turns gorm's errors into the package's sentinels, keeping the
// original text in the chain for logs.
func mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound):
		return ErrNotFound
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return ErrDuplicate
	}
	return err
}
