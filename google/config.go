package google

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/api/option"
	"google.golang.org/api/option/internaloption"
	"google.golang.org/api/sheets/v4"
	htransport "google.golang.org/api/transport/http"
)

// Defaults for Config's zero fields.
const (
	// DefaultMaxRequestBytes is the payload budget per request; Google
	// recommends about 2 MB.
	DefaultMaxRequestBytes = 2 << 20
	// DefaultWritesPerMinute is Google's per-user write quota.
	DefaultWritesPerMinute = 60
	// DefaultReadsPerMinute is Google's per-user read quota.
	DefaultReadsPerMinute = 60
	// DefaultMaxRetries bounds retries of 5xx answers (quota answers are
	// retried until the context ends).
	DefaultMaxRetries = 6
	// DefaultBackoffBase is the first retry delay.
	DefaultBackoffBase = time.Second
	// DefaultStatusTab is the tab recording each tab's last successful sync.
	DefaultStatusTab = "naversync status"
	// DefaultScrubDays is how often every value of a kept block is read
	// back: once in this many days.
	DefaultScrubDays = 30
)

// sheetsEndpoint is Google's Sheets API base URL (sheets/v4's basePath).
const sheetsEndpoint = "https://sheets.googleapis.com/"

// Config configures a Writer. The zero value writes to Google with
// application default credentials.
type Config struct {
	// Endpoint is the API's base URL; "" means Google's. It is normalised
	// once: a trailing "/" is ensured and a trailing "v4/" stripped (the
	// client adds "v4/" itself).
	Endpoint string
	// CredentialsFile is a service-account JSON key. When empty and Endpoint
	// is set, requests are sent without authentication (a stand-in server).
	CredentialsFile string
	// HTTPClient, when set, is used as is (it must carry any authentication
	// itself; option.WithHTTPClient overrides credentials).
	HTTPClient *http.Client
	// Logger receives debug and warning lines; nil discards.
	Logger *slog.Logger
	// Now is the clock (for the status tab when Status.SyncedAt is zero).
	Now func() time.Time
	// MaxRequestBytes is the payload budget per batchUpdate; default 2 MiB.
	MaxRequestBytes int
	// Budget paces every request (reads and writes, first tries and
	// retries) against the identity's quota and is held after a 429. nil:
	// a LocalBudget of this Writer's own with ReadsPerMinute and
	// WritesPerMinute; replicas sharing an identity pass one shared Budget.
	Budget Budget
	// WritesPerMinute and ReadsPerMinute are the default Budget's pace;
	// default 60 each, Google's per-user quota. Unused when Budget is set.
	WritesPerMinute, ReadsPerMinute int
	// MaxRetries is how often a 5xx answer is retried with truncated
	// exponential backoff and jitter; default 6. A negative value disables
	// those retries. A quota answer (429 RESOURCE_EXHAUSTED) is retried with
	// the same backoff (Retry-After honoured) for as long as the call's
	// context lasts, whatever MaxRetries says: quota is a wait, never a
	// failure.
	MaxRetries int
	// BackoffBase is the first retry delay, doubled per attempt and capped
	// at 64 times itself; default 1s.
	BackoffBase time.Duration
	// StatusTab names the sync-status tab; default "naversync status".
	StatusTab string
	// ScrubDays: before an incremental write, every value (not only the
	// key columns) of the kept blocks whose turn it is is read back and
	// compared with what was written, each block once in ScrubDays days
	// (chosen by its key and the clock), so that a figure a person typed
	// over is found within ScrubDays days; default DefaultScrubDays, 1:
	// every block at every write, negative: never.
	ScrubDays int
	// ServiceAccountEmail is the identity reported by ServiceAccountEmail when no credentials
	// file names one: the caller a stand-in server sees (its requests carry no token).
	ServiceAccountEmail string
}

// Writer writes tables to Google Sheets. It is safe for concurrent use;
// writes to the same spreadsheet are serialized.
type Writer struct {
	svc      *sheets.Service
	hc       *http.Client // svc's authenticated client, also used for raw batchUpdates
	base     string       // svc's base URL, ending in "/"
	email    string
	log      *slog.Logger
	now      func() time.Time
	maxBytes int
	retries  int
	backoff  time.Duration
	status   string
	scrub    int // ScrubDays; 0: never
	budget   Budget
	// limitCells is Google's cell limit, LimitCells (tests may lower it).
	limitCells int64

	mu    sync.Mutex
	locks map[string]chan struct{} // spreadsheet id -> 1-slot semaphore
	// unfold holds the spreadsheets whose next write reads the whole
	// spreadsheet rather than in one folded request (readFolded): Google
	// refused a write planned on a folded read.
	unfold sync.Map

	quotaAnswers atomic.Uint64 // 429 / RESOURCE_EXHAUSTED answers received, retried or not
}

