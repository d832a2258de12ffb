package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/naversync/naversync/google"
	"github.com/naversync/naversync/naver"
	"github.com/naversync/naversync/store"
)

// workLoop claims and does work until ctx ends. When there was nothing to claim it sleeps until
// its pool's token arrives (a sync enqueued, a lease released, a fetch finished, here or on another
// replica) or, as a fallback, until the poll interval passes.
func (s *Service) workLoop(ctx context.Context, claim func() (work func(), err error), token chan struct{}, what, owner string) {
	for ctx.Err() == nil {
		work, err := claim()
		if err != nil && ctx.Err() == nil {
			s.log.Warn(what, "owner", owner, "err", err)
		}
		if work != nil {
			signal(token) // there may be more: let the next idle worker look while this one works
			work()
			continue
		}
		timer := time.NewTimer(s.cfg.PollInterval)
		select {
		case <-ctx.Done():
		case <-token: // a token sent during the claim is still here: no wake-up is lost
		case <-timer.C:
		}
		timer.Stop()
	}
}

// work is what one pool does with a claimed sync; run is the lifecycle both pools share.
type work struct {
	// do does the work under the guard's context, which ends when the claim is lost, could
	// lapse, or the sync's cancel was requested.
	do func(ctx context.Context, g *guard) error
	// finish records success, fenced by the claim.
	finish func(ctx context.Context) error
	// requeueStatus and shutdownMessage describe a sync sent back by a shutdown.
	shutdownMessage string
}

// run is the one lifecycle of a claimed sync, for fetch and processing workers alike: a guard
// keeps the claim alive while the work runs, then the outcome is written, fenced by the claim:
// success, a requested cancel, a shutdown (back to the queue, resumable), a wait for Naver's job
// cap, a retryable failure, or a failure for good. A worker whose claim was lost writes nothing:
// the store refuses its writes, and it says so in the log.
func (s *Service) run(ctx context.Context, sy store.Sync, c store.Claim, claimedAt time.Time, w work) {
	log := s.log.With("sync_id", sy.ID, "customer_id", sy.CustomerID, "owner", c.Owner, "claim", string(c.Kind), "token", c.Token)
	busy := s.met.busy.WithLabelValues(string(c.Kind))
	busy.Inc()
	defer busy.Dec()
	g := s.newGuard(c, claimedAt, log)
	wctx, stop := g.start(ctx)
	err := w.do(wctx, g)
	// A sheet write that ended waiting for Google's quota (whatever ended it: the claim's
	// deadline, a shutdown) uses no attempt of the sync.
	quota := errors.Is(err, google.ErrQuota)
	if cause := context.Cause(wctx); errors.Is(cause, errLeaseLost) || errors.Is(cause, errCancelRequest) || err == nil && cause != nil {
		// A call aborted by a lost claim or a cancel failed because of that, not on its own.
		err = cause
	}
	if errors.Is(err, naver.ErrDeadline) && !errors.Is(err, errLeaseLost) {
		// A Naver call refused or cut by the guard: the claim could lapse, whatever else ended.
		err = fmt.Errorf("%w: %w", errLeaseLost, err)
	}
	stop()
	log.Debug("claim work ended", "err", err)

	// Writes below use a context that outlives a shutdown, so the claim is given back and the
	// sync left resumable even when the process is stopping.
	bg, done := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer done()
	var werr error
	var f Failure
	if err != nil {
		f = classify(err)
	}
	switch {
	case err == nil:
		werr = w.finish(bg)
	case f.Outcome == OutcomeLeaseLost:
		// The claim may still be ours if only our deadline passed (the database was slow):
		// then the sync is requeued; if another worker holds it, that is refused. The customer
		// is not freed before this worker's Naver calls have ended: when some were cut in
		// flight (Naver may still be working on them), the lease is kept to its expiry, the
		// margin between the deadline and the expiry being theirs.
		// Cut calls end on this side at once; the wait is bounded by the lease's expiry.
		dctx, undrain := context.WithDeadline(bg, g.Deadline().Add(s.cfg.LeaseMargin))
		cut := g.drain(dctx)
		undrain()
		log.Warn("claim lost; stopped", "err", err, "calls_cut", cut)
		werr = s.store.RequeueSync(bg, c, store.Requeue{Kind: string(f.Kind), Message: "stopped: " + err.Error(), KeepLease: cut > 0, NoAttempt: quota})
	case f.Outcome == OutcomeCanceled:
		if werr = s.store.CancelClaimed(bg, c); werr == nil {
			s.met.syncsDone.WithLabelValues(StatusCanceled).Inc()
			log.Info("canceled")
		}
	case f.Outcome == OutcomeWaitNaverJobs:
		var full *naverJobsFull
		errors.As(err, &full)
		werr = s.waitNaverJobs(bg, sy, c, full, log)
	case f.Outcome == OutcomeWaitQuota:
		// Google's quota refills every minute; the writer already waited as long as the claim
		// allowed. Back to the queue, after RetryBase, without using an attempt.
		log.Warn("sheet write ended waiting for Google's quota; sync requeued, no attempt used", "err", err)
		werr = s.store.RequeueSync(bg, c, store.Requeue{RunAfter: s.now().Add(s.cfg.RetryBase), Kind: string(f.Kind),
			Message: "waiting for Google's quota: " + err.Error(), NoAttempt: true})
	case f.Outcome == OutcomeRefetch:
		werr = s.store.RequeueSync(bg, c, store.Requeue{Refetch: true, Kind: string(f.Kind), Message: err.Error() + "; fetching them again"})
	case ctx.Err() != nil:
		werr = s.store.RequeueSync(bg, c, store.Requeue{Kind: string(KindShutdown), Message: w.shutdownMessage, NoAttempt: quota})
		log.Info("shutdown; sync requeued, claim given back")
	default:
		werr = s.failOrRetry(bg, sy, c, err, f, log)
	}
	if werr != nil {
		if errors.Is(werr, store.ErrLeaseLost) {
			log.Warn("a worker that lost its claim tried to write; refused, nothing changed", "err", werr)
		} else {
			log.Error("record outcome", "err", werr)
		}
		if c.Kind == store.ClaimFetch && !(errors.Is(err, errLeaseLost) && g.cutCalls() > 0) {
			// Fenced by the token: frees the customer at once if the lease is still ours.
			if rerr := s.store.ReleaseLease(bg, c.Lease()); rerr != nil && !errors.Is(rerr, store.ErrLeaseLost) {
				log.Warn("release lease", "err", rerr)
			}
		}
	}
	s.wake.broadcast()
	s.events.publish(sy.ID)
}

