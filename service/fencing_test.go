package service_test

import (
	"context"
	"database/sql"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/naversync/naversync/naver/navertest"
	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/service/servicetest"
	"github.com/naversync/naversync/store"
	"github.com/naversync/naversync/store/storetest"
)

// Two replicas whose clocks differ by an hour never hold one customer at once: leases are
// decided by the database's time. (With each replica's own clock, the one ahead sees every
// lease of the other as expired and takes the customer over while it still fetches.)
func TestReplicasWithDriftingClocksNeverShareACustomer(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := newWorld(t, db, worldOptions{buildDelay: 5 * time.Millisecond})
			w.customer("1001", 1, 2, 2)
			w.customer("2002", 1, 2, 2)
			claims := &claimLog{}
			behind := w.engine(engineOptions{replica: "behind", fetchWorkers: 2, processWorkers: 1, leaseTTL: 5 * time.Second, onLog: claims.record})
			ahead := w.engine(engineOptions{replica: "ahead", fetchWorkers: 2, processWorkers: 1, leaseTTL: 5 * time.Second, onLog: claims.record,
				hostNow: func() time.Time { return time.Now().Add(time.Hour) }})
			var ids []string
			for i, c := range []string{"1001", "1001", "2002", "1001"} {
				a := w.account(behind, "A"+c+string(rune('a'+i)), c, "sheet-"+c+string(rune('a'+i)), service.LevelCampaign)
				for j, e := range []*engine{behind, ahead} {
					s, _, err := e.svc.EnqueueSync(t.Context(), service.SyncRequest{AccountID: a.ID, Days: 20 + i + 5*j, Full: true})
					if err != nil {
						t.Fatal(err)
					}
					ids = append(ids, s.ID)
				}
			}
			for id, s := range waitTerminal(t, behind.svc, ids...) {
				if s.Status != service.StatusSucceeded {
					t.Fatalf("%s: %s %+v", id, s.Status, s.Error)
				}
			}
			if n := claims.check(t, w.naver.Requests(), w.Clock.Offset()); n == 0 {
				t.Fatal("no request checked")
			}
			if d := ahead.store.Now().Sub(behind.store.Now()); d > time.Second || d < -time.Second {
				t.Errorf("the replicas tell times %s apart, want the database's time on both", d)
			}
			// The premise, on every dialect: the replica ahead ran on a host clock an hour ahead
			// of the database's (and corrected for it).
			if d := ahead.store.ClockSkew() + time.Hour; d > time.Second || d < -time.Second {
				t.Errorf("the replica ahead measured a skew of %s, want about -1h: its host clock was not in play", ahead.store.ClockSkew())
			}
		})
	}
}

// With the database cut off during a fetch (renewals hang), the holder stops on its own clock:
// its last Naver request ends before the lease it holds in the database expires, even though
// Naver is slow and the database never says the lease is lost. Once the database is back the
// sync resumes and succeeds.
func TestDatabaseCutOffStopsNaverCallsBeforeTheLeaseExpires(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := newWorld(t, db, worldOptions{buildDelay: 30 * time.Millisecond})
			w.customer("1001", 1, 1, 1)
			cut := newDBCutter(t, db)
			stopped := make(chan struct{})
			var once sync.Once
			ttl := 4 * time.Second
			e := w.Engine(servicetest.EngineOptions{FetchWorkers: 1, ProcessWorkers: 1, LeaseTTL: ttl, DatabaseURL: cut.url,
				LogHook: func(msg string) {
					if strings.HasPrefix(msg, "claim lost") {
						once.Do(func() { close(stopped) })
					}
				}})
			a := w.Account(e, "A", "1001", "sheet-a", service.LevelCampaign)
			sy, _, err := e.Service.EnqueueSync(t.Context(), service.SyncRequest{AccountID: a.ID, Days: 300, Full: true})
			if err != nil {
				t.Fatal(err)
			}
			waitUntil(t, func() bool {
				s, err := e.Service.GetSync(t.Context(), sy.ID)
				return err == nil && s.Status == service.StatusFetching && s.Progress.ReportsFetched >= 10
			})
			// From now on Naver answers slowly; once a call hangs there, the database stops
			// answering this engine.
			w.naver.SetFault(navertest.Fault{Kind: navertest.SlowResponse, Delay: time.Minute})
			waitUntil(t, func() bool {
				for _, r := range w.naver.Requests() {
					if r.End.IsZero() {
						return true
					}
				}
				return false
			})
			cutAt := w.Clock.Now()
			cut.cut()
			select {
			case <-stopped:
			case <-time.After(time.Minute):
				t.Fatal("the holder did not stop while its database was cut off")
			}
			expires := leaseExpiry(t, db, "1001")
			// The holder's calls were aborted on its side when it stopped; the simulator records
			// each one's end only when it notices the hang-up, a little later. Wait for that (or
			// until well past the expiry); every end must still come before the expiry.
			waitUntil(t, func() bool {
				if w.Clock.Now().After(expires.Add(2 * time.Second)) {
					return true
				}
				for _, r := range w.naver.Requests() {
					if r.End.IsZero() {
						return false
					}
				}
				return true
			})
			hung := 0
			for _, r := range w.naver.Requests() {
				if r.End.IsZero() {
					t.Errorf("%s %s still open after the lease expired at %s", r.Method, r.Path, expires)
					continue
				}
				if r.End.After(cutAt) {
					hung++
				}
				if r.End.After(expires) {
					t.Errorf("%s %s ended at %s, after the lease expired at %s", r.Method, r.Path, r.End, expires)
				}
			}
			if hung == 0 {
				t.Fatal("no Naver call was in flight when the database was cut off: the test proves nothing")
			}
			var last time.Time
			for _, r := range w.naver.Requests() {
				if r.End.After(last) {
					last = r.End
				}
			}
			t.Logf("%d calls in flight at the cut; the last Naver call ended %s before the lease expired", hung, expires.Sub(last).Round(time.Millisecond))
			w.naver.ClearFaults()
			cut.restore()
			if got := waitTerminal(t, e.Service, sy.ID)[sy.ID]; got.Status != service.StatusSucceeded {
				t.Fatalf("after the database came back: %s %+v", got.Status, got.Error)
			}
		})
	}
}

