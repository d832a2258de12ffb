package service

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/naversync/naversync/naver"
	"github.com/naversync/naversync/report"
	"github.com/naversync/naversync/store"
)

// fetchLoop is one fetch worker: it claims the oldest queued sync whose customer is free.
func (s *Service) fetchLoop(ctx context.Context, owner string) {
	s.workLoop(ctx, func() (func(), error) {
		sent := time.Now()
		sy, c, err := s.store.ClaimFetch(ctx, owner, s.cfg.LeaseTTL)
		if err != nil || sy == nil {
			return nil, err
		}
		return func() { s.runFetch(ctx, *sy, *c, sent) }, nil
	}, s.wake.fetch, "claim fetch", owner)
}

// fetchTask is one report of one day.
type fetchTask struct {
	reportType string
	day        time.Time
	jobID      int64 // a job already made at Naver to continue (0: create one)
	jobRef     int64 // the journal's row of jobID
}

// runFetch talks to Naver for one sync while holding its customer's lease, then gives the lease
// back and hands the sync to the processing pool.
func (s *Service) runFetch(ctx context.Context, sy store.Sync, c store.Claim, claimedAt time.Time) {
	log := s.log.With("sync_id", sy.ID, "customer_id", sy.CustomerID, "owner", c.Owner, "token", c.Token)
	start := time.Now()
	s.met.lockWait.Observe(max(s.now().Sub(sy.CreatedAt), 0).Seconds())
	log.Info("lease acquired; fetching", "from", sy.From, "to", sy.To, "attempt", sy.Attempts)
	s.events.publish(sy.ID)
	s.run(ctx, sy, c, claimedAt, work{
		do: func(ctx context.Context, g *guard) error {
			err := s.fetchAll(ctx, sy, c, g, log)
			held := time.Since(start)
			s.met.lockHold.Observe(held.Seconds())
			s.met.phase.WithLabelValues("fetch").Observe(held.Seconds())
			return err
		},
		finish: func(ctx context.Context) error {
			if err := s.store.FinishFetch(ctx, c); err != nil {
				return err
			}
			log.Info("fetched; lease released", "held", time.Since(start).Round(time.Millisecond))
			return nil
		},
		shutdownMessage: "interrupted by shutdown; resumes from the files already downloaded",
	})
}

