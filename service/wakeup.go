package service

import (
	"context"
	"sync"
)

// wakeup lets idle workers sleep until something may have become runnable: a sync enqueued, a
// lease released, a fetch finished — on this replica or (PostgreSQL NOTIFY) on another. Each pool
// (fetch, process) has one token: an event wakes one idle worker of each pool, not all of them
// (all would race for the same sync). A worker that found work passes the token on, so a burst of
// runnable syncs wakes workers one after another; a token sent while every worker is busy waits
// in the channel for the next one to look.
type wakeup struct {
	fetch, process chan struct{}
}

func newWakeup() *wakeup {
	return &wakeup{fetch: make(chan struct{}, 1), process: make(chan struct{}, 1)}
}

// broadcast signals both pools.
func (w *wakeup) broadcast() {
	signal(w.fetch)
	signal(w.process)
}

// signal leaves a token in ch unless one is already there.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// run forwards the store's wake-ups to the pools until ctx ends.
func (w *wakeup) run(ctx context.Context, src <-chan struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-src:
			if !ok {
				return
			}
			w.broadcast()
		}
	}
}

// broker fans sync snapshots out to live followers (Server-Sent Events) in this process.
type broker struct {
	mu   sync.Mutex
	subs map[string]map[chan struct{}]struct{}
}

func newBroker() *broker { return &broker{subs: map[string]map[chan struct{}]struct{}{}} }

// subscribe returns a channel that receives a tick whenever the sync changes here; cancel ends it.
func (b *broker) subscribe(id string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	b.mu.Lock()
	if b.subs[id] == nil {
		b.subs[id] = map[chan struct{}]struct{}{}
	}
	b.subs[id][ch] = struct{}{}
	b.mu.Unlock()
	return ch, func() {
		b.mu.Lock()
		delete(b.subs[id], ch)
		if len(b.subs[id]) == 0 {
			delete(b.subs, id)
		}
		b.mu.Unlock()
	}
}

// publish notes that sync id changed (and "*" listeners: every change).
func (b *broker) publish(id string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, key := range []string{id, "*"} {
		for ch := range b.subs[key] {
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	}
}
