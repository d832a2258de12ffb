package naver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// Sink is where a fetch writes a report file. Reset discards what was
// written so far; the fetch calls it before every download attempt, so a
// download cut half way can be retried without leaving a partial file.
type Sink interface {
	io.Writer
	Reset() error
}

// FileSink is a Sink over an *os.File: Reset truncates it and rewinds.
type FileSink struct{ F *os.File }

// Write writes to the file.
func (s FileSink) Write(p []byte) (int, error) { return s.F.Write(p) }

// Reset truncates the file to zero bytes and seeks to its start.
func (s FileSink) Reset() error {
	if err := s.F.Truncate(0); err != nil {
		return err
	}
	_, err := s.F.Seek(0, io.SeekStart)
	return err
}

// FetchResult tells what a fetch got.
type FetchResult struct {
	// Status is StatusBuilt (a file was written to the sink) or
	// StatusNone (Naver has no data for the request; not an error).
	Status Status
	// Bytes written to the sink.
	Bytes int64
	// Calls is the number of HTTP requests made, including retries,
	// re-creates and the final DELETE.
	Calls int
	// JobID of the job the file came from (or that answered NONE).
	JobID string
}

// Limits of the fetch loop (no source: our own bounds).
const (
	maxErrorRecreates  = 2 // ERROR jobs re-created this many times
	maxVanishRecreates = 3 // jobs that vanished or whose data changed
)

// job is what the fetch loop needs of a stat or master report job.
type job struct {
	id     string
	status Status
	url    string
	ref    int64 // the journal's entry of the job
}

// jobKind adapts the stat and master endpoints to one fetch loop.
type jobKind struct {
	name   string
	create func(ctx context.Context, n *int) (job, error)
	get    func(ctx context.Context, id string, n *int) (job, error)
	del    func(ctx context.Context, id string, n *int) error
	attrs  []slog.Attr
	// journal says a Journal hears of this kind's jobs: gone is called once a job is deleted
	// (or found gone), undeleted when its DELETE failed. Without one, a job is still deleted
	// after the fetch's context ended (bounded), since nothing else would ever delete it.
	journal bool
	gone    func(ctx context.Context, ref int64) error
	// undeleted, with a journal, records a job whose DELETE failed: still ours, deleted later.
	undeleted func(ctx context.Context, ref int64, cause error) error
	// keep is StatRequest.Keep.
	keep func(ctx context.Context, res FetchResult) error
	// columns every row of the file has at least (0: not checked).
	columns int
}

// StatRequest asks FetchStatReport for one stat report.
type StatRequest struct {
	// ReportType is the report (e.g. "AD"); Day its KST day (only year, month and day count).
	ReportType string
	Day        time.Time
	// JobID continues a job made earlier (its answer was lost, or its fetch was cut short)
	// instead of creating one; when Naver no longer has it, a new job is created. JobRef is the
	// Journal's entry of that job.
	JobID  int64
	JobRef int64
	// Journal, when set, hears of every create before it is sent and of every job made or
	// gone, so that nothing this fetch makes is left unaccounted at Naver (see Journal).
	Journal Journal
	// Keep, when set, is called once the report is in the sink (or Naver answered NONE),
	// before the job is deleted: the caller stores the file then. An error ends the fetch
	// with the job kept (with a Journal, it stays recorded there for later).
	Keep func(ctx context.Context, res FetchResult) error
}

// JobKind tells stat report jobs from master report jobs (Naver keeps them apart).
type JobKind string

// Job kinds.
const (
	StatJob   JobKind = "stat"
	MasterJob JobKind = "master"
)

// JobSpec is what a create asks for: a stat report of a type and day, or a master report of
// an item (ReportType; Day zero).
type JobSpec struct {
	Kind       JobKind
	ReportType string
	Day        time.Time
}

