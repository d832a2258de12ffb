package store_test

import (
	"testing"
	"time"

	"github.com/naversync/naversync/store"
)

// second returns the error of a call that also returns a value.
func second[T any](_ T, err error) error { return err }

// The journal keeps one row per create: a second create of the same report and day (a
// re-create after a failed delete) is a row of its own, and a row leaves only when told gone.
func TestJournalKeepsOneRowPerCreate(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := ctxT(t)
		mustEnqueue(t, e.s, store.Sync{CustomerID: "A"})
		_, c, err := e.s.ClaimFetch(ctx, "w1", time.Minute)
		must(t, err)
		first, err := e.s.JournalCreate(ctx, *c, store.NaverJob{Kind: store.JobStat, ReportType: "AD", StatDate: "2026-02-01", SyncID: c.SyncID})
		must(t, err)
		must(t, e.s.JournalMade(ctx, *c, first.ID, "1001"))
		must(t, e.s.JournalUndeleted(ctx, *c, first.ID, e.clock.Now().Add(time.Minute)))
		again, err := e.s.JournalCreate(ctx, *c, store.NaverJob{Kind: store.JobStat, ReportType: "AD", StatDate: "2026-02-01", SyncID: c.SyncID})
		must(t, err)
		master, err := e.s.JournalCreate(ctx, *c, store.NaverJob{Kind: store.JobMaster, ReportType: "Campaign", SyncID: c.SyncID})
		must(t, err)
		jobs, err := e.s.NaverJobs(ctx, "A")
		must(t, err)
		if len(jobs) != 3 {
			t.Fatalf("journal = %+v, want 3 rows", jobs)
		}
		if j := jobs[0]; j.ID != first.ID || j.JobID != "1001" || j.State != store.JobUndeleted || j.DeleteAttempts != 1 || j.DeleteAfter.IsZero() {
			t.Errorf("first row = %+v, want job 1001 undeleted once", j)
		}
		if j := jobs[1]; j.ID != again.ID || j.JobID != "" || j.State != store.JobSent || j.SentAt.IsZero() {
			t.Errorf("second row = %+v, want a create sent", j)
		}
		if j := jobs[2]; j.Kind != store.JobMaster || j.ReportType != "Campaign" || j.State != store.JobSent {
			t.Errorf("master row = %+v", j)
		}
		must(t, e.s.JournalGone(ctx, *c, first.ID))
		jobs, err = e.s.NaverJobs(ctx, "A")
		must(t, err)
		if len(jobs) != 2 || jobs[0].ID != again.ID || jobs[1].ID != master.ID {
			t.Errorf("after gone: %+v", jobs)
		}
	})
}

// The journal of earlier versions (one overwritten row per customer, report and day) is moved
// into the new one when a store opens: a known job id as a job made, an unknown one as a create
// sent at its time; the old table is dropped.
func TestJournalMigratesTheEarlierTable(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := ctxT(t)
		sent := time.Date(2026, 2, 28, 1, 2, 3, 0, time.UTC)
		must(t, e.s.ExecForTest(ctx, `CREATE TABLE naver_report_jobs (customer_id text, report_type text, stat_date text,
			job_id bigint NOT NULL, sent_at timestamp, sync_id text NOT NULL, PRIMARY KEY (customer_id, report_type, stat_date))`))
		must(t, e.s.ExecForTest(ctx, `INSERT INTO naver_report_jobs VALUES ('A', 'AD', '2026-02-01', 1102136, ?, 's1'), ('A', 'AD_CONVERSION', '2026-02-01', 0, ?, 's1')`, sent, sent))
		must(t, e.s.MigrateDownForTest(ctx, 1, true)) // as release 10e4a02 left it
		s2 := e.open(t)                               // a replica of the new version starts and adopts it
		jobs, err := s2.NaverJobs(ctx, "A")
		must(t, err)
		if len(jobs) != 2 {
			t.Fatalf("journal after migration = %+v, want 2 rows", jobs)
		}
		if j := jobs[0]; j.Kind != store.JobStat || j.ReportType != "AD" || j.StatDate != "2026-02-01" || j.JobID != "1102136" || j.State != store.JobMade || j.SyncID != "s1" {
			t.Errorf("known job: %+v", j)
		}
		if j := jobs[1]; j.ReportType != "AD_CONVERSION" || j.JobID != "" || j.State != store.JobSent || !j.SentAt.Equal(sent) {
			t.Errorf("uncertain create: %+v (sent %s)", j, sent)
		}
		if err := e.s.ExecForTest(ctx, `SELECT 1 FROM naver_report_jobs`); err == nil {
			t.Error("the earlier table is still there")
		}
		e.open(t) // and the next start has nothing left to move
		if jobs, err := s2.NaverJobs(ctx, "A"); err != nil || len(jobs) != 2 {
			t.Errorf("after a second start: %+v %v", jobs, err)
		}
	})
}
