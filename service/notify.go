package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/naversync/naversync/store"
)

// This file holds the notifications' events: what the notifier notices (a pass over the syncs
// that finished, the accounts not refreshed by the time of day the admin set, the syncs waiting
// long for Naver's job room), the texts in the deployment's language, and the enqueueing into
// the durable outbox (store.Delivery), one message per incident and target. notify_deliver.go
// sends the outbox; notify_webhooks.go manages the targets.

// NotifyEvent names what a notification tells.
type NotifyEvent string

// The events a webhook target may want, and the follow-up.
const (
	// EventSyncFailed: a sync failed for good (its retries used up, or a failure no retry
	// mends) for a reason other than the two below.
	EventSyncFailed NotifyEvent = "sync_failed"
	// EventCredentialsRefused: a sync failed because Naver refused the account's credentials.
	EventCredentialsRefused NotifyEvent = "credentials_refused"
	// EventSheetAccessLost: a sync failed because the spreadsheet is no longer shared with the
	// service account, or no longer exists.
	EventSheetAccessLost NotifyEvent = "sheet_access_lost"
	// EventStale: a refreshed account had no successful sync today by NotifyConfig.StaleAt.
	EventStale NotifyEvent = "stale"
	// EventNaverJobsWait: a sync has waited longer than NotifyConfig.RoomWaitAlert for room
	// among its customer's report jobs at Naver.
	EventNaverJobsWait NotifyEvent = "naver_jobs_wait"
	// EventRecovered: the follow-up, when an account that had a problem syncs successfully
	// again; sent to the targets that were told of the problem, whatever events they want.
	EventRecovered NotifyEvent = "recovered"
	// EventTest: the "send test message" of a target.
	EventTest NotifyEvent = "test"
)

// NotifyEvents lists the events a target may want.
func NotifyEvents() []NotifyEvent {
	return []NotifyEvent{EventSyncFailed, EventCredentialsRefused, EventSheetAccessLost, EventStale, EventNaverJobsWait}
}

// NotifyConfig tunes the notifications. The zero value works.
type NotifyConfig struct {
	// Language of the messages: "en" (default) or "ko".
	Language string
	// BaseURL is the console's public address (e.g. https://naversync.example.com); messages
	// link to BaseURL + "/ui/#sync/<id>". Empty: messages carry no link.
	BaseURL string
	// StaleAt is the time of day ("HH:MM", in Config.Location, on the service's clock) by which
	// an account whose refresh is enabled must have synced successfully that day; default 09:00.
	StaleAt string
	// RoomWaitAlert: a sync waiting this long for room among its customer's Naver report jobs
	// is notified; default 30 min.
	RoomWaitAlert time.Duration
	// Interval is how often the notifier looks for events and for due deliveries; default 10 s.
	Interval time.Duration
	// Timeout bounds one webhook request; default 10 s.
	Timeout time.Duration
	// RetryBase is the first delay after a failed delivery (doubling, at most 1 h); default 30 s.
	RetryBase time.Duration
	// MaxAttempts: a delivery is given up (failed) after this many attempts; default 12 (about
	// seven hours of back-off).
	MaxAttempts int
	// Retention: delivered and failed deliveries are deleted by the maintenance this long after
	// they finished; default 30 days.
	Retention time.Duration
	// Lookback is how far back a replica's first pass looks for finished syncs (what finished
	// while no replica ran); default 24 h.
	Lookback time.Duration
	// HTTPClient sends the webhooks; default a client without redirects.
	HTTPClient *http.Client
}

