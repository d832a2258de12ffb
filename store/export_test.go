package store

import "context"

// ExecForTest runs a statement on the store's database (tests that set up old schemas).
func (s *Store) ExecForTest(ctx context.Context, q string, args ...any) error {
	return s.conn(ctx).Exec(q, args...).Error
}
