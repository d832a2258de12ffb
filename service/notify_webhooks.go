package service

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/naversync/naversync/store"
)

// WebhookKind is the shape of a target's body.
type WebhookKind string

// Webhook kinds.
const (
	// WebhookSlack: a Slack incoming webhook ({"text": ...}).
	WebhookSlack WebhookKind = "slack"
	// WebhookGoogleChat: a Google Chat space's webhook ({"text": ...}).
	WebhookGoogleChat WebhookKind = "google_chat"
	// WebhookGeneric: any receiver; the body is the whole Notification as JSON.
	WebhookGeneric WebhookKind = "generic"
)

// WebhookKinds lists the kinds, in openapi.yaml's order.
func WebhookKinds() []WebhookKind {
	return []WebhookKind{WebhookSlack, WebhookGoogleChat, WebhookGeneric}
}

// Audit actions of the webhook targets.
const (
	AuditWebhookCreate = "webhook.create"
	AuditWebhookUpdate = "webhook.update"
	AuditWebhookDelete = "webhook.delete"
	AuditWebhookTest   = "webhook.test"
)

// Webhook is a target as the API shows it: its URL is write-only, only its host is shown.
type Webhook struct {
	ID        string        `json:"id"`
	Name      string        `json:"name"`
	Kind      WebhookKind   `json:"kind"`
	URLHost   string        `json:"url_host"`
	Events    []NotifyEvent `json:"events"`
	Enabled   bool          `json:"enabled"`
	CreatedAt time.Time     `json:"created_at"`
	UpdatedAt time.Time     `json:"updated_at"`
}

// WebhookInput creates a target, or (the non-nil fields) changes one.
type WebhookInput struct {
	Name    *string        `json:"name"`
	Kind    *WebhookKind   `json:"kind"`
	URL     *string        `json:"url"`
	Events  *[]NotifyEvent `json:"events"`
	Enabled *bool          `json:"enabled"`
}

// WebhookTestResult is the outcome of a test message that was delivered.
type WebhookTestResult struct {
	Delivered bool `json:"delivered"`
}

// webhookAAD binds a target's encrypted URL to the target, as an account's secret to the account.
func webhookAAD(id string) string { return "webhook:" + id }

func toWebhook(t store.WebhookTarget) Webhook {
	ev := make([]NotifyEvent, 0, len(t.Events))
	for _, e := range t.Events {
		ev = append(ev, NotifyEvent(e))
	}
	return Webhook{ID: t.ID, Name: t.Name, Kind: WebhookKind(t.Kind), URLHost: t.URLHost, Events: ev, Enabled: t.Enabled,
		CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
}

// webhookHost checks a webhook URL and returns what may be shown of it: its host.
func webhookHost(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", errors.New("an http(s) URL with a host")
	}
	if u.User != nil {
		return "", errors.New("a URL without user information")
	}
	return u.Host, nil
}

// checkWebhook validates in (complete says all of name, kind, url and events are required).
func checkWebhook(in WebhookInput, complete bool) error {
	var v ValidationError
	if in.Name != nil {
		if n := strings.TrimSpace(*in.Name); n == "" || utf8.RuneCountInString(n) > 100 {
			v.add("name", Msg(MsgFieldTextRequired, "1 to 100 characters", "max", "100"))
		}
	} else if complete {
		v.add("name", Msg(MsgFieldRequired, "required"))
	}
	if in.Kind != nil {
		if !slices.Contains(WebhookKinds(), *in.Kind) {
			v.add("kind", Msg(MsgFieldWebhookKind, "one of slack, google_chat, generic"))
		}
	} else if complete {
		v.add("kind", Msg(MsgFieldRequired, "required"))
	}
	if in.URL != nil {
		if _, err := webhookHost(*in.URL); err != nil {
			v.add("url", Msg(MsgFieldWebhookURL, err.Error()))
		}
	} else if complete {
		v.add("url", Msg(MsgFieldRequired, "required"))
	}
	if in.Events != nil {
		for _, e := range *in.Events {
			if !slices.Contains(NotifyEvents(), e) {
				v.add("events", Msg(MsgFieldWebhookEvent, fmt.Sprintf("unknown event %q", e), "event", string(e)))
			}
		}
	} else if complete {
		v.add("events", Msg(MsgFieldRequired, "required"))
	}
	return v.orNil()
}

