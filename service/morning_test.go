package service

import (
	"testing"
	"time"

	"github.com/naversync/naversync/store"
)

// The morning's expected end is now plus the remaining syncs over the throughput observed since
// the first sync started; unknown before a sync finished, and once none remains.
func TestMorningProgressExpectedEnd(t *testing.T) {
	start := time.Date(2026, 7, 14, 21, 0, 0, 0, time.UTC)
	now := start.Add(10 * time.Minute)
	tally := func(by map[string]int, started *time.Time) store.ScheduledTally {
		return store.ScheduledTally{ByStatus: by, FirstStarted: started}
	}
	// 100 finished (90 done, 8 failed, 2 canceled) in 10 minutes: 10 a minute; 300 remain: 30 minutes.
	p := morningProgress("2026-07-15", tally(map[string]int{
		StatusSucceeded: 90, StatusFailed: 8, StatusCanceled: 2, StatusQueued: 250, StatusFetching: 30, StatusProcessing: 20,
	}, &start), now)
	if p.Planned != 400 || p.Done != 90 || p.Failed != 8 || p.Canceled != 2 || p.Remaining != 300 {
		t.Fatalf("counts %+v", p)
	}
	if p.ExpectedEnd == nil || !p.ExpectedEnd.Equal(now.Add(30*time.Minute)) {
		t.Fatalf("expected end %v, want %v", p.ExpectedEnd, now.Add(30*time.Minute))
	}
	if p.StartedAt == nil || !p.StartedAt.Equal(start) {
		t.Fatalf("started at %v", p.StartedAt)
	}
	// Nothing finished yet: no throughput, no expected end.
	if p := morningProgress("d", tally(map[string]int{StatusFetching: 4, StatusQueued: 10}, &start), now); p.ExpectedEnd != nil || p.Planned != 14 {
		t.Fatalf("before a sync finished: %+v", p)
	}
	// All finished: nothing to expect.
	if p := morningProgress("d", tally(map[string]int{StatusSucceeded: 5}, &start), now); p.ExpectedEnd != nil || p.Remaining != 0 {
		t.Fatalf("all done: %+v", p)
	}
	// No morning at all.
	if p := morningProgress("d", tally(map[string]int{}, nil), now); p.Planned != 0 || p.ExpectedEnd != nil {
		t.Fatalf("no morning: %+v", p)
	}
}
