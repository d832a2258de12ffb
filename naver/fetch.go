package naver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
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
}

// jobKind adapts the stat and master endpoints to one fetch loop.
type jobKind struct {
	name   string
	create func(ctx context.Context, n *int) (job, error)
	get    func(ctx context.Context, id string, n *int) (job, error)
	del    func(ctx context.Context, id string, n *int) error
	attrs  []slog.Attr
	// columns every row of the file has at least (0: not checked).
	columns int
}

// FetchStatReport gets the report of reportType for one KST day into w:
// it creates the job, downloads at once if the answer is already BUILT
// (else polls with capped backoff while the job builds), streams the file
// to w and deletes the job. NONE is a result, not an error. ERROR jobs are
// re-created twice before ErrReportFailed; a job that vanished (20011) or
// whose data changed is re-created. Each HTTP call is signed afresh,
// rate-limited per customer, and retried on transient failures.
func (c *Client) FetchStatReport(ctx context.Context, cred Credentials, reportType string, day time.Time, w Sink) (FetchResult, error) {
	k := jobKind{
		name: "stat report",
		create: func(ctx context.Context, n *int) (job, error) {
			r, err := c.createStat(ctx, cred, reportType, day, n)
			if err != nil {
				return job{}, err
			}
			return job{strconv.FormatInt(r.ReportJobID, 10), r.Status, r.DownloadURL}, nil
		},
		get: func(ctx context.Context, id string, n *int) (job, error) {
			jid, _ := strconv.ParseInt(id, 10, 64)
			r, err := c.getStat(ctx, cred, jid, n)
			if err != nil {
				return job{}, err
			}
			return job{id, r.Status, r.DownloadURL}, nil
		},
		del: func(ctx context.Context, id string, n *int) error {
			jid, _ := strconv.ParseInt(id, 10, 64)
			return c.deleteStat(ctx, cred, jid, n)
		},
		attrs: []slog.Attr{
			slog.String("customer_id", cred.CustomerID), slog.String("report_type", reportType),
			slog.String("stat_date", day.Format(time.DateOnly)),
		},
		columns: ReportColumns[reportType],
	}
	res, err := c.fetch(ctx, cred, k, w)
	if err != nil {
		return res, fmt.Errorf("fetch %s %s: %w", reportType, day.Format(time.DateOnly), err)
	}
	return res, nil
}

// FetchMasterReport is FetchStatReport for a master report of item (all
// entities when from is zero, else the changes since from).
func (c *Client) FetchMasterReport(ctx context.Context, cred Credentials, item string, from time.Time, w Sink) (FetchResult, error) {
	k := jobKind{
		name: "master report",
		create: func(ctx context.Context, n *int) (job, error) {
			r, err := c.createMaster(ctx, cred, item, from, n)
			if err != nil {
				return job{}, err
			}
			return job{r.ID, r.Status, r.DownloadURL}, nil
		},
		get: func(ctx context.Context, id string, n *int) (job, error) {
			r, err := c.getMaster(ctx, cred, id, n)
			if err != nil {
				return job{}, err
			}
			return job{id, r.Status, r.DownloadURL}, nil
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
			c.deleteJob(ctx, k, j.id, &res)
			return res, nil
		case errors.As(err, &rc) && errors.Is(err, ErrReportFailed):
			c.deleteJob(ctx, k, j.id, &res)
			if errorRecreates >= maxErrorRecreates {
				return res, rc.cause
			}
			errorRecreates++
		case errors.As(err, &rc):
			if !errors.Is(err, ErrNotFound) {
				c.deleteJob(ctx, k, j.id, &res)
			}
			if vanishRecreates >= maxVanishRecreates {
				return res, rc.cause
			}
			vanishRecreates++
		default:
			c.deleteJob(ctx, k, j.id, &res)
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

// deleteJob deletes a finished job; a failure is logged, not returned. It
// still runs when ctx is canceled (bounded), so that jobs do not pile up
// toward the per-customer cap.
func (c *Client) deleteJob(ctx context.Context, k jobKind, id string, res *FetchResult) {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := k.del(dctx, id, &res.Calls); err != nil && !errors.Is(err, ErrNotFound) {
		c.log.LogAttrs(ctx, slog.LevelWarn, "naver job delete failed",
			append(k.attrs, slog.String("job_id", id), slog.String("error", err.Error()))...)
	}
}
