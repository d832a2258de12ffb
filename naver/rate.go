package naver

import (
	"context"
	"log/slog"
	"math"
	"sync"
	"time"
)

// RateMemory keeps the call rate learned for each customer between syncs.
// The store implements it in the database, so that every replica starts
// from what any of them learned.
type RateMemory interface {
	// CustomerRate returns the rate (calls per second) remembered for
	// customerID; ok is false when none is.
	CustomerRate(ctx context.Context, customerID string) (rate float64, ok bool, err error)
	// SetCustomerRate remembers rate for customerID.
	SetCustomerRate(ctx context.Context, customerID string, rate float64) error
}

// The adaptive rate is congestion control as TCP CUBIC does it, applied to
// the rate of calls instead of a window (no source: Naver publishes no
// limit, only that it is set by load, about 10/s for report calls and
// 25–30/s observed, and that 429s must not pile up).
//
//   - A customer seen for the first time starts at Options.RatePerSecond and
//     doubles its rate every second of calls answered without a 429 (slow
//     start), up to Options.MaxRatePerSecond.
//   - A 429 drops the rate at once to rateBeta of the rate that drew it and
//     notes that rate as the limit (less when the limit was seen lower
//     before: the limit moved down). The first 429 of a slow start takes
//     the limit to be the rate of calls accepted over the last second
//     instead (that 429 comes late, when the rate may have overshot). Answers to
//     calls started before the drop do not drop it again: they were sent
//     at the old rate.
//   - From there the rate climbs back along a cubic curve: fast at first,
//     flat as it nears the noted limit (reached after rateRecovery of
//     calling), then probing above it slowly, faster as no 429 comes.
//   - Time on these curves advances with calls answered that had waited for
//     their slot (each adds one interval at the current rate), so the rate
//     of an idle customer, or of one calling less often than it may, does
//     not grow by itself.
//   - The noted limit (or a rate that probed past it) is saved in the
//     RateMemory; a customer seen before starts on the curve a second after
//     a drop, at about 0.92 of it.
const (
	rateBeta       = 0.8
	rateDoubling   = time.Second
	rateRecovery   = 4 * time.Second
	rateMin        = 1.0
	rateSaveEvery  = 5 * time.Second
	rateSaveGrowth = 1.05
	// A customer idle this long reads its learned rate again at its next
	// call: another replica may have learned since.
	rateIdleReload = time.Minute
)

// RateState describes one customer's adaptive rate.
type RateState struct {
	// Rate is the pace of calls now, in calls per second.
	Rate float64
	// Limit is the estimate of Naver's limit: the rate that drew the last
	// 429, or the remembered one; 0 while none is known (slow start).
	Limit float64
	// RateLimited counts 429 (and 1016) answers; Cuts the drops of the rate
	// they caused.
	RateLimited, Cuts int
	// Peak is the highest rate reached.
	Peak float64
}

// pacer paces one customer's calls: each call starts one interval (1/rate)
// after the previous one, the interval taken at the moment the call starts.
type pacer struct {
	id string
	c  *Client

	turn chan struct{} // held by the one caller waiting for the next slot

	mu          sync.Mutex
	loaded      bool
	rate        float64
	limit       float64 // 0: slow start
	t           float64 // seconds of calling on the current curve
	next        time.Time
	lastCall    time.Time
	seq         uint64 // drops so far; a call's ticket carries the value at its start
	saved       float64
	savedAt     time.Time
	recent      []time.Time // recent rate-limit answers
	accepted    []time.Time // answers without 429 in the last second, during slow start
	pausedUntil time.Time
	state       RateState
}

// ticket is what a call took from the pacer.
type ticket struct {
	seq  uint64
	rate float64
	// paced: the call waited for its slot, so the rate was what held it
	// back. Only such calls raise the rate: a customer that calls less
	// often than its rate allows learns nothing about the limit (TCP's
	// window validation).
	paced bool
}