// Journal records the report jobs a fetch may make, one entry per create sent. A create whose
// answer is lost may still have made a job (at once, or later: a late registration), which
// counts against the customer's 100 jobs until deleted; a fetch cut short (a shutdown, a lost
// lease) leaves its job behind; a DELETE can fail. The engine keeps the journal in its database
// and settles what it holds at the customer's next fetch (adopting, deleting, or dropping an
// entry that can no longer be told apart from other tools' jobs), instead of creating a job
// twice or leaving it there. A fetch with a journal never calls Naver once its context is
// done, not even to delete.
type Journal interface {
	// Creating is called just before a create is sent and returns the entry that stands for
	// it; an error stops the fetch unsent (the engine refuses when its lease could lapse
	// before the create is answered).
	Creating(ctx context.Context, spec JobSpec) (ref int64, err error)
	// Created records the id of the job Naver made for entry ref: answered, or found by
	// listing the customer's jobs after a lost answer.
	Created(ctx context.Context, ref int64, jobID string) error
	// Gone says the job of entry ref is no more: its DELETE was answered, Naver answered 404
	// on it, or the create surely made none.
	Gone(ctx context.Context, ref int64) error
	// Undeleted says a DELETE of the job of entry ref failed: it is still ours, and is deleted
	// again later.
	Undeleted(ctx context.Context, ref int64, cause error) error
	// Known reports whether the journal already holds a job with this id (another create's):
	// such a job is never taken for the answer of a lost create.
	Known(jobID string) bool
}

// regTimeSlack is how far Naver's regTm of a job may be from our clock, the default of
// Options.ClockSlack. Naver refuses requests signed a minute off its clock, so a client whose
// calls succeed is within about that of it.
const regTimeSlack = time.Minute

// FetchStatReport gets one stat report into w: it creates the job (or continues req.JobID),
// downloads at once if the answer is already BUILT (else polls with capped backoff while the
// job builds), streams the file to w and deletes the job. NONE is a result, not an error.
// ERROR jobs are re-created twice before ErrReportFailed; a job that vanished (20011) or whose
// data changed is re-created. Each HTTP call is signed afresh, rate-limited per customer, and
// retried on transient failures, except a create whose answer was lost: the job may exist, so
// instead of creating it again the customer's jobs are listed and the one job of that report
// and day registered since (see FindStatJob) is used; with none, the create is sent again; with
// several, the fetch fails with ErrUncertain.
func (c *Client) FetchStatReport(ctx context.Context, cred Credentials, req StatRequest, w Sink) (FetchResult, error) {
	reportType, day := req.ReportType, req.Day
	journal := req.Journal
	if journal == nil {
		journal = noJournal{}
	}
	adopt, adoptRef := req.JobID, req.JobRef
	k := jobKind{
		name:      "stat report",
		journal:   req.Journal != nil,
		gone:      journal.Gone,
		undeleted: journal.Undeleted,
		create: func(ctx context.Context, n *int) (job, error) {
			if adopt != 0 {
				id, ref := adopt, adoptRef
				adopt = 0
				r, err := c.getStat(ctx, cred, id, n)
				switch {
				case err == nil:
					return job{strconv.FormatInt(id, 10), r.Status, r.DownloadURL, ref}, nil
				case !errors.Is(err, ErrNotFound):
					return job{}, err
				}
				if err := journal.Gone(ctx, ref); err != nil {
					return job{}, err
				}
			}
			r, ref, err := c.createStatOnce(ctx, cred, reportType, day, journal, n)
			if err != nil {
				return job{}, err
			}
			return job{strconv.FormatInt(r.ReportJobID, 10), r.Status, r.DownloadURL, ref}, nil
		},
		get: func(ctx context.Context, id string, n *int) (job, error) {
			r, err := c.getStat(ctx, cred, parseJobID(id), n)
			if err != nil {
				return job{}, err
			}
			return job{id: id, status: r.Status, url: r.DownloadURL}, nil
		},
		del: func(ctx context.Context, id string, n *int) error {
			return c.deleteStat(ctx, cred, parseJobID(id), n)
		},
		attrs: []slog.Attr{
			slog.String("customer_id", cred.CustomerID), slog.String("report_type", reportType),
			slog.String("stat_date", day.Format(time.DateOnly)),
		},
		columns: ReportColumns[reportType],
	}
	k.keep = req.Keep
	res, err := c.fetch(ctx, cred, k, w)
	if err != nil {
		return res, fmt.Errorf("fetch %s %s: %w", reportType, day.Format(time.DateOnly), err)
	}
	return res, nil
}

