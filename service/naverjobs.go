package service

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/naversync/naversync/naver"
	"github.com/naversync/naversync/store"
)

// naverJobCap is how many report jobs Naver keeps per customer id, other tools' included; the
// next create silently deletes the oldest.
const naverJobCap = 100

// jobJournal is the naver.Journal of one fetch: it records each create in the database before
// it is sent (one row per create, never overwritten) and each job made, gone or left undeleted,
// fenced by the fetch's claim, so that this fetch and the next holders of the customer's lease
// can settle what a lost answer, a failed delete, a shutdown or a crash left at Naver. It also
// keeps the journal's rows in memory, so that a listing can be split into our jobs and other
// tools'.
type jobJournal struct {
	s      *Service
	claim  store.Claim
	syncID string
	guard  *guard
	log    *slog.Logger

	mu   sync.Mutex
	rows map[int64]*journalRow // by the journal's id
}

// journalRow is one row of the journal and what this fetch does with it.
type journalRow struct {
	store.NaverJob
	// inFlight: a task of this fetch works on the job (it is counted among the fetch's slots,
	// not as a job left over).
	inFlight bool
}

func newJobJournal(s *Service, c store.Claim, syncID string, g *guard, log *slog.Logger) *jobJournal {
	return &jobJournal{s: s, claim: c, syncID: syncID, guard: g, log: log, rows: map[int64]*journalRow{}}
}

// Creating waits until the claim has at least a call's budget left before its deadline (a
// create that could not be answered before the lease could lapse is not sent), then records
// the create as sent.
func (j *jobJournal) Creating(ctx context.Context, spec naver.JobSpec) (int64, error) {
	if err := j.guard.await(ctx, j.s.callBudget()); err != nil {
		return 0, err
	}
	row := store.NaverJob{Kind: store.JobKind(spec.Kind), ReportType: spec.ReportType, SyncID: j.syncID}
	if spec.Kind == naver.StatJob {
		row.StatDate = spec.Day.Format(dayLayout)
	}
	row, err := j.s.store.JournalCreate(ctx, j.claim, row)
	if err != nil {
		return 0, fence(err)
	}
	j.mu.Lock()
	j.rows[row.ID] = &journalRow{NaverJob: row, inFlight: true}
	j.mu.Unlock()
	return row.ID, nil
}

// Created records the job id Naver made for a create.
func (j *jobJournal) Created(ctx context.Context, ref int64, jobID string) error {
	if err := fence(j.s.store.JournalMade(ctx, j.claim, ref, jobID)); err != nil {
		return err
	}
	j.mu.Lock()
	if r := j.rows[ref]; r != nil {
		r.JobID, r.State = jobID, store.JobMade
	}
	j.mu.Unlock()
	return nil
}

// Gone forgets a job: Naver confirmed it gone, or the create made none.
func (j *jobJournal) Gone(ctx context.Context, ref int64) error {
	if err := fence(j.s.store.JournalGone(ctx, j.claim, ref)); err != nil {
		return err
	}
	j.mu.Lock()
	delete(j.rows, ref)
	j.mu.Unlock()
	return nil
}

// Undeleted records a job whose DELETE failed: still ours, it takes room at Naver until a
// later DELETE (after a back-off that grows with its failed attempts) is answered.
func (j *jobJournal) Undeleted(ctx context.Context, ref int64, cause error) error {
	j.mu.Lock()
	attempts := 0
	if r := j.rows[ref]; r != nil {
		attempts = r.DeleteAttempts
	}
	j.mu.Unlock()
	after := j.s.now().Add(j.s.deleteBackoff(attempts + 1))
	if err := fence(j.s.store.JournalUndeleted(ctx, j.claim, ref, after)); err != nil {
		return err
	}
	j.mu.Lock()
	if r := j.rows[ref]; r != nil {
		r.State, r.DeleteAttempts, r.DeleteAfter, r.inFlight = store.JobUndeleted, attempts+1, after, false
		j.log.Warn("a report job of ours could not be deleted; it is deleted again later", "report_type", r.ReportType,
			"stat_date", r.StatDate, "job_id", r.JobID, "attempts", r.DeleteAttempts, "err", cause)
	}
	j.mu.Unlock()
	return nil
}

