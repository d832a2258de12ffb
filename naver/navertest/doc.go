// Package navertest is an in-process simulator of the Naver Search Ad API
// report endpoints, strict the way Naver is, for tests and benchmarks of
// code that uses package naver.
//
// A [Server] is an http.Handler: mount it on httptest.NewServer and point
// naver.Options.BaseURL at it. It checks signatures and timestamps (403
// problem documents urn:naver:api:problem:*), serves stat report jobs
// (POST/GET/DELETE /stat-reports[/{id}]), master report jobs
// (POST/GET/DELETE /master-reports[/{id}]) and downloads at
// /report-download?authtoken=...&fileVersion=v2, and answers every request
// with an X-Transaction-ID. The facts it imitates are those of
// docs/naver-api.md in this repository, each with its source (package
// naver's doc says which behaviour rests on which).
//
// Report data is generated deterministically from (customer seed, day,
// entity): the same request gives the same file every time, so tests can
// compare what they stored with [Server.ADTotals]. About 3% of days of a
// customer have no data (the job ends NONE); some rows have keyword id "-";
// devices are P and M; conversion rows exist for a subset of keywords;
// costs are decimal VAT-excluded for days up to 2026-03-29 and integer
// VAT-included from 2026-03-30. The search term reports derive from the
// same rows: EXPKEYWORD's match types are 0, 1, 2 and 5; traffic without a
// keyword has at times an empty search term ("" or "-"); about one row in
// four of EXPKEYWORD and SHOPPINGKEYWORD_DETAIL (and some conversion rows) is
// split in two rows of one key. Each stat report type is served for its own
// window (naver.ServedDays: shopping search terms 180 days, shopping
// conversions 45), older days answering 10004. All master entities were registered on
// 2024-01-01, so a delta master report (fromTime after that) lists only the
// entities renamed since ([Server.Rename]), and is NONE when there are none.
//
// Faults are injected with [Server.SetFault]; every request is recorded
// with its start and end time ([Server.Requests]) so that tests can check,
// for instance, that no two syncs of one customer overlapped.
//
// Choices where Naver's behaviour is unconfirmed: 20007 is answered with
// HTTP 400; 1016 with HTTP 400; a "data changed" download is refused with
// 400 {"message":"데이터 변경됨 (changed)"}; a duplicated Content-Type is
// refused with 400 11001; the timestamp window is ±60 s.
package navertest
