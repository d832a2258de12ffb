package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// WakeChannel is the PostgreSQL LISTEN/NOTIFY channel replicas share. The
// payload is the notifying store's schema, so stores in other schemas of the
// same database (tests) ignore each other.
const WakeChannel = "naversync_wake"

// Wake returns a channel that receives a value (coalesced, never blocking the
// sender) whenever a sync was enqueued, a lease released or a fetch finished —
// on PostgreSQL by any replica, on SQLite by this Store. On PostgreSQL it also
// receives once each time the listener (re)connects, since notifications may
// have been missed meanwhile. The channel is closed when ctx ends or the
// Store closes. Wake-ups are hints: workers still poll as a fallback.
func (s *Store) Wake(ctx context.Context) <-chan struct{} {
	ch := make(chan struct{}, 1)
	s.wakeMu.Lock()
	if s.closed {
		s.wakeMu.Unlock()
		close(ch)
		return ch
	}
	s.wakeSubs[ch] = struct{}{}
	if s.dialect == DialectPostgres {
		s.listen.Do(func() {
			s.wg.Add(1)
			go s.listenLoop()
		})
	}
	s.wg.Add(1) // under wakeMu: Close cannot be waiting yet
	s.wakeMu.Unlock()

	go func() {
		defer s.wg.Done()
		select {
		case <-ctx.Done():
		case <-s.ctx.Done():
		}
		s.wakeMu.Lock()
		defer s.wakeMu.Unlock()
		if _, ok := s.wakeSubs[ch]; ok {
			delete(s.wakeSubs, ch)
			close(ch)
		}
	}()
	return ch
}

// broadcast wakes every subscriber without blocking.
func (s *Store) broadcast() {
	s.wakeMu.Lock()
	defer s.wakeMu.Unlock()
	for ch := range s.wakeSubs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// notify wakes local subscribers and, on PostgreSQL, the other replicas. It
// runs after the change committed; a failed NOTIFY is only logged because
// workers poll anyway.
func (s *Store) notify(ctx context.Context) {
	s.broadcast()
	if s.dialect != DialectPostgres {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := s.conn(ctx).Exec("SELECT pg_notify(?, ?)", WakeChannel, s.schema).Error; err != nil {
		s.log.WarnContext(ctx, "store: notify failed", "err", err)
	}
}

// listenLoop keeps a dedicated connection LISTENing on WakeChannel until the
// Store closes, reconnecting with capped exponential backoff.
func (s *Store) listenLoop() {
	defer s.wg.Done()
	const minBackoff, maxBackoff = 100 * time.Millisecond, 10 * time.Second
	backoff := minBackoff
	for s.ctx.Err() == nil {
		err := s.listenOnce(func() { backoff = minBackoff })
		if s.ctx.Err() != nil {
			return
		}
		s.log.Warn("store: wake listener disconnected", "err", err, "retry_in", backoff)
		t := time.NewTimer(backoff)
		select {
		case <-s.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

// listenOnce connects, LISTENs, wakes everyone once (to cover what was missed
// while disconnected) and forwards notifications until an error.
func (s *Store) listenOnce(connected func()) error {
	conn, err := pgx.Connect(s.ctx, s.dsn)
	if err != nil {
		return err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = conn.Close(ctx)
	}()
	if _, err := conn.Exec(s.ctx, "LISTEN "+WakeChannel); err != nil {
		return err
	}
	connected()
	s.broadcast()
	for {
		n, err := conn.WaitForNotification(s.ctx)
		if err != nil {
			return err
		}
		if n.Payload == s.schema {
			s.broadcast()
		}
	}
}