// A create whose answer is lost (Naver made the job; the connection broke before the answer)
// is not made again and leaves no job behind: the customer's jobs are listed and the one job of
// that report and day is taken as the create's answer.
func TestLostCreateAnswerLeavesNoOrphanJob(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := newWorld(t, db, worldOptions{buildDelay: 5 * time.Millisecond})
			w.customer("1001", 1, 1, 1)
			e := w.engine(engineOptions{fetchWorkers: 1, processWorkers: 1, leaseTTL: 5 * time.Second})
			a := w.account(e, "A", "1001", "sheet-a", service.LevelCampaign)
			w.naver.SetFault(navertest.Fault{Customer: "1001", Kind: navertest.LoseCreateAnswer, Count: 5})
			sy, _, err := e.svc.EnqueueSync(t.Context(), service.SyncRequest{AccountID: a.ID, Days: 10, Full: true})
			if err != nil {
				t.Fatal(err)
			}
			if got := waitTerminal(t, e.svc, sy.ID)[sy.ID]; got.Status != service.StatusSucceeded {
				t.Fatalf("sync: %s %+v", got.Status, got.Error)
			}
			creates := map[string]int{}
			lost := 0
			for _, r := range w.naver.Requests() {
				if r.Method == "POST" && r.Path == "/stat-reports" {
					creates[r.ReportType+" "+r.StatDate.Format("2006-01-02")]++
					if r.Status == 0 {
						lost++
					}
				}
			}
			if lost != 5 {
				t.Fatalf("%d create answers lost, want the fault's 5", lost)
			}
			for k, n := range creates {
				if n != 1 {
					t.Errorf("%s created %d times, want once", k, n)
				}
			}
			if len(creates) != 20 {
				t.Errorf("%d reports created, want 20", len(creates))
			}
			if n := w.naver.OutstandingJobs("1001"); n != 0 {
				t.Errorf("%d jobs left at Naver, want none", n)
			}
			if jobs, err := e.store.NaverJobs(t.Context(), "1001"); err != nil || len(jobs) != 0 {
				t.Errorf("journal still holds %+v (%v)", jobs, err)
			}
		})
	}
}