// fetchAll downloads every report of the sync's range that is not already held, refreshes the
// customer's master data (names), and first settles the jobs earlier fetches of the customer
// left at Naver. It keeps as many jobs outstanding as the customer's share of Naver's 100 allows
// (see jobSlots).
func (s *Service) fetchAll(ctx context.Context, sy store.Sync, c store.Claim, g *guard, log *slog.Logger) error {
	acct, err := s.store.GetAccount(ctx, sy.AccountID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("account %s: %w", sy.AccountID, err)
	case err != nil: // the database, not the account: retried
		return fmt.Errorf("%w: account %s: %v", errStorage, sy.AccountID, err)
	}
	cred, err := s.credentials(acct)
	if err != nil {
		return err
	}
	from, _ := time.Parse(dayLayout, sy.From)
	to, _ := time.Parse(dayLayout, sy.To)
	types := reportTypes(acct) // the reports the account's tabs are built from
	have, err := s.store.ReportFiles(ctx, sy.CustomerID, types, sy.From, sy.To)
	if err != nil {
		return fmt.Errorf("%w: report files: %v", errStorage, err)
	}
	held := make(map[string]store.ReportFile, len(have))
	for _, f := range have {
		held[f.ReportType+"|"+f.StatDate] = f
	}
	var tasks []fetchTask
	total := 0
	for d := to; !d.Before(from); d = d.AddDate(0, 0, -1) { // newest first: the freshest data lands first
		day := d.Format(dayLayout)
		for _, tp := range types {
			if !s.served(tp, d) {
				continue // Naver would refuse it (10004): the tabs show the type's figures empty
			}
			total++
			if f, ok := held[tp+"|"+day]; ok && reusable(f, sy, day) {
				s.met.naverReports.WithLabelValues("reused").Inc()
				continue
			}
			tasks = append(tasks, fetchTask{reportType: tp, day: d})
		}
	}
	// Files processing found damaged are fetched again whatever their day, so that the sheets
	// of the customer's accounts heal with its next fetch.
	first, last := s.ServedWindow()
	all, err := s.store.ReportFiles(ctx, sy.CustomerID, types, first.Format(dayLayout), last.Format(dayLayout))
	if err != nil {
		return fmt.Errorf("%w: report files: %v", errStorage, err)
	}
	for _, f := range all {
		day, _ := time.Parse(dayLayout, f.StatDate)
		if f.State == store.FileDamaged && (f.StatDate < sy.From || f.StatDate > sy.To) && s.served(f.ReportType, day) {
			tasks = append(tasks, fetchTask{reportType: f.ReportType, day: day})
			total++
		}
	}
	var fetched atomic.Int64
	fetched.Store(int64(total - len(tasks)))
	if err := s.progress(ctx, c, store.Progress{ReportsTotal: &total, ReportsFetched: ptr(int(fetched.Load()))}); err != nil {
		return err
	}
	s.events.publish(sy.ID)
	log.Info("reports to fetch", "total", total, "to_fetch", len(tasks))

	// Jobs earlier fetches of this customer left at Naver (a lost answer, a shutdown, a crash)
	// are continued by the task that needs them or deleted; the listing also tells how many
	// jobs other tools hold.
	journal := newJobJournal(s, c, sy.ID, g, log)
	slots, err := s.settleJobs(ctx, sy, cred, tasks, journal, log)
	if err != nil {
		return err
	}
	eg, gctx := errgroup.WithContext(ctx)
	eg.SetLimit(s.cfg.ReportWindow)
	// A retry whose reports are all held (it failed after fetching) does not talk to Naver at
	// all: the sync it retries refreshed the names moments ago. The names are fetched first and
	// beside the stat reports, each master job one of the window's: each takes a build time too.
	if len(tasks) > 0 || sy.RetryOf == "" {
		for _, item := range masterItems {
			eg.Go(func() error { return s.refreshMaster(gctx, cred, c, item, journal) })
		}
	}
	var lastProgress atomic.Int64
	for _, t := range tasks {
		if err := slots.acquire(gctx); err != nil {
			break // the group's error (or the context's) is what counts
		}
		eg.Go(func() error {
			defer slots.release()
			if err := s.fetchOne(gctx, sy, c, cred, t, journal); err != nil {
				return fmt.Errorf("%s %s: %w", t.reportType, t.day.Format(dayLayout), err)
			}
			n := int(fetched.Add(1))
			// Progress is written at most every 200ms (and at the end) to spare the database.
			now := time.Now().UnixMilli()
			if last := lastProgress.Load(); n == total || now-last >= 200 && lastProgress.CompareAndSwap(last, now) {
				if err := s.progress(gctx, c, store.Progress{ReportsFetched: &n}); err != nil {
					return err
				}
				s.events.publish(sy.ID)
			}
			return nil
		})
	}
	err = eg.Wait()
	if err == nil {
		err = slots.err()
	}
	if ctx.Err() == nil {
		// Whatever the outcome, while the lease is still ours: look for the jobs of lost creates
		// within their windows and try the failed deletes again (the next fetch may come too
		// late for a window).
		if ferr := s.finishJobs(ctx, slots); ferr != nil && err == nil {
			err = ferr
		} else if ferr != nil {
			log.Warn("settling the journal after a failed fetch", "err", ferr)
		}
	}
	if err != nil {
		if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
			return cause // lease lost or cancel requested: that is the reason, not the aborted call
		}
		return err
	}
	n := int(fetched.Load())
	return s.progress(ctx, c, store.Progress{ReportsFetched: &n})
}

// servedFrom is the first day Naver serves reportType now: naver.ServedDays of the type (at most
// the deployment's served days) before today in Naver's time zone. Older days are refused
// (10004), so they are never asked for: fetches, the morning's plan and the pending retries
// skip them, and a tab does not wait for them (planDay).
func (s *Service) servedFrom(reportType string) time.Time {
	return s.today().AddDate(0, 0, -naver.ServedDays(reportType, s.cfg.ServedDays))
}