func parseJobID(id string) int64 {
	n, _ := strconv.ParseInt(id, 10, 64)
	return n
}

// noJournal is the journal of a fetch without one.
type noJournal struct{}

func (noJournal) Creating(context.Context, JobSpec) (int64, error) { return 0, nil }
func (noJournal) Created(context.Context, int64, string) error     { return nil }
func (noJournal) Gone(context.Context, int64) error                { return nil }
func (noJournal) Undeleted(context.Context, int64, error) error    { return nil }
func (noJournal) Known(string) bool                                { return false }

// createStatOnce creates a stat job, with a journal entry per create sent. A create that
// surely made no job (refused, or never written to the connection) is retried like any call,
// its entry gone. One whose answer was lost is not: the customer's jobs are listed until the
// create's window (AdoptWindow) has passed, and the one job of this report and day registered
// within it that the journal does not already hold is taken as its answer (a job may register
// late, and a listing may lag). With none by the window's end, the create made none: its entry
// goes and the create is sent again under a new one. With several, or when the context ended
// first, the result is ErrUncertain and the entry stays for the engine to settle.
func (c *Client) createStatOnce(ctx context.Context, cred Credentials, reportType string, day time.Time, journal Journal, n *int) (*StatReport, int64, error) {
	for attempt := 1; ; attempt++ {
		ref, err := journal.Creating(ctx, JobSpec{Kind: StatJob, ReportType: reportType, Day: day})
		if err != nil {
			return nil, 0, err
		}
		sent := c.now()
		r, err := c.createStat(ctx, cred, reportType, day, n)
		if err == nil {
			if err := journal.Created(ctx, ref, strconv.FormatInt(r.ReportJobID, 10)); err != nil {
				return nil, 0, err
			}
			return r, ref, nil
		}
		if !errors.Is(err, ErrUncertain) {
			if gerr := journal.Gone(ctx, ref); gerr != nil {
				return nil, 0, errors.Join(err, gerr)
			}
			return nil, 0, err
		}
		if ctx.Err() != nil {
			return nil, 0, err
		}
		found, ok, ferr := c.awaitLostJob(ctx, cred, reportType, day, sent, journal, n)
		switch {
		case ferr != nil:
			return nil, 0, errors.Join(err, ferr)
		case ok:
			c.log.LogAttrs(ctx, slog.LevelInfo, "naver create answer lost; found the job it made",
				slog.String("customer_id", cred.CustomerID), slog.String("report_type", reportType),
				slog.String("stat_date", day.Format(time.DateOnly)), slog.Int64("job_id", found.ReportJobID))
			if err := journal.Created(ctx, ref, strconv.FormatInt(found.ReportJobID, 10)); err != nil {
				return nil, 0, err
			}
			return &found, ref, nil
		}
		// No job registered within the create's window: it made none.
		if err := journal.Gone(ctx, ref); err != nil {
			return nil, 0, err
		}
		if attempt >= c.opts.MaxAttempts {
			return nil, 0, err
		}
		if serr := sleep(ctx, c.backoff(attempt)); serr != nil {
			return nil, 0, errors.Join(err, serr)
		}
	}
}

