package service

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/naversync/naversync/google"
)

// identities is the pool of Google identities: one SheetWriter per service account, keyed by
// its e-mail (lower case), in the order configured (the first is the default: the identity of
// accounts stored before identities existed).
type identities struct {
	order []string
	by    map[string]SheetWriter
}

// newIdentities builds the pool; two writers of one identity are refused.
func newIdentities(ws []SheetWriter) (*identities, error) {
	if len(ws) == 0 {
		return nil, fmt.Errorf("service: no Sheets writer")
	}
	p := &identities{by: make(map[string]SheetWriter, len(ws))}
	for _, w := range ws {
		id := normIdentity(w.ServiceAccountEmail())
		if _, dup := p.by[id]; dup {
			return nil, fmt.Errorf("service: two Sheets writers of the Google identity %q: each key must be another service account", id)
		}
		p.by[id] = w
		p.order = append(p.order, id)
	}
	return p, nil
}

// normIdentity is an identity as stored and compared: a service account's e-mail in lower case.
func normIdentity(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// writer is the writer of identity. An identity no longer in the pool (its key was removed)
// gets a writer whose every call fails as not shared, saying what to do.
func (p *identities) writer(identity string) SheetWriter {
	if w, ok := p.by[normIdentity(identity)]; ok {
		return w
	}
	return missingWriter{identity: identity}
}

func (p *identities) has(identity string) bool {
	_, ok := p.by[normIdentity(identity)]
	return ok
}

// GoogleIdentity is one identity of the pool and how many live accounts it writes.
type GoogleIdentity struct {
	Email    string `json:"email"`
	Accounts int    `json:"accounts"`
}

// GoogleIdentities lists the pool's identities in order, with their live accounts (accounts
// bound to an identity no longer in the pool are not counted).
func (s *Service) GoogleIdentities(ctx context.Context) ([]GoogleIdentity, error) {
	counts, err := s.store.AccountsPerIdentity(ctx)
	if err != nil {
		return nil, fmt.Errorf("google identities: %w", err)
	}
	out := make([]GoogleIdentity, len(s.ids.order))
	for i, id := range s.ids.order {
		out[i] = GoogleIdentity{Email: id, Accounts: counts[id]}
	}
	return out, nil
}

// NextGoogleIdentity is the identity a new account gets when none is chosen: the pool's
// least-loaded (fewest live accounts; ties go to the first in order). When the accounts cannot
// be counted, the default.
func (s *Service) NextGoogleIdentity(ctx context.Context) string {
	if len(s.ids.order) == 1 {
		return s.ids.order[0]
	}
	ids, err := s.GoogleIdentities(ctx)
	if err != nil {
		s.log.Warn("least-loaded google identity: the accounts could not be counted; the default is taken", "err", err)
		return s.ids.order[0]
	}
	best := ids[0]
	for _, id := range ids[1:] {
		if id.Accounts < best.Accounts {
			best = id
		}
	}
	return best.Email
}

// IdentityError refuses a Google identity that is not one of the pool's (the API's 422
// unknown-google-identity, naming the field and the allowed addresses).
type IdentityError struct {
	Identity string
	Allowed  []string
}

func (e *IdentityError) Error() string { return "google_identity: " + e.Fields()[0].Reason }

// Fields names the field and says which identities are allowed.
func (e *IdentityError) Fields() []FieldError {
	return []FieldError{FieldErr("google_identity", Msg(MsgFieldIdentity, fmt.Sprintf("%q is not one of this deployment's Google identities: choose one of %s",
		e.Identity, strings.Join(e.Allowed, ", ")), "identity", e.Identity, "allowed", strings.Join(e.Allowed, ", ")))}
}

// checkIdentity validates a chosen identity: one of the pool's, else an *IdentityError.
func (s *Service) checkIdentity(identity string) error {
	if !s.ids.has(identity) {
		return &IdentityError{Identity: identity, Allowed: slices.Clone(s.ids.order)}
	}
	return nil
}

// backfillIdentities binds accounts stored before identities existed to the default identity.
func (s *Service) backfillIdentities(ctx context.Context) {
	n, err := s.store.BackfillGoogleIdentity(ctx, s.ids.order[0])
	if err != nil {
		s.log.Warn("bind accounts without a google identity to the default", "err", err)
		return
	}
	if n > 0 {
		s.log.Info("accounts without a google identity bound to the default", "count", n, "google_identity", s.ids.order[0])
	}
}

// missingWriter stands for an identity whose key is no longer configured.
type missingWriter struct{ identity string }

func (m missingWriter) err() error {
	return fmt.Errorf("the account's Google identity %s has no key in this deployment (NAVERSYNC_GOOGLE_CREDENTIALS_FILE or NAVERSYNC_GOOGLE_CREDENTIALS_DIR): add its key back, or move the account to another identity: %w",
		m.identity, google.ErrNotShared)
}

func (m missingWriter) WriteTableFrom(context.Context, string, string, *google.Layout, google.Table, google.Status) (google.WriteResult, error) {
	return google.WriteResult{}, m.err()
}

func (m missingWriter) CheckAccess(context.Context, string, ...string) (google.Access, error) {
	return google.Access{}, m.err()
}

func (m missingWriter) RemoveStaging(context.Context, string, string, ...string) (int, error) {
	return 0, m.err()
}

func (m missingWriter) TabHoldsForeignData(context.Context, string, string) (google.TabContent, error) {
	return google.TabContent{}, m.err()
}

func (m missingWriter) ServiceAccountEmail() string { return m.identity }

// identityText names an account's identity in an audit entry ("" for none: a pool of one
// identity without an address, the Sheets stand-in's).
func identityText(identity string) string {
	if identity == "" {
		return ""
	}
	return ", written by Google identity " + identity
}
