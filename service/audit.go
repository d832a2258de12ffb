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
	// DetailCode and DetailParams name Detail for a client to say it in its own language
	// (absent for entries recorded before codes existed).
	DetailCode   MessageCode   `json:"detail_code,omitempty"`
	DetailParams MessageParams `json:"detail_params,omitempty"`
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
			AccountID: r.AccountID, SyncID: r.SyncID, Fields: r.Fields, Detail: r.Detail,
			DetailCode: MessageCode(r.DetailCode), DetailParams: decodeParams(r.DetailParams)}
		if out[i].Fields == nil {
			out[i].Fields = []string{}
		}
	}
	return out, next, nil
}

// auditNote is one audit entry a change records: what (Audit* action), on which account or
// sync, which fields, and a sentence for people (never a secret value).
type auditNote struct {
	action, accountID, syncID string
	fields                    []string
	detail                    Message
}

// audited makes a change and records it: change runs in one transaction with the audit entries
// it returns (ctx's actor made them), so that a change is never kept without its entries, nor
// an entry without its change (a crash between the two lost the entry). change must make its
// store calls with the context it receives; an error from it or from writing an entry rolls
// both back and is returned.
func (s *Service) audited(ctx context.Context, change func(ctx context.Context) ([]auditNote, error)) error {
	a := ActorFrom(ctx)
	return s.store.InTx(ctx, func(ctx context.Context) error {
		notes, err := change(ctx)
		if err != nil {
			return err
		}
		for _, n := range notes {
			fields := n.fields
			if fields == nil {
				fields = []string{}
			}
			e := store.AuditEntry{Actor: a.Name, Role: string(a.Role), AccountID: n.accountID, SyncID: n.syncID, Fields: fields}
			setDetail(&e, n.action, n.detail)
			if err := s.store.AddAudit(ctx, &e); err != nil {
				return fmt.Errorf("audit log: %w", err)
			}
		}
		return nil
	})
}

// syncRequestNote is the audit entry of a sync request: the range asked for and what came of it.
func syncRequestNote(req SyncRequest, sy store.Sync, created bool) auditNote {
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
	outcome, code := "queued", MsgAuditSyncQueued
	if !created {
		outcome, code = "merged into an equal sync already queued", MsgAuditSyncMerged
	}
	return auditNote{action: AuditSyncCreate, accountID: sy.AccountID, syncID: sy.ID, fields: append([]string{}, fields...),
		detail: Msg(code, fmt.Sprintf("%s (%s..%s), %s sync: %s", asked, sy.From, sy.To, sy.Trigger, outcome),
			"from", sy.From, "to", sy.To, "trigger", sy.Trigger)}
}

// setDetail sets an audit entry's action and its detail, the English text with its code.
func setDetail(e *store.AuditEntry, action string, m Message) {
	e.Action, e.Detail, e.DetailCode, e.DetailParams = action, m.Text, string(m.Code), encodeParams(m.Params)
}