// awaitLostJob looks for the job of a create sent at sent whose answer was lost: it lists the
// customer's jobs until one matches (MatchStatJob, jobs the journal holds left out) or the
// create's window has passed (a job may register late, and listings may lag). ok is false when
// none registered within the window; ErrUncertain when several did.
func (c *Client) awaitLostJob(ctx context.Context, cred Credentials, reportType string, day, sent time.Time, journal Journal, n *int) (StatReport, bool, error) {
	before, after := c.AdoptWindow()
	end := sent.Add(after)
	for poll := 1; ; poll++ {
		jobs, err := c.listStat(ctx, cred, n)
		if err != nil {
			return StatReport{}, false, err
		}
		found, ok, err := MatchStatJob(jobs, reportType, day, sent, before, after, journalKnows(journal))
		switch {
		case err != nil || ok:
			return found, ok, err
		case c.now().After(end):
			return StatReport{}, false, nil
		}
		if err := sleep(ctx, min(c.backoff(poll), max(end.Sub(c.now()), 0)+time.Millisecond)); err != nil {
			return StatReport{}, false, err
		}
	}
}

func journalKnows(j Journal) func(int64) bool {
	return func(id int64) bool { return j.Known(strconv.FormatInt(id, 10)) }
}

// createMasterOnce is createStatOnce for a master report of item.
func (c *Client) createMasterOnce(ctx context.Context, cred Credentials, item string, from time.Time, journal Journal, n *int) (*MasterReport, int64, error) {
	for attempt := 1; ; attempt++ {
		ref, err := journal.Creating(ctx, JobSpec{Kind: MasterJob, ReportType: item})
		if err != nil {
			return nil, 0, err
		}
		sent := c.now()
		r, err := c.createMaster(ctx, cred, item, from, n)
		switch {
		case err == nil:
			if err := journal.Created(ctx, ref, r.ID); err != nil {
				return nil, 0, err
			}
			return r, ref, nil
		case !errors.Is(err, ErrUncertain):
			// Refused, or never sent: no job made.
			if gerr := journal.Gone(ctx, ref); gerr != nil {
				return nil, 0, errors.Join(err, gerr)
			}
			return nil, 0, err
		case ctx.Err() != nil:
			return nil, 0, err // the entry stays: the engine settles it
		}
		found, ok, ferr := c.awaitLostMaster(ctx, cred, item, sent, journal, n)
		switch {
		case ferr != nil:
			return nil, 0, errors.Join(err, ferr)
		case ok:
			c.log.LogAttrs(ctx, slog.LevelInfo, "naver create answer lost; found the master job it made",
				slog.String("customer_id", cred.CustomerID), slog.String("item", item), slog.String("job_id", found.ID))
			if err := journal.Created(ctx, ref, found.ID); err != nil {
				return nil, 0, err
			}
			return &found, ref, nil
		}
		// No job registered within the create's window: it made none.
		if err := journal.Gone(ctx, ref); err != nil {
			return nil, 0, err
		}
		if attempt >= c.opts.MaxAttempts {
			return nil, 0, err
		}
		if serr := sleep(ctx, c.backoff(attempt)); serr != nil {
			return nil, 0, errors.Join(err, serr)
		}
	}
}

// awaitLostMaster is awaitLostJob for a master create of item: the one master job of item
// whose update time lies within the create's window and that the journal does not hold.
func (c *Client) awaitLostMaster(ctx context.Context, cred Credentials, item string, sent time.Time, journal Journal, n *int) (MasterReport, bool, error) {
	before, after := c.AdoptWindow()
	lo, end := sent.Add(-before), sent.Add(after)
	for poll := 1; ; poll++ {
		var out []masterReportJSON
		if _, err := c.doJSON(ctx, cred, http.MethodGet, "/master-reports", nil, &out, n); err != nil {
			return MasterReport{}, false, fmt.Errorf("list master reports: %w", err)
		}
		var match []MasterReport
		for i := range out {
			m := out[i].report()
			if m.Item == item && !m.UpdateTime.Before(lo) && !m.UpdateTime.After(end) && !journal.Known(m.ID) {
				match = append(match, m)
			}
		}
		switch {
		case len(match) == 1:
			return match[0], true, nil
		case len(match) > 1:
			return MasterReport{}, false, fmt.Errorf("%d master jobs of %s registered since the create, ours cannot be told apart: %w", len(match), item, ErrUncertain)
		case c.now().After(end):
			return MasterReport{}, false, nil
		}
		if err := sleep(ctx, min(c.backoff(poll), max(end.Sub(c.now()), 0)+time.Millisecond)); err != nil {
			return MasterReport{}, false, err
		}
	}
}

