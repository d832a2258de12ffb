package naver

import (
	"context"
	"errors"
	"fmt"
)

// ErrDeadline: the caller's time to call Naver for this customer is over (the engine's lease
// on the customer could lapse), so the request was not sent, or was cut while in flight. It is
// never retried. A job whose delete failed so is left to whoever holds the customer next.
var ErrDeadline = errors.New("the holder's deadline for calling Naver has passed")

// Gate bounds the requests of a caller that may call Naver for a customer only until a
// deadline that can move later (the engine's lease holder: each renewal moves it). Set on the
// context of the calls (WithGate), it is consulted where each request is actually sent: after
// the rate limiter's wait and on every retry, whatever context the call runs on (a delete that
// outlives its caller's context included).
type Gate interface {
	// Admit is called right before a request is sent; creates is true for a request that
	// makes a job (whose answer must come back before the deadline). It returns an error
	// wrapping ErrDeadline to keep the request unsent; else the request goes, and done is
	// called once when it has ended (answered and its body closed, failed, or cut). It may
	// wait, bounded by ctx.
	Admit(ctx context.Context, creates bool) (done func(), err error)
	// Lapsed is done once no request may be in flight any more: requests still waiting for
	// the rate limiter or in flight then are cut.
	Lapsed() <-chan struct{}
}

type gateKey struct{}

// WithGate returns ctx carrying g: every request sent with the returned context (or one
// derived from it, even through context.WithoutCancel) passes through g.
func WithGate(ctx context.Context, g Gate) context.Context {
	return context.WithValue(ctx, gateKey{}, g)
}

func gateOf(ctx context.Context) Gate {
	g, _ := ctx.Value(gateKey{}).(Gate)
	return g
}

// gated returns ctx ended (with a cause wrapping ErrDeadline) once ctx's gate lapsed; stop
// releases it. Without a gate it is ctx.
func gated(ctx context.Context) (context.Context, func()) {
	g := gateOf(ctx)
	if g == nil {
		return ctx, func() {}
	}
	gctx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	go func() {
		select {
		case <-g.Lapsed():
			cancel(fmt.Errorf("%w: a request was cut", ErrDeadline))
		case <-done:
		}
	}()
	return gctx, func() { close(done); cancel(nil) }
}
