package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/naversync/naversync/naver"
	"github.com/naversync/naversync/store"
)

// naverJobCap is how many report jobs Naver keeps per customer id, other tools' included; the
// next create silently deletes the oldest.
const naverJobCap = 100

// jobJournal is the naver.Journal of one fetch: it records each create in the database before
// it is sent and each job made or gone, fenced by the fetch's claim, so that the next holder of
// the customer's lease can settle what a lost answer, a shutdown or a crash left at Naver. It
// also keeps the ids of the jobs this fetch holds, so that the rest of a listing can be told to
// be other tools' jobs.
type jobJournal struct {
	s      *Service
	claim  store.Claim
	syncID string
	guard  *guard

	mu   sync.Mutex
	ours map[string]int64 // report type|day -> job id
}

// Creating waits until the claim has at least a call's budget left before its deadline (a
// create that could not be answered before the lease could lapse is not sent), then records
// the create as sent.
func (j *jobJournal) Creating(ctx context.Context, reportType string, day time.Time) error {
	if err := j.guard.await(ctx, j.s.callBudget()); err != nil {
		return err
	}
	return j.record(ctx, store.ReportJob{ReportType: reportType, StatDate: day.Format(dayLayout), SyncID: j.syncID})
}

// Created records the job id Naver made.
func (j *jobJournal) Created(ctx context.Context, reportType string, day time.Time, jobID int64) error {
	if err := j.record(ctx, store.ReportJob{ReportType: reportType, StatDate: day.Format(dayLayout), JobID: jobID, SyncID: j.syncID}); err != nil {
		return err
	}
	j.mu.Lock()
	j.ours[reportType+"|"+day.Format(dayLayout)] = jobID
	j.mu.Unlock()
	return nil
}

// Gone forgets the job of a report: deleted, found deleted, or never made.
func (j *jobJournal) Gone(ctx context.Context, reportType string, day time.Time) error {
	j.mu.Lock()
	delete(j.ours, reportType+"|"+day.Format(dayLayout))
	j.mu.Unlock()
	return fence(j.s.store.DeleteReportJob(ctx, j.claim, reportType, day.Format(dayLayout)))
}

func (j *jobJournal) record(ctx context.Context, r store.ReportJob) error {
	return fence(j.s.store.RecordReportJob(ctx, j.claim, r))
}

// held reports whether a job id is one this fetch holds.
func (j *jobJournal) held(id int64) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, v := range j.ours {
		if v == id {
			return true
		}
	}
	return false
}

// fence turns a refused fenced write into errLeaseLost and other store failures into errStorage.
func fence(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrLeaseLost):
		return fmt.Errorf("%w: %v", errLeaseLost, err)
	}
	return fmt.Errorf("%w: %v", errStorage, err)
}

// callBudget is the time a Naver call may need: a create is not sent with less left before the
// claim's deadline.
func (s *Service) callBudget() time.Duration { return s.cfg.LeaseTTL / 6 }

// settleJobs lists the customer's report jobs at Naver and settles those the journal holds from
// earlier fetches: a job a task of this fetch needs is continued by it (no second create), any
// other is deleted (it is ours: the journal has its id), and a create whose answer was lost is
// matched to the one job of its report and day registered since it was sent (several: it is
// left alone, since another tool's job cannot be told apart). It returns the job slots of this
// fetch, sized from how many jobs other tools hold.
func (s *Service) settleJobs(ctx context.Context, sy store.Sync, c store.Claim, cred naver.Credentials, tasks []fetchTask, j *jobJournal, log *slog.Logger) (*jobSlots, error) {
	entries, err := s.store.ReportJobs(ctx, sy.CustomerID)
	if err != nil {
		return nil, fmt.Errorf("%w: report jobs: %v", errStorage, err)
	}
	slots := &jobSlots{s: s, cred: cred, journal: j, log: log, freed: make(chan struct{})}
	if len(tasks) == 0 && len(entries) == 0 {
		return slots, nil // nothing to ask Naver for, nothing left there to settle
	}
	listed, err := s.naver.ListStatReports(ctx, cred)
	s.met.naverCalls.Inc()
	if err != nil {
		return nil, fmt.Errorf("list report jobs: %w", err)
	}
	exists := make(map[int64]bool, len(listed))
	for _, r := range listed {
		exists[r.ReportJobID] = true
	}
	need := make(map[string]*fetchTask, len(tasks))
	for i := range tasks {
		need[tasks[i].reportType+"|"+tasks[i].day.Format(dayLayout)] = &tasks[i]
	}
	for _, e := range entries {
		day, _ := time.Parse(dayLayout, e.StatDate)
		id := e.JobID
		if id == 0 {
			m, ok, merr := naver.MatchStatJob(listed, e.ReportType, day, e.SentAt)
			switch {
			case merr != nil:
				log.Warn("a create whose answer was lost cannot be told apart from other tools' jobs; left alone", "report_type", e.ReportType, "stat_date", e.StatDate, "err", merr)
			case ok:
				id = m.ReportJobID
				log.Info("found the job of a create whose answer was lost", "report_type", e.ReportType, "stat_date", e.StatDate, "job_id", id)
			}
		}
		key := e.ReportType + "|" + e.StatDate
		switch t := need[key]; {
		case id == 0 || !exists[id]:
			err = j.Gone(ctx, e.ReportType, day) // nothing at Naver (any more)
		case t != nil:
			t.jobID = id
			err = j.Created(ctx, e.ReportType, day, id)
		default:
			err = s.naver.DeleteStatReport(ctx, cred, id)
			s.met.naverCalls.Inc()
			if err == nil || errors.Is(err, naver.ErrNotFound) {
				log.Info("deleted a job an earlier fetch left at Naver", "report_type", e.ReportType, "stat_date", e.StatDate, "job_id", id)
				err = j.Gone(ctx, e.ReportType, day)
			}
		}
		if err != nil {
			return nil, err
		}
	}
	slots.count(listed)
	return slots, nil
}