func eventNames(ev []NotifyEvent) []string {
	out := make([]string, 0, len(ev))
	for _, e := range ev {
		if !slices.Contains(out, string(e)) {
			out = append(out, string(e))
		}
	}
	return out
}

// ListWebhooks lists the targets.
func (s *Service) ListWebhooks(ctx context.Context) ([]Webhook, error) {
	ts, err := s.store.ListWebhooks(ctx)
	if err != nil {
		return nil, mapStoreErr("list webhooks", err)
	}
	out := make([]Webhook, len(ts))
	for i, t := range ts {
		out[i] = toWebhook(t)
	}
	return out, nil
}

// GetWebhook returns one target; ErrNotFound when there is none.
func (s *Service) GetWebhook(ctx context.Context, id string) (Webhook, error) {
	t, err := s.store.GetWebhook(ctx, id)
	if err != nil {
		return Webhook{}, mapStoreErr("get webhook", err)
	}
	return toWebhook(t), nil
}

// CreateWebhook stores a new target (enabled unless in.Enabled says otherwise), its URL
// encrypted, and records it in the audit log (never the URL).
func (s *Service) CreateWebhook(ctx context.Context, in WebhookInput) (Webhook, error) {
	if err := checkWebhook(in, true); err != nil {
		return Webhook{}, err
	}
	host, _ := webhookHost(*in.URL)
	t := store.WebhookTarget{Name: strings.TrimSpace(*in.Name), Kind: string(*in.Kind), URLHost: host,
		Events: eventNames(*in.Events), Enabled: in.Enabled == nil || *in.Enabled}
	err := s.audited(ctx, func(ctx context.Context) ([]auditNote, error) {
		// The id binds the ciphertext, so it is stored first and the URL sealed under it.
		if err := s.store.CreateWebhook(ctx, &t); err != nil {
			return nil, err
		}
		sealed, err := s.crypt.seal(strings.TrimSpace(*in.URL), webhookAAD(t.ID))
		if err != nil {
			return nil, err
		}
		t.URLEnc = sealed
		if _, err := s.store.UpdateWebhook(ctx, t.ID, store.WebhookUpdate{URLEnc: &sealed}); err != nil {
			return nil, err
		}
		return []auditNote{{action: AuditWebhookCreate, fields: []string{"name", "kind", "url", "events", "enabled"},
			detail: Msg(MsgAuditWebhookCreate, fmt.Sprintf("webhook %q (%s, %s) for %s", t.Name, t.Kind, host, strings.Join(t.Events, ", ")),
				"name", t.Name, "kind", t.Kind, "host", host, "events", strings.Join(t.Events, ", "))}}, nil
	})
	if err != nil {
		return Webhook{}, mapStoreErr("create webhook", err)
	}
	return toWebhook(t), nil
}

// UpdateWebhook changes the given fields of a target; ErrNotFound when there is none.
func (s *Service) UpdateWebhook(ctx context.Context, id string, in WebhookInput) (Webhook, error) {
	if err := checkWebhook(in, false); err != nil {
		return Webhook{}, err
	}
	var (
		u      store.WebhookUpdate
		fields []string
		out    store.WebhookTarget
	)
	if in.Name != nil {
		n := strings.TrimSpace(*in.Name)
		u.Name, fields = &n, append(fields, "name")
	}
	if in.Kind != nil {
		k := string(*in.Kind)
		u.Kind, fields = &k, append(fields, "kind")
	}
	if in.Events != nil {
		ev := eventNames(*in.Events)
		u.Events, fields = &ev, append(fields, "events")
	}
	if in.Enabled != nil {
		u.Enabled, fields = in.Enabled, append(fields, "enabled")
	}
	if in.URL != nil {
		host, _ := webhookHost(*in.URL)
		sealed, err := s.crypt.seal(strings.TrimSpace(*in.URL), webhookAAD(id))
		if err != nil {
			return Webhook{}, err
		}
		u.URLEnc, u.URLHost, fields = &sealed, &host, append(fields, "url")
	}
	err := s.audited(ctx, func(ctx context.Context) ([]auditNote, error) {
		var err error
		if out, err = s.store.UpdateWebhook(ctx, id, u); err != nil {
			return nil, err
		}
		return []auditNote{{action: AuditWebhookUpdate, fields: fields, detail: Msg(MsgAuditWebhookUpdate, fmt.Sprintf("webhook %q (%s)", out.Name, out.URLHost),
			"name", out.Name, "host", out.URLHost, "fields", strings.Join(fields, ", "))}}, nil
	})
	if err != nil {
		return Webhook{}, mapStoreErr("update webhook", err)
	}
	return toWebhook(out), nil
}