// AdoptWindow is how a job of a create whose answer was lost may be told by its regTm: from
// before ahead of the time the create was sent (Naver's clock may be behind ours) to after past
// it (the create's own timeout, plus the clock difference). Options.ClockSlack and
// Options.CreateWindow.
func (c *Client) AdoptWindow() (before, after time.Duration) {
	return c.opts.ClockSlack, c.opts.CreateWindow
}

// FindStatJob lists the customer's stat jobs and returns the one job of reportType and day
// registered within the create window of sent (AdoptWindow). ok is false when there is none;
// ErrUncertain when there are several, since Naver's jobs carry no mark of the tool that made
// them and another tool may have asked for the same report.
func (c *Client) FindStatJob(ctx context.Context, cred Credentials, reportType string, day, sent time.Time) (StatReport, bool, error) {
	jobs, err := c.listStat(ctx, cred, nil)
	if err != nil {
		return StatReport{}, false, err
	}
	before, after := c.AdoptWindow()
	return MatchStatJob(jobs, reportType, day, sent, before, after, nil)
}

// MatchStatJob finds, in a listing of the customer's jobs, the job a create of reportType and
// day sent at sent made: registered (regTm) no earlier than sent-before and no later than
// sent+after, and not one known (nil: none) to be another create's. ok is false when there is
// none; ErrUncertain when there are several.
func MatchStatJob(jobs []StatReport, reportType string, day, sent time.Time, before, after time.Duration, known func(int64) bool) (StatReport, bool, error) {
	d := day.Format(time.DateOnly)
	lo, hi := sent.Add(-before), sent.Add(after)
	var match []StatReport
	for _, j := range jobs {
		if j.ReportType == reportType && j.Day.Format(time.DateOnly) == d && !j.RegTime.Before(lo) && !j.RegTime.After(hi) &&
			(known == nil || !known(j.ReportJobID)) {
			match = append(match, j)
		}
	}
	switch len(match) {
	case 0:
		return StatReport{}, false, nil
	case 1:
		return match[0], true, nil
	}
	return StatReport{}, false, fmt.Errorf("%d jobs of %s %s registered within [%s, %s], ours cannot be told apart: %w",
		len(match), reportType, d, lo.UTC().Format(time.RFC3339), hi.UTC().Format(time.RFC3339), ErrUncertain)
}

// FetchMasterReport is FetchStatReport for a master report of item (all
// entities when from is zero, else the changes since from), without a journal.
func (c *Client) FetchMasterReport(ctx context.Context, cred Credentials, item string, from time.Time, w Sink) (FetchResult, error) {
	return c.FetchMaster(ctx, cred, MasterRequest{Item: item, From: from}, w)
}

// MasterRequest asks FetchMaster for one master report.
type MasterRequest struct {
	// Item is the master item (e.g. "Campaign"); From, when not zero, asks only for the
	// changes since then.
	Item string
	From time.Time
	// Journal, when set, hears of every create before it is sent and of every job made, gone
	// or left undeleted, as for stat reports (its entries have Kind MasterJob).
	Journal Journal
}

