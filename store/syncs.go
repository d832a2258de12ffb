package store

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// Sync statuses (see docs/design.md): queued -> fetching -> processing ->
// succeeded | failed | canceled.
const (
	StatusQueued     = "queued"
	StatusFetching   = "fetching"
	StatusProcessing = "processing"
	StatusSucceeded  = "succeeded"
	StatusFailed     = "failed"
	StatusCanceled   = "canceled"
)

// Sync phases, finer than statuses. The store sets queued, fetching,
// awaiting_processing, processing, writing (SetPhase) and done; the service may
// show waiting_customer for a queued sync whose customer is busy (QueuedBehind).
const (
	PhaseQueued          = "queued"
	PhaseWaitingCustomer = "waiting_customer"
	// PhaseWaitingNaverJobs: queued again because other tools hold so many of the customer's
	// report jobs at Naver (100 at most per customer) that a create would evict theirs.
	PhaseWaitingNaverJobs   = "waiting_naver_jobs"
	PhaseFetching           = "fetching"
	PhaseAwaitingProcessing = "awaiting_processing"
	PhaseProcessing         = "processing"
	PhaseWriting            = "writing"
	PhaseDone               = "done"
)

// Sync triggers.
const (
	TriggerManual    = "manual"
	TriggerScheduled = "scheduled"
	TriggerRetry     = "retry"
	TriggerBackfill  = "backfill"
)

// Sync is one account over [From, To]: a job that fetches the reports under
// the customer lease, then processes them and writes the sheet.
type Sync struct {
	ID, AccountID, CustomerID string
	From, To                  string    // YYYY-MM-DD, inclusive
	ReuseBefore               string    // days before this reuse stored files ("" = none)
	FreshAfter                time.Time // files fetched at/after this count as fresh
	Trigger                   string    // manual|scheduled|retry|backfill
	Status, Phase             string
	IdempotencyKey            string // "" = none; unique when set
	ScheduledFor              string // "" = none; unique per account when set
	RetryOf                   string // the failed or canceled sync this one retries
	Attempts, MaxAttempts     int
	RunAfter                  time.Time // not claimable before
	ReportsTotal              int
	ReportsFetched            int
	RowsProcessed             int64
	Error, ErrorKind          string
	CancelRequested           bool
	Worker                    string     // owner of the current claim ("" = none)
	LeaseToken                int64      // token of the customer lease of the last fetch claim
	ClaimToken                int64      // token of the last processing claim (grows by one per claim)
	FreeClaims                int64      // processing claims that used no attempt (Requeue.NoAttempt)
	LockedUntil               *time.Time // processing claim expiry
	WaitingSince              *time.Time // when the sync began to wait for room among the customer's Naver jobs
	CreatedAt, UpdatedAt      time.Time
	FetchStartedAt            *time.Time
	LockAcquiredAt            *time.Time
	LockReleasedAt            *time.Time
	ProcessingStartedAt       *time.Time
	WriteStartedAt            *time.Time
	FinishedAt                *time.Time
	// LockWait sums, over claims, the time the sync was runnable (created or
	// run_after reached) before a worker got its customer lease.
	LockWait time.Duration
	// PlanRank is the sync's place in the plan of the refresh that queued it (1 first); 0 for
	// a sync no plan queued (a person's, a retry), which goes before every planned one. The
	// fetch queue is claimed in (PlanRank, CreatedAt, ID) order, skipping busy customers.
	PlanRank int64
}

// SyncFilter selects syncs for ListSyncs. Zero fields do not filter.
type SyncFilter struct {
	AccountID, CustomerID string
	Statuses              []string
	CreatedAfter          time.Time // created_at >= CreatedAfter
	CreatedBefore         time.Time // created_at < CreatedBefore
	Limit                 int       // 0 = 50; at most 1000
	Cursor                string    // from a previous page
}

