// Package api is naversync's HTTP interface: a chi router over the engine (package service)
// that speaks JSON, answers every error as application/problem+json (RFC 9457), streams a
// sync's progress as Server-Sent Events, and serves health, readiness and Prometheus metrics.
//
// The routes, their schemas and every status they answer are described by openapi.yaml at the
// repository root; the package's tests validate every request and response against it.
//
// Authentication is a static bearer token list (Options.Tokens). /healthz, /readyz and /metrics
// are always open; with no token configured every route is open (demo mode, the caller decides).
package api
