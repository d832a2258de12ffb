package service

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/naversync/naversync/store"
)

// Audit actions of the notifications.
const (
	AuditNotifyDelivered = "notify.delivered"
	AuditNotifyFailed    = "notify.failed"
)

// notifyBatch: deliveries one claim takes.
const notifyBatch = 10

// notifyLoop runs this replica's notifier from Start to Stop: every NotifyConfig.Interval (and
// when an enqueue wakes it) a pass that looks for events, then the due deliveries of the outbox.
func (s *Service) notifyLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.Notify.Interval)
	defer t.Stop()
	st := &notifier{}
	owner := s.cfg.ReplicaID + "/notify"
	for {
		if err := s.notifyPass(ctx, st); err != nil && ctx.Err() == nil {
			s.log.Warn("notifications: looking for events", "err", err)
		}
		for ctx.Err() == nil {
			n, err := s.deliverDue(ctx, owner)
			if err != nil && ctx.Err() == nil {
				s.log.Warn("notifications: delivering", "err", err)
			}
			if err != nil || n < notifyBatch {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.notifyWake:
		}
	}
}

// wakeNotifier makes this replica's notifier deliver at once what was just enqueued.
func (s *Service) wakeNotifier() {
	select {
	case s.notifyWake <- struct{}{}:
	default:
	}
}

// deliverDue claims up to notifyBatch due deliveries and sends them, one after the other, and
// returns how many it claimed. A claim lasts three request timeouts: a sender that dies leaves
// its deliveries to be claimed again once the claim lapses (sent again, never lost).
func (s *Service) deliverDue(ctx context.Context, owner string) (int, error) {
	ds, err := s.store.ClaimDeliveries(ctx, owner, 3*s.cfg.Notify.Timeout, notifyBatch)
	if err != nil {
		return 0, fmt.Errorf("notify: %w", err)
	}
	var errs []error
	for _, d := range ds {
		if err := s.deliver(ctx, d); err != nil {
			errs = append(errs, err)
		}
	}
	return len(ds), errors.Join(errs...)
}

// deliver sends one claimed delivery and records the outcome, with its audit entry, in one
// transaction.
func (s *Service) deliver(ctx context.Context, d store.Delivery) error {
	var n Notification
	if err := json.Unmarshal([]byte(d.Payload), &n); err != nil {
		return s.recordDelivery(ctx, d, "", &deliveryError{code: MsgWebhookErrBadPayload, text: fmt.Sprintf("stored payload: %v", err)})
	}
	t, err := s.store.GetWebhook(ctx, d.TargetID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return s.recordDelivery(ctx, d, "", &deliveryError{code: MsgWebhookErrDeleted, text: "the target was deleted"})
	case err != nil:
		return fmt.Errorf("notify: %w", err)
	case !t.Enabled:
		return s.recordDelivery(ctx, d, t.Name, &deliveryError{code: MsgWebhookErrDisabled, text: "the target is disabled"})
	}
	n.ID = d.ID
	return s.recordDelivery(ctx, d, t.Name, s.sendWebhook(ctx, t, n))
}

// recordDelivery records the outcome of sending d (sendErr nil: delivered) and its audit entry.
func (s *Service) recordDelivery(ctx context.Context, d store.Delivery, target string, sendErr error) error {
	if target == "" {
		target = d.TargetID
	}
	e := store.AuditEntry{Actor: serviceActor.Name, AccountID: d.AccountID, SyncID: d.SyncID, Fields: []string{}}
	final := false
	err := s.store.InTx(ctx, func(ctx context.Context) error {
		if sendErr == nil {
			if err := s.store.MarkDelivered(ctx, d); err != nil {
				return err
			}
			setDetail(&e, AuditNotifyDelivered, Msg(MsgAuditNotifyOK, fmt.Sprintf("%s notification delivered to webhook %q (attempt %d)", d.Event, target, d.Attempts),
				"event", d.Event, "target", target, "attempt", itoa(d.Attempts)))
		} else {
			final = errors.Is(sendErr, errWebhookPermanent) || d.Attempts >= s.cfg.Notify.MaxAttempts
			retryAt := s.now().Add(notifyBackoff(s.cfg.Notify.RetryBase, d.Attempts))
			if err := s.store.RetryDelivery(ctx, d, sendErr.Error(), retryAt, final); err != nil {
				return err
			}
			m := Msg(MsgAuditNotifyRetry, fmt.Sprintf("%s notification to webhook %q failed (attempt %d, retried at %s): %s", d.Event, target, d.Attempts, retryAt.Format(time.RFC3339), sendErr),
				append([]string{"event", d.Event, "target", target, "attempt", itoa(d.Attempts), "at", retryAt.Format(time.RFC3339)}, WebhookErrorParams(sendErr)...)...)
			if final {
				m = Msg(MsgAuditNotifyGivenUp, fmt.Sprintf("%s notification to webhook %q failed (attempt %d, given up): %s", d.Event, target, d.Attempts, sendErr),
					append([]string{"event", d.Event, "target", target, "attempt", itoa(d.Attempts)}, WebhookErrorParams(sendErr)...)...)
			}
			setDetail(&e, AuditNotifyFailed, m)
		}
		return s.store.AddAudit(ctx, &e)
	})
	switch {
	case errors.Is(err, store.ErrLeaseLost):
		s.log.Warn("notification: the claim lapsed before the outcome was recorded; another sender has it", "delivery", d.ID, "event", d.Event)
		return nil
	case err != nil:
		return fmt.Errorf("notify: record delivery %s: %w", d.ID, err)
	case sendErr == nil:
		s.log.Info("notification delivered", "delivery", d.ID, "event", d.Event, "target", target, "attempt", d.Attempts)
	default:
		s.log.Warn("notification failed", "delivery", d.ID, "event", d.Event, "target", target, "attempt", d.Attempts, "final", final, "err", sendErr)
	}
	return nil
}

