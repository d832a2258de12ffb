package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/naversync/naversync/naver"
	"github.com/naversync/naversync/store"
)

// Reasons a fetch stops early; they decide what happens to the sync and its lease.
var (
	errLeaseLost     = errors.New("lease lost: another worker holds this customer now")
	errCancelRequest = errors.New("sync canceled")
)

// fetchLoop is one fetch worker: it claims the oldest queued sync whose customer is free.
func (s *Service) fetchLoop(ctx context.Context, owner string) {
	s.workLoop(ctx, func() (func(), error) {
		sy, lease, err := s.store.ClaimFetch(ctx, owner, s.cfg.LeaseTTL)
		if err != nil || sy == nil {
			return nil, err
		}
		return func() { s.runFetch(ctx, *sy, *lease) }, nil
	}, s.wake.fetch, "claim fetch", owner)
}

// workLoop claims and does work until ctx ends. When there was nothing to claim it sleeps until
// its pool's token arrives (a sync enqueued, a lease released, a fetch finished, here or on another
// replica) or, as a fallback, until the poll interval passes.
func (s *Service) workLoop(ctx context.Context, claim func() (work func(), err error), token chan struct{}, what, owner string) {
	for ctx.Err() == nil {
		work, err := claim()
		if err != nil && ctx.Err() == nil {
			s.log.Warn(what, "owner", owner, "err", err)
		}
		if work != nil {
			signal(token) // there may be more: let the next idle worker look while this one works
			work()
			continue
		}
		timer := time.NewTimer(s.cfg.PollInterval)
		select {
		case <-ctx.Done():
		case <-token: // a token sent during the claim is still here: no wake-up is lost
		case <-timer.C:
		}
		timer.Stop()
	}
}

// fetchTask is one report of one day.
type fetchTask struct {
	reportType string
	day        time.Time
}

// runFetch talks to Naver for one sync while holding its customer's lease, then releases the
// lease and hands the sync to the processing pool.
func (s *Service) runFetch(ctx context.Context, sy store.Sync, lease store.Lease) {
	log := s.log.With("sync_id", sy.ID, "customer_id", sy.CustomerID, "owner", lease.Owner, "token", lease.Token)
	start := s.cfg.Now()
	s.met.lockWait.Observe(start.Sub(sy.CreatedAt).Seconds())
	log.Info("lease acquired; fetching", "from", sy.From, "to", sy.To, "attempt", sy.Attempts)
	s.events.publish(sy.ID)

	fctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var hb sync.WaitGroup
	hb.Add(1)
	go func() {
		defer hb.Done()
		s.heartbeat(fctx, cancel, sy.ID, lease, log)
	}()
	err := s.fetchAll(fctx, sy, lease, log)
	var legacyRows int64
	if err == nil && s.cfg.HoldLeaseThroughProcessing {
		legacyRows, err = s.process(fctx, sy, lease.Owner, log)
	}
	if cause := context.Cause(fctx); err == nil || errors.Is(cause, errLeaseLost) || errors.Is(cause, errCancelRequest) {
		// The lease may have been lost after the last call; and a call aborted by a lost lease
		// or a cancel (the master reports, say) failed because of that, not on its own.
		err = cause
	}
	cancel(nil)
	hb.Wait()
	held := s.cfg.Now().Sub(start)
	s.met.lockHold.Observe(held.Seconds())
	s.met.phase.WithLabelValues("fetch").Observe(held.Seconds())

	// Writes below use a context that outlives a shutdown, so the lease is released and the
	// sync left resumable even when the process is stopping.
	bg, done := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer done()
	switch {
	case err == nil && s.cfg.HoldLeaseThroughProcessing:
		if ferr := s.store.CompleteUnderLease(bg, lease, sy.ID, legacyRows); ferr != nil {
			log.Error("complete under lease", "err", ferr)
			return
		}
		s.met.syncsDone.WithLabelValues(StatusSucceeded).Inc()
		log.Info("fetched and processed under the lease (old design)", "held", held.Round(time.Millisecond))
	case err == nil:
		if ferr := s.store.FinishFetch(bg, lease, sy.ID); ferr != nil {
			log.Error("finish fetch", "err", ferr)
			return
		}
		log.Info("fetched; lease released", "held", held.Round(time.Millisecond))
	case errors.Is(err, errLeaseLost):
		log.Warn("lease lost; stopped talking to Naver", "err", err)
		return // someone else owns the customer (and the sync) now
	case errors.Is(err, errCancelRequest):
		s.release(bg, lease, log)
		if merr := s.store.MarkCanceled(bg, sy.ID); merr != nil {
			log.Error("mark canceled", "err", merr)
		}
		s.met.syncsDone.WithLabelValues(StatusCanceled).Inc()
		log.Info("canceled while fetching; lease released")
	case ctx.Err() != nil:
		s.release(bg, lease, log)
		if rerr := s.store.RequeueSync(bg, sy.ID, StatusQueued, s.cfg.Now(), "shutdown", "interrupted by shutdown; resumes from the files already downloaded"); rerr != nil {
			log.Error("requeue after shutdown", "err", rerr)
		}
		log.Info("shutdown during fetch; sync requeued, lease released")
	default:
		s.release(bg, lease, log)
		s.failOrRetry(bg, sy, StatusQueued, err, log)
	}
	s.wake.broadcast()
	s.events.publish(sy.ID)
}

