package google

import (
	"context"
	"strings"
	"sync"
	"time"
)

// Kind is a Sheets API request's quota metric: Google counts reads and writes
// separately (https://developers.google.com/workspace/sheets/api/limits).
type Kind int

// Request kinds.
const (
	// KindRead: spreadsheets.get, values.get, values.batchGet, getByDataFilter.
	KindRead Kind = iota + 1
	// KindWrite: batchUpdate and values writes.
	KindWrite
)

func (k Kind) String() string {
	switch k {
	case KindRead:
		return "read"
	case KindWrite:
		return "write"
	}
	return "unknown"
}

// Budget paces a Google identity's requests against its quota. The Writer
// calls Take before every request (the first and every retry) with its
// identity (ServiceAccountEmail, lower case), and Hold after a 429, so that
// every user of the identity's budget waits out the answer's Retry-After.
// A Budget shared by several Writers (or replicas, through a database) keeps
// their sum within the quota.
type Budget interface {
	// Take returns when one request of kind may be sent as identity, or
	// with ctx's error.
	Take(ctx context.Context, identity string, kind Kind) error
	// Hold lets no request of kind be sent as identity for the next d (by
	// the budget's own clock, which may not be the Writer's Config.Now).
	Hold(ctx context.Context, identity string, kind Kind, d time.Duration) error
}

// Quota is one identity's request quota: Reads and Writes per Window.
type Quota struct {
	// Reads and Writes per Window; default 60 each, Google's per-user quota.
	Reads, Writes int
	// Window is the quota's period; default one minute (Google's).
	Window time.Duration
	// Guard is added to Window when spacing requests; default Window/60.
	// A request reaches Google a little after it leaves, and not always
	// equally late, so limit+1 requests spaced exactly Window/limit apart
	// could land within one rolling window; spacing them
	// (Window+Guard)/limit apart absorbs a Guard's worth of difference in
	// lateness, at Guard/Window of the throughput.
	Guard time.Duration
}

// WithDefaults fills q's zero fields.
func (q Quota) WithDefaults() Quota {
	if q.Reads <= 0 {
		q.Reads = DefaultReadsPerMinute
	}
	if q.Writes <= 0 {
		q.Writes = DefaultWritesPerMinute
	}
	if q.Window <= 0 {
		q.Window = time.Minute
	}
	if q.Guard <= 0 {
		q.Guard = q.Window / 60
	}
	return q
}

// Gap is the spacing between two requests of kind: (Window+Guard)/limit.
func (q Quota) Gap(kind Kind) time.Duration {
	q = q.WithDefaults()
	n := q.Reads
	if kind == KindWrite {
		n = q.Writes
	}
	return (q.Window + q.Guard) / time.Duration(n)
}

// LocalBudget is an in-process Budget: each (identity, kind) sends one
// request per Quota.Gap, so never more than the limit in any window, rolling
// or fixed. It is the Writer's default (Google's per-user numbers) and knows
// nothing of other processes.
type LocalBudget struct {
	reads, writes time.Duration // spacing between two requests
	now           func() time.Time

	mu   sync.Mutex
	next map[budgetKey]time.Time // earliest time of the next request
}

type budgetKey struct {
	identity string
	kind     Kind
}

// NewLocalBudget paces each identity's reads and writes at q (zero fields:
// Google's per-user quota).
func NewLocalBudget(q Quota) *LocalBudget {
	return &LocalBudget{
		reads:  q.Gap(KindRead),
		writes: q.Gap(KindWrite),
		now:    time.Now,
		next:   map[budgetKey]time.Time{},
	}
}

// Take implements Budget: it reserves the next free slot and sleeps until it.
func (b *LocalBudget) Take(ctx context.Context, identity string, kind Kind) error {
	gap := b.reads
	if kind == KindWrite {
		gap = b.writes
	}
	k := budgetKey{identity, kind}
	b.mu.Lock()
	now := b.now()
	slot := b.next[k]
	if slot.Before(now) {
		slot = now
	}
	b.next[k] = slot.Add(gap)
	b.mu.Unlock()
	return sleepUntil(ctx, slot, b.now)
}

// Hold implements Budget.
func (b *LocalBudget) Hold(_ context.Context, identity string, kind Kind, d time.Duration) error {
	k := budgetKey{identity, kind}
	b.mu.Lock()
	defer b.mu.Unlock()
	if until := b.now().Add(d); until.After(b.next[k]) {
		b.next[k] = until
	}
	return nil
}

// sleepUntil waits until t by now's clock, or returns ctx's error.
func sleepUntil(ctx context.Context, t time.Time, now func() time.Time) error {
	d := t.Sub(now())
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ProjectOf is the Google Cloud project of a service account's e-mail: the
// part between "@" and ".iam.gserviceaccount.com"; "default" for any other
// identity. Google's per-project quota is shared by its service accounts.
func ProjectOf(identity string) string {
	_, domain, ok := strings.Cut(strings.ToLower(identity), "@")
	if p, found := strings.CutSuffix(domain, ".iam.gserviceaccount.com"); ok && found && p != "" {
		return p
	}
	return "default"
}
