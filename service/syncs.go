package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/naversync/naversync/store"
)

const dayLayout = "2006-01-02"

// fullRefetch as a sync's FreshAfter means no file fetched by another sync counts as fresh.
var fullRefetch = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// today is the current day in Naver's time zone, as a date at 00:00 UTC.
func (s *Service) today() time.Time {
	n := s.now().In(s.cfg.Location)
	return time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, time.UTC)
}

// ServedWindow is the range of days Naver serves now: from ServedDays before today to yesterday.
func (s *Service) ServedWindow() (from, to time.Time) {
	t := s.today()
	return t.AddDate(0, 0, -s.cfg.ServedDays), t.AddDate(0, 0, -1)
}

// resolveRange validates a request's range and returns it as inclusive days.
func (s *Service) resolveRange(req SyncRequest) (from, to time.Time, err error) {
	verr := &ValidationError{}
	first, last := s.ServedWindow()
	window := fmt.Sprintf("Naver serves the last %d days: %s to %s (today's data is never served)", s.cfg.ServedDays, first.Format(dayLayout), last.Format(dayLayout))
	served := []string{"served_days", itoa(s.cfg.ServedDays), "first", first.Format(dayLayout), "last", last.Format(dayLayout)}
	switch {
	case req.Days != 0 && (req.From != "" || req.To != ""):
		verr.add("days", Msg(MsgFieldDaysOrRange, "give either days or from/to, not both"))
	case req.Days < 0:
		verr.add("days", Msg(MsgFieldDaysPositive, "must be positive"))
	case req.Days > s.cfg.MaxRangeDays:
		verr.add("days", Msg(MsgFieldDaysMax, fmt.Sprintf("at most %d; %s", s.cfg.MaxRangeDays, window),
			append([]string{"max", itoa(s.cfg.MaxRangeDays)}, served...)...))
	case req.Days > 0:
		return last.AddDate(0, 0, -(req.Days - 1)), last, nil
	case req.From == "" && req.To == "":
		return first, last, nil // the full served window: a backfill
	}
	if len(verr.Fields) > 0 {
		return from, to, verr
	}
	parse := func(field, v string) time.Time {
		if v == "" {
			other := map[string]string{"from": "to", "to": "from"}[field]
			verr.add(field, Msg(MsgFieldRequiredWith, "required with "+other, "other", other))
			return time.Time{}
		}
		d, perr := time.Parse(dayLayout, v)
		if perr != nil {
			verr.add(field, Msg(MsgFieldNotADate, fmt.Sprintf("%q is not a date in YYYY-MM-DD form", v), "value", v))
		}
		return d
	}
	from, to = parse("from", req.From), parse("to", req.To)
	if len(verr.Fields) > 0 {
		return from, to, verr
	}
	switch {
	case to.Before(from):
		verr.add("to", Msg(MsgFieldToBeforeFrom, fmt.Sprintf("%s is before from %s", req.To, req.From), "to", req.To, "from", req.From))
	case !to.Before(s.today()):
		verr.add("to", Msg(MsgFieldToNotPast, fmt.Sprintf("%s is today or in the future; %s", req.To, window), append([]string{"to", req.To}, served...)...))
	case from.Before(first):
		verr.add("from", Msg(MsgFieldFromTooOld, fmt.Sprintf("%s is older than Naver keeps; %s", req.From, window), append([]string{"from", req.From}, served...)...))
	case int(to.Sub(from).Hours()/24)+1 > s.cfg.MaxRangeDays:
		n := int(to.Sub(from).Hours()/24) + 1
		verr.add("to", Msg(MsgFieldRangeTooLong, fmt.Sprintf("range of %d days is longer than the maximum of %d", n, s.cfg.MaxRangeDays),
			"days", itoa(n), "max", itoa(s.cfg.MaxRangeDays)))
	}
	return from, to, verr.orNil()
}

// IdempotencyKeyTTL is how long an Idempotency-Key is kept: a repeat within it replays the first
// request's outcome; after it the key may be used again.
const IdempotencyKeyTTL = 24 * time.Hour

// Idempotency scopes: an Idempotency-Key is unique per operation.
const (
	scopeCreateSync = "POST /syncs"
	scopeRetrySync  = "POST /syncs/{id}/retry"
)

