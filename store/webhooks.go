package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// WebhookTarget is one outgoing webhook an admin configured: where notifications go (the URL,
// a secret, stored encrypted by the caller: URLEnc), how their body is shaped (Kind), and
// which events it wants.
type WebhookTarget struct {
	ID      string // UUIDv7, assigned by CreateWebhook
	Name    string
	Kind    string // slack|google_chat|generic (the service's WebhookKind)
	URLEnc  []byte // the URL, encrypted by the caller; never stored in clear
	URLHost string // the URL's host, masked by the caller: what lists may show
	Events  []string
	Enabled bool
	// CreatedAt and UpdatedAt are set by the store.
	CreatedAt, UpdatedAt time.Time
}

// WebhookUpdate changes the non-nil fields of a target.
type WebhookUpdate struct {
	Name    *string
	Kind    *string
	URLEnc  *[]byte
	URLHost *string
	Events  *[]string
	Enabled *bool
	// IfURLEnc: change only if the stored ciphertext is still this one (else ErrNotFound), for
	// a re-encryption that must not overwrite a URL set meanwhile.
	IfURLEnc *[]byte
}

type webhookRow struct {
	ID        string `gorm:"primaryKey"`
	Name      string `gorm:"not null"`
	Kind      string `gorm:"not null"`
	URLEnc    []byte `gorm:"column:url_enc"`
	URLHost   string `gorm:"column:url_host;not null"`
	Events    string `gorm:"not null"` // comma-separated event names
	Enabled   bool   `gorm:"not null"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (webhookRow) TableName() string { return "webhook_targets" }

func (r webhookRow) toTarget() WebhookTarget {
	var ev []string
	if r.Events != "" {
		ev = strings.Split(r.Events, ",")
	}
	return WebhookTarget{ID: r.ID, Name: r.Name, Kind: r.Kind, URLEnc: r.URLEnc, URLHost: r.URLHost, Events: ev,
		Enabled: r.Enabled, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

// CreateWebhook stores t, assigning its ID and times.
func (s *Store) CreateWebhook(ctx context.Context, t *WebhookTarget) error {
	id, err := uuid.NewV7()
	if err != nil {
		return fmt.Errorf("create webhook: %w", err)
	}
	now := s.now()
	t.ID, t.CreatedAt, t.UpdatedAt = id.String(), now, now
	row := webhookRow{ID: t.ID, Name: t.Name, Kind: t.Kind, URLEnc: t.URLEnc, URLHost: t.URLHost,
		Events: strings.Join(t.Events, ","), Enabled: t.Enabled, CreatedAt: now, UpdatedAt: now}
	if err := s.conn(ctx).Create(&row).Error; err != nil {
		return fmt.Errorf("create webhook: %w", mapErr(err))
	}
	return nil
}

// GetWebhook returns one target; ErrNotFound when there is none.
func (s *Store) GetWebhook(ctx context.Context, id string) (WebhookTarget, error) {
	var rows []webhookRow
	if err := s.conn(ctx).Where("id = ?", id).Limit(1).Find(&rows).Error; err != nil {
		return WebhookTarget{}, fmt.Errorf("get webhook: %w", mapErr(err))
	}
	if len(rows) == 0 {
		return WebhookTarget{}, fmt.Errorf("get webhook %s: %w", id, ErrNotFound)
	}
	return rows[0].toTarget(), nil
}

// ListWebhooks returns every target, oldest first (an admin configures a handful).
func (s *Store) ListWebhooks(ctx context.Context) ([]WebhookTarget, error) {
	var rows []webhookRow
	if err := s.conn(ctx).Order("id").Limit(1000).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list webhooks: %w", mapErr(err))
	}
	out := make([]WebhookTarget, len(rows))
	for i, r := range rows {
		out[i] = r.toTarget()
	}
	return out, nil
}

// UpdateWebhook changes the non-nil fields of a target and returns it; ErrNotFound when there
// is none.
func (s *Store) UpdateWebhook(ctx context.Context, id string, u WebhookUpdate) (WebhookTarget, error) {
	upd := map[string]any{"updated_at": s.now()}
	if u.Name != nil {
		upd["name"] = *u.Name
	}
	if u.Kind != nil {
		upd["kind"] = *u.Kind
	}
	if u.URLEnc != nil {
		upd["url_enc"] = *u.URLEnc
	}
	if u.URLHost != nil {
		upd["url_host"] = *u.URLHost
	}
	if u.Events != nil {
		upd["events"] = strings.Join(*u.Events, ",")
	}
	if u.Enabled != nil {
		upd["enabled"] = *u.Enabled
	}
	q := s.conn(ctx).Model(&webhookRow{}).Where("id = ?", id)
	if u.IfURLEnc != nil {
		q = q.Where("url_enc = ?", *u.IfURLEnc)
	}
	res := q.Updates(upd)
	if res.Error != nil {
		return WebhookTarget{}, fmt.Errorf("update webhook: %w", mapErr(res.Error))
	}
	if res.RowsAffected == 0 {
		return WebhookTarget{}, fmt.Errorf("update webhook %s: %w", id, ErrNotFound)
	}
	return s.GetWebhook(ctx, id)
}

// DeleteWebhook deletes a target and the deliveries to it that are still pending (nothing can
// send them any more); delivered and failed ones stay until the retention. ErrNotFound when
// there is none.
func (s *Store) DeleteWebhook(ctx context.Context, id string) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		res := s.conn(ctx).Where("id = ?", id).Delete(&webhookRow{})
		if res.Error != nil {
			return fmt.Errorf("delete webhook: %w", mapErr(res.Error))
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("delete webhook %s: %w", id, ErrNotFound)
		}
		if err := s.conn(ctx).Where("target_id = ? AND state = ?", id, DeliveryPending).Delete(&outboxRow{}).Error; err != nil {
			return fmt.Errorf("delete webhook's pending deliveries: %w", mapErr(err))
		}
		return nil
	})
}