// failOrRetry records a failure classify judged OutcomeRetry or OutcomeFail: retries go back to
// the claim's queue with backoff while attempts remain, the rest fail the sync with a message a
// user can act on.
func (s *Service) failOrRetry(ctx context.Context, sy store.Sync, c store.Claim, err error, f Failure, log *slog.Logger) error {
	kind, msg := f.Kind, f.Message
	s.met.naverErrors.WithLabelValues(string(kind)).Inc()
	// Fetch attempts count the sync's fetch claims; processing attempts its processing claims
	// (the claim token grows by one per claim), so a failure of either kind ends after
	// MaxAttempts tries.
	attempts := sy.Attempts
	if c.Kind == store.ClaimProcess {
		attempts = int(c.Token - sy.FreeClaims) // claims that waited for Google's quota are free
	}
	if f.Outcome == OutcomeRetry && attempts < sy.MaxAttempts {
		delay := retryDelay(s.cfg.RetryBase, attempts)
		log.Warn("transient failure; will retry", "kind", kind, "err", err, "attempt", attempts, "retry_in", delay)
		return s.store.RequeueSync(ctx, c, store.Requeue{RunAfter: s.now().Add(delay), Kind: string(kind), Message: msg})
	}
	log.Error("sync failed", "kind", kind, "err", err, "attempt", attempts)
	if ferr := s.store.FailSync(ctx, c, string(kind), msg); ferr != nil {
		return ferr
	}
	if kind == KindAuth {
		if aerr := s.store.SetAccountError(ctx, sy.AccountID, msg); aerr != nil {
			log.Error("set account error", "err", aerr)
		}
	}
	s.met.syncsDone.WithLabelValues(StatusFailed).Inc()
	return nil
}