// Known reports whether the journal holds a job with this id.
func (j *jobJournal) Known(jobID string) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, r := range j.rows {
		if r.JobID == jobID {
			return true
		}
	}
	return false
}

func (j *jobJournal) knownStat(id int64) bool { return j.Known(strconv.FormatInt(id, 10)) }

// done marks every row of a report that a task worked on as no longer in flight: what is left
// of them (a create whose answer is still unknown, a job whose DELETE failed or that was kept
// after an error) is settled like any row left over.
func (j *jobJournal) done(kind store.JobKind, reportType, statDate string) {
	j.mu.Lock()
	for _, r := range j.rows {
		if r.Kind == kind && r.ReportType == reportType && r.StatDate == statDate {
			r.inFlight = false
		}
	}
	j.mu.Unlock()
}

// take marks the row a task continues as in flight.
func (j *jobJournal) take(ref int64) {
	j.mu.Lock()
	if r := j.rows[ref]; r != nil {
		r.inFlight = true
	}
	j.mu.Unlock()
}

// leftovers counts our stat jobs at Naver that no task of this fetch works on: made by an
// earlier fetch, or whose DELETE failed. They take room at Naver as much as in-flight jobs do.
func (j *jobJournal) leftovers() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	n := 0
	for _, r := range j.rows {
		if r.Kind == store.JobStat && r.JobID != "" && !r.inFlight {
			n++
		}
	}
	return n
}