// notifyBackoff is the delay after the attempt-th failed attempt: base doubled per attempt, at
// most an hour.
func notifyBackoff(base time.Duration, attempt int) time.Duration {
	d := base
	for i := 1; i < attempt && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// errWebhookPermanent marks a failure that sending again cannot mend (a 4xx answer, a target
// that is gone): the delivery fails at once.
var errWebhookPermanent = errors.New("permanent")

// WebhookSendError is a failed webhook request, with nothing of the URL in it: the receiver's
// status (0 when none answered) and a reason.
type WebhookSendError struct {
	Code   MessageCode // the failure's code (webhook_error.*)
	Status int
	Reason string
	perm   bool
}

// deliveryError is a delivery that cannot be sent at all (its target deleted or disabled, its
// payload unreadable): permanent, with its code.
type deliveryError struct {
	code MessageCode
	text string
}

func (e *deliveryError) Error() string { return errWebhookPermanent.Error() + ": " + e.text }

// Unwrap makes it match errWebhookPermanent.
func (e *deliveryError) Unwrap() error { return errWebhookPermanent }

// WebhookErrorParams are the message parameters that say a failed delivery: error (the English
// text) and, for the failures the service knows, error_code (a webhook_error.* code) and the
// receiver's status.
func WebhookErrorParams(err error) []string {
	p := []string{"error", err.Error()}
	var se *WebhookSendError
	var de *deliveryError
	switch {
	case errors.As(err, &se):
		if se.Code != "" {
			p = append(p, "error_code", string(se.Code))
		}
		if se.Status != 0 {
			p = append(p, "status", itoa(se.Status))
		}
	case errors.As(err, &de):
		p = append(p, "error_code", string(de.code))
	}
	return p
}

func (e *WebhookSendError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("the receiver answered %d %s", e.Status, e.Reason)
	}
	return "the receiver was not reached: " + e.Reason
}

// Unwrap makes a permanent failure match errWebhookPermanent.
func (e *WebhookSendError) Unwrap() error {
	if e.perm {
		return errWebhookPermanent
	}
	return nil
}

// webhookBody is the body a target of kind gets for n: Slack's and Google Chat's incoming
// webhooks take {"text": ...}; the generic kind gets the whole Notification.
func webhookBody(kind WebhookKind, n Notification) ([]byte, error) {
	switch kind {
	case WebhookSlack, WebhookGoogleChat:
		return json.Marshal(map[string]string{"text": n.Text})
	}
	return json.Marshal(n)
}

// sendWebhook posts n to t. The URL is decrypted here and goes nowhere else: the error never
// holds it (a *url.Error names the URL, so only its cause's class is kept).
func (s *Service) sendWebhook(ctx context.Context, t store.WebhookTarget, n Notification) error {
	raw, err := s.crypt.open(t.URLEnc, webhookAAD(t.ID))
	if err != nil {
		return &WebhookSendError{Code: MsgWebhookErrStoredURL, Reason: "the stored URL cannot be decrypted (set it again)", perm: true}
	}
	body, err := webhookBody(WebhookKind(t.Kind), n)
	if err != nil {
		return &WebhookSendError{Code: MsgWebhookErrBody, Reason: "the body cannot be encoded", perm: true}
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Notify.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, raw, bytes.NewReader(body))
	if err != nil {
		return &WebhookSendError{Code: MsgWebhookErrStoredURL, Reason: "the stored URL is not valid (set it again)", perm: true}
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "naversync")
	if n.ID != "" {
		req.Header.Set("Idempotency-Key", n.ID)
	}
	resp, err := s.cfg.Notify.HTTPClient.Do(req)
	if err != nil {
		return &WebhookSendError{Code: MsgWebhookErrUnreached, Reason: transportReason(err)}
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode >= 500, resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode == http.StatusRequestTimeout:
		return &WebhookSendError{Code: MsgWebhookErrStatus, Status: resp.StatusCode, Reason: http.StatusText(resp.StatusCode)}
	}
	return &WebhookSendError{Code: MsgWebhookErrStatus, Status: resp.StatusCode, Reason: http.StatusText(resp.StatusCode), perm: true}
}

// transportReason says why a request got no answer, without the URL a *url.Error carries.
func transportReason(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return "the host name does not resolve"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return "transport error (" + strings.TrimSpace(ue.Op) + ")"
	}
	return "transport error"
}