// QuotaAnswers is how many quota answers (429 or RESOURCE_EXHAUSTED) Google gave this Writer's
// requests since it was made, those retried included: a rising count means the project's
// Sheets quota is being spent faster than Google grants it.
func (w *Writer) QuotaAnswers() uint64 { return w.quotaAnswers.Load() }

// NewWriter builds a Writer; it reads the credentials file but makes no request.
func NewWriter(ctx context.Context, cfg Config) (*Writer, error) {
	w := &Writer{
		log:        cfg.Logger,
		now:        cfg.Now,
		maxBytes:   cfg.MaxRequestBytes,
		retries:    cfg.MaxRetries,
		backoff:    cfg.BackoffBase,
		status:     cfg.StatusTab,
		scrub:      cfg.ScrubDays,
		email:      cfg.ServiceAccountEmail,
		locks:      map[string]chan struct{}{},
		limitCells: LimitCells,
	}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	if w.now == nil {
		w.now = time.Now
	}
	if w.maxBytes <= 0 {
		w.maxBytes = DefaultMaxRequestBytes
	}
	if w.retries == 0 {
		w.retries = DefaultMaxRetries
	} else if w.retries < 0 {
		w.retries = 0
	}
	if w.backoff <= 0 {
		w.backoff = DefaultBackoffBase
	}
	if w.status == "" {
		w.status = DefaultStatusTab
	}
	if w.scrub == 0 {
		w.scrub = DefaultScrubDays
	} else if w.scrub < 0 {
		w.scrub = 0
	}
	w.budget = cfg.Budget
	if w.budget == nil {
		w.budget = NewLocalBudget(Quota{Reads: cfg.ReadsPerMinute, Writes: cfg.WritesPerMinute})
	}

	opts := []option.ClientOption{option.WithScopes(sheets.SpreadsheetsScope)}
	if cfg.Endpoint != "" {
		opts = append(opts, option.WithEndpoint(NormalizeEndpoint(cfg.Endpoint)))
	}
	switch {
	case cfg.CredentialsFile != "":
		key, err := os.ReadFile(cfg.CredentialsFile)
		if err != nil {
			return nil, fmt.Errorf("google: read credentials: %w", err)
		}
		var sa struct {
			Type        string `json:"type"`
			ClientEmail string `json:"client_email"`
		}
		if err := json.Unmarshal(key, &sa); err != nil {
			return nil, fmt.Errorf("google: parse credentials %s: %w", cfg.CredentialsFile, err)
		}
		if sa.Type != "service_account" || sa.ClientEmail == "" {
			return nil, fmt.Errorf("google: credentials %s: not a service-account key (type %q)", cfg.CredentialsFile, sa.Type)
		}
		w.email = strings.ToLower(strings.TrimSpace(sa.ClientEmail))
		opts = append(opts, option.WithAuthCredentialsJSON(option.ServiceAccount, key))
	case cfg.Endpoint != "":
		opts = append(opts, option.WithoutAuthentication())
	}
	if cfg.HTTPClient != nil {
		opts = append(opts, option.WithHTTPClient(cfg.HTTPClient))
	}
	// One authenticated client serves both the typed client (reads and
	// small requests) and the hand-encoded batchUpdate bodies (batch.go), so
	// it is built here with sheets.NewService's own defaults and handed to it.
	opts = append(opts,
		internaloption.WithDefaultEndpoint(sheetsEndpoint),
		internaloption.WithDefaultEndpointTemplate("https://sheets.UNIVERSE_DOMAIN/"),
		internaloption.WithDefaultMTLSEndpoint("https://sheets.mtls.googleapis.com/"),
		internaloption.EnableNewAuthLibrary(),
	)
	hc, endpoint, err := htransport.NewClient(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("google: sheets http client: %w", err)
	}
	if endpoint == "" {
		endpoint = sheetsEndpoint
	}
	svc, err := sheets.NewService(ctx, option.WithHTTPClient(hc), option.WithEndpoint(endpoint))
	if err != nil {
		return nil, fmt.Errorf("google: sheets client: %w", err)
	}
	w.svc, w.hc, w.base = svc, hc, svc.BasePath
	return w, nil
}

// NormalizeEndpoint turns a configured endpoint into the base URL the client
// expects: with a trailing "/" and without a trailing "v4/".
func NormalizeEndpoint(endpoint string) string {
	e := strings.TrimSpace(endpoint)
	if !strings.HasSuffix(e, "/") {
		e += "/"
	}
	return strings.TrimSuffix(e, "v4/")
}

// ServiceAccountEmail is the client_email of the service-account key, the
// address users must share their spreadsheets with; "" without a key.
func (w *Writer) ServiceAccountEmail() string { return w.email }

// lock serializes writes to one spreadsheet; it honours ctx while waiting.
func (w *Writer) lock(ctx context.Context, id string) (unlock func(), err error) {
	w.mu.Lock()
	ch := w.locks[id]
	if ch == nil {
		ch = make(chan struct{}, 1)
		w.locks[id] = ch
	}
	w.mu.Unlock()
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