// Enqueued is what Enqueue or Retry did.
type Enqueued struct {
	Sync Sync
	// Created is true when the request created the sync, false when it was merged into an
	// equal sync still queued.
	Created bool
	// Replayed is true when the request repeated an earlier one with the same Idempotency-Key:
	// Sync is that request's sync (as it is now), Created that request's outcome.
	Replayed bool
}

// EnqueueSync queues a sync of one account over a range. An equal sync still queued, or one
// with the same idempotency key, is returned instead of a second one (created is false).
func (s *Service) EnqueueSync(ctx context.Context, req SyncRequest) (Sync, bool, error) {
	e, err := s.Enqueue(ctx, req)
	return e.Sync, e.Created && !e.Replayed, err
}

// Enqueue queues a sync of one account over a range, or merges the request into an equal sync
// still queued. With an IdempotencyKey, the key is bound to a fingerprint of the request (the
// account, days or from/to as given, full) for IdempotencyKeyTTL: the same request again replays
// the first outcome, another request with the key is ErrKeyReused.
func (s *Service) Enqueue(ctx context.Context, req SyncRequest) (Enqueued, error) {
	verr := &ValidationError{}
	if strings.TrimSpace(req.AccountID) == "" {
		verr.add("account_id", Msg(MsgFieldRequired, "required"))
	}
	if len(req.IdempotencyKey) > 200 {
		verr.add("Idempotency-Key", Msg(MsgFieldKeyTooLong, "at most 200 characters"))
	}
	if err := verr.orNil(); err != nil {
		return Enqueued{}, err
	}
	var key store.IdempotencyKey
	if req.IdempotencyKey != "" {
		key = store.IdempotencyKey{Scope: scopeCreateSync, Key: req.IdempotencyKey, TTL: IdempotencyKeyTTL,
			Fingerprint: fingerprint(scopeCreateSync, req.AccountID, strconv.Itoa(req.Days), req.From, req.To, strconv.FormatBool(req.Full))}
		// A repeat is answered as the first request was, even if its input would no longer pass
		// (the account deleted meanwhile, the range out of the window).
		if e, ok, err := s.replay(ctx, key); err != nil || ok {
			return e, err
		}
	}
	acct, err := s.liveAccount(ctx, req.AccountID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return Enqueued{}, &ValidationError{Fields: []FieldError{FieldErr("account_id", Msg(MsgFieldNoSuchAccount, "no such account"))}}
		}
		return Enqueued{}, fmt.Errorf("enqueue: %w", err)
	}
	from, to, err := s.resolveRange(req)
	if err != nil {
		return Enqueued{}, err
	}
	from, to, warnings, err := s.clipToHistory(acct, req, from, to)
	if err != nil {
		return Enqueued{}, err
	}
	trigger := req.Trigger
	if trigger == "" {
		trigger = TriggerManual
	}
	now := s.now()
	row := store.Sync{
		AccountID:    acct.ID,
		CustomerID:   acct.CustomerID,
		From:         from.Format(dayLayout),
		To:           to.Format(dayLayout),
		Trigger:      trigger,
		ScheduledFor: req.ScheduledFor,
		PlanRank:     req.PlanRank,
		FreshAfter:   now,
		MaxAttempts:  s.cfg.MaxAttempts,
	}
	if req.Full {
		// Every report of the range is fetched again by this sync.
		row.FreshAfter = fullRefetch
	} else {
		// Days older than the settle window cannot have changed: reuse the files already held.
		row.ReuseBefore = s.today().AddDate(0, 0, -s.cfg.SettleDays).Format(dayLayout)
	}
	var out store.Idempotent
	enqueue := func(ctx context.Context) error {
		var err error
		if key.Key != "" {
			out, err = s.store.EnqueueSyncOnce(ctx, &row, key)
		} else {
			out.Sync, out.Created, err = s.store.EnqueueSync(ctx, &row)
		}
		return err
	}
	if trigger == TriggerScheduled {
		// The scheduler's syncs are not entries of the audit log (its runs are recorded).
		err = enqueue(ctx)
	} else {
		err = s.audited(ctx, func(ctx context.Context) ([]auditNote, error) {
			if err := enqueue(ctx); err != nil || out.Replayed {
				return nil, err
			}
			return []auditNote{syncRequestNote(req, out.Sync, out.Created)}, nil
		})
	}
	if err != nil {
		return Enqueued{}, mapStoreErr("enqueue", err)
	}
	if out.Created && !out.Replayed {
		got := out.Sync
		s.log.Info("sync queued", "sync_id", got.ID, "account_id", got.AccountID, "customer_id", got.CustomerID, "from", got.From, "to", got.To, "trigger", got.Trigger)
		s.wake.broadcast()
		s.events.publish(got.ID)
	}
	view := s.view(out.Sync)
	view.Warnings = warnings
	return Enqueued{Sync: view, Created: out.Created, Replayed: out.Replayed}, nil
}

