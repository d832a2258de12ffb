package store

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"gorm.io/gorm"
)

// Clock shifts the time a Store keeps. The store's time is the database's clock (PostgreSQL's
// clock_timestamp(); SQLite runs inside this process, so there it is the process's real clock,
// whatever Options.Now says) plus the Clock's offset. Leases and claims are compared with that time inside the transactions that
// take, renew and check them, so replicas whose own clocks drift still agree on who holds what.
//
// Production leaves the offset at zero (a nil *Clock). Tests start time at a chosen instant with
// NewClock (from there it runs on in real time, so heartbeats, tickers and expiries still move)
// and jump it with Advance; every Store of one test world shares one Clock, as replicas share one
// database.
type Clock struct {
	offset atomic.Int64 // nanoseconds added to the database's clock
}

// NewClock returns a Clock whose time is start now and runs on in real time.
func NewClock(start time.Time) *Clock {
	c := &Clock{}
	c.offset.Store(int64(time.Until(start)))
	return c
}

// Advance moves the clock's time forward by d (backward for a negative d).
func (c *Clock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// Offset is what the clock adds to the database's time; zero for a nil Clock.
func (c *Clock) Offset() time.Duration {
	if c == nil {
		return 0
	}
	return time.Duration(c.offset.Load())
}

// Now is the clock's time as this host sees it: the host's clock plus the offset. Parts that run
// without a store (the simulators in tests) read it; the engine reads Store.Now.
func (c *Clock) Now() time.Time { return time.Now().Add(c.Offset()) }

// Now is the store's time as well as this host can tell without asking the database: the host's
// clock (Options.Now) corrected by the difference to the database's clock measured at the last
// round trip that read it (opening, every lease and claim transaction, Ping). The engine takes
// "today", timestamps and schedules from it, so one replica with a wrong clock neither files days
// under the wrong date nor fires the refresh at the wrong hour.
func (s *Store) Now() time.Time {
	return s.hostNow().Add(time.Duration(s.skew.Load()) + s.clock.Offset()).UTC()
}

// ClockSkew is how far the database's clock was ahead of this host's (Options.Now) at the last
// round trip that read it: negative when the host's clock is ahead. Store.Now corrects by it.
func (s *Store) ClockSkew() time.Duration { return time.Duration(s.skew.Load()) }

// now is Now at PostgreSQL's resolution, so values round-trip identically on both dialects.
func (s *Store) now() time.Time { return s.Now().Truncate(time.Microsecond) }

// dbNow reads the database's time (plus the clock's offset) on tx, and refreshes the estimate of
// how far this host's clock is off. Lease and claim decisions use it, never the host's clock.
func (s *Store) dbNow(tx *gorm.DB) (time.Time, error) {
	before := s.hostNow()
	var t time.Time
	if s.dialect == DialectPostgres {
		if err := tx.Raw("SELECT clock_timestamp()").Scan(&t).Error; err != nil {
			return time.Time{}, fmt.Errorf("database time: %w", err)
		}
	} else {
		t = time.Now() // SQLite runs in this process: its clock is the process's real one
	}
	after := s.hostNow()
	s.skew.Store(int64(t.Sub(before.Add(after.Sub(before) / 2))))
	return t.Add(s.clock.Offset()).UTC().Truncate(time.Microsecond), nil
}

// syncClock measures the host's clock against the database's (at open and on Ping).
func (s *Store) syncClock(ctx context.Context) error {
	_, err := s.dbNow(s.conn(ctx))
	return err
}
