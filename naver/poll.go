package naver

import (
	"sync"
	"time"
)

// pollDelays learns when to look at a new job first. Every status poll
// costs a call of the customer's rate, so the first poll should come when
// the job is most likely built, not at a fixed short delay: the delay grows
// by a fifth when the first poll finds the job still building and shrinks
// by a twentieth when it finds it done, which settles where about four
// first polls in five find the job done (the 80th percentile of build
// times). Later polls of a job come after a quarter of that delay, doubling.
// One delay is kept per kind of job (stat, master), shared by all customers:
// build times are Naver's, not the account's.
type pollDelays struct {
	min, max time.Duration

	mu sync.Mutex
	d  map[string]time.Duration
}

func newPollDelays(min, max time.Duration) *pollDelays {
	return &pollDelays{min: min, max: max, d: make(map[string]time.Duration)}
}

// first is the wait before the first poll of a job of kind.
func (p *pollDelays) first(kind string) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if d, ok := p.d[kind]; ok {
		return d
	}
	return p.min
}

// seen records what the first poll of a job of kind found.
func (p *pollDelays) seen(kind string, building bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	d, ok := p.d[kind]
	if !ok {
		d = p.min
	}
	if building {
		d += d / 5
	} else {
		d -= d / 20
	}
	p.d[kind] = min(max(d, p.min), p.max)
}

// then is the wait before poll number polls+1 of a job (polls ≥ 1 were made).
func (p *pollDelays) then(kind string, polls int) time.Duration {
	d := p.first(kind) / 4
	for i := 1; i < polls && d < p.max; i++ {
		d *= 2
	}
	return min(max(d, p.min/4, time.Millisecond), p.max)
}
