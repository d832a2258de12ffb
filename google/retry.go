package google

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"google.golang.org/api/googleapi"
)

// call runs fn, pacing every request (reads and writes, each retry too) with
// the Writer's Budget and retrying quota and server errors with truncated
// exponential backoff and jitter; after a 429 the identity's budget is held
// for the delay (at least Google's Retry-After), so every user of the budget
// (other workers, other replicas) waits it out too. It returns the number
// of requests made and fn's last error (unclassified).
//
// Server errors (5xx) are retried at most w.retries times. Quota answers
// (429 RESOURCE_EXHAUSTED) are retried without that cap, for as long as ctx
// lasts: quota is a wait, not a failure (Google's quotas refill every
// minute), and a sync must not fail nor use an attempt because of it. A
// wait that ctx ends returns ctx's error wrapping the last answer, so that
// callers can still tell it was quota (ErrQuota after classify).
//
// applied, when not nil, is asked before each retry whether the failed
// request took effect anyway (a 5xx may come after Google applied a
// batch): a batch that inserts rows or deletes a tab must not be applied
// twice. If it did, call returns success; if the check fails, the request
// is retried.
func (w *Writer) call(ctx context.Context, write bool, fn func() error, applied func() (bool, error)) (int, error) {
	kind := KindRead
	if write {
		kind = KindWrite
	}
	for attempt := 0; ; attempt++ {
		if err := w.budget.Take(ctx, w.identity(), kind); err != nil {
			return attempt, fmt.Errorf("google: waiting for the %s budget: %w", kind, err)
		}
		err := fn()
		if ge := (*googleapi.Error)(nil); errors.As(err, &ge) && isQuota(ge) {
			w.quotaAnswers.Add(1)
		}
		if err == nil || !retryable(err) || attempt >= w.retries && !quotaAnswer(err) {
			return attempt + 1, err
		}
		d := w.delay(attempt, err)
		if quotaAnswer(err) {
			// The whole Retry-After, not the capped delay: other workers and replicas
			// must not spend the identity's quota before Google refills it.
			if herr := w.budget.Hold(ctx, w.identity(), kind, max(d, retryAfter(err))); herr != nil {
				w.log.WarnContext(ctx, "google: could not hold the budget after a 429", "error", herr)
			}
		}
		w.log.WarnContext(ctx, "google: retrying sheets request", "attempt", attempt+1, "delay", d, "error", err)
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return attempt + 1, fmt.Errorf("%w (last answer: %w)", ctx.Err(), err)
		}
		if applied != nil {
			done, cerr := applied()
			if cerr != nil {
				w.log.WarnContext(ctx, "google: could not check whether a failed batch was applied", "error", cerr)
			} else if done {
				w.log.InfoContext(ctx, "google: a failed batch had been applied; not sending it again", "error", err)
				return attempt + 1, nil
			}
		}
	}
}

// delay is base*2^attempt capped at 64*base, half of it jittered; a
// Retry-After header (in seconds) from Google is honoured up to the cap, or
// up to a minute (quota's window) for a quota answer.
func (w *Writer) delay(attempt int, err error) time.Duration {
	limit := 64 * w.backoff
	retryAfterCap := limit
	if quotaAnswer(err) {
		retryAfterCap = max(limit, time.Minute)
	}
	d := w.backoff << min(attempt, 6)
	if d > limit || d <= 0 {
		d = limit
	}
	d = d/2 + rand.N(d/2+1)
	if ra := retryAfter(err); ra > 0 {
		d = max(d, min(ra, retryAfterCap))
	}
	return d
}

// retryAfter is the Retry-After header (in seconds) of Google's answer; 0
// without one.
func retryAfter(err error) time.Duration {
	var ge *googleapi.Error
	if errors.As(err, &ge) && ge.Header != nil {
		if s, perr := strconv.Atoi(ge.Header.Get("Retry-After")); perr == nil && s > 0 {
			return time.Duration(s) * time.Second
		}
	}
	return 0
}

// identity is the Budget's key for this Writer: its service account's e-mail
// in lower case.
func (w *Writer) identity() string { return strings.ToLower(w.email) }

// quotaAnswer reports whether err is Google's quota answer (429
// RESOURCE_EXHAUSTED): retried for as long as the caller's context lasts.
func quotaAnswer(err error) bool {
	var ge *googleapi.Error
	return errors.As(err, &ge) && isQuota(ge)
}
