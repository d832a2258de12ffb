// Package naver is a client for the Naver Search Ad API (네이버 검색광고 API)
// limited to what naversync needs: stat reports (대용량 보고서), master
// reports, their downloads, and parsers for the downloaded TSV files.
//
// The client is shaped like go-github: a [Client] built from [Options] with
// an injectable *http.Client, base URL, clock and logger; signing happens in
// one place; every non-2xx answer becomes an [*APIError] (or
// [*RateLimitError]) that matches sentinel errors through errors.Is.
//
// # Where each behaviour comes from
//
// The facts are in docs/naver-api.md (in this repository), each with its
// source; the keys are the same: [R:path] a file of
// github.com/naver/searchad-apidoc (master), [P:path] its gh-pages branch,
// [#N] an issue of that repository (a maintainer's answer unless noted).
//
//   - Signature: base64(HMAC-SHA256(secret key bytes, "{ts}.{METHOD}.{path}")),
//     the secret used as-is, path without query [R:php-sample/restapi.php],
//     [R:python-sample/examples/signaturehelper.py]; headers X-Timestamp,
//     X-API-KEY, X-Customer, X-Signature [R:php-sample/restapi.php]. We sign
//     just before sending, every attempt, because a stale timestamp is refused
//     [#42], [#78], [#482]. A trailing slash in BaseURL is trimmed because
//     "//stat-reports" is an invalid signature [#646].
//   - Downloads are fetched with the URL exactly as given and signed over
//     "/report-download" [R:php-sample/restapi.php DOWNLOAD], [#642], [#643];
//     the URL carries fileVersion=v2 [P:_posts/2025-10-20-notice1.md], [#1230].
//     A URL whose scheme or host differs from BaseURL is refused
//     ([ErrForeignHost]), so our signed headers never go to another host.
//   - POST bodies carry exactly one "Content-Type: application/json;charset=UTF-8"
//     [P:_posts/2025-10-30-notice1.md]; statDt is sent as YYYYMMDD [#972].
//   - Job statuses REGIST, RUNNING, WAITING, BUILT, NONE, ERROR, AGGREGATING
//     [P:assets/json/ncc-report.json], [#230]; we poll only while REGIST,
//     RUNNING, WAITING or AGGREGATING, as the PHP sample does for the first
//     three [R:php-sample/stat_report_sample.php]. ERROR is re-created
//     (a new job usually works [P:_posts/2023-02-28-notice1.md]).
//     A create answered BUILT at once is downloaded directly (unconfirmed that
//     Naver does this; harmless if it does not).
//   - Jobs vanish (404 20011) when the 100-job cap or another tool's
//     DELETE-all removes them [#572], [#659], [#1071]: the fetch re-creates
//     them. 403 20005 once meant a deleted job too [#425], so it is treated
//     as [ErrNotFound]. We never call DELETE /stat-reports (all jobs).
//   - A master job deleted answers GET with 204 No Content [#750], [#756]:
//     mapped to [ErrNotFound]. The master cap answers 400 "exceeded limit of
//     '100' numbers of 'job'" [#314], [#726]: [ErrJobLimit].
//   - "Data changed" downloads (since 2025-10-27, [P:_posts/2025-09-26-notice2.md])
//     have no documented wire form. We treat a refused download whose message
//     contains "변경" or "changed", and a job status containing "CHANGE", as
//     [ErrDataChanged]; the fetch then re-creates the job. Unconfirmed.
//   - Error codes: 429 and 1016 rate limiting, 503 maintenance
//     [R:NaverSA_API_Error_Code_MAP.md], [#1166]; 10004 day not served
//     [#801], [#1313]; 20007 not ready [#561]; 11001 bad parameter [#972];
//     403 problem documents urn:naver:api:problem:* [#641], [#642], [#794].
//     The invalid-signature problem document echoes the signature [#636];
//     it is redacted from our error strings.
//   - Every answer carries X-Transaction-ID; it is kept in [APIError] and
//     logged with every failed call, because Naver support asks for it [#366].
//   - Rate limits are per X-Customer, set by load: about 10 report calls per
//     second usually, 25–30/s observed [#50], [#114], [#1225]; a 429 carries
//     no Retry-After [#1166]; after a burst of 429s stop calls for at least
//     five minutes [P:_posts/2020-12-18-notice.md]. So the client finds the
//     limit instead of assuming it: each customer id has its own pacer
//     (rate.go) that spaces call starts by 1/rate, starts at
//     Options.RatePerSecond (10) or at the rate learned before (a
//     [RateMemory], the database), rises while calls are answered without
//     429 (doubling per second at first, then along TCP CUBIC's curve), and
//     drops at once on a 429, once per congestion event. It still pauses
//     only that customer after 5 rate-limit answers within 10 s
//     (Options.RateLimitPause, default 5 min).
//   - Downloads send X-Accept-Encoding: zip [P:_posts/2017-03-09-release-note.md];
//     the answer is recognised by its "PK" signature (a plain TSV answer is
//     taken as is), spooled, opened and unpacked with its CRC-32 checked
//     (zip.go); every row must have the report type's documented column count
//     ([ReportColumns]) or the parser's minimum for master items, else
//     [ErrDamaged] and the download is retried. The zip's entry name and
//     Content-Type are not documented: neither is relied on.
//   - HTTP: the default transport ([NewTransport]) has dial, TLS and
//     response-header timeouts but no total timeout, which would also bound
//     reading a large download; Options.StallTimeout cuts a body that brings
//     no byte for 30 s ([ErrStalled], a transport error, retried).
//   - Status polls: the first poll's delay is learned (poll.go) so that about
//     four in five find the job built; no source gives Naver's build times.
//   - Files: TSV, no header, columns by position, more may be appended
//     [P:_posts/2019-05-30-release-note.md]; '-' for missing ids [#1491];
//     dates yyyyMMdd; cost decimal VAT-excluded up to statDt 2026-03-29 and
//     integer VAT-included from 2026-03-30 [#1449]; conversion types are
//     codes from 2024-07-03 and integers 1–5 before [P:_posts/2024-05-30-notice1.md].
//     Master columns: Campaign [gist], Adgroup and Keyword (2016 tables in
//     [P:assets/i18n/markdown-en-US.json]).
//
// Things we chose without a source: a download refused for a changed report
// is re-created at most three times; ERROR jobs are re-created twice; the
// poll gives up after Options.PollTimeout with [ErrNotReady].
package naver
