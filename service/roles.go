package service

import "context"

// Role is what a caller may do. The api package maps bearer tokens to roles and refuses what a
// role may not do; the service records the role of whoever made a change in the audit log.
type Role string

// Roles, from least to most rights.
const (
	// RoleViewer reads everything and changes nothing.
	RoleViewer Role = "viewer"
	// RoleOperator also syncs, cancels, retries, runs the refresh, checks credentials and
	// sheets, and adds, edits and deletes accounts.
	RoleOperator Role = "operator"
	// RoleAdmin has every right: the role of tokens configured without one (as before roles
	// existed). Today it may do what an operator may.
	RoleAdmin Role = "admin"
)

// ParseRole returns the role named s; ok is false for an unknown name.
func ParseRole(s string) (Role, bool) {
	switch r := Role(s); r {
	case RoleViewer, RoleOperator, RoleAdmin:
		return r, true
	}
	return "", false
}

// CanChange reports whether the role may change anything (sync, cancel, retry, edit accounts).
func (r Role) CanChange() bool { return r == RoleOperator || r == RoleAdmin }

// Actor is who asks the service for a change: a name for the audit log (never a secret, e.g.
// "operator token 3f9a1c2b") and a role.
type Actor struct {
	Name string
	Role Role
}

// serviceActor is the actor of changes made without one in the context: the service itself
// (the demo, the scheduler, tests).
var serviceActor = Actor{Name: "naversync"}

type actorKey struct{}

// WithActor returns ctx carrying the actor of the request, for the audit log.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor ctx carries, or the service itself.
func ActorFrom(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return serviceActor
}