func (r syncRow) toSync() Sync {
	return Sync{
		ID: r.ID, AccountID: r.AccountID, CustomerID: r.CustomerID, From: r.FromDay, To: r.ToDay,
		ReuseBefore: r.ReuseBefore, FreshAfter: r.FreshAfter.UTC(), Trigger: r.TriggerKind,
		Status: r.Status, Phase: r.Phase, IdempotencyKey: r.IdempotencyKey, ScheduledFor: r.ScheduledFor, PlanRank: r.PlanRank,
		RetryOf: r.RetryOf, Attempts: r.Attempts, MaxAttempts: r.MaxAttempts, RunAfter: r.RunAfter.UTC(),
		ReportsTotal: r.ReportsTotal, ReportsFetched: r.ReportsFetched, RowsProcessed: r.RowsProcessed,
		Error: r.ErrorMessage, ErrorKind: r.ErrorKind, CancelRequested: r.CancelRequested,
		Worker: r.Worker, LeaseToken: r.LeaseToken, ClaimToken: r.ClaimToken, FreeClaims: r.FreeClaims, LockedUntil: utcPtr(r.LockedUntil),
		WaitingSince: utcPtr(r.WaitingSince),
		CreatedAt:    r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		FetchStartedAt: utcPtr(r.FetchStartedAt), LockAcquiredAt: utcPtr(r.LockAcquiredAt),
		LockReleasedAt: utcPtr(r.LockReleasedAt), ProcessingStartedAt: utcPtr(r.ProcessingStartedAt),
		WriteStartedAt: utcPtr(r.WriteStartedAt), FinishedAt: utcPtr(r.FinishedAt),
		LockWait: time.Duration(r.LockWaitNS),
	}
}

func syncToRow(s *Sync) syncRow {
	return syncRow{
		ID: s.ID, AccountID: s.AccountID, CustomerID: s.CustomerID, FromDay: s.From, ToDay: s.To,
		ReuseBefore: s.ReuseBefore, FreshAfter: utc(s.FreshAfter), TriggerKind: s.Trigger,
		Status: s.Status, Phase: s.Phase, IdempotencyKey: s.IdempotencyKey, ScheduledFor: s.ScheduledFor, PlanRank: s.PlanRank,
		RetryOf: s.RetryOf, Attempts: s.Attempts, MaxAttempts: s.MaxAttempts, RunAfter: utc(s.RunAfter),
		ReportsTotal: s.ReportsTotal, ReportsFetched: s.ReportsFetched, RowsProcessed: s.RowsProcessed,
		ErrorMessage: s.Error, ErrorKind: s.ErrorKind, CancelRequested: s.CancelRequested,
		Worker: s.Worker, LeaseToken: s.LeaseToken, ClaimToken: s.ClaimToken, FreeClaims: s.FreeClaims, LockedUntil: utcPtr(s.LockedUntil),
		WaitingSince: utcPtr(s.WaitingSince),
		CreatedAt:    utc(s.CreatedAt), UpdatedAt: utc(s.UpdatedAt),
		FetchStartedAt: utcPtr(s.FetchStartedAt), LockAcquiredAt: utcPtr(s.LockAcquiredAt),
		LockReleasedAt: utcPtr(s.LockReleasedAt), ProcessingStartedAt: utcPtr(s.ProcessingStartedAt),
		WriteStartedAt: utcPtr(s.WriteStartedAt), FinishedAt: utcPtr(s.FinishedAt),
		LockWaitNS: int64(s.LockWait),
	}
}

// EnqueueSync queues in, unless an equivalent sync exists, in one transaction:
// a sync with the same IdempotencyKey, or the same (AccountID, ScheduledFor),
// or an equal one (same account, From, To, ReuseBefore) still queued is
// returned instead with created=false. A new sync gets an ID, status and phase
// queued, RunAfter=now when zero, and wakes the workers. in is not modified.
func (s *Store) EnqueueSync(ctx context.Context, in *Sync) (Sync, bool, error) {
	if in.AccountID == "" || in.CustomerID == "" || in.From == "" || in.To == "" {
		return Sync{}, false, errors.New("enqueue sync: account id, customer id, from and to are required")
	}
	var out Sync
	var created bool
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var err error
		out, created, err = s.enqueueTx(tx, *in)
		return err
	})
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		// A concurrent enqueue inserted the same key between our check and
		// insert (PostgreSQL); the second look finds it.
		err = s.tx(ctx, func(tx *gorm.DB) error {
			var err error
			out, created, err = s.enqueueTx(tx, *in)
			return err
		})
	}
	if err != nil {
		return Sync{}, false, fmt.Errorf("enqueue sync: %w", mapErr(err))
	}
	if created {
		s.notify(ctx)
	}
	return out, created, nil
}

