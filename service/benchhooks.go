package service

import (
	"context"
	"fmt"

	"github.com/naversync/naversync/google"
)

// BuildTable runs the processing path of a fetched sync (its stored report files, parsed and
// aggregated into the on-disk spill, named from the master data) up to the finished sheet
// table, without writing it: the same code as a processing worker runs. It exists for the
// benchmark of processing (package bench), which drains Table.Rows to measure throughput and
// memory. It changes no state; done removes the spill and must be called once the rows are drained.
func (s *Service) BuildTable(ctx context.Context, syncID string) (t google.Table, done func(), err error) {
	sy, err := s.store.GetSync(ctx, syncID)
	if err != nil {
		return google.Table{}, nil, mapStoreErr("build table", err)
	}
	acct, err := s.store.GetAccount(ctx, sy.AccountID)
	if err != nil {
		return google.Table{}, nil, mapStoreErr("build table: account", err)
	}
	bt, err := s.buildTable(ctx, sy, acct, func(int) error { return nil })
	if err != nil {
		return google.Table{}, nil, fmt.Errorf("build table: %w", err)
	}
	return bt.table, bt.spill.close, nil
}
