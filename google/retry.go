package google

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"google.golang.org/api/googleapi"
)

// call runs fn, pacing writes with the limiter and retrying quota and server
// errors with truncated exponential backoff and jitter. It returns the number
// of requests made and fn's last error (unclassified).
//
// applied, when not nil, is asked before each retry whether the failed
// request took effect anyway (a 5xx may come after Google applied a
// batch): a batch that inserts rows or deletes a tab must not be applied
// twice. If it did, call returns success; if the check fails, the request
// is retried.
func (w *Writer) call(ctx context.Context, write bool, fn func() error, applied func() (bool, error)) (int, error) {
	for attempt := 0; ; attempt++ {
		if write {
			if err := w.limiter.Wait(ctx); err != nil {
				return attempt, err
			}
		}
		err := fn()
		if err == nil || !retryable(err) || attempt >= w.retries {
			return attempt + 1, err
		}
		d := w.delay(attempt, err)
		w.log.WarnContext(ctx, "google: retrying sheets request", "attempt", attempt+1, "delay", d, "error", err)
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return attempt + 1, fmt.Errorf("%w (last answer: %v)", ctx.Err(), err)
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
// Retry-After header (in seconds) from Google is honoured up to the cap.
func (w *Writer) delay(attempt int, err error) time.Duration {
	limit := 64 * w.backoff
	d := w.backoff << min(attempt, 6)
	if d > limit || d <= 0 {
		d = limit
	}
	d = d/2 + rand.N(d/2+1)
	var ge *googleapi.Error
	if errors.As(err, &ge) && ge.Header != nil {
		if s, perr := strconv.Atoi(ge.Header.Get("Retry-After")); perr == nil && s > 0 {
			d = max(d, min(time.Duration(s)*time.Second, limit))
		}
	}
	return d
}