// Naver keeps 100 report jobs per customer, other tools' included, and silently deletes the
// oldest on the 101st create. A year's sync while other tools hold 85 evicts none of theirs and
// finishes; with 95 held it gives the lease back and waits (phase waiting_naver_jobs) until they
// free some; when they never do, it fails saying so.
func TestOtherToolsJobsAreNeverEvicted(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := newWorld(t, db, worldOptions{buildDelay: 2 * time.Millisecond})
			w.customer("1001", 1, 1, 1)
			w.customer("2002", 1, 1, 1)
			w.customer("3003", 1, 1, 1)
			w.naver.AddForeignJobs("1001", 85)
			w.naver.AddForeignJobs("2002", 95)
			w.naver.AddForeignJobs("3003", 95)
			waiting := make(chan struct{}, 16)
			e := w.Engine(servicetest.EngineOptions{FetchWorkers: 3, ProcessWorkers: 2, LeaseTTL: 10 * time.Second,
				NaverJobsRetry: time.Second, NaverJobsMaxWait: 5 * time.Second,
				LogHook: func(msg string) {
					if strings.HasPrefix(msg, "no room among") {
						select {
						case waiting <- struct{}{}:
						default:
						}
					}
				}})
			year := enqueueEngine(t, e, w.Account(e, "Year", "1001", "sheet-year", service.LevelCampaign).ID, service.SyncRequest{})
			waits := enqueueEngine(t, e, w.Account(e, "Waits", "2002", "sheet-waits", service.LevelCampaign).ID, service.SyncRequest{Days: 30})
			gives := enqueueEngine(t, e, w.Account(e, "Gives up", "3003", "sheet-gives", service.LevelCampaign).ID, service.SyncRequest{Days: 30})

			<-waiting
			// Waiting, it holds no lease (it looks again every NaverJobsRetry, briefly taking it).
			waitUntil(t, func() bool {
				s, err := e.Service.GetSync(t.Context(), waits.ID)
				leases, lerr := e.Service.Leases(t.Context())
				return err == nil && lerr == nil && s.Phase == service.PhaseWaitingNaverJobs && s.Status == service.StatusQueued && !holds(leases, "2002")
			})
			w.naver.DeleteForeignJobs("2002", 30) // the other tool downloads and deletes some of its jobs

			got := waitTerminal(t, e.Service, year.ID, waits.ID, gives.ID)
			for _, id := range []string{year.ID, waits.ID} {
				if got[id].Status != service.StatusSucceeded {
					t.Fatalf("%s: %s %+v", id, got[id].Status, got[id].Error)
				}
			}
			if g := got[gives.ID]; g.Status != service.StatusFailed || g.Error == nil || !strings.Contains(g.Error.Message, "other tools hold") {
				t.Fatalf("sync with no room ever: %s %+v, want failed naming the other tools' jobs", g.Status, g.Error)
			}
			for c, want := range map[string]int{"1001": 85, "2002": 65, "3003": 95} {
				own, foreign := w.naver.Evicted(c)
				if own != 0 || foreign != 0 {
					t.Errorf("customer %s: Naver's cap deleted %d of our jobs and %d of other tools'", c, own, foreign)
				}
				if n := w.naver.ForeignJobs(c); n != want {
					t.Errorf("customer %s: other tools hold %d jobs, want %d", c, n, want)
				}
				if n := w.naver.OutstandingJobs(c); n != 0 {
					t.Errorf("customer %s: %d of our jobs left at Naver", c, n)
				}
			}
			if got[year.ID].Progress.ReportsFetched != 2*365 {
				t.Errorf("the year's sync fetched %d reports, want %d", got[year.ID].Progress.ReportsFetched, 2*365)
			}
		})
	}
}

func enqueueEngine(t *testing.T, e *servicetest.Engine, accountID string, req service.SyncRequest) service.Sync {
	t.Helper()
	req.AccountID = accountID
	s, _, err := e.Service.EnqueueSync(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func holds(leases []service.Lease, customer string) bool {
	for _, l := range leases {
		if l.CustomerID == customer {
			return true
		}
	}
	return false
}

// leaseExpiry reads, bypassing the store, when the customer's lease expires in the database.
func leaseExpiry(t *testing.T, d storetest.DB, customer string) time.Time {
	t.Helper()
	db := rawDB(t, d)
	var exp sql.NullTime
	if err := db.QueryRowContext(t.Context(), "SELECT expires_at FROM customer_leases WHERE customer_id = '"+customer+"'").Scan(&exp); err != nil {
		t.Fatal(err)
	}
	return exp.Time
}

// dbCutter cuts one engine off its database: on PostgreSQL a TCP proxy in between stops
// passing bytes (queries hang, as on a dead network); on SQLite another connection holds the
// write lock (every write waits).
type dbCutter struct {
	t   *testing.T
	url string // what the engine connects to

	mu      sync.Mutex
	blocked bool
	resume  chan struct{}
	conns   []net.Conn
	release func()
}

func newDBCutter(t *testing.T, d storetest.DB) *dbCutter {
	t.Helper()
	c := &dbCutter{t: t, url: d.URL, resume: make(chan struct{})}
	if d.Name != store.DialectPostgres {
		c.release = func() {}
		return c
	}
	u, err := url.Parse(d.URL)
	if err != nil {
		t.Fatal(err)
	}
	target := u.Host
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u.Host = ln.Addr().String()
	c.url = u.String()
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			c.mu.Lock()
			c.conns = append(c.conns, in, out)
			c.mu.Unlock()
			go c.pipe(in, out)
			go c.pipe(out, in)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		c.restore()
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, conn := range c.conns {
			conn.Close()
		}
	})
	return c
}