// guard keeps a claim alive while its work runs. It renews the claim every TTL/3 and cancels
// the work when a renewal is refused (the claim was taken over), when the sync's cancel was
// requested, or when the claim could have lapsed. That deadline comes from this process's own
// monotonic clock: when the last successful renewal (or the claim) was sent, plus the TTL,
// minus a margin; never from the database's expires_at, which may be read late. So no Naver
// call (and no sheet write) leaves after the claim could be another worker's, whatever the
// database does.
type guard struct {
	s     *Service
	claim store.Claim
	log   *slog.Logger
	ttl   time.Duration

	mu       sync.Mutex
	deadline time.Time     // monotonic
	extended chan struct{} // closed and replaced whenever the deadline moves

	// lapsed is closed when the claim is lost or could lapse (not on a shutdown or a cancel
	// request, which end the work but not the right to call Naver): no Naver request may be
	// in flight after it (naver.Gate).
	lapsed    chan struct{}
	lapseOnce sync.Once
	inFlight  int           // Naver requests sent and not ended (under mu)
	drained   chan struct{} // closed and replaced whenever inFlight drops to zero
	cut       int           // requests in flight when the claim lapsed
}

func (s *Service) newGuard(c store.Claim, sent time.Time, log *slog.Logger) *guard {
	return &guard{s: s, claim: c, log: log, ttl: s.cfg.LeaseTTL,
		deadline: sent.Add(s.cfg.LeaseTTL - s.cfg.LeaseMargin), extended: make(chan struct{}), lapsed: make(chan struct{}),
		drained: make(chan struct{})}
}

// lapse marks the claim lost (or could lapse): Naver calls in flight are cut, no more are sent.
func (g *guard) lapse() {
	g.lapseOnce.Do(func() {
		g.mu.Lock()
		g.cut = g.inFlight
		g.mu.Unlock()
		close(g.lapsed)
	})
}

// drain waits until every Naver request sent under the claim has ended on this side (those in
// flight were cut when it lapsed), or ctx ends. It returns how many were in flight when the
// claim lapsed: Naver may still be working on those.
func (g *guard) drain(ctx context.Context) int {
	for {
		g.mu.Lock()
		n, drained, cut := g.inFlight, g.drained, g.cut
		g.mu.Unlock()
		if n == 0 {
			return cut
		}
		select {
		case <-ctx.Done():
			g.log.Warn("Naver calls still in flight after the claim was lost", "in_flight", n)
			return cut
		case <-drained:
		}
	}
}

// cutCalls is how many Naver requests were in flight when the claim lapsed.
func (g *guard) cutCalls() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.cut
}

// Lapsed is done once the claim was lost or could lapse (naver.Gate).
func (g *guard) Lapsed() <-chan struct{} { return g.lapsed }

// Admit lets a Naver request go only while the claim is held (naver.Gate), checked where the
// request is actually sent: after the rate limiter's wait, on every retry, on contexts that
// outlive the work's (a master job's delete). A create needs a call's budget left before the
// deadline (waiting for a renewal if need be); any other request, time before it.
func (g *guard) Admit(ctx context.Context, creates bool) (func(), error) {
	need := time.Duration(0)
	if creates {
		need = g.s.callBudget()
	}
	for {
		g.mu.Lock()
		left, moved := time.Until(g.deadline), g.extended
		select {
		case <-g.lapsed:
			g.mu.Unlock()
			return nil, fmt.Errorf("%w: %w", naver.ErrDeadline, errLeaseLost)
		default:
		}
		if left > need {
			g.inFlight++
			g.mu.Unlock()
			var once sync.Once
			return func() { once.Do(g.ended) }, nil
		}
		g.mu.Unlock()
		if left <= 0 {
			return nil, fmt.Errorf("%w (%s ago): %w", naver.ErrDeadline, (-left).Round(time.Millisecond), errLeaseLost)
		}
		select {
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		case <-g.lapsed:
		case <-moved:
		}
	}
}

