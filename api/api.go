package api

import (
	"context"
	"crypto/sha256"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/naversync/naversync/service"
)

// Service is what the HTTP interface needs of the engine; *service.Service implements it.
type Service interface {
	CreateAccount(ctx context.Context, in service.AccountInput) (service.Account, error)
	GetAccount(ctx context.Context, id string) (service.Account, error)
	ListAccounts(ctx context.Context, limit int, after string) ([]service.Account, string, error)
	UpdateAccount(ctx context.Context, id string, p service.AccountPatch) (service.Account, error)
	DeleteAccount(ctx context.Context, id string) error
	ConsentToReplaceTab(ctx context.Context, id string) (service.Account, error)
	Enqueue(ctx context.Context, req service.SyncRequest) (service.Enqueued, error)
	GetSync(ctx context.Context, id string) (service.Sync, error)
	ListSyncs(ctx context.Context, f service.SyncFilter) ([]service.Sync, string, error)
	CancelSync(ctx context.Context, id string) (service.Sync, error)
	Retry(ctx context.Context, id, idempotencyKey string) (service.Enqueued, error)
	Follow(ctx context.Context, id string, fn func(service.Sync) error) error
	Changes() (<-chan struct{}, func())
	Leases(ctx context.Context) ([]service.Lease, error)
	Ready(ctx context.Context) error
	Gatherer() prometheus.Gatherer
	ServiceAccountEmail() string
	// GoogleIdentities lists the Google identities with their accounts; NextGoogleIdentity is
	// the one a new account gets.
	GoogleIdentities(ctx context.Context) ([]service.GoogleIdentity, error)
	NextGoogleIdentity(ctx context.Context) string
	ServedWindow() (from, to time.Time)
	SchedulerStatus(ctx context.Context) (service.SchedulerStatus, error)
	RunRefreshNow(ctx context.Context) (int, error)
	CheckCredentials(ctx context.Context, in service.CredentialsCheck) error
	CheckSheet(ctx context.Context, in service.SheetCheck) (service.SheetAccess, error)
	ListAudit(ctx context.Context, f service.AuditFilter) ([]service.AuditEntry, string, error)
	SyncDays(ctx context.Context, id string) ([]service.SyncDay, error)
	// WebhookService: the notification targets (webhooks.go).
	WebhookService
	// Now is the service's time (the database's clock), which every answer's Date header
	// carries, so that clients (the console) tell "how long ago" by it rather than by their own.
	Now() time.Time
}

// Defaults for Options' zero fields.
const (
	DefaultMaxBodyBytes   = 64 << 10
	DefaultRequestTimeout = 30 * time.Second
	DefaultHeartbeat      = 15 * time.Second
	// DefaultMaxStreamsPerToken lets about eight console tabs share a token (a tab opens the
	// list stream and up to three sync streams).
	DefaultMaxStreamsPerToken = 32
)

// Options configure the handler. The zero value serves without authentication.
type Options struct {
	// Tokens are the accepted bearer tokens, each "[role:]token" (see ParseToken): a viewer
	// reads, an operator also changes, a plain token has every right. Entries ParseToken
	// refuses are ignored (callers check them with ParseTokens first). Empty turns
	// authentication off (demo mode): every caller has every right.
	Tokens []string
	// Logger receives the access log and internal errors; nil discards.
	Logger *slog.Logger
	// MaxBodyBytes bounds a request body (413 beyond it); default 64 KiB.
	MaxBodyBytes int64
	// RequestTimeout bounds each request except the event stream; default 30s.
	RequestTimeout time.Duration
	// Heartbeat is the interval of comment lines that keep an event stream open through
	// proxies; default 15s.
	Heartbeat time.Duration
	// Version is reported by GET /info; default the main module's version from the build info.
	Version string
	// UI, when set, is served (without authentication, with the full request path) at /ui/,
	// and "/" redirects to it.
	UI http.Handler
	// MaxStreamsPerToken bounds the event streams open at once per bearer token (all
	// unauthenticated clients share one count when authentication is off); beyond it a stream
	// is refused with 429. Default DefaultMaxStreamsPerToken.
	MaxStreamsPerToken int
	// MetricsToken, when set, is required (or one of Tokens) as bearer token by /metrics.
	MetricsToken string
	// Shutdown, when closed, starts the drain: every event stream ends with a final
	// "event: shutdown", new streams are refused with 503 and /readyz answers 503; other
	// requests are still answered.
	Shutdown <-chan struct{}
}

// handler holds the dependencies of the route handlers.
type handler struct {
	svc       Service
	log       *slog.Logger
	tokens    [][sha256.Size]byte
	roles     map[[sha256.Size]byte]service.Role // of each token
	metrics   [][sha256.Size]byte                // tokens /metrics accepts; empty: open
	maxBody   int64
	timeout   time.Duration
	heartbeat time.Duration
	version   string
	inflight  keysInFlight
	streams   streamCounts
	lists     listFeeds
	shutdown  <-chan struct{}
}

