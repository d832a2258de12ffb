package service

import (
	"context"
	"fmt"
	"time"

	"github.com/naversync/naversync/store"
)

// Audit actions: what a change was.
const (
	AuditAccountCreate = "account.create"
	AuditAccountUpdate = "account.update"
	AuditAccountDelete = "account.delete"
	AuditSyncCreate    = "sync.create"
	AuditSyncCancel    = "sync.cancel"
	AuditSyncRetry     = "sync.retry"
	AuditRefreshRun    = "refresh.run"
)

// AuditEntry is one change a person made: who, when, what, on which account or sync, and
// which fields. It never holds a secret value: a new secret key is recorded as the field name
// secret_key, credentials (api_key, secret_key) never with their values.
type AuditEntry struct {
	ID        string    `json:"id"`
	At        time.Time `json:"at"`
	Actor     string    `json:"actor"`
	Role      string    `json:"role,omitempty"`
	Action    string    `json:"action"`
	AccountID string    `json:"account_id,omitempty"`
	SyncID    string    `json:"sync_id,omitempty"`
	Fields    []string  `json:"fields"`
	Detail    string    `json:"detail,omitempty"`
}

// AuditFilter selects audit entries: those of one account (or all), a page of Limit (at most
// 200, default 50), after the Cursor of the previous page.
type AuditFilter struct {
	AccountID string
	Limit     int
	Cursor    string
}

// ListAudit lists the audit log newest first; the returned cursor continues it ("" at the end).
func (s *Service) ListAudit(ctx context.Context, f AuditFilter) ([]AuditEntry, string, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	rows, next, err := s.store.ListAudit(ctx, store.AuditFilter{AccountID: f.AccountID, Limit: f.Limit, Before: f.Cursor})
	if err != nil {
		return nil, "", mapStoreErr("list audit", err)
	}
	out := make([]AuditEntry, len(rows))
	for i, r := range rows {
		out[i] = AuditEntry{ID: r.ID, At: r.At, Actor: r.Actor, Role: r.Role, Action: r.Action,
			AccountID: r.AccountID, SyncID: r.SyncID, Fields: r.Fields, Detail: r.Detail}
		if out[i].Fields == nil {
			out[i].Fields = []string{}
		}
	}
	return out, next, nil
}

// audit records a change made by ctx's actor. The change is already made: a failure to record
// it is logged (as an error: an operator should learn the log has a gap), not returned.
func (s *Service) audit(ctx context.Context, action, accountID, syncID string, fields []string, detail string) {
	a := ActorFrom(ctx)
	e := store.AuditEntry{Actor: a.Name, Role: string(a.Role), Action: action, AccountID: accountID, SyncID: syncID,
		Fields: fields, Detail: detail}
	// The change happened even if the request is canceled now: record it regardless.
	if err := s.store.AddAudit(context.WithoutCancel(ctx), &e); err != nil {
		s.log.Error("audit log: an entry could not be recorded", "action", action, "account_id", accountID, "sync_id", syncID, "actor", a.Name, "err", err)
	}
}

// auditSyncRequest records a sync request: the range asked for and what came of it.
func (s *Service) auditSyncRequest(ctx context.Context, req SyncRequest, sy store.Sync, created bool) {
	var fields []string
	asked := "the whole served window"
	switch {
	case req.Days > 0:
		fields, asked = []string{"days"}, fmt.Sprintf("the last %d days", req.Days)
	case req.From != "" || req.To != "":
		fields, asked = []string{"from", "to"}, "a range"
	}
	if req.Full {
		fields = append(fields, "full")
	}
	outcome := "queued"
	if !created {
		outcome = "merged into an equal sync already queued"
	}
	s.audit(ctx, AuditSyncCreate, sy.AccountID, sy.ID, append([]string{}, fields...),
		fmt.Sprintf("%s (%s..%s), %s sync: %s", asked, sy.From, sy.To, sy.Trigger, outcome))
}