// pipe copies src to dst, holding every chunk while the cut lasts. When either side ends,
// both are closed, so the server sees a client that gave up (and rolls its transaction back).
func (c *dbCutter) pipe(dst, src net.Conn) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			c.mu.Lock()
			blocked, resume := c.blocked, c.resume
			c.mu.Unlock()
			if blocked {
				<-resume
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// cut stops the database answering the engine.
func (c *dbCutter) cut() {
	c.t.Helper()
	if strings.HasPrefix(c.url, "sqlite://") {
		db := rawDB(c.t, storetest.DB{Name: store.DialectSQLite, URL: c.url})
		conn, err := db.Conn(context.Background())
		if err != nil {
			c.t.Fatal(err)
		}
		if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
			c.t.Fatal(err)
		}
		c.mu.Lock() // restore may run on an engine's goroutine (a log hook)
		c.release = func() {
			_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
			conn.Close()
		}
		c.mu.Unlock()
		return
	}
	c.mu.Lock()
	c.blocked = true
	c.mu.Unlock()
}

// restore lets the database answer again.
func (c *dbCutter) restore() {
	c.mu.Lock()
	if c.blocked {
		c.blocked = false
		close(c.resume)
		c.resume = make(chan struct{})
	}
	release := c.release
	c.release = func() {}
	c.mu.Unlock()
	if release != nil {
		release()
	}
}

// claimLog follows, from the engines' logs, every fetch claim: from "lease acquired; fetching"
// to "claim work ended" (after its last Naver call returned), by customer and lease token.
type claimLog struct {
	mu     sync.Mutex
	starts map[string]time.Time // customer|token
	spans  map[string][]claimSpan
}

type claimSpan struct {
	token      string
	start, end time.Time
}

func (l *claimLog) record(r slog.Record) {
	if r.Message != "lease acquired; fetching" && r.Message != "claim work ended" {
		return
	}
	attrs := map[string]string{}
	r.Attrs(func(a slog.Attr) bool { attrs[a.Key] = a.Value.String(); return true })
	if r.Message == "claim work ended" && attrs["claim"] != "fetch" {
		return
	}
	key := attrs["customer_id"] + "|" + attrs["token"]
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.starts == nil {
		l.starts, l.spans = map[string]time.Time{}, map[string][]claimSpan{}
	}
	if r.Message == "lease acquired; fetching" {
		l.starts[key] = r.Time
		return
	}
	l.spans[attrs["customer_id"]] = append(l.spans[attrs["customer_id"]], claimSpan{token: attrs["token"], start: l.starts[key], end: r.Time})
}

// check fails when two claims of one customer overlapped, or a request of a customer (the
// simulator's record, on the world's clock shifted by offset) lies in no claim or in two. It
// returns how many requests it checked.
func (l *claimLog) check(t *testing.T, reqs []navertest.Request, offset time.Duration) int {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for c, spans := range l.spans {
		for i := range spans {
			for j := i + 1; j < len(spans); j++ {
				a, b := spans[i], spans[j]
				if a.start.Before(b.end) && b.start.Before(a.end) {
					t.Errorf("customer %s: claims with tokens %s [%s, %s] and %s [%s, %s] overlap", c, a.token, a.start, a.end, b.token, b.start, b.end)
				}
			}
		}
	}
	n := 0
	for _, r := range reqs {
		start, end := r.Start.Add(-offset), r.End.Add(-offset)
		in := 0
		for _, s := range l.spans[r.Customer] {
			if !start.Before(s.start) && !end.After(s.end) {
				in++
			}
		}
		if in != 1 {
			t.Errorf("customer %s: %s %s at [%s, %s] lies in %d claims, want 1", r.Customer, r.Method, r.Path, start, end, in)
		}
		n++
	}
	return n
}