// enqueueTx is EnqueueSync's transaction body.
func (s *Store) enqueueTx(tx *gorm.DB, in Sync) (Sync, bool, error) {
	var existing []syncRow
	find := func(q *gorm.DB) (bool, error) {
		if err := q.Order("created_at, id").Limit(1).Find(&existing).Error; err != nil {
			return false, err
		}
		return len(existing) > 0, nil
	}
	if in.IdempotencyKey != "" {
		if ok, err := find(tx.Where("idempotency_key = ?", in.IdempotencyKey)); err != nil || ok {
			return existingSync(existing), false, err
		}
	}
	if in.ScheduledFor != "" {
		if ok, err := find(tx.Where("account_id = ? AND scheduled_for = ?", in.AccountID, in.ScheduledFor)); err != nil || ok {
			return existingSync(existing), false, err
		}
	}
	if ok, err := find(tx.Where("account_id = ? AND from_day = ? AND to_day = ? AND reuse_before = ? AND status = ?",
		in.AccountID, in.From, in.To, in.ReuseBefore, StatusQueued)); err != nil || ok {
		return existingSync(existing), false, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Sync{}, false, err
	}
	now, err := s.dbNow(tx)
	if err != nil {
		return Sync{}, false, err
	}
	in.ID, in.Status, in.Phase = id.String(), StatusQueued, PhaseQueued
	in.CreatedAt, in.UpdatedAt = now, now
	if in.RunAfter.IsZero() {
		in.RunAfter = now
	}
	if in.Trigger == "" {
		in.Trigger = TriggerManual
	}
	row := syncToRow(&in)
	if err := tx.Create(&row).Error; err != nil {
		return Sync{}, false, err
	}
	return row.toSync(), true, nil
}

func existingSync(rows []syncRow) Sync {
	if len(rows) == 0 {
		return Sync{}
	}
	return rows[0].toSync()
}

// GetSync returns the sync with id.
func (s *Store) GetSync(ctx context.Context, id string) (Sync, error) {
	row, err := getSyncRow(s.conn(ctx), id)
	if err != nil {
		return Sync{}, fmt.Errorf("get sync %s: %w", id, err)
	}
	return row.toSync(), nil
}

func getSyncRow(tx *gorm.DB, id string) (syncRow, error) {
	var row syncRow
	if err := tx.Where("id = ?", id).Take(&row).Error; err != nil {
		return syncRow{}, mapErr(err)
	}
	return row, nil
}