// ended counts a Naver request of the claim as ended.
func (g *guard) ended() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.inFlight--
	if g.inFlight == 0 {
		close(g.drained)
		g.drained = make(chan struct{})
	}
}

// start runs the heartbeat; the returned context ends (with errLeaseLost or errCancelRequest as
// its cause) when the claim is lost, could lapse, or the sync's cancel was requested. stop ends
// the heartbeat and waits for it.
func (g *guard) start(ctx context.Context) (context.Context, func()) {
	wctx, cancelWork := context.WithCancelCause(naver.WithGate(ctx, g))
	// A lost claim also lapses the gate, so that Naver calls on contexts that outlive the
	// work's are cut too.
	cancel := func(cause error) {
		if errors.Is(cause, errLeaseLost) {
			g.lapse()
		}
		cancelWork(cause)
	}
	var expiry *time.Timer
	var check func()
	check = func() {
		g.mu.Lock()
		left := time.Until(g.deadline)
		g.mu.Unlock()
		if left > 0 {
			expiry.Reset(left)
			return
		}
		g.mu.Lock()
		n := g.inFlight
		g.mu.Unlock()
		g.log.Warn("claim could lapse: no renewal succeeded in time; work and Naver calls stopped", "calls_in_flight", n)
		cancel(fmt.Errorf("%w: no renewal succeeded before the claim could lapse", errLeaseLost))
	}
	g.mu.Lock()
	expiry = time.AfterFunc(time.Until(g.deadline), func() { check() })
	g.mu.Unlock()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		g.heartbeat(wctx, cancel)
	}()
	return wctx, func() {
		cancel(nil)
		wg.Wait()
		expiry.Stop()
		g.lapse() // the work is over: nothing more goes out under this claim
	}
}

func (g *guard) heartbeat(ctx context.Context, cancel func(cause error)) {
	t := time.NewTicker(g.ttl / 3)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		sent := time.Now()
		rctx, done := context.WithDeadline(ctx, g.Deadline())
		renewed, cancelRequested, err := g.s.store.Renew(rctx, g.claim, g.ttl)
		done()
		switch {
		case errors.Is(err, store.ErrLeaseLost):
			cancel(fmt.Errorf("%w: %v", errLeaseLost, err))
			return
		case err != nil:
			if ctx.Err() != nil {
				return
			}
			if !failing {
				g.log.Warn("renew claim failed; work stops when the claim could lapse", "err", err, "deadline_in", time.Until(g.Deadline()).Round(time.Millisecond))
			}
			failing = true
			continue
		}
		if failing {
			g.log.Info("claim renewed again")
			failing = false
		}
		g.extend(sent, renewed)
		if cancelRequested {
			cancel(errCancelRequest)
			return
		}
	}
}

// extend moves the deadline to sent+TTL-margin after a renewal sent at sent succeeded.
func (g *guard) extend(sent time.Time, renewed store.Claim) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.claim = renewed
	if d := sent.Add(g.ttl - g.s.cfg.LeaseMargin); d.After(g.deadline) {
		g.deadline = d
		close(g.extended)
		g.extended = make(chan struct{})
	}
}

// Deadline is when the claim could lapse, by this process's clock, less the margin.
func (g *guard) Deadline() time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.deadline
}

// await returns once at least d is left before the deadline (waiting for a renewal if need be),
// or an error when ctx ends first: work that needs d must not start later than that.
func (g *guard) await(ctx context.Context, d time.Duration) error {
	for {
		g.mu.Lock()
		left, moved := time.Until(g.deadline), g.extended
		g.mu.Unlock()
		if left >= d {
			return nil
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-moved:
		}
	}
}

// retryDelay is the wait before retry number attempts+1: base doubled per attempt, at most 10
// minutes, plus up to a quarter of it at random.
func retryDelay(base time.Duration, attempts int) time.Duration {
	d := min(base<<min(attempts, 7), 10*time.Minute)
	return d + jitter(d/4)
}

// jitter is a random duration in [0, d].
func jitter(d time.Duration) time.Duration { return time.Duration(rand.Int64N(int64(d) + 1)) }
