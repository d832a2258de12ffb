package naver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultBaseURL is the Naver Search Ad API endpoint.
const DefaultBaseURL = "https://api.searchad.naver.com"

// Burst of rate-limit answers after which one customer is paused.
const (
	rateLimitBurstCount  = 5
	rateLimitBurstWindow = 10 * time.Second
)

// Options configure a [Client]. The zero value is usable.
type Options struct {
	// BaseURL of the API; default DefaultBaseURL. A trailing slash is trimmed.
	BaseURL string
	// HTTPClient sends requests; default a client over NewTransport, with
	// no total timeout (which would also bound reading a large download).
	HTTPClient *http.Client
	// Now is the clock used for X-Timestamp and rate-limit bookkeeping;
	// default time.Now.
	Now func() time.Time
	// Logger receives failed calls (with Naver's transaction id); default
	// discards.
	Logger *slog.Logger
	// RatePerSecond is the pace of calls a customer starts at when no
	// rate was learned for it; default 10 (Naver's usual limit for report
	// calls). Each customer id has its own adaptive rate (see rate.go):
	// it rises while Naver answers without 429, up to MaxRatePerSecond
	// (default 30, at least RatePerSecond), and drops at once on a 429.
	RatePerSecond, MaxRatePerSecond float64
	// Burst is how many calls an idle customer may start at once; default
	// 1: calls are paced one interval apart.
	Burst int
	// RateMemory keeps each customer's learned rate between syncs (and
	// replicas); nil keeps it in this client only.
	RateMemory RateMemory
	// StallTimeout cuts an answer whose body brings no byte for this long
	// (a transport error, retried); default 30 s. A slow download that
	// progresses is never cut.
	StallTimeout time.Duration
	// TempDir holds a zipped download until its archive is checked;
	// default os.TempDir().
	TempDir string
	// PollMin and PollMax bound the waits before polls of a building job;
	// defaults 500 ms and 5 s. The first poll's wait is learned between
	// them (see poll.go); later ones back off from a quarter of it.
	PollMin, PollMax time.Duration
	// PollTimeout is how long a job may keep building before the fetch
	// gives up with ErrNotReady; default 15 min.
	PollTimeout time.Duration
	// MaxAttempts bounds attempts of one HTTP operation on transient
	// failures (429/1016/5xx/transport); default 5. Auth is never retried.
	MaxAttempts int
	// RetryMin and RetryMax bound the exponential backoff (with jitter)
	// between such attempts; defaults 200 ms and 10 s.
	RetryMin, RetryMax time.Duration
	// RateLimitPause is how long one customer's calls are held after a
	// burst of rate-limit answers (5 within 10 s); default 5 min, as Naver
	// asks after a burst. Other customers are not affected.
	RateLimitPause time.Duration
	// ClockSlack is how far Naver's clock (the regTm of a job) may be from ours; default 1 min
	// (Naver refuses requests signed further off, so a client whose calls succeed is within
	// about that).
	ClockSlack time.Duration
	// CreateWindow is how long after a create was sent the job it made may register: the
	// create's own timeout plus ClockSlack; default the HTTP client's Timeout (2 min when it
	// has none) plus ClockSlack. Only a job registered within it is ever taken for the answer
	// of a create whose answer was lost (see AdoptWindow).
	CreateWindow time.Duration
}

// Client talks to the Naver Search Ad API. It is safe for concurrent use.
type Client struct {
	base    *url.URL
	baseStr string
	http    *http.Client
	now     func() time.Time
	log     *slog.Logger
	opts    Options

	polls *pollDelays

	mu     sync.Mutex
	pacers map[string]*pacer
}