// clipToHistory fits a sync's range to the days the account's tab keeps (historyWindow): a
// request without a range (the scheduled refresh, a backfill) syncs exactly that window; a range
// reaching further back is clipped to it, and the answer's warning says why (the tab would drop
// the older days at its next write anyway); a range wholly older is refused.
func (s *Service) clipToHistory(acct store.Account, req SyncRequest, from, to time.Time) (time.Time, time.Time, []FieldError, error) {
	first, last := s.historyWindow(acct)
	if req.Days == 0 && req.From == "" && req.To == "" {
		return first, last, nil, nil
	}
	if !from.Before(first) {
		return from, to, nil, nil
	}
	field := "from"
	if req.Days > 0 {
		field = "days"
	}
	why := fmt.Sprintf("the account keeps the last %d days (history_days): %s to %s", s.historyDays(acct), first.Format(dayLayout), last.Format(dayLayout))
	kept := []string{"history_days", itoa(s.historyDays(acct)), "first", first.Format(dayLayout), "last", last.Format(dayLayout)}
	if to.Before(first) {
		return from, to, nil, &ValidationError{Fields: []FieldError{FieldErr(field, Msg(MsgFieldHistoryOlder,
			"the whole range is older than "+why+"; raise history_days to sync older days", kept...))}}
	}
	w := FieldErr(field, Msg(MsgFieldHistoryClipped, fmt.Sprintf("synced from %s, not %s: %s; raise history_days to keep older days", first.Format(dayLayout), from.Format(dayLayout), why),
		append([]string{"from", from.Format(dayLayout)}, kept...)...))
	return first, to, []FieldError{w}, nil
}

// replay answers a live idempotency key: ok with the first outcome when key's fingerprint
// matches, ErrKeyReused when it does not; not ok when the key is not in use.
func (s *Service) replay(ctx context.Context, key store.IdempotencyKey) (Enqueued, bool, error) {
	rec, err := s.store.LookupIdempotencyKey(ctx, key.Scope, key.Key)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return Enqueued{}, false, nil
	case err != nil:
		return Enqueued{}, false, mapStoreErr("idempotency key", err)
	case rec.Fingerprint != key.Fingerprint:
		return Enqueued{}, false, fmt.Errorf("idempotency key: %w", ErrKeyReused)
	}
	row, err := s.store.GetSync(ctx, rec.SyncID)
	if err != nil {
		return Enqueued{}, false, mapStoreErr("idempotency key", err)
	}
	return Enqueued{Sync: s.view(row), Created: rec.Created, Replayed: true}, true, nil
}

