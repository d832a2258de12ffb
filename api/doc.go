// Package api is naversync's HTTP interface: a chi router over the engine (package service)
// that speaks JSON, answers every error as application/problem+json (RFC 9457), streams a
// sync's progress as Server-Sent Events, and serves health, readiness and Prometheus metrics.
//
// The routes, their schemas and every status they answer are described by openapi.yaml at the
// repository root; the package's tests validate every request and response against it.
//
// Authentication is a static bearer token list (Options.Tokens). /healthz and /readyz are always
// open, /metrics unless Options.MetricsToken is set; with no token configured every route is open
// (demo mode, the caller decides). A request refused before its body is read is answered at once
// and its connection closed. Each token holds at most Options.MaxStreamsPerToken event streams.
// Closing Options.Shutdown drains: streams end with a final event, /readyz answers 503.
package api
