// Package console is the operator's web console of naversync: a small single page, served
// from files embedded in the binary, in Korean or English. It shows the accounts (with Sync
// now, the tabs each gets and their titles, and a form to add, edit and delete them that
// chooses the tabs and checks the credentials with Naver and the spreadsheet's sharing with
// Google before saving), the syncs as a live list with their progress, cancel and retry, each
// sync's own page (its days, each day's reports under the tab they feed with those Naver does
// not serve that day, and what to do about an error),
// who holds each Naver customer's lease, a per-customer timeline of lock wait, fetch,
// processing and writing, the scheduler, and the audit log. It shows only the controls the
// token's role may use (GET /info tells it); the API enforces the same.
//
// The page is plain HTML, CSS and vanilla JavaScript modules (no build step, nothing loaded
// from the internet). It talks only to the service's own JSON API, with the same bearer
// tokens: it asks for a token once when the API answers 401, keeps it in sessionStorage and
// sends it as "Authorization: Bearer" on every fetch(). With authentication off (the demo)
// it never asks. The event streams of GET /syncs/{id}/events are read with fetch() and a
// stream reader, because EventSource cannot send the header. The sync list (with the page's
// filters) is kept live the same way by GET /syncs/events; while that stream is down the page
// polls GET /syncs every 1.5 s and reopens the stream with a backoff. The leases are polled
// (GET /leases) every 1.5 s and the accounts every 10 s.
//
// Security. The handler serves only static files and no secret: the page sees what the API
// answers, and the API never returns Naver secret keys. Every answer carries a
// Content-Security-Policy that allows only the service's own scripts, styles, images and
// connections (default-src 'self', no inline script or style, frame-ancestors 'none'), plus
// X-Content-Type-Options: nosniff and Referrer-Policy: no-referrer.
//
// CSRF. The API authenticates with a bearer token that the page adds to each request itself;
// the browser never attaches it on its own (there is no cookie and no HTTP authentication),
// so a foreign site cannot make a logged-in browser send an authenticated state-changing
// request (POST /syncs, cancel, retry, account changes). That is why the console needs no CSRF
// token.
package console