// DeleteWebhook deletes a target and its pending deliveries; ErrNotFound when there is none.
func (s *Service) DeleteWebhook(ctx context.Context, id string) error {
	err := s.audited(ctx, func(ctx context.Context) ([]auditNote, error) {
		t, err := s.store.GetWebhook(ctx, id)
		if err != nil {
			return nil, err
		}
		if err := s.store.DeleteWebhook(ctx, id); err != nil {
			return nil, err
		}
		return []auditNote{{action: AuditWebhookDelete, detail: Msg(MsgAuditWebhookDelete, fmt.Sprintf("webhook %q (%s)", t.Name, t.URLHost), "name", t.Name, "host", t.URLHost)}}, nil
	})
	if err != nil {
		return mapStoreErr("delete webhook", err)
	}
	return nil
}

// TestWebhook sends a test message to a target now (not through the outbox: the admin waits for
// the answer) and records it in the audit log. A receiver that refused it or was not reached is
// a *WebhookSendError, which never holds the URL.
func (s *Service) TestWebhook(ctx context.Context, id string) (WebhookTestResult, error) {
	t, err := s.store.GetWebhook(ctx, id)
	if err != nil {
		return WebhookTestResult{}, mapStoreErr("test webhook", err)
	}
	n := Notification{Event: EventTest, URL: s.syncLink(""), OccurredAt: s.now()}
	s.renderNotification(&n, "")
	sendErr := s.sendWebhook(ctx, t, n)
	detail := Msg(MsgAuditWebhookTestOK, fmt.Sprintf("test message to webhook %q (%s): delivered", t.Name, t.URLHost), "name", t.Name, "host", t.URLHost)
	if sendErr != nil {
		detail = Msg(MsgAuditWebhookTestNo, fmt.Sprintf("test message to webhook %q (%s): %s", t.Name, t.URLHost, sendErr),
			append([]string{"name", t.Name, "host", t.URLHost}, WebhookErrorParams(sendErr)...)...)
	}
	if err := s.audited(ctx, func(context.Context) ([]auditNote, error) {
		return []auditNote{{action: AuditWebhookTest, detail: detail}}, nil
	}); err != nil {
		return WebhookTestResult{}, fmt.Errorf("test webhook: %w", err)
	}
	if sendErr != nil {
		return WebhookTestResult{}, sendErr
	}
	return WebhookTestResult{Delivered: true}, nil
}

// retainDeliveries deletes, in batches, the deliveries that finished longer than
// NotifyConfig.Retention ago, and returns how many it deleted.
func (s *Service) retainDeliveries(ctx context.Context) (int, error) {
	cutoff := s.now().Add(-s.cfg.Notify.Retention)
	total := 0
	for {
		n, err := s.store.DeleteFinishedDeliveries(ctx, cutoff, retentionBatch)
		total += n
		if err != nil {
			return total, fmt.Errorf("notification retention: %w", err)
		}
		if n < retentionBatch {
			return total, nil
		}
	}
}

// reencryptWebhooks encrypts with the current key the webhook URLs an old key encrypted (part
// of ReencryptSecrets: a URL is a secret like a Naver secret key). A URL changed meanwhile
// (the sealed value differs from the one read) is left to its new value.
func (s *Service) reencryptWebhooks(ctx context.Context, out *Reencrypted) error {
	ts, err := s.store.ListWebhooks(ctx)
	if err != nil {
		return err
	}
	for _, t := range ts {
		if len(t.URLEnc) == 0 {
			continue
		}
		plain, current, err := s.crypt.openCurrent(t.URLEnc, webhookAAD(t.ID))
		switch {
		case err != nil:
			out.UndecryptableWebhooks = append(out.UndecryptableWebhooks, t.ID)
			continue
		case current:
			out.Current++
			continue
		}
		sealed, err := s.crypt.seal(plain, webhookAAD(t.ID))
		if err != nil {
			return err
		}
		if _, err := s.store.UpdateWebhook(ctx, t.ID, store.WebhookUpdate{URLEnc: &sealed, IfURLEnc: &t.URLEnc}); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				continue // deleted or changed meanwhile
			}
			return err
		}
		out.Done++
	}
	return nil
}