func newPacer(c *Client, id string) *pacer {
	return &pacer{id: id, c: c, turn: make(chan struct{}, 1), rate: c.opts.RatePerSecond}
}

// cubic is the rate after t seconds of calling since a drop below limit.
func cubic(limit, t float64) float64 {
	k := rateRecovery.Seconds()
	x := (t - k) / k
	return limit * (1 + (1-rateBeta)*x*x*x)
}

// startAt sets the state for a customer whose limit is (about) limit: a
// second up the curve that follows a drop, about 0.92 of the limit, where
// it flattens.
func (p *pacer) startAt(limit float64) {
	p.limit = min(limit, p.c.opts.MaxRatePerSecond)
	p.t = rateRecovery.Seconds() / 4
	p.rate = max(rateMin, cubic(p.limit, p.t))
	p.saved = limit
}

// load reads the remembered rate when the customer is new to this client or
// was idle for a while. Called with the turn held.
func (p *pacer) load(ctx context.Context) {
	mem := p.c.opts.RateMemory
	p.mu.Lock()
	stale := p.loaded && mem != nil && p.c.now().Sub(p.lastCall) > rateIdleReload
	need := !p.loaded || stale
	p.mu.Unlock()
	if !need {
		return
	}
	if mem == nil {
		p.mu.Lock()
		p.loaded = true
		p.mu.Unlock()
		return
	}
	r, ok, err := mem.CustomerRate(ctx, p.id)
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case err != nil:
		p.c.log.LogAttrs(ctx, slog.LevelWarn, "naver rate: could not read the learned rate",
			slog.String("customer_id", p.id), slog.String("error", err.Error()))
		if !p.loaded {
			p.loaded = true // go on from the start rate; try again after the next idle spell
		}
		return
	case ok && r > 0:
		p.startAt(r)
		p.c.log.LogAttrs(ctx, slog.LevelInfo, "naver rate: starting from the learned rate",
			slog.String("customer_id", p.id), slog.Float64("learned", r), slog.Float64("rate", p.rate))
	case !p.loaded:
		p.c.log.LogAttrs(ctx, slog.LevelDebug, "naver rate: new customer, slow start",
			slog.String("customer_id", p.id), slog.Float64("rate", p.rate))
	}
	p.loaded = true
	p.state.Peak = max(p.state.Peak, p.rate)
}

// acquire waits until the customer may start one more call.
func (p *pacer) acquire(ctx context.Context) (ticket, error) {
	select {
	case p.turn <- struct{}{}:
	case <-ctx.Done():
		return ticket{}, ctx.Err()
	}
	defer func() { <-p.turn }()
	arrived := p.c.now()
	p.load(ctx)
	for {
		p.mu.Lock()
		now := p.c.now()
		if d := p.pausedUntil.Sub(now); d > 0 {
			p.mu.Unlock()
			if err := sleep(ctx, d); err != nil {
				return ticket{}, err
			}
			continue
		}
		interval := time.Duration(float64(time.Second) / p.rate)
		// An idle customer banks at most Burst-1 intervals (and half of
		// one, for a timer that woke late), so calls never come in a heap.
		slot := p.next
		if floor := now.Add(-time.Duration(p.c.opts.Burst-1)*interval - interval/2); slot.Before(floor) {
			slot = floor
		}
		if !slot.After(now) {
			p.next = slot.Add(interval)
			p.lastCall = now
			tk := ticket{seq: p.seq, rate: p.rate, paced: slot.After(arrived)}
			p.mu.Unlock()
			return tk, nil
		}
		p.mu.Unlock()
		if err := sleep(ctx, slot.Sub(now)); err != nil {
			return ticket{}, err
		}
	}
}