// FetchMaster gets one master report into w, as FetchStatReport does a stat report. With a
// Journal, a create that failed after it was written stays in it (Naver may have made the
// job: the engine settles it), and a job whose DELETE failed stays there to be deleted later.
func (c *Client) FetchMaster(ctx context.Context, cred Credentials, req MasterRequest, w Sink) (FetchResult, error) {
	item, from := req.Item, req.From
	journal := req.Journal
	if journal == nil {
		journal = noJournal{}
	}
	k := jobKind{
		name:      "master report",
		journal:   req.Journal != nil,
		gone:      journal.Gone,
		undeleted: journal.Undeleted,
		create: func(ctx context.Context, n *int) (job, error) {
			r, ref, err := c.createMasterOnce(ctx, cred, item, from, journal, n)
			if err != nil {
				return job{}, err
			}
			return job{r.ID, r.Status, r.DownloadURL, ref}, nil
		},
		get: func(ctx context.Context, id string, n *int) (job, error) {
			r, err := c.getMaster(ctx, cred, id, n)
			if err != nil {
				return job{}, err
			}
			return job{id: id, status: r.Status, url: r.DownloadURL}, nil
		},
		del: func(ctx context.Context, id string, n *int) error { return c.deleteMaster(ctx, cred, id, n) },
		attrs: []slog.Attr{
			slog.String("customer_id", cred.CustomerID), slog.String("report_type", "master:"+item),
		},
		columns: masterColumns[item],
	}
	res, err := c.fetch(ctx, cred, k, w)
	if err != nil {
		return res, fmt.Errorf("fetch master %s: %w", item, err)
	}
	return res, nil
}

// errRecreate tells the fetch loop to drop the current job and create a new one.
type errRecreate struct{ cause error }

func (e *errRecreate) Error() string { return e.cause.Error() }
func (e *errRecreate) Unwrap() error { return e.cause }

func (c *Client) fetch(ctx context.Context, cred Credentials, k jobKind, w Sink) (FetchResult, error) {
	var res FetchResult
	errorRecreates, vanishRecreates := 0, 0
	for {
		j, err := k.create(ctx, &res.Calls)
		if err != nil {
			return res, err
		}
		res.JobID = j.id
		res.Bytes = 0
		st, err := c.runJob(ctx, cred, k, j, w, &res)
		var rc *errRecreate
		switch {
		case err == nil:
			res.Status = st
			if k.keep != nil {
				if err := k.keep(ctx, res); err != nil {
					if !k.journal {
						c.deleteJob(ctx, k, j, &res)
					}
					return res, err
				}
			}
			c.deleteJob(ctx, k, j, &res)
			return res, nil
		case errors.As(err, &rc) && errors.Is(err, ErrReportFailed):
			c.deleteJob(ctx, k, j, &res)
			if errorRecreates >= maxErrorRecreates {
				return res, rc.cause
			}
			errorRecreates++
		case errors.As(err, &rc):
			if !errors.Is(err, ErrNotFound) {
				c.deleteJob(ctx, k, j, &res)
			} else if k.gone != nil {
				if gerr := k.gone(ctx, j.ref); gerr != nil {
					return res, gerr
				}
			}
			if vanishRecreates >= maxVanishRecreates {
				return res, rc.cause
			}
			vanishRecreates++
		default:
			if ctx.Err() == nil || !k.journal {
				c.deleteJob(ctx, k, j, &res)
			}
			return res, err
		}
		c.log.LogAttrs(ctx, slog.LevelInfo, "naver job re-created",
			append(k.attrs, slog.String("job_id", j.id), slog.String("reason", err.Error()))...)
	}
}