// fingerprint identifies a request for its idempotency key: the operation and its input.
func fingerprint(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s;", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// GetSync returns one sync.
func (s *Service) GetSync(ctx context.Context, id string) (Sync, error) {
	row, err := s.store.GetSync(ctx, id)
	if err != nil {
		return Sync{}, mapStoreErr("get sync", err)
	}
	return s.view(row), nil
}

// ListSyncs lists syncs, newest first; the returned cursor continues the list ("" at the end).
func (s *Service) ListSyncs(ctx context.Context, f SyncFilter) ([]Sync, string, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	rows, next, err := s.store.ListSyncs(ctx, store.SyncFilter{
		AccountID: f.AccountID, CustomerID: f.CustomerID, Statuses: f.Statuses,
		CreatedAfter: f.CreatedAfter, CreatedBefore: f.CreatedBefore, Limit: f.Limit, Cursor: f.Cursor,
	})
	if err != nil {
		return nil, "", mapStoreErr("list syncs", err)
	}
	busy := s.busyCustomers(ctx)
	out := make([]Sync, 0, len(rows))
	for _, r := range rows {
		out = append(out, s.viewWith(r, busy))
	}
	return out, next, nil
}

// CancelSync cancels a queued sync at once, or asks a running one to stop (its lease is
// released as soon as its worker notices, within one heartbeat).
func (s *Service) CancelSync(ctx context.Context, id string) (Sync, error) {
	var row store.Sync
	err := s.audited(ctx, func(ctx context.Context) ([]auditNote, error) {
		var err error
		if row, err = s.store.CancelSync(ctx, id); err != nil {
			return nil, err
		}
		return []auditNote{{action: AuditSyncCancel, accountID: row.AccountID, syncID: id,
			detail: Msg(MsgAuditSyncCancel, fmt.Sprintf("%s..%s, %s when canceled", row.From, row.To, row.Status),
				"from", row.From, "to", row.To, "status", row.Status)}}, nil
	})
	if err != nil {
		return Sync{}, mapStoreErr("cancel sync", err)
	}
	s.events.publish(id)
	s.wake.broadcast()
	return s.view(row), nil
}

// RetrySync queues a new sync (trigger retry) over the range of a failed or canceled one. Files
// the failed sync already downloaded are reused, so a sync that failed while processing is
// retried without talking to Naver again.
func (s *Service) RetrySync(ctx context.Context, id, idempotencyKey string) (Sync, error) {
	e, err := s.Retry(ctx, id, idempotencyKey)
	return e.Sync, err
}

// Retry is RetrySync, telling whether the answer replays an earlier request with the same
// Idempotency-Key. The sync is checked first (ErrNotFound, ErrConflict unless failed or
// canceled); a key used for the retry of another sync is ErrKeyReused.
func (s *Service) Retry(ctx context.Context, id, idempotencyKey string) (Enqueued, error) {
	var out store.Idempotent
	err := s.audited(ctx, func(ctx context.Context) ([]auditNote, error) {
		var err error
		if idempotencyKey != "" {
			out, err = s.store.RetrySyncOnce(ctx, id, store.IdempotencyKey{Scope: scopeRetrySync, Key: idempotencyKey,
				TTL: IdempotencyKeyTTL, Fingerprint: fingerprint(scopeRetrySync, id)})
		} else {
			out.Sync, err = s.store.RetrySync(ctx, id, "")
			out.Created = true
		}
		if err != nil || out.Replayed {
			return nil, err
		}
		return []auditNote{{action: AuditSyncRetry, accountID: out.Sync.AccountID, syncID: out.Sync.ID,
			detail: Msg(MsgAuditSyncRetry, fmt.Sprintf("retry of sync %s over %s..%s", id, out.Sync.From, out.Sync.To),
				"id", id, "from", out.Sync.From, "to", out.Sync.To)}}, nil
	})
	if err != nil {
		return Enqueued{}, mapStoreErr("retry sync", err)
	}
	if !out.Replayed {
		s.wake.broadcast()
		s.events.publish(out.Sync.ID)
	}
	return Enqueued{Sync: s.view(out.Sync), Created: out.Created, Replayed: out.Replayed}, nil
}

// Follow calls fn with the sync now and after every change, until the sync is terminal, fn
// returns an error, or ctx ends. It reads the sync only when a change is announced: at once for
// changes made in this process, within about a second (the change feed) for changes made by
// other replicas.
func (s *Service) Follow(ctx context.Context, id string, fn func(Sync) error) error {
	ch, cancel := s.events.subscribe(id)
	defer cancel()
	defer s.watchChanges()()
	last := ""
	tick := time.NewTicker(followFallback)
	defer tick.Stop()
	for {
		cur, err := s.GetSync(ctx, id)
		if err != nil {
			return err
		}
		key := fmt.Sprintf("%s|%s|%d|%d|%d|%v", cur.Status, cur.Phase, cur.Progress.ReportsFetched, cur.Progress.ReportsTotal, cur.Progress.RowsProcessed, cur.CancelRequested)
		if key != last {
			last = key
			if err := fn(cur); err != nil {
				return err
			}
		}
		if cur.Terminal() {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		case <-tick.C:
		}
	}
}

// Changes returns a channel that ticks whenever any sync changes, in this process or (within
// about a second, the change feed) in another replica, for live lists; call the func to stop.
func (s *Service) Changes() (<-chan struct{}, func()) {
	ch, cancel := s.events.subscribe("*")
	release := s.watchChanges()
	return ch, func() { cancel(); release() }
}

// Leases lists the held Naver customer leases and the syncs queued behind each.
func (s *Service) Leases(ctx context.Context) ([]Lease, error) {
	rows, err := s.store.Leases(ctx)
	if err != nil {
		return nil, mapStoreErr("leases", err)
	}
	out := make([]Lease, 0, len(rows))
	for _, l := range rows {
		v := Lease{CustomerID: l.CustomerID, HolderSyncID: l.HolderSyncID, Owner: l.Owner, Token: l.Token,
			AcquiredAt: l.AcquiredAt, ExpiresAt: l.ExpiresAt, Waiting: []string{}}
		behind, err := s.store.QueuedBehind(ctx, l.CustomerID)
		if err != nil {
			return nil, mapStoreErr("leases", err)
		}
		for _, b := range behind {
			v.Waiting = append(v.Waiting, b.ID)
		}
		out = append(out, v)
	}
	return out, nil
}

// view turns a stored sync into what clients see.
func (s *Service) view(r store.Sync) Sync {
	var busy map[string]bool
	if r.Status == StatusQueued {
		busy = s.busyCustomers(context.Background())
	}
	return s.viewWith(r, busy)
}

// busyCustomers is the set of customers whose lease is held (for display only).
func (s *Service) busyCustomers(ctx context.Context) map[string]bool {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	leases, err := s.store.Leases(ctx)
	if err != nil {
		return nil
	}
	busy := make(map[string]bool, len(leases))
	for _, l := range leases {
		busy[l.CustomerID] = true
	}
	return busy
}

func (s *Service) viewWith(r store.Sync, busy map[string]bool) Sync {
	v := Sync{
		ID: r.ID, AccountID: r.AccountID, CustomerID: r.CustomerID, From: r.From, To: r.To,
		Trigger: r.Trigger, Status: r.Status, Phase: r.Phase, Attempts: r.Attempts, RetryOf: r.RetryOf,
		CancelRequested: r.CancelRequested,
		Progress:        Progress{ReportsFetched: r.ReportsFetched, ReportsTotal: r.ReportsTotal, RowsProcessed: r.RowsProcessed},
		Timings: Timings{
			QueuedAt: r.CreatedAt, FetchStartedAt: r.FetchStartedAt, LockAcquiredAt: r.LockAcquiredAt,
			LockReleasedAt: r.LockReleasedAt, ProcessingStartedAt: r.ProcessingStartedAt,
			WriteStartedAt: r.WriteStartedAt, FinishedAt: r.FinishedAt,
		},
	}
	if v.Status == StatusQueued && v.Phase == PhaseQueued && busy[r.CustomerID] {
		v.Phase = PhaseWaitingCustomer
	}
	if r.Error != "" {
		v.Error = &SyncError{Kind: ErrorKind(r.ErrorKind), Message: r.Error, Code: ErrorKind(r.ErrorKind).Code()}
		if r.Status == StatusQueued && r.Attempts > 0 && !r.RunAfter.IsZero() {
			at := r.RunAfter
			v.NextAttemptAt = &at
		}
	}
	v.Progress.Percent = percent(r)
	ms := func(a, b *time.Time) int64 {
		if a == nil || b == nil {
			return 0
		}
		return b.Sub(*a).Milliseconds()
	}
	if r.LockAcquiredAt != nil {
		v.Timings.LockWaitMS = r.LockAcquiredAt.Sub(r.CreatedAt).Milliseconds()
	}
	v.Timings.FetchMS = ms(r.LockAcquiredAt, r.LockReleasedAt)
	v.Timings.ProcessingMS = ms(r.ProcessingStartedAt, firstNonNil(r.WriteStartedAt, r.FinishedAt))
	v.Timings.WriteMS = ms(r.WriteStartedAt, r.FinishedAt)
	return v
}

// percent weighs fetching as 60% of a sync and processing/writing as the rest.
func percent(r store.Sync) float64 {
	switch r.Status {
	case StatusSucceeded:
		return 100
	case StatusQueued:
		return 0
	}
	p := 0.0
	if r.ReportsTotal > 0 {
		p = 60 * float64(r.ReportsFetched) / float64(r.ReportsTotal)
	}
	switch r.Phase {
	case PhaseAwaitingProcessing:
		p = 60
	case PhaseProcessing:
		p = 70
	case PhaseWriting:
		p = 90
	}
	return p
}

func firstNonNil(ts ...*time.Time) *time.Time {
	for _, t := range ts {
		if t != nil {
			return t
		}
	}
	return nil
}
