package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"

	"github.com/naversync/naversync/service"
)

// Token is one accepted bearer token and the role it grants.
type Token struct {
	Secret string
	Role   service.Role
}

// ParseToken reads one entry of Options.Tokens (and of NAVERSYNC_API_TOKENS): "viewer:TOKEN",
// "operator:TOKEN", "admin:TOKEN", or a plain TOKEN, which has every right (admin), as tokens
// had before roles existed. An entry with a colon must start with a known role, so that a
// mistyped role never turns into a token with every right.
func ParseToken(entry string) (Token, error) {
	entry = strings.TrimSpace(entry)
	prefix, secret, hasRole := strings.Cut(entry, ":")
	if !hasRole {
		if entry == "" {
			return Token{}, fmt.Errorf("an empty token")
		}
		return Token{Secret: entry, Role: service.RoleAdmin}, nil
	}
	role, ok := service.ParseRole(prefix)
	if !ok {
		return Token{}, fmt.Errorf("unknown role %q before the first colon: use viewer:TOKEN, operator:TOKEN, admin:TOKEN or a token without a colon", prefix)
	}
	if secret == "" {
		return Token{}, fmt.Errorf("role %s without a token", role)
	}
	return Token{Secret: secret, Role: role}, nil
}

// ParseTokens parses every entry with ParseToken, naming the first bad one by position (never
// by content: it is a secret).
func ParseTokens(entries []string) ([]Token, error) {
	out := make([]Token, 0, len(entries))
	for i, e := range entries {
		t, err := ParseToken(e)
		if err != nil {
			return nil, fmt.Errorf("token %d: %w", i+1, err)
		}
		out = append(out, t)
	}
	return out, nil
}

// principalKey keys the caller (role and name) in a request's context.
type principalKey struct{}

// anonymous is the caller when authentication is off (the demo): every right.
var anonymous = service.Actor{Name: "anonymous (authentication off)", Role: service.RoleAdmin}

// actorName names a token's holder in the audit log without revealing the token: its role and
// the first 8 hex digits of its SHA-256 (`printf %s TOKEN | sha256sum` shows which token it is).
func actorName(role service.Role, sum [sha256.Size]byte) string {
	return fmt.Sprintf("%s token %s", role, hex.EncodeToString(sum[:4]))
}

// callerOf returns the caller of a request that passed authenticate.
func callerOf(r *http.Request) service.Actor {
	if a, ok := r.Context().Value(principalKey{}).(service.Actor); ok {
		return a
	}
	return anonymous
}

// withCaller puts the caller in the request's context, for handlers and for the service's
// audit log.
func withCaller(r *http.Request, a service.Actor) *http.Request {
	ctx := context.WithValue(r.Context(), principalKey{}, a)
	return r.WithContext(service.WithActor(ctx, a))
}

// mayChange lets through the callers whose role may change things; a viewer gets 403 before the
// request's body is read.
func (h *handler) mayChange(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a := callerOf(r); !a.Role.CanChange() {
			writeProblem(w, r, kindForbidden, service.Msg(service.MsgReadOnlyRole, fmt.Sprintf("this token's role (%s) may read but not change anything; use an operator token", a.Role),
				"role", string(a.Role)), nil)
			return
		}
		next.ServeHTTP(w, r)
	})
}
