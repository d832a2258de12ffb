package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/naversync/naversync/google"
	"github.com/naversync/naversync/store"
)

// QuotaConfig is Google's Sheets quota as the shared budget spends it.
type QuotaConfig struct {
	// User is each identity's quota ("per minute per user per project"); zero fields take
	// Google's 60 reads and 60 writes a minute, and a Guard of Window/60 (google.Quota).
	User google.Quota
	// ProjectReads and ProjectWrites are the project's quota per User.Window, shared by its
	// identities; default 300 each, Google's.
	ProjectReads, ProjectWrites int
}

// SharedBudget is a google.Budget kept in the database: every replica on one database takes
// its Sheets requests' send times from the same rows (store.ReserveQuota), so an identity's
// requests, and its project's, stay within the quota summed over the replicas. A request is
// given the first time at which both its identity's and its project's limits allow it; the
// replica sleeps until then. A 429 holds the identity's row for its Retry-After, for all.
type SharedBudget struct {
	st                   *store.Store
	user                 google.Quota
	projReads, projWrite time.Duration // spacing under the project's limits
}

// NewSharedBudget returns the budget kept in st's database.
func NewSharedBudget(st *store.Store, q QuotaConfig) *SharedBudget {
	u := q.User.WithDefaults()
	if q.ProjectReads <= 0 {
		q.ProjectReads = 300
	}
	if q.ProjectWrites <= 0 {
		q.ProjectWrites = 300
	}
	period := u.Window + u.Guard
	return &SharedBudget{st: st, user: u,
		projReads: period / time.Duration(q.ProjectReads), projWrite: period / time.Duration(q.ProjectWrites)}
}

func userKey(identity string, kind google.Kind) string {
	return fmt.Sprintf("sheets/user/%s/%s", kind, identity)
}

// Take implements google.Budget.
func (b *SharedBudget) Take(ctx context.Context, identity string, kind google.Kind) error {
	projGap := b.projReads
	if kind == google.KindWrite {
		projGap = b.projWrite
	}
	limits := []store.QuotaLimit{
		// The identity gates the reservation: while its own quota has no room, the request
		// waits without taking a place in the project's schedule, so a backlogged identity
		// does not hold back the project's other identities.
		{Key: userKey(identity, kind), Gap: b.user.Gap(kind), Gate: true},
		{Key: fmt.Sprintf("sheets/project/%s/%s", kind, google.ProjectOf(identity)), Gap: projGap},
	}
	for {
		slot, err := b.st.ReserveQuota(ctx, limits)
		var notReady *store.QuotaNotReady
		switch {
		case errors.As(err, &notReady):
			// Never before a short pause, so that clocks that differ a little cannot spin this.
			slot = maxTime(notReady.At, b.st.Now().Add(10*time.Millisecond))
		case err != nil:
			return fmt.Errorf("sheets budget: %w", err)
		}
		if err := sleepCtx(ctx, slot.Sub(b.st.Now())); err != nil || notReady == nil {
			return err
		}
	}
}

// Hold implements google.Budget.
func (b *SharedBudget) Hold(ctx context.Context, identity string, kind google.Kind, d time.Duration) error {
	if err := b.st.HoldQuota(ctx, userKey(identity, kind), d); err != nil {
		return fmt.Errorf("sheets budget: %w", err)
	}
	return nil
}