// served reports whether Naver serves reportType for day now (see servedFrom).
func (s *Service) served(reportType string, day time.Time) bool {
	return !day.Before(s.servedFrom(reportType))
}

// conversionReport says whether reportType is a conversions report (AD_CONVERSION,
// SHOPPINGKEYWORD_CONVERSION_DETAIL): NONE for a recent day of one is final but provisional
// (fetchOne), as an advertiser without conversion tracking gets NONE every day.
func conversionReport(reportType string) bool {
	return reportType == naver.ReportADConversion || reportType == naver.ReportShoppingKeywordConversion
}

// progress writes a sync's counters, fenced by its claim.
func (s *Service) progress(ctx context.Context, c store.Claim, p store.Progress) error {
	if err := s.store.UpdateProgress(ctx, c, p); err != nil {
		if errors.Is(err, store.ErrLeaseLost) {
			return fmt.Errorf("%w: %v", errLeaseLost, err)
		}
		return fmt.Errorf("%w: progress: %v", errStorage, err)
	}
	return nil
}

// reusable says whether a held file serves this sync without asking Naver again: a file this
// sync (or the sync it retries) already downloaded, a settled day (older than reuse_before), or a
// file fetched after the sync was asked for (by another sync of the same customer). Days Naver
// had not made ready (pending, or a good file Naver last answered "not ready" for) and damaged
// files are always asked again.
func reusable(f store.ReportFile, sy store.Sync, day string) bool {
	switch {
	case !f.Final(), f.Recheck:
		return false
	case f.SyncID == sy.ID, sy.RetryOf != "" && f.SyncID == sy.RetryOf:
		return true
	case day < sy.ReuseBefore:
		return true
	}
	return !f.FetchedAt.Before(sy.FreshAfter)
}

// fetchOne downloads one report of one day into the file store under its exact name and
// records it, fenced by the claim. The file is recorded before the job is deleted at Naver, so a
// fetch cut short in between leaves a job for the next fetch to delete (the journal has its id),
// never a download to make again.
func (s *Service) fetchOne(ctx context.Context, sy store.Sync, c store.Claim, cred naver.Credentials, t fetchTask, journal *jobJournal) error {
	day := t.day.Format(dayLayout)
	sink, err := newFileSink(filepath.Join(s.cfg.DataDir, "tmp"))
	if err != nil {
		return fmt.Errorf("%w: %v", errStorage, err)
	}
	defer sink.discard()
	recent := !t.day.Before(s.today().AddDate(0, 0, -s.cfg.PendingDays))
	file := func() store.ReportFile {
		return store.ReportFile{CustomerID: sy.CustomerID, ReportType: t.reportType, StatDate: day, SyncID: sy.ID}
	}
	keep := func(ctx context.Context, res naver.FetchResult) error {
		rf := file()
		switch {
		case res.Status == naver.StatusNone && recent && conversionReport(t.reportType):
			// No conversions for a recent day: final for an advertiser without conversion
			// tracking (NONE every day), premature at times. The day is shown, its conversions
			// marked provisional, and asked for again.
			rf.State, rf.Recheck = store.FileNone, true
			s.met.naverReports.WithLabelValues("none").Inc()
		case res.Status == naver.StatusNone && recent:
			rf.State = store.FilePending // NONE for a recent day's traffic can be premature
			s.met.naverReports.WithLabelValues("pending").Inc()
		case res.Status == naver.StatusNone:
			rf.State = store.FileNone
			s.met.naverReports.WithLabelValues("none").Inc()
		default:
			sum := sink.sum()
			rf.State = store.FileBuilt
			rf.SHA256 = sum
			rf.Size = sink.size
			rf.Key = fmt.Sprintf("reports/%s/%s/%s/%s-%s.tsv", sy.CustomerID, t.reportType, t.day.Format("2006"), t.day.Format("20060102"), sum[:16])
			if err := verifyDownload(t.reportType, sink.f); err != nil {
				return err
			}
			if _, err := sink.f.Seek(0, io.SeekStart); err != nil {
				return fmt.Errorf("%w: %v", errStorage, err)
			}
			if err := s.storeObject(ctx, sy.CustomerID, rf.Key, sink.f, sink.size); err != nil {
				return fmt.Errorf("%w: %v", errStorage, err)
			}
			s.met.naverReports.WithLabelValues("built").Inc()
		}
		return s.recordFile(ctx, c, rf)
	}
	if t.jobRef != 0 {
		journal.take(t.jobRef)
	}
	res, err := s.naver.FetchStatReport(ctx, cred, naver.StatRequest{ReportType: t.reportType, Day: t.day, JobID: t.jobID, JobRef: t.jobRef,
		Journal: journal, Keep: keep}, sink)
	journal.done(store.JobStat, t.reportType, day)
	s.met.naverCalls.Add(float64(res.Calls))
	switch {
	case errors.Is(err, naver.ErrNotServed) && !s.served(t.reportType, t.day):
		// The day fell out of the type's window while the sync waited (a sync queued just
		// before midnight): nothing to fetch, and nothing to record.
		s.met.naverReports.WithLabelValues("not_served").Inc()
		return nil
	case errors.Is(err, naver.ErrNotReady) && recent:
		// Naver has not aggregated this day yet: recorded as pending, fetched by the next refresh.
		rf := file()
		rf.State = store.FilePending
		s.met.naverReports.WithLabelValues("pending").Inc()
		return s.recordFile(ctx, c, rf)
	}
	return err
}

