package naver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// TransportOptions tune [NewTransport]. Zero fields take the defaults noted.
type TransportOptions struct {
	// DialTimeout bounds opening a TCP connection; default 10 s.
	DialTimeout time.Duration
	// TLSHandshakeTimeout bounds the TLS handshake; default 10 s.
	TLSHandshakeTimeout time.Duration
	// ResponseHeaderTimeout bounds the wait from the request sent to the
	// answer's headers; default 60 s. The body is not covered: a large
	// download on a slow link may take as long as it needs while it
	// progresses (see Options.StallTimeout).
	ResponseHeaderTimeout time.Duration
	// MaxConnsPerHost bounds connections to Naver; default 0 (no bound).
	// Idle connections kept per host: 64, so that a sync's many calls
	// reuse them instead of dialing anew.
	MaxConnsPerHost int
}

// NewTransport returns the transport the client uses by default: timeouts on
// dialing, the TLS handshake and the response headers, but none on the whole
// exchange, because http.Client.Timeout also covers reading the body and so
// cuts a large download on a slow link on every attempt. A body that stops
// progressing is cut by the client's stall timeout instead.
func NewTransport(o TransportOptions) *http.Transport {
	if o.DialTimeout <= 0 {
		o.DialTimeout = 10 * time.Second
	}
	if o.TLSHandshakeTimeout <= 0 {
		o.TLSHandshakeTimeout = 10 * time.Second
	}
	if o.ResponseHeaderTimeout <= 0 {
		o.ResponseHeaderTimeout = 60 * time.Second
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: o.DialTimeout, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = o.TLSHandshakeTimeout
	t.ResponseHeaderTimeout = o.ResponseHeaderTimeout
	t.MaxIdleConnsPerHost = 64
	t.MaxConnsPerHost = o.MaxConnsPerHost
	return t
}

// ErrStalled is the cause of a transport error when an answer's body brought
// no byte for Options.StallTimeout. It matches ErrTransport (and so is
// retried) when it reaches a caller.
var ErrStalled = errors.New("naver: answer stalled")

// stallGuard cuts a request whose answer body makes no progress for d: the
// request's context is canceled, which unblocks the read. Every read that
// brings bytes starts the wait anew, so a slow but steady body is never cut.
type stallGuard struct {
	body    io.ReadCloser
	cancel  context.CancelCauseFunc
	d       time.Duration
	timer   *time.Timer
	mu      sync.Mutex
	stalled bool
}

// guardBody wraps resp.Body; cancel must cancel the request's context.
func guardBody(resp *http.Response, cancel context.CancelCauseFunc, d time.Duration) {
	g := &stallGuard{body: resp.Body, cancel: cancel, d: d}
	g.timer = time.AfterFunc(d, g.fire)
	resp.Body = g
}

func (g *stallGuard) fire() {
	g.mu.Lock()
	g.stalled = true
	g.mu.Unlock()
	g.cancel(fmt.Errorf("%w: no data for %s", ErrStalled, g.d))
}

func (g *stallGuard) Read(p []byte) (int, error) {
	n, err := g.body.Read(p)
	if n > 0 {
		g.timer.Reset(g.d)
	}
	if err != nil && err != io.EOF {
		g.mu.Lock()
		stalled := g.stalled
		g.mu.Unlock()
		if stalled {
			return n, fmt.Errorf("%w: no data for %s", ErrStalled, g.d)
		}
	}
	return n, err
}

func (g *stallGuard) Close() error {
	g.timer.Stop()
	err := g.body.Close()
	g.cancel(nil)
	return err
}