// jobSlots bounds this fetch's outstanding report jobs by the room the customer has at Naver:
// 100 jobs per customer id, other tools' included, the 101st create silently deleting the
// oldest (another tool's, as like as not). The room is 100 less a margin less the jobs others
// hold, at most ReportWindow. Others come and go, so the jobs are listed again after every
// ReportWindow creates and whenever a create would find no room. With no room at all and none
// of our jobs outstanding, the fetch gives its lease back and waits (naverJobsFull).
type jobSlots struct {
	s       *Service
	cred    naver.Credentials
	journal *jobJournal
	log     *slog.Logger

	mu        sync.Mutex
	used      int
	others    int // jobs of other tools in the last listing
	sinceList int // creates since that listing
	granted   int // slots taken by this fetch in all
	freed     chan struct{}
	failed    error
}

// count takes the number of other tools' jobs from a listing.
func (js *jobSlots) count(listed []naver.StatReport) {
	others := 0
	for _, r := range listed {
		if !js.journal.held(r.ReportJobID) {
			others++
		}
	}
	js.others, js.sinceList = others, 0
}

func (js *jobSlots) limit() int {
	return min(js.s.cfg.ReportWindow, naverJobCap-js.s.cfg.NaverJobMargin-js.others)
}

// acquire takes a slot for one report's job, waiting while the room is used up.
func (js *jobSlots) acquire(ctx context.Context) error {
	for {
		js.mu.Lock()
		if js.failed != nil {
			js.mu.Unlock()
			return js.failed
		}
		// List again after a window of creates, and when others' jobs leave us less room than
		// our window and it is used up (perhaps they have finished some).
		if js.sinceList >= js.s.cfg.ReportWindow || js.used >= js.limit() && js.limit() < js.s.cfg.ReportWindow {
			listed, err := js.s.naver.ListStatReports(ctx, js.cred)
			js.s.met.naverCalls.Inc()
			if err != nil {
				js.failed = fmt.Errorf("list report jobs: %w", err)
				js.mu.Unlock()
				return js.failed
			}
			js.count(listed)
		}
		limit := js.limit()
		if js.used < limit {
			js.used++
			js.sinceList++
			js.granted++
			js.mu.Unlock()
			return nil
		}
		if js.used == 0 {
			js.failed = &naverJobsFull{others: js.others, hadRoom: js.granted > 0}
			js.mu.Unlock()
			return js.failed
		}
		freed := js.freed
		js.mu.Unlock()
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-freed:
		}
	}
}

func (js *jobSlots) release() {
	js.mu.Lock()
	defer js.mu.Unlock()
	js.used--
	close(js.freed)
	js.freed = make(chan struct{})
}

// err is why acquiring stopped, if it did.
func (js *jobSlots) err() error {
	js.mu.Lock()
	defer js.mu.Unlock()
	return js.failed
}

// naverJobsFull: other tools hold so many of the customer's report jobs that any create of ours
// would evict one of theirs. hadRoom: this fetch had room before it ran out (so a new wait
// starts; without it, the wait in course goes on).
type naverJobsFull struct {
	others  int
	hadRoom bool
}

func (e *naverJobsFull) Error() string {
	return fmt.Sprintf("other tools hold %d of this customer's %d report jobs at Naver; a create now would make Naver delete the oldest of them", e.others, naverJobCap)
}

// waitNaverJobs gives the lease back and requeues the sync (phase waiting_naver_jobs, no attempt
// used up) until others' jobs leave room; a wait that lasted NaverJobsMaxWait since it began
// (the current wait: a fetch that had room in between starts a new one) fails the sync with a
// message that says why.
func (s *Service) waitNaverJobs(ctx context.Context, sy store.Sync, c store.Claim, full *naverJobsFull, log *slog.Logger) error {
	var cause error = full
	now := s.now()
	wait := store.RoomWaitGoesOn
	if full.hadRoom {
		wait = store.RoomWaitStarts
	}
	if wait == store.RoomWaitGoesOn && sy.WaitingSince != nil && now.Sub(*sy.WaitingSince) >= s.cfg.NaverJobsMaxWait {
		msg := fmt.Sprintf("%v, and have for %s: the sync stopped rather than evict them. Delete finished report jobs in the other tools (or wait until they do), then retry.",
			cause, now.Sub(*sy.WaitingSince).Round(time.Minute))
		log.Error("sync failed", "kind", "naver_jobs", "err", cause)
		if err := s.store.FailSync(ctx, c, "naver_jobs", msg); err != nil {
			return err
		}
		s.met.syncsDone.WithLabelValues(StatusFailed).Inc()
		return nil
	}
	log.Warn("no room among the customer's Naver report jobs; lease given back, waiting", "err", cause, "retry_in", s.cfg.NaverJobsRetry)
	return s.store.RequeueSync(ctx, c, store.Requeue{RunAfter: now.Add(s.cfg.NaverJobsRetry), Kind: "naver_jobs",
		Message: cause.Error() + "; waiting for room", Wait: wait})
}