// recordFile records a fetched report, fenced by the claim.
func (s *Service) recordFile(ctx context.Context, c store.Claim, rf store.ReportFile) error {
	if err := s.store.PutReportFile(ctx, c, rf); err != nil {
		if errors.Is(err, store.ErrLeaseLost) {
			return fmt.Errorf("%w: %v", errLeaseLost, err)
		}
		return fmt.Errorf("%w: record file: %v", errStorage, err)
	}
	return nil
}

// putFile copies a finished download of size bytes into the file store, whole or not at all:
// a copy that fails (or comes up short) aborts the write, so nothing is committed under the key.
// The key holds the content's checksum, so an object already stored under it with the same size
// is this file and is not copied again; one of another size (a truncated object some older code
// left) is replaced.
func (s *Service) putFile(ctx context.Context, key string, r io.Reader, size int64) error {
	if a, err := s.cfg.Files.Attributes(ctx, key); err == nil && a.Size == size {
		return nil
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := s.cfg.Files.NewWriter(wctx, key, nil)
	if err != nil {
		return err
	}
	n, err := io.Copy(w, r)
	if err == nil && n != size {
		err = fmt.Errorf("copied %d bytes of %d", n, size)
	}
	if err != nil {
		cancel() // a writer whose context ends before Close aborts: no object appears
		_ = w.Close()
		return err
	}
	return w.Close()
}

// verifyDownload reads a finished download back in its report's row layout (every row with the
// documented columns, a date first): a file cut short, or not a report, is never stored.
func verifyDownload(reportType string, f *os.File) error {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if err := report.Verify(reportType, bufio.NewReaderSize(f, 256<<10), "download"); err != nil {
		return fmt.Errorf("%w: %v", errBadDownload, err)
	}
	return nil
}

// fileSink is a download target that can start over (naver.Sink): a temp file plus a running
// checksum.
type fileSink struct {
	f    *os.File
	h    hash.Hash
	size int64
}

func newFileSink(dir string) (*fileSink, error) {
	f, err := os.CreateTemp(dir, "dl-*.part")
	if err != nil {
		return nil, err
	}
	return &fileSink{f: f, h: sha256.New()}, nil
}

func (k *fileSink) Write(p []byte) (int, error) {
	n, err := k.f.Write(p)
	k.h.Write(p[:n])
	k.size += int64(n)
	return n, err
}

// Reset empties the sink so that a download can be retried from the start.
func (k *fileSink) Reset() error {
	if err := k.f.Truncate(0); err != nil {
		return err
	}
	if _, err := k.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	k.h.Reset()
	k.size = 0
	return nil
}

func (k *fileSink) sum() string { return hex.EncodeToString(k.h.Sum(nil)) }

func (k *fileSink) discard() {
	_ = k.f.Close()
	_ = os.Remove(k.f.Name())
}

func ptr[T any](v T) *T { return &v }