// snapshot copies the rows no task of this fetch works on, oldest create first.
func (j *jobJournal) snapshot() []journalRow {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make([]journalRow, 0, len(j.rows))
	for _, r := range j.rows {
		if !r.inFlight {
			out = append(out, *r)
		}
	}
	slices.SortFunc(out, func(a, b journalRow) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// callBudget is the time a Naver call may need: a create is not sent with less left before the
// claim's deadline.
func (s *Service) callBudget() time.Duration { return s.cfg.LeaseTTL / 6 }

// deleteBackoff is how long a job whose DELETE failed attempts times waits before the next:
// RetryBase doubled per attempt, at most 5 minutes.
func (s *Service) deleteBackoff(attempts int) time.Duration {
	d := s.cfg.RetryBase
	for i := 1; i < attempts && d < 5*time.Minute; i++ {
		d *= 2
	}
	return min(d, 5*time.Minute)
}

// jobSettler resolves the journal's rows that no task of this fetch works on against listings
// of the customer's jobs: a create whose answer was lost is matched to the one job of its
// report and day registered within the create's window (AdoptWindow, by Naver's regTm, however
// late the listing) that no other row holds; a listing past that window that finds no single
// such job drops it without adopting anything (another tool's job could not be told apart from
// ours); a job of ours is continued by the task that needs it or deleted
// (a failed DELETE is tried again after its back-off).
type jobSettler struct {
	s       *Service
	cred    naver.Credentials
	journal *jobJournal
	log     *slog.Logger
}

// settle resolves the rows against a stat listing. need maps "type|day" to the task that
// still has to fetch that report (nil: none); all says deletes ignore their back-off (a new
// holder of the customer: the next chance).
func (st *jobSettler) settle(ctx context.Context, listed []naver.StatReport, need map[string]*fetchTask, all bool) error {
	s, j := st.s, st.journal
	before, after := s.naver.AdoptWindow()
	now := s.now()
	var masters []naver.MasterReport
	mastersListed := false
	for _, r := range j.snapshot() {
		day, _ := time.Parse(dayLayout, r.StatDate)
		log := st.log.With("kind", r.Kind, "report_type", r.ReportType, "stat_date", r.StatDate, "journal_id", r.ID)
		if r.State == store.JobSent {
			inWindow := now.Sub(r.SentAt) <= after
			var id string
			var merr error
			switch r.Kind {
			case store.JobStat:
				m, ok, err := naver.MatchStatJob(listed, r.ReportType, day, r.SentAt, before, after, j.knownStat)
				merr = err
				if ok {
					id = strconv.FormatInt(m.ReportJobID, 10)
				}
			case store.JobMaster:
				if !mastersListed {
					var err error
					masters, err = s.naver.ListMasterReports(ctx, st.cred)
					s.met.naverCalls.Inc()
					if err != nil {
						return fmt.Errorf("list master report jobs: %w", err)
					}
					mastersListed = true
				}
				id, merr = matchMasterJob(masters, r.ReportType, r.SentAt, before, after, j.Known)
			}
			switch {
			case id != "":
				// The one job registered within the create's window (by Naver's regTm, whenever
				// this listing runs): ours. A job another tool made later falls outside it.
			case inWindow:
				continue // nothing (or several) yet: a later listing within the window looks again
			default:
				// Past its window with no single job registered within it: resolved by this one
				// listing, without adopting anything.
				log.Warn("a create whose answer was lost is past its window and no single job registered within it; dropped without adopting a job",
					"sent_at", r.SentAt, "err", merr)
				if err := j.Gone(ctx, r.ID); err != nil {
					return err
				}
				continue
			}
			log.Info("found the job of a create whose answer was lost", "job_id", id)
			if err := j.Created(ctx, r.ID, id); err != nil {
				return err
			}
			r.JobID, r.State = id, store.JobMade
		}
		// A job of ours: continued by the task that needs it, or deleted.
		key := r.ReportType + "|" + r.StatDate
		// (A task that already holds this very job, taken as the create's answer was found, is
		// left with it: deleting it under the task made the task create the report again.)
		if t := need[key]; r.Kind == store.JobStat && r.State == store.JobMade && t != nil &&
			(t.jobID == 0 || t.jobID == parseJobID(r.JobID)) {
			t.jobID, t.jobRef = parseJobID(r.JobID), r.ID
			j.take(r.ID) // the task's from now on: never deleted by a later settle under it
			continue
		}
		if !all && now.Before(r.DeleteAfter) {
			continue
		}
		if err := st.delete(ctx, r, log); err != nil {
			return err
		}
	}
	return nil
}

// delete deletes a job of ours; a failure is recorded (the job stays ours), not returned.
func (st *jobSettler) delete(ctx context.Context, r journalRow, log *slog.Logger) error {
	var err error
	if r.Kind == store.JobMaster {
		err = st.s.naver.DeleteMasterReport(ctx, st.cred, r.JobID)
	} else {
		err = st.s.naver.DeleteStatReport(ctx, st.cred, parseJobID(r.JobID))
	}
	st.s.met.naverCalls.Inc()
	switch {
	case err == nil || errors.Is(err, naver.ErrNotFound):
		log.Info("deleted a job of ours left at Naver", "job_id", r.JobID)
		return st.journal.Gone(ctx, r.ID)
	case ctx.Err() != nil:
		return context.Cause(ctx)
	}
	return st.journal.Undeleted(ctx, r.ID, err)
}

// pending counts the rows whose creates' answers were lost and that are still within their
// window (a listing may yet show their jobs), and tells when the last window ends.
func (st *jobSettler) pending() (n int, until time.Time) {
	_, after := st.s.naver.AdoptWindow()
	now := st.s.now()
	for _, r := range st.journal.snapshot() {
		if r.State == store.JobSent && now.Sub(r.SentAt) <= after {
			n++
			until = maxTime(until, r.SentAt.Add(after))
		}
	}
	return n, until
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func parseJobID(id string) int64 {
	n, _ := strconv.ParseInt(id, 10, 64)
	return n
}

// matchMasterJob is naver.MatchStatJob for master jobs: the one job of item whose update time
// lies within the create's window and that no other row holds.
func matchMasterJob(jobs []naver.MasterReport, item string, sent time.Time, before, after time.Duration, known func(string) bool) (string, error) {
	lo, hi := sent.Add(-before), sent.Add(after)
	var match []string
	for _, m := range jobs {
		if m.Item == item && !m.UpdateTime.Before(lo) && !m.UpdateTime.After(hi) && !known(m.ID) {
			match = append(match, m.ID)
		}
	}
	switch len(match) {
	case 0:
		return "", nil
	case 1:
		return match[0], nil
	}
	return "", fmt.Errorf("%d master jobs of %s within the window, ours cannot be told apart: %w", len(match), item, naver.ErrUncertain)
}

// settleJobs lists the customer's report jobs at Naver and settles the journal's rows from
// earlier fetches (see jobSettler): a job a task of this fetch needs is continued by it (no
// second create), any other is deleted. It returns the job slots of this fetch, sized from how
// many jobs other tools hold and how many of ours are left over.
func (s *Service) settleJobs(ctx context.Context, sy store.Sync, cred naver.Credentials, tasks []fetchTask, j *jobJournal, log *slog.Logger) (*jobSlots, error) {
	entries, err := s.store.NaverJobs(ctx, sy.CustomerID)
	if err != nil {
		return nil, fmt.Errorf("%w: report jobs: %v", errStorage, err)
	}
	j.mu.Lock()
	for _, e := range entries {
		j.rows[e.ID] = &journalRow{NaverJob: e}
	}
	j.mu.Unlock()
	st := &jobSettler{s: s, cred: cred, journal: j, log: log}
	slots := &jobSlots{s: s, cred: cred, journal: j, settler: st, log: log, freed: make(chan struct{})}
	if len(tasks) == 0 && len(entries) == 0 {
		return slots, nil // nothing to ask Naver for, nothing left there to settle
	}
	listed, err := s.naver.ListStatReports(ctx, cred)
	s.met.naverCalls.Inc()
	if err != nil {
		return nil, fmt.Errorf("list report jobs: %w", err)
	}
	need := make(map[string]*fetchTask, len(tasks))
	for i := range tasks {
		need[tasks[i].reportType+"|"+tasks[i].day.Format(dayLayout)] = &tasks[i]
	}
	if err := st.settle(ctx, listed, need, true); err != nil {
		return nil, err
	}
	slots.count(listed)
	return slots, nil
}

// finishJobs, at the end of a fetch whose reports are all in, settles what the fetch leaves in
// the journal: creates whose answers were lost are looked for until their window ends (a late
// registration shows up in it), and jobs whose DELETE failed are tried again a few times with
// their back-off. What is still undeleted then stays journaled: the customer's next fetch, on
// any replica, deletes it.
func (s *Service) finishJobs(ctx context.Context, slots *jobSlots) error {
	st := slots.settler
	const deletePasses = 2
	for pass := 0; ; pass++ {
		pending, until := st.pending()
		left := slots.journal.leftovers() + masterLeftovers(slots.journal)
		if pending == 0 && (left == 0 || pass > deletePasses) {
			return nil
		}
		if pass > 0 {
			wait := s.deleteBackoff(pass)
			if pending > 0 {
				wait = min(wait, max(until.Sub(s.now()), s.cfg.RetryBase))
			}
			if err := sleepCtx(ctx, wait); err != nil {
				return err
			}
		}
		listed, err := s.naver.ListStatReports(ctx, slots.cred)
		s.met.naverCalls.Inc()
		if err != nil {
			return fmt.Errorf("list report jobs: %w", err)
		}
		if err := st.settle(ctx, listed, nil, false); err != nil {
			return err
		}
	}
}

func masterLeftovers(j *jobJournal) int {
	n := 0
	for _, r := range j.snapshot() {
		if r.Kind == store.JobMaster && r.JobID != "" {
			n++
		}
	}
	return n
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}

// jobSlots bounds this fetch's outstanding report jobs by the room the customer has at Naver:
// 100 jobs per customer id, other tools' included, the 101st create silently deleting the
// oldest (another tool's, as like as not). The room is 100 less a margin less the jobs others
// hold less the jobs of ours no task works on (left by earlier fetches, or whose DELETE
// failed), at most ReportWindow. Others come and go, so the jobs are listed again after every
// ReportWindow creates and whenever a create would find no room; each listing also settles the
// journal (our leftovers are deleted once their back-off allows). With no room at all and none
// of our jobs in flight, the fetch gives its lease back and waits (naverJobsFull).
type jobSlots struct {
	s       *Service
	cred    naver.Credentials
	journal *jobJournal
	settler *jobSettler
	log     *slog.Logger

	mu        sync.Mutex
	used      int
	others    int // jobs of other tools in the last listing
	sinceList int // creates since that listing
	granted   int // slots taken by this fetch in all
	freed     chan struct{}
	failed    error
}

// count takes the number of other tools' jobs from a listing: every job the journal does not
// hold (a job a lost create may have made counts as theirs until adopted: it takes room all
// the same).
func (js *jobSlots) count(listed []naver.StatReport) {
	others := 0
	for _, r := range listed {
		if !js.journal.knownStat(r.ReportJobID) {
			others++
		}
	}
	js.others, js.sinceList = others, 0
}

func (js *jobSlots) limit() int {
	return min(js.s.cfg.ReportWindow, naverJobCap-js.s.cfg.NaverJobMargin-js.others-js.journal.leftovers())
}

// relist lists the customer's jobs, settles the journal against the listing and counts again.
func (js *jobSlots) relist(ctx context.Context) error {
	listed, err := js.s.naver.ListStatReports(ctx, js.cred)
	js.s.met.naverCalls.Inc()
	if err != nil {
		return fmt.Errorf("list report jobs: %w", err)
	}
	if err := js.settler.settle(ctx, listed, nil, false); err != nil {
		return err
	}
	js.count(listed)
	return nil
}

// acquire takes a slot for one report's job, waiting while the room is used up.
func (js *jobSlots) acquire(ctx context.Context) error {
	for {
		js.mu.Lock()
		if js.failed != nil {
			js.mu.Unlock()
			return js.failed
		}
		// List again after a window of creates, and when the room is short of our window and
		// used up (others may have finished some, and our leftovers may be deletable).
		if js.sinceList >= js.s.cfg.ReportWindow || js.used >= js.limit() && js.limit() < js.s.cfg.ReportWindow {
			if err := js.relist(ctx); err != nil {
				js.failed = err
				js.mu.Unlock()
				return err
			}
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
			js.failed = &naverJobsFull{others: js.others, ours: js.journal.leftovers(), hadRoom: js.granted > 0}
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

// naverJobsFull: the customer's report jobs at Naver leave no room: any create of ours would
// evict one of them. others are other tools' jobs, ours jobs of ours not deleted yet (their
// DELETE failed). hadRoom: this fetch had room before it ran out (so a new wait starts; without
// it, the wait in course goes on).
type naverJobsFull struct {
	others, ours int
	hadRoom      bool
}

func (e *naverJobsFull) Error() string {
	msg := fmt.Sprintf("other tools hold %d of this customer's %d report jobs at Naver", e.others, naverJobCap)
	if e.ours > 0 {
		msg += fmt.Sprintf(", and %d of ours could not be deleted yet", e.ours)
	}
	return msg + "; a create now would make Naver delete the oldest of them"
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
		log.Error("sync failed", "kind", KindNaverJobs, "err", cause)
		if err := s.store.FailSync(ctx, c, string(KindNaverJobs), msg); err != nil {
			return err
		}
		s.met.syncsDone.WithLabelValues(StatusFailed).Inc()
		return nil
	}
	log.Warn("no room among the customer's Naver report jobs; lease given back, waiting", "err", cause, "retry_in", s.cfg.NaverJobsRetry)
	return s.store.RequeueSync(ctx, c, store.Requeue{RunAfter: now.Add(s.cfg.NaverJobsRetry), Kind: string(KindNaverJobs),
		Message: cause.Error() + "; waiting for room", Wait: wait})
}