// NewClient returns a client with opts' zero fields set to their defaults.
func NewClient(opts Options) (*Client, error) {
	if opts.BaseURL == "" {
		opts.BaseURL = DefaultBaseURL
	}
	opts.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	u, err := url.Parse(opts.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("naver: base URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("naver: base URL %q: want http(s)://host", opts.BaseURL)
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Transport: NewTransport(TransportOptions{})}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.RatePerSecond <= 0 {
		opts.RatePerSecond = 10
	}
	if opts.MaxRatePerSecond <= 0 {
		opts.MaxRatePerSecond = 30
	}
	opts.MaxRatePerSecond = max(opts.MaxRatePerSecond, opts.RatePerSecond)
	if opts.Burst <= 0 {
		opts.Burst = 1
	}
	if opts.StallTimeout <= 0 {
		opts.StallTimeout = 30 * time.Second
	}
	if opts.TempDir == "" {
		opts.TempDir = os.TempDir()
	}
	if opts.PollMin <= 0 {
		opts.PollMin = 500 * time.Millisecond
	}
	if opts.PollMax < opts.PollMin {
		opts.PollMax = max(5*time.Second, opts.PollMin)
	}
	if opts.PollTimeout <= 0 {
		opts.PollTimeout = 15 * time.Minute
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 5
	}
	if opts.RetryMin <= 0 {
		opts.RetryMin = 200 * time.Millisecond
	}
	if opts.RetryMax < opts.RetryMin {
		opts.RetryMax = max(10*time.Second, opts.RetryMin)
	}
	if opts.RateLimitPause <= 0 {
		opts.RateLimitPause = 5 * time.Minute
	}
	if opts.ClockSlack <= 0 {
		opts.ClockSlack = regTimeSlack
	}
	if opts.CreateWindow <= 0 {
		timeout := opts.HTTPClient.Timeout
		if timeout <= 0 {
			timeout = 2 * time.Minute
		}
		opts.CreateWindow = timeout + opts.ClockSlack
	}
	return &Client{
		base:    u,
		baseStr: opts.BaseURL,
		http:    opts.HTTPClient,
		now:     opts.Now,
		log:     opts.Logger,
		opts:    opts,
		pacers:  make(map[string]*pacer),
		polls:   newPollDelays(opts.PollMin, opts.PollMax),
	}, nil
}

// PausedUntil reports until when calls for customerID are held after a burst
// of rate-limit answers; the zero time if they are not.
func (c *Client) PausedUntil(customerID string) time.Time {
	p := c.pacer(customerID)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pausedUntil.After(c.now()) {
		return p.pausedUntil
	}
	return time.Time{}
}

// send performs one signed HTTP request through the customer's limiter. The
// signature is computed over signPath with a fresh timestamp. A non-2xx
// answer is returned as an error (and logged); on success the caller owns
// the response body. counter, when not nil, is incremented per request sent.
func (c *Client) send(ctx context.Context, cred Credentials, method, rawURL, signPath string, body []byte, counter *int, header ...string) (*http.Response, error) {
	// With a Gate (the engine's lease holder), the wait for the rate limiter and the request
	// end when the gate lapses, whatever ctx does, and nothing is sent that the gate refuses
	// right before the request would leave.
	gctx, ungate := gated(ctx)
	p := c.pacer(cred.CustomerID)
	tk, err := p.acquire(gctx)
	if err != nil {
		ungate()
		return nil, fmt.Errorf("naver: %s %s: %w", method, signPath, causeOf(gctx, err))
	}
	ended := func() {}
	if g := gateOf(ctx); g != nil {
		done, err := g.Admit(gctx, method == http.MethodPost)
		if err != nil {
			ungate()
			return nil, fmt.Errorf("naver: %s %s not sent: %w", method, signPath, causeOf(gctx, err))
		}
		ended = done
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	// The request has its own context so that a stalled answer can be cut;
	// the body's Close (or a failure here) ends it.
	rctx, cancelReq := context.WithCancelCause(gctx)
	var once sync.Once
	cancel := func(cause error) {
		cancelReq(cause)
		once.Do(func() { ungate(); ended() })
	}
	req, err := http.NewRequestWithContext(rctx, method, rawURL, rd)
	if err != nil {
		cancel(nil)
		return nil, fmt.Errorf("naver: %s %s: %w", method, signPath, err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	ts := c.now().UnixMilli()
	sig := Sign(cred.SecretKey, ts, method, signPath)
	req.Header.Set("X-Timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("X-API-KEY", cred.APIKey)
	req.Header.Set("X-Customer", cred.CustomerID)
	req.Header.Set("X-Signature", sig)
	if body != nil {
		req.Header.Set("Content-Type", "application/json;charset=UTF-8")
	}
	if counter != nil {
		*counter++
	}
	resp, err := c.http.Do(req)
	if err != nil {
		lapsed := context.Cause(gctx)
		cancel(nil)
		if ctx.Err() != nil {
			return nil, fmt.Errorf("naver: %s %s: %w", method, signPath, ctx.Err())
		}
		if errors.Is(lapsed, ErrDeadline) {
			return nil, fmt.Errorf("naver: %s %s: %w", method, signPath, lapsed)
		}
		err = fmt.Errorf("naver: %s %s: %w: %w", method, signPath, ErrTransport, scrubURLError(err))
		c.log.LogAttrs(ctx, slog.LevelWarn, "naver call failed",
			slog.String("customer_id", cred.CustomerID), slog.String("method", method),
			slog.String("path", signPath), slog.String("error", err.Error()))
		return nil, err
	}
	guardBody(resp, cancel, c.opts.StallTimeout)
	limited := resp.StatusCode == http.StatusTooManyRequests
	var apiErr error
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		apiErr = newAPIError(resp, method, signPath, sig)
		resp.Body.Close()
		limited = errors.Is(apiErr, ErrRateLimited)
	}
	save, paused := p.answered(tk, limited)
	if save > 0 {
		c.remember(ctx, cred.CustomerID, save)
	}
	if limited {
		st := p.snapshot()
		c.log.LogAttrs(ctx, slog.LevelInfo, "naver rate limited: rate lowered",
			slog.String("customer_id", cred.CustomerID), slog.Float64("rate", st.Rate), slog.Float64("limit", st.Limit))
	}
	if paused {
		c.log.LogAttrs(ctx, slog.LevelWarn, "naver rate-limit burst: pausing customer",
			slog.String("customer_id", cred.CustomerID), slog.Duration("pause", c.opts.RateLimitPause))
	}
	if apiErr == nil {
		return resp, nil
	}
	var ae *APIError
	errors.As(apiErr, &ae)
	c.log.LogAttrs(ctx, slog.LevelWarn, "naver call failed",
		slog.String("customer_id", cred.CustomerID), slog.String("method", method),
		slog.String("path", signPath), slog.Int("http_status", ae.HTTPStatus),
		slog.Int("code", ae.Code), slog.String("transaction_id", ae.TransactionID),
		slog.String("error", ae.Error()))
	return nil, apiErr
}

// causeOf is the cause of gctx's end when the gate lapsed (ErrDeadline), else err.
func causeOf(gctx context.Context, err error) error {
	if cause := context.Cause(gctx); errors.Is(cause, ErrDeadline) && !errors.Is(err, ErrDeadline) {
		return cause
	}
	return err
}

// scrubURLError drops the URL from a *url.Error: download URLs carry an
// auth token that does not belong in logs.
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// retry runs op up to MaxAttempts times while it fails with a retryable
// error, sleeping with capped exponential backoff and jitter between tries.
func (c *Client) retry(ctx context.Context, op func() error) error {
	var err error
	for attempt := 1; ; attempt++ {
		err = op()
		if err == nil || !retryable(err) || attempt >= c.opts.MaxAttempts {
			return err
		}
		d := c.backoff(attempt)
		var rl *RateLimitError
		if errors.As(err, &rl) && rl.RetryAfter > d {
			d = rl.RetryAfter
		}
		if serr := sleep(ctx, d); serr != nil {
			return errors.Join(err, serr)
		}
	}
}

// backoff returns the wait before attempt+1: RetryMin·2^(attempt-1), capped
// at RetryMax, of which the upper half is random.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.opts.RetryMin
	for i := 1; i < attempt && d < c.opts.RetryMax; i++ {
		d *= 2
	}
	d = min(d, c.opts.RetryMax)
	half := d / 2
	return half + rand.N(half+1)
}

// doJSON sends a JSON request to path (relative to BaseURL) with retries and
// decodes a 2xx JSON answer into out (if out is not nil). It returns the
// final HTTP status.
func (c *Client) doJSON(ctx context.Context, cred Credentials, method, path string, in, out any, counter *int) (int, error) {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return 0, fmt.Errorf("naver: %s %s: %w", method, path, err)
		}
	}
	status := 0
	err := c.retry(ctx, func() error {
		resp, err := c.send(ctx, cred, method, c.baseStr+path, path, body, counter)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		status = resp.StatusCode
		if out == nil || resp.StatusCode == http.StatusNoContent {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
			return nil
		}
		if err := json.NewDecoder(io.LimitReader(resp.Body, maxJSONBody)).Decode(out); err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("naver: %s %s: %w", method, path, ctx.Err())
			}
			return fmt.Errorf("naver: %s %s: decode answer: %w", method, path, err)
		}
		return nil
	})
	return status, err
}

// maxJSONBody bounds a successful JSON answer (a list of 100 jobs is ~30 KB).
const maxJSONBody = 8 << 20

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
