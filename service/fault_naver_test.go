package service_test

import (
	"strings"
	"testing"
	"time"

	"github.com/naversync/naversync/naver/navertest"
	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/store/storetest"
)

// Every Naver failure the simulator can inject, one sync each. A sync must end succeeded once
// the fault passes, with the sheet's per-day sums equal to what Naver's files sum to (so no cut
// or half file was ever processed), or failed with an error that says what went wrong and
// nothing written. Either way no lease is left held and no temp download is left behind.
func TestFaultNaver(t *testing.T) {
	type tc struct {
		name  string
		fault func(now time.Time) navertest.Fault
		// build is the simulator's build delay (polls, so GETs of the job, happen when > 0).
		build       time.Duration
		httpTimeout time.Duration
		maxAttempts int
		wantFailed  string // a substring of the error; "" means the sync must succeed
		// wantStatus, when set, is an HTTP status the simulator must have answered at least once
		// (the fault really fired).
		wantStatus int
		// absentRecent is how many of the most recent days Naver did not serve yet (pending).
		absentRecent int
	}
	cases := []tc{
		{name: "429 burst", wantStatus: 429, fault: func(time.Time) navertest.Fault {
			return navertest.Fault{Kind: navertest.RateLimit429, Count: 12}
		}},
		{name: "429 with Retry-After", fault: func(time.Time) navertest.Fault {
			return navertest.Fault{Kind: navertest.RateLimit429, Count: 2, RetryDelay: time.Second}
		}},
		{name: "429 burst on stat reports", wantStatus: 429, fault: func(time.Time) navertest.Fault {
			return navertest.Fault{Kind: navertest.RateLimit429, Count: 12, Path: "/stat-reports"}
		}},
		{name: "1016 burst", fault: func(time.Time) navertest.Fault {
			return navertest.Fault{Kind: navertest.TooManyConnections1016, Count: 12}
		}},
		{name: "500s", wantStatus: 500, fault: func(time.Time) navertest.Fault {
			return navertest.Fault{Kind: navertest.ServerError500, Count: 12}
		}},
		{name: "500s on stat reports", wantStatus: 500, fault: func(time.Time) navertest.Fault {
			return navertest.Fault{Kind: navertest.ServerError500, Count: 12, Path: "/stat-reports"}
		}},
		{name: "1016 on downloads", wantStatus: 400, fault: func(time.Time) navertest.Fault {
			return navertest.Fault{Kind: navertest.TooManyConnections1016, Count: 8, Path: "/report-download"}
		}},
		{name: "maintenance window", wantStatus: 503, maxAttempts: 12, fault: func(now time.Time) navertest.Fault {
			// "Minutes" of 503, scaled: longer than one attempt's own retries, so the sync
			// itself must come back later.
			return navertest.Fault{Kind: navertest.Maintenance503, Until: now.Add(1500 * time.Millisecond)}
		}},
		{name: "maintenance that never ends", maxAttempts: 2, wantFailed: "503", fault: func(time.Time) navertest.Fault {
			return navertest.Fault{Kind: navertest.Maintenance503}
		}},
		{name: "report ERROR twice", build: 5 * time.Millisecond, fault: func(time.Time) navertest.Fault {
			return navertest.Fault{Kind: navertest.ReportError, Count: 2}
		}},
		{name: "report ERROR always", build: 5 * time.Millisecond, wantFailed: "ERROR", fault: func(time.Time) navertest.Fault {
			return navertest.Fault{Kind: navertest.ReportError}
		}},
		{name: "download cut half way", fault: func(time.Time) navertest.Fault {
			return navertest.Fault{Kind: navertest.CutDownload, Count: 12}
		}},
		{name: "download cut half way, polled jobs", build: 5 * time.Millisecond, fault: func(time.Time) navertest.Fault {
			return navertest.Fault{Kind: navertest.CutDownload, Count: 12}
		}},
		{name: "slower than the client timeout", httpTimeout: 300 * time.Millisecond, fault: func(time.Time) navertest.Fault {
			return navertest.Fault{Kind: navertest.SlowResponse, Count: 3, Delay: 5 * time.Second}
		}},
		{name: "data changed", build: 5 * time.Millisecond, fault: func(time.Time) navertest.Fault {
			return navertest.Fault{Kind: navertest.DataChanged, Count: 2}
		}},
		{name: "job vanishes", build: 5 * time.Millisecond, fault: func(time.Time) navertest.Fault {
			return navertest.Fault{Kind: navertest.VanishJob, Count: 3}
		}},
		{name: "yesterday not ready (20007)", absentRecent: 1, fault: func(time.Time) navertest.Fault {
			return navertest.Fault{Kind: navertest.NotReady20007}
		}},
		{name: "premature NONE", build: 5 * time.Millisecond, absentRecent: 2, fault: func(time.Time) navertest.Fault {
			return navertest.Fault{Kind: navertest.PrematureNone}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			for _, db := range storetest.Databases(t) {
				t.Run(db.Name, func(t *testing.T) {
					w := newWorld(t, db, worldOptions{buildDelay: c.build})
					w.customer("3003", 2, 2, 3)
					dataDir := t.TempDir()
					ttl := 3 * time.Second
					e := w.relEngine(relOptions{fetchWorkers: 2, processWorkers: 1, leaseTTL: ttl,
						httpTimeout: c.httpTimeout, maxAttempts: c.maxAttempts, dataDir: dataDir})
					a := w.account(e, "Faulty", "3003", "sheet-f", service.LevelAdgroup)
					w.naver.SetFault(c.fault(w.Clock.Now()))
					s := enqueue(t, e, a.ID, 6)
					got := waitTerminal(t, e.svc, s.ID)[s.ID]

					if c.wantFailed != "" {
						if got.Status != service.StatusFailed || got.Error == nil || !strings.Contains(got.Error.Message, c.wantFailed) {
							t.Fatalf("sync ended %s with %+v, want failed with an error naming %q", got.Status, got.Error, c.wantFailed)
						}
						t.Logf("failed as expected after %d attempts: %s: %s", got.Attempts, got.Error.Kind, got.Error.Message)
						if v := w.sheets.Values("sheet-f", "data"); len(v) != 0 {
							t.Errorf("a failed fetch wrote %d rows to the sheet", len(v))
						}
					} else {
						if got.Status != service.StatusSucceeded {
							t.Fatalf("sync ended %s (%+v), want succeeded once the fault passed", got.Status, got.Error)
						}
						to, _ := time.Parse("2006-01-02", got.To)
						checkSheetMatchesNaver(t, w, "sheet-f", "3003", got.From, to.AddDate(0, 0, -c.absentRecent).Format("2006-01-02"))
						if c.absentRecent > 0 {
							totals := sheetTotals(t, w, "sheet-f", "data")
							for i := range c.absentRecent {
								if d := to.AddDate(0, 0, -i).Format("2006-01-02"); totals[d] != (dayTotals{pending: true}) {
									t.Errorf("day %s was not served by Naver; the sheet holds %+v, want it shown pending", d, totals[d])
								}
							}
						}
					}
					if c.wantStatus != 0 {
						fired := 0
						for _, r := range w.naver.Requests() {
							if r.Status == c.wantStatus {
								fired++
							}
						}
						if fired == 0 {
							t.Errorf("the fault never fired: no answer with status %d", c.wantStatus)
						}
					}
					checkNoLeaseHeld(t, w, e, ttl)
					if left := tmpEntries(t, dataDir); len(left) != 0 {
						t.Errorf("temp files left behind: %v", left)
					}
				})
			}
		})
	}
}