// ListSyncs returns syncs newest first (created_at, id descending) with
// keyset pagination: pass the returned cursor as f.Cursor for the next page;
// it is "" on the last page. Each query walks an index in order and stops at
// the page's end; with several statuses, one such walk per status is merged.
func (s *Store) ListSyncs(ctx context.Context, f SyncFilter) ([]Sync, string, error) {
	var at time.Time
	var afterID string
	if f.Cursor != "" {
		var err error
		if at, afterID, err = decodeCursor(f.Cursor); err != nil {
			return nil, "", fmt.Errorf("list syncs: %w", err)
		}
	}
	limit := clampLimit(f.Limit, 50, 1000)
	// page is the query of one page, for one status ("" = every status in f).
	page := func(status string) *gorm.DB {
		q := s.conn(ctx).Model(&syncRow{})
		if f.AccountID != "" {
			q = q.Where("account_id = ?", f.AccountID)
		}
		if f.CustomerID != "" {
			q = q.Where("customer_id = ?", f.CustomerID)
		}
		switch {
		case status != "":
			q = q.Where("status = ?", status)
		case len(f.Statuses) > 0:
			q = q.Where("status IN ?", f.Statuses)
		}
		if !f.CreatedAfter.IsZero() {
			q = q.Where("created_at >= ?", utc(f.CreatedAfter))
		}
		if !f.CreatedBefore.IsZero() {
			q = q.Where("created_at < ?", utc(f.CreatedBefore))
		}
		if f.Cursor != "" {
			q = q.Where("(created_at < ? OR (created_at = ? AND id < ?))", at, at, afterID)
		}
		return q.Order("created_at DESC, id DESC").Limit(limit + 1)
	}
	var rows []syncRow
	var err error
	if statuses := distinct(f.Statuses); len(statuses) > 1 {
		// "status IN (...)" cannot walk one index in created_at order: merge one ordered walk
		// per status instead of sorting every matching row.
		parts := make([]string, len(statuses))
		args := make([]any, 0, len(statuses)+1)
		for i, st := range statuses {
			parts[i] = fmt.Sprintf("SELECT * FROM (?) AS p%d", i)
			args = append(args, page(st))
		}
		args = append(args, limit+1)
		err = s.conn(ctx).Raw("SELECT * FROM ("+strings.Join(parts, " UNION ALL ")+") AS u ORDER BY created_at DESC, id DESC LIMIT ?", args...).
			Scan(&rows).Error
	} else {
		err = page("").Find(&rows).Error
	}
	if err != nil {
		return nil, "", fmt.Errorf("list syncs: %w", mapErr(err))
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1]
		next = encodeCursor(last.CreatedAt, last.ID)
	}
	out := make([]Sync, len(rows))
	for i, r := range rows {
		out[i] = r.toSync()
	}
	return out, next, nil
}

// distinct returns the values of v without repetitions, in their first order.
func distinct(v []string) []string {
	var out []string
	for _, x := range v {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

func encodeCursor(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(at.UTC().Format(time.RFC3339Nano) + "|" + id))
}

func decodeCursor(c string) (time.Time, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, "", fmt.Errorf("%w: %v", ErrBadCursor, err)
	}
	ts, id, ok := strings.Cut(string(b), "|")
	if !ok {
		return time.Time{}, "", ErrBadCursor
	}
	at, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return time.Time{}, "", fmt.Errorf("%w: %v", ErrBadCursor, err)
	}
	return utc(at), id, nil
}

// LastSuccesses returns, per account of ids, when its newest succeeded sync (by creation)
// finished; accounts without one are absent. One indexed lookup per account.
func (s *Store) LastSuccesses(ctx context.Context, ids []string) (map[string]time.Time, error) {
	out := make(map[string]time.Time, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		ID         string
		FinishedAt *time.Time
	}
	err := s.conn(ctx).Raw(`SELECT a.id AS id, (SELECT s.finished_at FROM syncs s
  WHERE s.account_id = a.id AND s.status = ? ORDER BY s.created_at DESC, s.id DESC LIMIT 1) AS finished_at
FROM accounts a WHERE a.id IN ?`, StatusSucceeded, ids).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("last successes: %w", mapErr(err))
	}
	for _, r := range rows {
		if r.FinishedAt != nil {
			out[r.ID] = r.FinishedAt.UTC()
		}
	}
	return out, nil
}

// SyncChange is one sync's last change.
type SyncChange struct {
	ID        string
	UpdatedAt time.Time
}

// RecentSyncChanges returns the syncs that are not finished and those that finished at or
// after finishedSince, with the time of their last change, at most limit (0 = 1000): what a
// change feed compares with what it saw before. Both halves are indexed (status, finished_at);
// updated_at is deliberately not indexed, so that progress updates stay cheap (HOT) on
// PostgreSQL.
func (s *Store) RecentSyncChanges(ctx context.Context, finishedSince time.Time, limit int) ([]SyncChange, error) {
	var rows []syncRow
	if err := s.conn(ctx).Select("id, updated_at").
		Where("status IN ? OR finished_at >= ?", []string{StatusQueued, StatusFetching, StatusProcessing}, utc(finishedSince)).
		Order("updated_at DESC").Limit(clampLimit(limit, 1000, 10000)).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("recent sync changes: %w", mapErr(err))
	}
	out := make([]SyncChange, len(rows))
	for i, r := range rows {
		out[i] = SyncChange{ID: r.ID, UpdatedAt: r.UpdatedAt.UTC()}
	}
	return out, nil
}

