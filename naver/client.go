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
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
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
	// HTTPClient sends requests; default a client with a 60 s timeout.
	HTTPClient *http.Client
	// Now is the clock used for X-Timestamp and rate-limit bookkeeping;
	// default time.Now.
	Now func() time.Time
	// Logger receives failed calls (with Naver's transaction id); default
	// discards.
	Logger *slog.Logger
	// RatePerSecond and Burst bound calls per customer id (each customer
	// has its own limiter); defaults 10 and 10.
	RatePerSecond float64
	Burst         int
	// PollMin and PollMax bound the capped exponential backoff between
	// polls of a building job; defaults 500 ms and 5 s.
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
	// burst of rate-limit answers (5 within 10 s); default 1 min. Other
	// customers are not affected.
	RateLimitPause time.Duration
}

// Client talks to the Naver Search Ad API. It is safe for concurrent use.
type Client struct {
	base    *url.URL
	baseStr string
	http    *http.Client
	now     func() time.Time
	log     *slog.Logger
	opts    Options

	mu    sync.Mutex
	gates map[string]*customerGate
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
		opts.HTTPClient = &http.Client{Timeout: 60 * time.Second}
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
	if opts.Burst <= 0 {
		opts.Burst = 10
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
		opts.RateLimitPause = time.Minute
	}
	return &Client{
		base:    u,
		baseStr: opts.BaseURL,
		http:    opts.HTTPClient,
		now:     opts.Now,
		log:     opts.Logger,
		opts:    opts,
		gates:   make(map[string]*customerGate),
	}, nil
}

// customerGate holds one customer's limiter and rate-limit pause.
type customerGate struct {
	limiter *rate.Limiter

	mu          sync.Mutex
	recent      []time.Time // times of recent rate-limit answers
	pausedUntil time.Time
}

func (c *Client) gate(customerID string) *customerGate {
	c.mu.Lock()
	defer c.mu.Unlock()
	g, ok := c.gates[customerID]
	if !ok {
		g = &customerGate{limiter: rate.NewLimiter(rate.Limit(c.opts.RatePerSecond), c.opts.Burst)}
		c.gates[customerID] = g
	}
	return g
}

// PausedUntil reports until when calls for customerID are held after a burst
// of rate-limit answers; the zero time if they are not.
func (c *Client) PausedUntil(customerID string) time.Time {
	g := c.gate(customerID)
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.pausedUntil.After(c.now()) {
		return g.pausedUntil
	}
	return time.Time{}
}

// wait blocks until the customer may send one more request.
func (c *Client) wait(ctx context.Context, g *customerGate) error {
	for {
		g.mu.Lock()
		d := g.pausedUntil.Sub(c.now())
		g.mu.Unlock()
		if d <= 0 {
			break
		}
		if err := sleep(ctx, d); err != nil {
			return err
		}
	}
	return g.limiter.Wait(ctx)
}

// noteRateLimited records a rate-limit answer and pauses the customer after
// a burst. It reports whether a pause began.
func (c *Client) noteRateLimited(g *customerGate) bool {
	now := c.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	keep := g.recent[:0]
	for _, t := range g.recent {
		if now.Sub(t) < rateLimitBurstWindow {
			keep = append(keep, t)
		}
	}
	g.recent = append(keep, now)
	if len(g.recent) >= rateLimitBurstCount {
		g.recent = g.recent[:0]
		g.pausedUntil = now.Add(c.opts.RateLimitPause)
		return true
	}
	return false
}

// send performs one signed HTTP request through the customer's limiter. The
// signature is computed over signPath with a fresh timestamp. A non-2xx
// answer is returned as an error (and logged); on success the caller owns
// the response body. counter, when not nil, is incremented per request sent.
func (c *Client) send(ctx context.Context, cred Credentials, method, rawURL, signPath string, body []byte, counter *int) (*http.Response, error) {
	g := c.gate(cred.CustomerID)
	if err := c.wait(ctx, g); err != nil {
		return nil, fmt.Errorf("naver: %s %s: %w", method, signPath, err)
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, rd)
	if err != nil {
		return nil, fmt.Errorf("naver: %s %s: %w", method, signPath, err)
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
		if ctx.Err() != nil {
			return nil, fmt.Errorf("naver: %s %s: %w", method, signPath, ctx.Err())
		}
		err = fmt.Errorf("naver: %s %s: %w: %w", method, signPath, ErrTransport, scrubURLError(err))
		c.log.LogAttrs(ctx, slog.LevelWarn, "naver call failed",
			slog.String("customer_id", cred.CustomerID), slog.String("method", method),
			slog.String("path", signPath), slog.String("error", err.Error()))
		return nil, err
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	apiErr := newAPIError(resp, method, signPath, sig)
	resp.Body.Close()
	if errors.Is(apiErr, ErrRateLimited) && c.noteRateLimited(g) {
		c.log.LogAttrs(ctx, slog.LevelWarn, "naver rate-limit burst: pausing customer",
			slog.String("customer_id", cred.CustomerID), slog.Duration("pause", c.opts.RateLimitPause))
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