func (s *Service) release(ctx context.Context, lease store.Lease, log interface{ Warn(string, ...any) }) {
	if err := s.store.ReleaseLease(ctx, lease); err != nil && !errors.Is(err, store.ErrLeaseLost) {
		log.Warn("release lease", "err", err)
	}
}

// failOrRetry records a failure: transient ones are retried with backoff (back to status), the
// rest fail the sync with a message a user can act on.
func (s *Service) failOrRetry(ctx context.Context, sy store.Sync, status string, err error, log interface {
	Warn(string, ...any)
	Error(string, ...any)
}) {
	kind, msg, transient := classify(err)
	s.met.naverErrors.WithLabelValues(kind).Inc()
	if transient && sy.Attempts < sy.MaxAttempts {
		delay := s.cfg.RetryBase << min(sy.Attempts, 7)
		delay = min(delay, 10*time.Minute)
		delay += time.Duration(rand.Int64N(int64(delay/4) + 1))
		log.Warn("transient failure; will retry", "kind", kind, "err", err, "attempt", sy.Attempts, "retry_in", delay)
		if rerr := s.store.RequeueSync(ctx, sy.ID, status, s.cfg.Now().Add(delay), kind, msg); rerr != nil {
			log.Error("requeue", "err", rerr)
		}
		return
	}
	log.Error("sync failed", "kind", kind, "err", err, "attempt", sy.Attempts)
	if ferr := s.store.FailSync(ctx, sy.ID, kind, msg); ferr != nil {
		log.Error("fail sync", "err", ferr)
	}
	if kind == "auth" {
		if aerr := s.store.SetAccountError(ctx, sy.AccountID, msg); aerr != nil {
			log.Error("set account error", "err", aerr)
		}
	}
	s.met.syncsDone.WithLabelValues(StatusFailed).Inc()
}

// classify names an error, gives the message a user sees, and says whether a retry may help.
func classify(err error) (kind, msg string, transient bool) {
	kind = naverErrorKind(err)
	switch {
	case errors.Is(err, naver.ErrAuth):
		return "auth", "Naver refused the account's credentials: fix the API key, secret key or customer id of the account, then retry (" + err.Error() + ")", false
	case errors.Is(err, errSheet):
		return sheetErrorKind(err), err.Error(), isTransientSheet(err)
	case naver.IsTransient(err):
		return kind, err.Error(), true
	case errors.Is(err, naver.ErrNotFound), errors.Is(err, naver.ErrReportFailed), errors.Is(err, naver.ErrDataChanged):
		// Jobs that vanished (the 100-job cap, another tool's delete-all), failed to build or
		// changed under us more often than the client re-creates them: a later attempt, with
		// fresh jobs, usually works (Naver's notices say as much for ERROR).
		return kind, err.Error(), true
	case errors.Is(err, errStorage):
		return "storage", err.Error(), true
	}
	return kind, err.Error(), false
}

