package service

import (
	"context"
	"sync"
	"time"
)

// Pacing of the change feed.
const (
	// changePollInterval is how often the feed asks the database for changed syncs.
	changePollInterval = time.Second
	// changeOverlap: each look reads the syncs finished since this long before the previous
	// look, so that a finish committed late, or stamped by a replica whose clock lags, is seen.
	changeOverlap = 5 * time.Second
	// changeBatch bounds the syncs read per look (the most recently changed first).
	changeBatch = 5000
	// followFallback is how often a follower reads its sync even when no change was announced
	// (insurance against a change the feed missed).
	followFallback = 30 * time.Second
)

// changeFeed tells this replica's followers (event streams) about changes made by any replica.
// While at least one follower exists, one goroutine reads every changePollInterval the syncs in
// flight and those finished lately (indexed: it costs the same however many finished syncs are
// stored) and publishes those that changed to the broker, so that followers wait for changes
// instead of each polling the database. Changes made in this process are published at once by
// the code that makes them.
type changeFeed struct {
	mu    sync.Mutex
	users int
	stop  context.CancelFunc
	done  chan struct{}
}

// watchChanges keeps the change feed running until release is called.
func (s *Service) watchChanges() (release func()) {
	f := &s.feed
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users++
	if f.users == 1 {
		if f.done != nil {
			<-f.done // the previous run is ending
		}
		ctx, cancel := context.WithCancel(context.Background())
		f.stop, f.done = cancel, make(chan struct{})
		go s.runChangeFeed(ctx, f.done)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			f.mu.Lock()
			defer f.mu.Unlock()
			if f.users--; f.users == 0 {
				f.stop()
			}
		})
	}
}

// runChangeFeed publishes the syncs that changed, until ctx ends. Each look reads the syncs not
// finished and those finished lately (changeOverlap before the previous look), and publishes
// those whose last change differs from what the previous look saw.
func (s *Service) runChangeFeed(ctx context.Context, done chan struct{}) {
	defer close(done)
	// The first look publishes what changed shortly before the feed started (a follower may have
	// read its sync just before such a change); later looks what changed since the previous one.
	seen := map[string]time.Time{}
	startedAt := s.now().Add(-changeOverlap)
	first := true
	t := time.NewTicker(changePollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rows, err := s.store.RecentSyncChanges(ctx, s.now().Add(-changePollInterval-changeOverlap), changeBatch)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("change feed", "err", err)
			}
			continue
		}
		now := make(map[string]time.Time, len(rows))
		for _, r := range rows {
			now[r.ID] = r.UpdatedAt
			at, ok := seen[r.ID]
			if (first && !r.UpdatedAt.Before(startedAt)) || (!first && (!ok || !at.Equal(r.UpdatedAt))) {
				s.events.publish(r.ID)
			}
		}
		seen, first = now, false
	}
}
