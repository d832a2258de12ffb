package navertest

import (
	"context"
	"io"
	"math"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// RateLimit makes the server refuse a customer's calls beyond a rate, as
// Naver does (docs/naver-api.md, "Limits and errors"): HTTP 429
// {"code":429,"status":429,"title":...} without Retry-After. Every call
// counts, downloads included; a refused call uses no allowance. A customer
// that draws PenaltyAfter 429s within PenaltyWindow has been bursting: all
// its calls are refused for Penalty (Naver asks clients to pause at least
// five minutes after a burst).
type RateLimit struct {
	// PerSecond is the allowed calls per second of one customer; 0 none.
	PerSecond float64
	// Burst is how many calls may arrive at once; default PerSecond/4
	// (at least 1): Naver measures below a second.
	Burst int
	// PenaltyAfter, PenaltyWindow and Penalty: defaults 5, 10 s and 5 min.
	PenaltyAfter  int
	PenaltyWindow time.Duration
	Penalty       time.Duration
}

func (l RateLimit) withDefaults() RateLimit {
	if l.Burst <= 0 {
		l.Burst = max(1, int(math.Ceil(l.PerSecond/4)))
	}
	if l.PenaltyAfter <= 0 {
		l.PenaltyAfter = 5
	}
	if l.PenaltyWindow <= 0 {
		l.PenaltyWindow = 10 * time.Second
	}
	if l.Penalty <= 0 {
		l.Penalty = 5 * time.Minute
	}
	return l
}

// costs holds what calls and downloads cost per customer.
type costs struct {
	mu       sync.Mutex
	limit    RateLimit
	link     int64
	per      map[string]*customerCosts
	zips     map[string][]byte // zipped files already made (bandwidth.go)
	zipped   map[string]bool   // files zipped at least once
	zipBytes int64
}

type customerCosts struct {
	calls        *rate.Limiter
	link         *rate.Limiter
	recent       []time.Time // 429s within the penalty window
	penaltyUntil time.Time
	stats        LimitStats
}

// LimitStats counts what the rate limit and the link did to one customer.
type LimitStats struct {
	// Limited is the number of 429 answers; Penalties how many times the
	// customer was put in the penalty for a burst of them.
	Limited, Penalties int
	// DownloadBytes are the body bytes of downloads sent (zipped or not).
	DownloadBytes int64
}

func newCosts(o Options) *costs {
	return &costs{limit: o.RateLimit.withDefaults(), link: o.LinkBytesPerSecond, per: make(map[string]*customerCosts),
		zips: make(map[string][]byte), zipped: make(map[string]bool)}
}

// of returns the customer's costs. Called with c.mu held.
func (c *costs) of(id string) *customerCosts {
	cc := c.per[id]
	if cc == nil {
		cc = &customerCosts{}
		c.per[id] = cc
	}
	if cc.calls == nil && c.limit.PerSecond > 0 {
		cc.calls = rate.NewLimiter(rate.Limit(c.limit.PerSecond), c.limit.Burst)
	}
	if cc.link == nil && c.link > 0 {
		cc.link = rate.NewLimiter(rate.Limit(c.link), linkChunk(c.link))
	}
	return cc
}

// linkChunk is how many bytes a download sends at a time on a link of bps:
// a fiftieth of a second's worth, between 1 KiB and 64 KiB.
func linkChunk(bps int64) int {
	return int(min(max(bps/50, 1<<10), 64<<10))
}

// SetRateLimit changes the rate limit of every customer (counts so far are
// kept).
func (s *Server) SetRateLimit(l RateLimit) {
	s.costs.mu.Lock()
	defer s.costs.mu.Unlock()
	s.costs.limit = l.withDefaults()
	for _, cc := range s.costs.per {
		cc.calls = nil
	}
}

// SetLink changes every customer's download link (bytes per second; 0
// unlimited).
func (s *Server) SetLink(bytesPerSecond int64) {
	s.costs.mu.Lock()
	defer s.costs.mu.Unlock()
	s.costs.link = bytesPerSecond
	for _, cc := range s.costs.per {
		cc.link = nil
	}
}

// LimitStats returns what the rate limit and the link did to customerID.
func (s *Server) LimitStats(customerID string) LimitStats {
	s.costs.mu.Lock()
	defer s.costs.mu.Unlock()
	return s.costs.of(customerID).stats
}

// rateLimited answers 429 when the customer is over its rate or in a
// penalty; it reports whether it answered.
func (s *Server) rateLimited(c *call) bool {
	k := s.costs
	k.mu.Lock()
	if k.limit.PerSecond <= 0 {
		k.mu.Unlock()
		return false
	}
	now := s.now()
	cc := k.of(c.customer.ID)
	if !now.Before(cc.penaltyUntil) && cc.calls.AllowN(now, 1) {
		k.mu.Unlock()
		return false
	}
	cc.stats.Limited++
	if !now.Before(cc.penaltyUntil) {
		keep := cc.recent[:0]
		for _, t := range cc.recent {
			if now.Sub(t) < k.limit.PenaltyWindow {
				keep = append(keep, t)
			}
		}
		cc.recent = append(keep, now)
		if len(cc.recent) >= k.limit.PenaltyAfter {
			cc.recent = cc.recent[:0]
			cc.penaltyUntil = now.Add(k.limit.Penalty)
			cc.stats.Penalties++
		}
	}
	k.mu.Unlock()
	if !pause(c.r.Context(), s.opts.Latency) {
		return true
	}
	writeJSON(c, http.StatusTooManyRequests, map[string]any{
		"code": 429, "status": 429, "title": "Cannot handle the request. Too many requests already exist.",
	})
	return true
}

// linkWriter sends a download through the customer's link: chunk by chunk,
// each when the link has room for it, flushed so that it travels at once.
type linkWriter struct {
	ctx   context.Context
	w     io.Writer
	flush func()
	link  *rate.Limiter // nil: unlimited
	chunk int
	sent  int64
}

func (s *Server) linkWriter(c *call) *linkWriter {
	k := s.costs
	k.mu.Lock()
	cc := k.of(c.customer.ID)
	lw := &linkWriter{ctx: c.r.Context(), w: c.w, flush: c.w.Flush, link: cc.link}
	if cc.link != nil {
		lw.chunk = cc.link.Burst()
	}
	k.mu.Unlock()
	return lw
}

func (l *linkWriter) Write(p []byte) (int, error) {
	if l.link == nil {
		n, err := l.w.Write(p)
		l.sent += int64(n)
		return n, err
	}
	written := 0
	for len(p) > 0 {
		n := min(len(p), l.chunk)
		if err := l.link.WaitN(l.ctx, n); err != nil {
			return written, err
		}
		m, err := l.w.Write(p[:n])
		written += m
		l.sent += int64(m)
		if err != nil {
			return written, err
		}
		l.flush()
		p = p[n:]
	}
	return written, nil
}

// done adds the bytes sent to the customer's count.
func (s *Server) linkDone(c *call, l *linkWriter) {
	s.costs.mu.Lock()
	defer s.costs.mu.Unlock()
	s.costs.of(c.customer.ID).stats.DownloadBytes += l.sent
}
