// Package bench measures naversync's engine end to end: the real service, store, Naver client
// and Sheets writer, driven against the Naver simulator (navertest) and the Sheets stand-in
// (sheetstest) with scaled-down latencies, on SQLite and on PostgreSQL.
//
// It reports what the design promises (docs/benchmarks.md): how long a customer's lease is
// held (lock scope) compared with the design that held it through processing, whether fetch
// workers stay busy while work is runnable, how quickly a released lease is handed to the
// next queued sync of the customer, how fast a year of a large account is processed and in how
// much memory, how many Naver and Sheets calls a report and a sync cost, the HTTP API's
// throughput, and what a year of such an account with all three tabs costs in lease time, Naver
// jobs, processing and Sheets bytes (scenario 9, TabsYear). Run it with `naversync bench`; [Run] is the whole benchmark, [Report] its result.
//
// Nothing here is used by the service itself; like cmd, it is a harness around the packages.
package bench