// New returns the HTTP handler of the API, serving svc.
func New(svc Service, opts Options) http.Handler {
	h := &handler{
		svc:       svc,
		log:       opts.Logger,
		maxBody:   opts.MaxBodyBytes,
		timeout:   opts.RequestTimeout,
		heartbeat: opts.Heartbeat,
		version:   opts.Version,
		shutdown:  opts.Shutdown,
		streams:   streamCounts{max: opts.MaxStreamsPerToken},
	}
	if h.streams.max <= 0 {
		h.streams.max = DefaultMaxStreamsPerToken
	}
	if h.shutdown == nil {
		h.shutdown = make(chan struct{}) // never closed
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBodyBytes
	}
	if h.timeout <= 0 {
		h.timeout = DefaultRequestTimeout
	}
	if h.heartbeat <= 0 {
		h.heartbeat = DefaultHeartbeat
	}
	if h.version == "" {
		h.version = buildVersion()
	}
	h.roles = map[[sha256.Size]byte]service.Role{}
	for i, entry := range opts.Tokens {
		t, err := ParseToken(entry)
		if err != nil {
			h.log.Warn("API token ignored", "position", i+1, "err", err)
			continue
		}
		sum := sha256.Sum256([]byte(t.Secret))
		h.tokens = append(h.tokens, sum)
		h.roles[sum] = t.Role
	}
	if opts.MetricsToken != "" {
		h.metrics = append([][sha256.Size]byte{sha256.Sum256([]byte(opts.MetricsToken))}, h.tokens...)
	}

	r := chi.NewRouter()
	r.Use(trackBody, sanitizeRequestID, middleware.RequestID, echoRequestID, h.dateHeader, h.observe)
	r.NotFound(h.notFound)
	r.MethodNotAllowed(h.methodNotAllowed(r))

	r.Get("/healthz", h.healthz)
	r.Get("/readyz", h.readyz)
	r.With(h.authenticateMetrics).Method(http.MethodGet, "/metrics", promhttp.HandlerFor(svc.Gatherer(), promhttp.HandlerOpts{}))
	if opts.UI != nil {
		r.Handle("/ui/*", opts.UI)
		r.Get("/ui", redirectTo("/ui/"))
		r.Get("/", redirectTo("/ui/"))
	}

	r.Group(func(r chi.Router) {
		r.Use(h.authenticate)
		// Event streams live as long as their sync runs or their client stays: no request
		// timeout, but a bounded number per token.
		r.With(h.limitStreams).Get("/syncs/events", h.syncListEvents)
		r.With(h.limitStreams).Get("/syncs/{id}/events", h.syncEvents)
		r.Group(func(r chi.Router) {
			r.Use(h.withTimeout)
			r.Get("/accounts", h.listAccounts)
			r.Get("/accounts/{id}", h.getAccount)
			r.Get("/syncs", h.listSyncs)
			r.Get("/syncs/{id}", h.getSync)
			r.Get("/syncs/{id}/days", h.syncDays)
			r.Get("/leases", h.leases)
			r.Get("/scheduler", h.scheduler)
			r.Get("/audit", h.listAudit)
			r.Get("/info", h.info)
			// Changes: operators and admins only (a viewer gets 403 before its body is read).
			r.Group(func(r chi.Router) {
				r.Use(h.mayChange)
				r.Post("/accounts", h.createAccount)
				r.Patch("/accounts/{id}", h.updateAccount)
				r.Delete("/accounts/{id}", h.deleteAccount)
				r.Post("/accounts/{id}/sheet-consent", h.sheetConsent)
				r.Post("/syncs", h.createSync)
				r.Post("/syncs/{id}/cancel", h.cancelSync)
				r.Post("/syncs/{id}/retry", h.retrySync)
				r.Post("/scheduler/run", h.runScheduler)
				r.Post("/checks/credentials", h.checkCredentials)
				r.Post("/checks/sheet", h.checkSheet)
			})
			// Notification targets: admins only (webhooks.go).
			r.Group(func(r chi.Router) {
				r.Use(h.adminOnly)
				r.Get("/webhooks", h.listWebhooks)
				r.Post("/webhooks", h.createWebhook)
				r.Get("/webhooks/{id}", h.getWebhook)
				r.Patch("/webhooks/{id}", h.updateWebhook)
				r.Delete("/webhooks/{id}", h.deleteWebhook)
				r.Post("/webhooks/{id}/test", h.testWebhook)
			})
		})
	})
	return r
}

// buildVersion is the main module's version, or "dev" for a build without one.
func buildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// redirectTo answers 302 Found to target.
func redirectTo(target string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target, http.StatusFound)
	}
}

// dateHeader sets every answer's Date header from the service's clock (net/http would use this
// host's), so that clients read times relative to the service's "now".
func (h *handler) dateHeader(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", h.svc.Now().UTC().Format(http.TimeFormat))
		next.ServeHTTP(w, r)
	})
}