func (c *NotifyConfig) setDefaults() error {
	switch c.Language {
	case "":
		c.Language = "en"
	case "en", "ko":
	default:
		return fmt.Errorf("service: notification language %q: want en or ko", c.Language)
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.StaleAt == "" {
		c.StaleAt = "09:00"
	}
	if _, err := time.Parse("15:04", c.StaleAt); err != nil {
		return fmt.Errorf("service: notification stale time %q: want HH:MM", c.StaleAt)
	}
	if c.RoomWaitAlert <= 0 {
		c.RoomWaitAlert = 30 * time.Minute
	}
	if c.Interval <= 0 {
		c.Interval = 10 * time.Second
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.RetryBase <= 0 {
		c.RetryBase = 30 * time.Second
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 12
	}
	if c.Retention <= 0 {
		c.Retention = 30 * 24 * time.Hour
	}
	if c.Lookback <= 0 {
		c.Lookback = 24 * time.Hour
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	return nil
}

// Notification is one message, as stored in the outbox and as the generic webhook body
// (openapi.yaml, WebhookPayload; README, "Notifications").
type Notification struct {
	// ID names this delivery (the outbox row): the same on every attempt, so a receiver can
	// drop a repeat (a sender that dies between the receiver's answer and recording it sends
	// again: HTTP leaves no other way to know). Also the Idempotency-Key header. None for a test.
	ID          string      `json:"id,omitempty"`
	Event       NotifyEvent `json:"event"`
	AccountID   string      `json:"account,omitempty"`
	AccountName string      `json:"account_name,omitempty"`
	SyncID      string      `json:"sync,omitempty"`
	URL         string      `json:"url,omitempty"`
	Text        string      `json:"text"`
	OccurredAt  time.Time   `json:"occurred_at"`
}

// notifyTexts is the catalogue of the messages, per language and event. Arguments: the account's
// name, then the event's detail (the error, the last success, the wait), in this order.
var notifyTexts = map[string]map[NotifyEvent]string{
	"en": {
		EventSyncFailed:         "naversync: the sync of %s failed for good (%s).",
		EventCredentialsRefused: "naversync: Naver refused the credentials of %s: check its API key and secret key in Naver's Tools > API manager, then retry.%.0s",
		EventSheetAccessLost:    "naversync: the sheet of %s cannot be written: the spreadsheet is no longer shared with the service account, or was deleted (%s).",
		EventStale:              "naversync: the data of %s is stale: no successful refresh today by %s.",
		EventNaverJobsWait:      "naversync: the sync of %s has waited %s for room among the customer's report jobs at Naver (another tool holds them).",
		EventRecovered:          "naversync: %s recovered: its sync succeeded.%.0s",
		EventTest:               "naversync: test message%.0s%.0s. If you read this, the webhook works.",
	},
	"ko": {
		EventSyncFailed:         "naversync: %s 계정의 동기화가 최종 실패했습니다 (%s).",
		EventCredentialsRefused: "naversync: 네이버가 %s 계정의 인증 정보를 거부했습니다. 네이버 도구 > API 사용 관리에서 API 키와 비밀키를 확인한 뒤 다시 시도하세요.%.0s",
		EventSheetAccessLost:    "naversync: %s 계정의 시트에 쓸 수 없습니다. 스프레드시트가 서비스 계정과 더 이상 공유되지 않거나 삭제되었습니다 (%s).",
		EventStale:              "naversync: %s 계정의 데이터가 최신이 아닙니다. 오늘 %s까지 새로 고침에 성공하지 못했습니다.",
		EventNaverJobsWait:      "naversync: %s 계정의 동기화가 네이버 보고서 작업 자리를 %s째 기다리고 있습니다 (다른 도구가 작업을 차지하고 있습니다).",
		EventRecovered:          "naversync: %s 계정이 복구되었습니다. 동기화에 성공했습니다.%.0s",
		EventTest:               "naversync: 테스트 메시지입니다%.0s%.0s. 이 메시지가 보이면 웹훅이 정상입니다.",
	},
}

// notifyLinkLabel introduces the link in a message's text.
var notifyLinkLabel = map[string]string{"en": "Details", "ko": "자세히 보기"}

// renderNotification makes n's text in the deployment's language, with the link.
func (s *Service) renderNotification(n *Notification, detail string) {
	lang := s.cfg.Notify.Language
	n.Text = fmt.Sprintf(notifyTexts[lang][n.Event], n.AccountName, detail)
	if n.URL != "" {
		n.Text += " " + notifyLinkLabel[lang] + ": " + n.URL
	}
}

// syncLink is the console's page of a sync ("" without a BaseURL).
func (s *Service) syncLink(syncID string) string {
	switch {
	case s.cfg.Notify.BaseURL == "":
		return ""
	case syncID == "":
		return s.cfg.Notify.BaseURL + "/ui/"
	}
	return s.cfg.Notify.BaseURL + "/ui/#sync/" + syncID
}

// failureEvent is the event of a sync that failed for good with kind.
func failureEvent(kind string) NotifyEvent {
	switch ErrorKind(kind) {
	case KindAuth:
		return EventCredentialsRefused
	case KindNotShared, KindSpreadsheetNotFound:
		return EventSheetAccessLost
	}
	return EventSyncFailed
}

// noIncident is the incident of an account that never synced successfully.
const noIncident = "none"

// incidentOf names the incident an event of an account at a time belongs to: the account's
// last success before it. Every problem until the next success shares it, so that a failure
// retried day after day is told once, and that success's "recovered" closes it.
func (s *Service) incidentOf(ctx context.Context, accountID string, at time.Time) (string, error) {
	id, err := s.store.PreviousSuccess(ctx, accountID, at)
	if err != nil {
		return "", err
	}
	if id == "" {
		return noIncident, nil
	}
	return id, nil
}

// notifier is the state of this replica's event passes.
type notifier struct {
	since time.Time // finished syncs are read from here (less an overlap) on the next pass
}

// notifyOverlap: each pass reads again what finished this long before the last one it saw,
// for syncs whose finish committed late; the dedupe keys make the repeat harmless.
const notifyOverlap = time.Minute

// notifyPass looks for events and enqueues their messages for the enabled targets that want
// them. Every replica runs it; what two replicas enqueue for the same incident and target is
// stored once (the outbox's dedupe key).
func (s *Service) notifyPass(ctx context.Context, st *notifier) error {
	targets, err := s.store.ListWebhooks(ctx)
	if err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	var enabled []store.WebhookTarget
	for _, t := range targets {
		if t.Enabled {
			enabled = append(enabled, t)
		}
	}
	now := s.now()
	if st.since.IsZero() {
		st.since = now.Add(-s.cfg.Notify.Lookback)
	}
	if len(enabled) == 0 {
		st.since = now.Add(-notifyOverlap)
		return nil
	}
	var errs []error
	if err := s.notifyFinished(ctx, st, enabled); err != nil {
		errs = append(errs, err)
	}
	if err := s.notifyStale(ctx, now, enabled); err != nil {
		errs = append(errs, err)
	}
	if err := s.notifyRoomWaits(ctx, now, enabled); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// notifyFinished handles the syncs that finished since the last pass: a failure is told once
// per incident, a success closes the account's incident with a "recovered" follow-up.
func (s *Service) notifyFinished(ctx context.Context, st *notifier, targets []store.WebhookTarget) error {
	for {
		from := st.since.Add(-notifyOverlap)
		done, err := s.store.FinishedSyncs(ctx, from, 500)
		if err != nil {
			return fmt.Errorf("notify: %w", err)
		}
		for _, f := range done {
			if err := s.notifyFinishedSync(ctx, f, targets); err != nil {
				return err
			}
			if f.FinishedAt.After(st.since) {
				st.since = f.FinishedAt
			}
		}
		if len(done) < 500 || !st.since.After(from.Add(notifyOverlap)) {
			return nil
		}
	}
}

func (s *Service) notifyFinishedSync(ctx context.Context, f store.FinishedSync, targets []store.WebhookTarget) error {
	a, err := s.store.GetAccount(ctx, f.AccountID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // deleted since
	}
	if err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	if a.DeletedAt != nil {
		return nil
	}
	incident, err := s.incidentOf(ctx, f.AccountID, f.FinishedAt)
	if err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	n := Notification{AccountID: a.ID, AccountName: a.Name, SyncID: f.ID, URL: s.syncLink(f.ID), OccurredAt: f.FinishedAt}
	if f.Status == store.StatusSucceeded {
		ids, err := s.store.IncidentTargets(ctx, a.ID, incident, string(EventRecovered))
		if err != nil || len(ids) == 0 {
			return err
		}
		n.Event = EventRecovered
		s.renderNotification(&n, "")
		var to []store.WebhookTarget
		for _, t := range targets {
			for _, id := range ids {
				if t.ID == id {
					to = append(to, t)
				}
			}
		}
		return s.enqueueNotification(ctx, n, incident, incident, to)
	}
	// A failure the account has recovered from since (a replica reading back after a restart)
	// is old news.
	last, err := s.store.LastSuccesses(ctx, []string{a.ID})
	if err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	if t, ok := last[a.ID]; ok && t.After(f.FinishedAt) {
		return nil
	}
	n.Event = failureEvent(f.ErrorKind)
	detail := f.ErrorKind
	if detail == "" {
		detail = "other"
	}
	s.renderNotification(&n, detail)
	return s.enqueueNotification(ctx, n, incident, incident, wanting(targets, n.Event))
}

// staleAt is today's StaleAt (in Config.Location) and the start of today there.
func (s *Service) staleAt(now time.Time) (at, dayStart time.Time) {
	local := now.In(s.cfg.Location)
	hm, _ := time.Parse("15:04", s.cfg.Notify.StaleAt) // checked by setDefaults
	dayStart = time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, s.cfg.Location)
	return dayStart.Add(time.Duration(hm.Hour())*time.Hour + time.Duration(hm.Minute())*time.Minute), dayStart
}

// notifyStale tells, once a day from StaleAt, of each account whose refresh is enabled and that
// had no successful sync since the start of the day (accounts created today, and those whose own
// refresh time comes after StaleAt, are not judged).
func (s *Service) notifyStale(ctx context.Context, now time.Time, targets []store.WebhookTarget) error {
	to := wanting(targets, EventStale)
	at, dayStart := s.staleAt(now)
	if len(to) == 0 || now.Before(at) {
		return nil
	}
	on := true
	after := ""
	for {
		page, err := s.store.ListAccounts(ctx, store.AccountFilter{Limit: 500, After: after, RefreshEnabled: &on})
		if err != nil {
			return fmt.Errorf("notify stale: %w", err)
		}
		ids := make([]string, 0, len(page))
		for _, a := range page {
			ids = append(ids, a.ID)
		}
		last, err := s.store.LastSuccesses(ctx, ids)
		if err != nil {
			return fmt.Errorf("notify stale: %w", err)
		}
		for _, a := range page {
			if a.DeletedAt != nil || !a.CreatedAt.Before(dayStart) || (a.RefreshTime != "" && a.RefreshTime > s.cfg.Notify.StaleAt) {
				continue
			}
			if t, ok := last[a.ID]; ok && !t.Before(dayStart) {
				continue
			}
			incident, err := s.incidentOf(ctx, a.ID, now)
			if err != nil {
				return fmt.Errorf("notify stale: %w", err)
			}
			n := Notification{Event: EventStale, AccountID: a.ID, AccountName: a.Name, URL: s.syncLink(""), OccurredAt: at.UTC()}
			s.renderNotification(&n, s.cfg.Notify.StaleAt)
			if err := s.enqueueNotification(ctx, n, incident, dayStart.Format(dayLayout), to); err != nil {
				return err
			}
		}
		if len(page) < 500 {
			return nil
		}
		after = page[len(page)-1].ID
	}
}

// notifyRoomWaits tells of the syncs waiting longer than RoomWaitAlert for room among their
// customer's report jobs at Naver, once per incident.
func (s *Service) notifyRoomWaits(ctx context.Context, now time.Time, targets []store.WebhookTarget) error {
	to := wanting(targets, EventNaverJobsWait)
	if len(to) == 0 {
		return nil
	}
	waits, err := s.store.LongRoomWaits(ctx, now.Add(-s.cfg.Notify.RoomWaitAlert))
	if err != nil {
		return fmt.Errorf("notify room waits: %w", err)
	}
	for _, w := range waits {
		a, err := s.store.GetAccount(ctx, w.AccountID)
		if err != nil || a.DeletedAt != nil {
			continue
		}
		incident, err := s.incidentOf(ctx, a.ID, now)
		if err != nil {
			return fmt.Errorf("notify room waits: %w", err)
		}
		n := Notification{Event: EventNaverJobsWait, AccountID: a.ID, AccountName: a.Name, SyncID: w.ID, URL: s.syncLink(w.ID), OccurredAt: now}
		s.renderNotification(&n, now.Sub(*w.WaitingSince).Round(time.Minute).String())
		if err := s.enqueueNotification(ctx, n, incident, incident, to); err != nil {
			return err
		}
	}
	return nil
}

// wanting returns the targets that want ev.
func wanting(targets []store.WebhookTarget, ev NotifyEvent) []store.WebhookTarget {
	var out []store.WebhookTarget
	for _, t := range targets {
		for _, e := range t.Events {
			if NotifyEvent(e) == ev {
				out = append(out, t)
				break
			}
		}
	}
	return out
}

// enqueueNotification stores n for each target, deduplicated by target, event, account and
// occurrence (the incident, or the day for a stale account): the same message noticed again,
// by this pass or another replica's, is stored once.
func (s *Service) enqueueNotification(ctx context.Context, n Notification, incident, occurrence string, targets []store.WebhookTarget) error {
	if len(targets) == 0 {
		return nil
	}
	payload, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	ds := make([]store.Delivery, 0, len(targets))
	for _, t := range targets {
		ds = append(ds, store.Delivery{
			DedupeKey: strings.Join([]string{t.ID, string(n.Event), n.AccountID, occurrence}, "|"),
			TargetID:  t.ID, Event: string(n.Event), AccountID: n.AccountID, SyncID: n.SyncID, Incident: incident,
			Payload: string(payload),
		})
	}
	stored, err := s.store.EnqueueDeliveries(ctx, ds)
	if err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	if stored > 0 {
		s.log.Info("notification enqueued", "event", n.Event, "account_id", n.AccountID, "sync_id", n.SyncID, "targets", stored)
		s.wakeNotifier()
	}
	return nil
}