// heartbeat renews the lease every TTL/3. When renewal is refused (lost) or the lease runs out
// without a successful renewal, it cancels the fetch at once; a requested cancel stops it too.
func (s *Service) heartbeat(ctx context.Context, cancel context.CancelCauseFunc, syncID string, lease store.Lease, log interface{ Warn(string, ...any) }) {
	every := s.cfg.LeaseTTL / 3
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		renewed, err := s.store.RenewLease(ctx, lease, s.cfg.LeaseTTL)
		switch {
		case errors.Is(err, store.ErrLeaseLost):
			cancel(errLeaseLost)
			return
		case err != nil:
			if ctx.Err() != nil {
				return
			}
			log.Warn("renew lease", "err", err)
			if !s.cfg.Now().Before(lease.ExpiresAt.Add(-every / 2)) {
				cancel(fmt.Errorf("%w: could not renew before expiry: %v", errLeaseLost, err))
				return
			}
		default:
			lease = renewed
		}
		if cur, err := s.store.GetSync(ctx, syncID); err == nil && cur.CancelRequested {
			cancel(errCancelRequest)
			return
		}
	}
}

// fetchAll downloads every report of the sync's range that is not already held, at most
// ReportWindow jobs outstanding, and refreshes the customer's master data (names).
func (s *Service) fetchAll(ctx context.Context, sy store.Sync, lease store.Lease, log interface {
	Info(string, ...any)
	Warn(string, ...any)
}) error {
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
	have, err := s.store.ReportFiles(ctx, sy.CustomerID, s.cfg.ReportTypes, sy.From, sy.To)
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
		for _, tp := range s.cfg.ReportTypes {
			total++
			if f, ok := held[tp+"|"+day]; ok && reusable(f, sy, day) {
				s.met.naverReports.WithLabelValues("reused").Inc()
				continue
			}
			tasks = append(tasks, fetchTask{reportType: tp, day: d})
		}
	}
	var fetched atomic.Int64
	fetched.Store(int64(total - len(tasks)))
	if err := s.store.UpdateProgress(ctx, sy.ID, store.Progress{ReportsTotal: &total, ReportsFetched: ptr(int(fetched.Load()))}); err != nil {
		return fmt.Errorf("%w: progress: %v", errStorage, err)
	}
	s.events.publish(sy.ID)
	log.Info("reports to fetch", "total", total, "to_fetch", len(tasks))

	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.cfg.ReportWindow)
	// A retry whose reports are all held (it failed after fetching) does not talk to Naver at
	// all: the sync it retries refreshed the names moments ago. The names are fetched first and
	// beside the stat reports, each master job one of the window's: each takes a build time too.
	if len(tasks) > 0 || sy.RetryOf == "" {
		for _, item := range masterItems {
			g.Go(func() error { return s.refreshMaster(gctx, cred, item) })
		}
	}
	var lastProgress atomic.Int64
	for _, t := range tasks {
		g.Go(func() error {
			if err := s.fetchOne(gctx, sy, lease, cred, t); err != nil {
				return fmt.Errorf("%s %s: %w", t.reportType, t.day.Format(dayLayout), err)
			}
			n := int(fetched.Add(1))
			// Progress is written at most every 200ms (and at the end) to spare the database.
			now := s.cfg.Now().UnixMilli()
			if last := lastProgress.Load(); n == total || now-last >= 200 && lastProgress.CompareAndSwap(last, now) {
				if err := s.store.UpdateProgress(gctx, sy.ID, store.Progress{ReportsFetched: &n}); err != nil {
					return fmt.Errorf("%w: progress: %v", errStorage, err)
				}
				s.events.publish(sy.ID)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
			return cause // lease lost or cancel requested: that is the reason, not the aborted call
		}
		return err
	}
	n := int(fetched.Load())
	if err := s.store.UpdateProgress(ctx, sy.ID, store.Progress{ReportsFetched: &n}); err != nil {
		return fmt.Errorf("%w: progress: %v", errStorage, err)
	}
	return nil
}

// reusable says whether a held file serves this sync without asking Naver again: a file this
// sync (or the sync it retries) already downloaded, a settled day (older than reuse_before), or a
// file fetched after the sync was asked for (by another sync of the same customer). Days Naver
// had not made ready ("pending") are always asked again.
func reusable(f store.ReportFile, sy store.Sync, day string) bool {
	switch {
	case f.State == "pending":
		return false
	case f.SyncID == sy.ID, sy.RetryOf != "" && f.SyncID == sy.RetryOf:
		return true
	case day < sy.ReuseBefore:
		return true
	}
	return !f.FetchedAt.Before(sy.FreshAfter)
}

// errStorage marks failures of our own database or file store (retried: they are usually brief).
var errStorage = errors.New("storage")

// fetchOne downloads one report of one day into the file store under its exact name and
// records it, fenced by the lease token.
func (s *Service) fetchOne(ctx context.Context, sy store.Sync, lease store.Lease, cred naver.Credentials, t fetchTask) error {
	day := t.day.Format(dayLayout)
	sink, err := newFileSink(filepath.Join(s.cfg.DataDir, "tmp"))
	if err != nil {
		return fmt.Errorf("%w: %v", errStorage, err)
	}
	defer sink.discard()
	res, err := s.naver.FetchStatReport(ctx, cred, t.reportType, t.day, sink)
	s.met.naverCalls.Add(float64(res.Calls))
	recent := !t.day.Before(s.today().AddDate(0, 0, -s.cfg.PendingDays))
	rf := store.ReportFile{CustomerID: sy.CustomerID, ReportType: t.reportType, StatDate: day, SyncID: sy.ID, FetchedAt: s.cfg.Now()}
	first, _ := s.ServedWindow()
	switch {
	case errors.Is(err, naver.ErrNotServed) && t.day.Before(first):
		// The day fell out of Naver's window while the sync waited (a sync queued just before
		// midnight): nothing to fetch, and nothing to record.
		s.met.naverReports.WithLabelValues("not_served").Inc()
		return nil
	case errors.Is(err, naver.ErrNotReady) && recent:
		// Naver has not aggregated this day yet: recorded as pending, fetched by the next refresh.
		rf.State = "pending"
		s.met.naverReports.WithLabelValues("pending").Inc()
	case err != nil:
		return err
	case res.Status == naver.StatusNone && recent:
		rf.State = "pending" // NONE for a recent day can be premature
		s.met.naverReports.WithLabelValues("pending").Inc()
	case res.Status == naver.StatusNone:
		rf.State = "none"
		s.met.naverReports.WithLabelValues("none").Inc()
	default:
		sum := sink.sum()
		rf.State = "built"
		rf.SHA256 = sum
		rf.Size = sink.size
		rf.Key = fmt.Sprintf("reports/%s/%s/%s/%s-%s.tsv", sy.CustomerID, t.reportType, t.day.Format("2006"), t.day.Format("20060102"), sum[:16])
		if err := s.putFile(ctx, rf.Key, sink); err != nil {
			return fmt.Errorf("%w: %v", errStorage, err)
		}
		s.met.naverReports.WithLabelValues("built").Inc()
	}
	if err := s.store.PutReportFile(ctx, lease, rf); err != nil {
		if errors.Is(err, store.ErrLeaseLost) {
			return errLeaseLost
		}
		return fmt.Errorf("%w: record file: %v", errStorage, err)
	}
	return nil
}

// putFile copies a finished download into the file store. The name holds the content's
// checksum, so an existing object with that name is already the same file.
func (s *Service) putFile(ctx context.Context, key string, sink *fileSink) error {
	if ok, err := s.cfg.Files.Exists(ctx, key); err == nil && ok {
		return nil
	}
	if _, err := sink.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	w, err := s.cfg.Files.NewWriter(ctx, key, nil)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, sink.f); err != nil {
		_ = w.Close()
		return err
	}
	return w.Close() // the object appears whole or not at all
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