// answered records the answer to a call started with tk: limited when Naver
// refused it for the rate. It returns a rate to remember (0 for none) and
// whether a pause began.
func (p *pacer) answered(tk ticket, limited bool) (save float64, paused bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.c.now()
	ceiling := p.c.opts.MaxRatePerSecond
	if !limited {
		if p.limit == 0 {
			cut := 0
			for cut < len(p.accepted) && now.Sub(p.accepted[cut]) >= time.Second {
				cut++
			}
			p.accepted = append(p.accepted[cut:], now)
		}
		if !tk.paced {
			return 0, false
		}
		p.t += 1 / p.rate
		if p.limit == 0 {
			p.rate = min(ceiling, p.rate*math.Exp2(1/(p.rate*rateDoubling.Seconds())))
		} else {
			p.rate = min(ceiling, max(rateMin, cubic(p.limit, p.t)))
		}
		p.state.Peak = max(p.state.Peak, p.rate)
		// Only a known limit is remembered (a slow start that met no 429
		// learned nothing but a floor), and a rate that probed past it.
		if p.c.opts.RateMemory != nil && p.limit > 0 && p.rate > p.saved*rateSaveGrowth && now.Sub(p.savedAt) >= rateSaveEvery {
			p.saved, p.savedAt = max(p.rate, p.limit), now
			return p.saved, false
		}
		return 0, false
	}
	p.state.RateLimited++
	keep := p.recent[:0]
	for _, t := range p.recent {
		if now.Sub(t) < rateLimitBurstWindow {
			keep = append(keep, t)
		}
	}
	p.recent = append(keep, now)
	if len(p.recent) >= rateLimitBurstCount {
		p.recent = p.recent[:0]
		p.pausedUntil = now.Add(p.c.opts.RateLimitPause)
		paused = true
	}
	if tk.seq != p.seq {
		return 0, paused // sent before the last drop: already answered for
	}
	at := tk.rate
	switch {
	case p.limit == 0:
		// The first 429 of a slow start comes late (Naver lets a few calls
		// over at once), when the rate may have doubled past the limit:
		// the limit is rather the rate of calls Naver accepted over the
		// last second (at least half the rate that drew the 429).
		p.limit = max(at/2, float64(len(p.accepted)), rateMin)
		p.rate = max(rateMin, rateBeta*p.limit)
	case at < p.limit:
		p.limit = at * (1 + rateBeta) / 2 // the limit moved down: make room
		p.rate = max(rateMin, rateBeta*at)
	default:
		p.limit = at
		p.rate = max(rateMin, rateBeta*at)
	}
	p.t = 0
	p.seq++
	p.state.Cuts++
	if later := now.Add(time.Duration(float64(time.Second) / p.rate)); p.next.Before(later) {
		p.next = later
	}
	if p.c.opts.RateMemory == nil {
		return 0, paused
	}
	p.saved, p.savedAt = p.limit, now
	return p.limit, paused
}

// snapshot returns the customer's state.
func (p *pacer) snapshot() RateState {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.state
	s.Rate, s.Limit = p.rate, p.limit
	return s
}

// pacer returns the customer's pacer, made on first use.
func (c *Client) pacer(customerID string) *pacer {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.pacers[customerID]
	if !ok {
		p = newPacer(c, customerID)
		c.pacers[customerID] = p
	}
	return p
}

// CustomerRate returns the state of customerID's adaptive rate; for a
// customer this client has not called yet it first reads the learned rate
// from Options.RateMemory, as its first call would.
func (c *Client) CustomerRate(ctx context.Context, customerID string) (RateState, error) {
	p := c.pacer(customerID)
	select {
	case p.turn <- struct{}{}:
	case <-ctx.Done():
		return RateState{}, ctx.Err()
	}
	p.load(ctx)
	<-p.turn
	return p.snapshot(), nil
}

// remember saves a learned rate; a failure is logged: the rate is still
// used by this client.
func (c *Client) remember(ctx context.Context, customerID string, rate float64) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := c.opts.RateMemory.SetCustomerRate(ctx, customerID, rate); err != nil {
		c.log.LogAttrs(ctx, slog.LevelWarn, "naver rate: could not save the learned rate",
			slog.String("customer_id", customerID), slog.Float64("rate", rate), slog.String("error", err.Error()))
	}
}
