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
	// changeOverlap: each look reaches back this far before the newest change seen, so that a
	// change committed late, or stamped by a replica whose clock lags, is still seen.
	changeOverlap = 5 * time.Second
	// changeBatch bounds the changes read per look.
	changeBatch = 1000
	// followFallback is how often a follower reads its sync even when no change was announced
	// (insurance against a change the feed missed).
	followFallback = 30 * time.Second
)

// changeFeed tells this replica's followers (event streams) about changes made by any replica.
// While at least one follower exists, one goroutine asks the database every changePollInterval
// which syncs changed (an indexed range scan that costs the same however many syncs are stored)
// and publishes each to the broker, so that followers wait for changes instead of each polling
// the database. Changes made in this process are published at once by the code that makes them.
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

// runChangeFeed publishes the syncs that changed, until ctx ends.
func (s *Service) runChangeFeed(ctx context.Context, done chan struct{}) {
	defer close(done)
	since := s.cfg.Now().Add(-changeOverlap)
	seen := map[string]time.Time{} // changes already published, within the overlap
	t := time.NewTicker(changePollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rows, err := s.store.ChangedSyncs(ctx, since, changeBatch)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("change feed", "err", err)
			}
			continue
		}
		newest := since
		for _, r := range rows {
			if at, ok := seen[r.ID]; ok && at.Equal(r.UpdatedAt) {
				continue
			}
			seen[r.ID] = r.UpdatedAt
			s.events.publish(r.ID)
			if r.UpdatedAt.After(newest) {
				newest = r.UpdatedAt
			}
		}
		switch {
		case len(rows) == changeBatch:
			since = newest // a burst: move on, so that the next look reads the rest
		case newest.Add(-changeOverlap).After(since):
			since = newest.Add(-changeOverlap)
		}
		for id, at := range seen {
			if at.Before(since) {
				delete(seen, id)
			}
		}
	}
}