// CountActiveSyncs returns the number of syncs per status that is not final (queued, fetching,
// processing); an indexed count of the work in flight, cheap however many finished syncs exist.
func (s *Store) CountActiveSyncs(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		Status string
		N      int
	}
	if err := s.conn(ctx).Model(&syncRow{}).Select("status, COUNT(*) AS n").
		Where("status IN ?", []string{StatusQueued, StatusFetching, StatusProcessing}).
		Group("status").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("count active syncs: %w", mapErr(err))
	}
	out := make(map[string]int, 3)
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, nil
}

// CountSyncs returns the number of syncs per status. It reads every row: for metrics, cache it.
func (s *Store) CountSyncs(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		Status string
		N      int
	}
	if err := s.conn(ctx).Model(&syncRow{}).Select("status, COUNT(*) AS n").Group("status").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("count syncs: %w", mapErr(err))
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, nil
}

// QueuedBehind returns the queued syncs of a customer, oldest first.
func (s *Store) QueuedBehind(ctx context.Context, customerID string) ([]Sync, error) {
	var rows []syncRow
	if err := s.conn(ctx).Where("customer_id = ? AND status = ?", customerID, StatusQueued).
		Order("created_at, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("queued behind %s: %w", customerID, mapErr(err))
	}
	out := make([]Sync, len(rows))
	for i, r := range rows {
		out[i] = r.toSync()
	}
	return out, nil
}

// ScheduledTally counts the scheduled syncs queued since a time, for the morning's progress.
type ScheduledTally struct {
	// ByStatus counts them per status.
	ByStatus map[string]int
	// FirstStarted is when the first of them began fetching (nil: none has).
	FirstStarted *time.Time
}

// CountScheduled tallies the syncs of trigger scheduled created at or after since (a range read
// of the syncs_created index: that day's syncs only).
func (s *Store) CountScheduled(ctx context.Context, since time.Time) (ScheduledTally, error) {
	var rows []struct {
		Status string
		N      int
	}
	out := ScheduledTally{ByStatus: map[string]int{}}
	conn := s.conn(ctx)
	q := func() *gorm.DB {
		return conn.Model(&syncRow{}).Where("created_at >= ? AND trigger_kind = ?", utc(since), TriggerScheduled)
	}
	if err := q().Select("status, COUNT(*) AS n").Group("status").Scan(&rows).Error; err != nil {
		return out, fmt.Errorf("count scheduled syncs: %w", mapErr(err))
	}
	for _, r := range rows {
		out.ByStatus[r.Status] = r.N
	}
	var first []syncRow
	if err := q().Select("fetch_started_at").Where("fetch_started_at IS NOT NULL").
		Order("fetch_started_at").Limit(1).Find(&first).Error; err != nil {
		return out, fmt.Errorf("count scheduled syncs: %w", mapErr(err))
	}
	if len(first) == 1 {
		out.FirstStarted = utcPtr(first[0].FetchStartedAt)
	}
	return out, nil
}

// ScheduledAccounts returns the accounts that already have the scheduled sync of day
// (ScheduledFor), among the syncs created at or after since (a range read of syncs_created).
func (s *Store) ScheduledAccounts(ctx context.Context, day string, since time.Time) (map[string]bool, error) {
	var ids []string
	if err := s.conn(ctx).Model(&syncRow{}).Where("created_at >= ? AND scheduled_for = ?", utc(since), day).
		Pluck("account_id", &ids).Error; err != nil {
		return nil, fmt.Errorf("scheduled accounts: %w", mapErr(err))
	}
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}