// runJob waits for j to finish and downloads it. It returns BUILT or NONE,
// an *errRecreate when a new job should be made, or another error.
func (c *Client) runJob(ctx context.Context, cred Credentials, k jobKind, j job, w Sink, res *FetchResult) (Status, error) {
	start := c.now()
	for polls := 0; j.status.Building(); polls++ {
		if c.now().Sub(start) > c.opts.PollTimeout {
			return "", fmt.Errorf("%s %s still %s after %s: %w", k.name, j.id, j.status, c.opts.PollTimeout, ErrNotReady)
		}
		wait := c.polls.first(k.name)
		if polls > 0 {
			wait = c.polls.then(k.name, polls)
		}
		if err := sleep(ctx, wait); err != nil {
			return "", err
		}
		var err error
		if j, err = k.get(ctx, j.id, &res.Calls); err != nil {
			if errors.Is(err, ErrNotFound) {
				return "", &errRecreate{err}
			}
			return "", err
		}
		if polls == 0 {
			c.polls.seen(k.name, j.status.Building())
		}
	}
	switch {
	case j.status == StatusNone:
		return StatusNone, nil
	case j.status == StatusError:
		return "", &errRecreate{fmt.Errorf("%s %s ended ERROR: %w", k.name, j.id, ErrReportFailed)}
	case strings.Contains(strings.ToUpper(string(j.status)), "CHANGE"):
		return "", &errRecreate{fmt.Errorf("%s %s status %s: %w", k.name, j.id, j.status, ErrDataChanged)}
	case j.status != StatusBuilt:
		return "", fmt.Errorf("%s %s: unknown status %q: %w", k.name, j.id, j.status, ErrReportFailed)
	case j.url == "":
		return "", fmt.Errorf("%s %s: BUILT without downloadUrl: %w", k.name, j.id, ErrReportFailed)
	}
	err := c.retry(ctx, func() error {
		if err := w.Reset(); err != nil {
			return fmt.Errorf("reset sink: %w", err)
		}
		n, err := c.download(ctx, cred, j.url, w, k.columns, &res.Calls)
		res.Bytes = n
		return err
	})
	switch {
	case err == nil:
		return StatusBuilt, nil
	case errors.Is(err, ErrDataChanged), errors.Is(err, ErrNotFound):
		return "", &errRecreate{err}
	}
	return "", err
}

// deleteJob deletes a finished job; a failure is logged, not returned. With a journal, a job
// that could not be deleted is recorded as such (Undeleted: it is still ours, and the engine
// deletes it later), and one whose fetch's context ended stays in it as made; without one, the
// delete still runs when ctx is canceled (bounded), so that jobs do not pile up toward the
// per-customer cap. Either way a Gate on ctx (the engine's lease holder) still bounds it: a
// delete that cannot be sent before the holder's deadline fails with ErrDeadline and the job is
// left for the next holder.
func (c *Client) deleteJob(ctx context.Context, k jobKind, j job, res *FetchResult) {
	id := j.id
	dctx := ctx
	if !k.journal {
		var cancel context.CancelFunc
		dctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second) // keeps ctx's Gate
		defer cancel()
	}
	err := k.del(dctx, id, &res.Calls)
	if errors.Is(err, ErrDeadline) {
		c.log.LogAttrs(ctx, slog.LevelInfo, "naver job not deleted: the holder's deadline passed; left for the next holder",
			append(k.attrs, slog.String("job_id", id), slog.String("error", err.Error()))...)
		return
	}
	if err != nil && !errors.Is(err, ErrNotFound) {
		c.log.LogAttrs(ctx, slog.LevelWarn, "naver job delete failed",
			append(k.attrs, slog.String("job_id", id), slog.String("error", err.Error()))...)
		if k.undeleted != nil && ctx.Err() == nil {
			if uerr := k.undeleted(ctx, j.ref, err); uerr != nil {
				c.log.LogAttrs(ctx, slog.LevelWarn, "naver job delete failed and not recorded as undeleted",
					append(k.attrs, slog.String("job_id", id), slog.String("error", uerr.Error()))...)
			}
		}
		return
	}
	if k.gone != nil {
		if err := k.gone(ctx, j.ref); err != nil {
			c.log.LogAttrs(ctx, slog.LevelWarn, "naver job deleted but not unrecorded",
				append(k.attrs, slog.String("job_id", id), slog.String("error", err.Error()))...)
		}
	}
}
