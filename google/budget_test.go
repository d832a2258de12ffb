package google_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/naversync/naversync/google"
	"github.com/naversync/naversync/google/sheetstest"
)

// A 429 that still comes (the budget believes in a quota Google does not grant) holds the
// identity's budget for the answer's whole Retry-After, beyond the retry's capped backoff: the
// retry then goes through, so no write is answered 429 twice, and every write succeeds
// although the backoff alone (capped at 64 ms here) would have spent all retries within the
// second Google asked for.
func TestQuotaAnswerHoldsTheBudgetForRetryAfter(t *testing.T) {
	budget := google.NewLocalBudget(google.Quota{Reads: 1_000_000, Writes: 1_000_000})
	e := setup(t, google.Config{Budget: budget, BackoffBase: time.Millisecond},
		sheetstest.Options{Quota: sheetstest.Quota{WritesPerUser: 2, Window: time.Second}})
	const writes = 5
	for i := range writes {
		id := fmt.Sprintf("held-%d", i)
		e.srv.CreateSpreadsheet(id, sheetstest.DefaultCaller)
		if _, err := e.w.WriteTable(t.Context(), id, "Daily", table(allTypes, nil), google.Status{SyncID: id}); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	got := e.srv.QuotaUsage().Callers[sheetstest.DefaultCaller].Writes
	t.Logf("writes: %+v", got)
	if got.Rejected == 0 || got.Rejected > got.Requests-got.Rejected {
		t.Errorf("writes: %d answered 429 of %d; want some, and none twice (at most one per admitted write)", got.Rejected, got.Requests)
	}
}

// LocalBudget spaces one identity's requests of a kind (Window+Guard)/limit apart and keeps
// identities and kinds apart; a hold moves the identity's next slot.
func TestLocalBudgetSpacing(t *testing.T) {
	q := google.Quota{Reads: 4, Writes: 2, Window: 40 * time.Millisecond, Guard: 8 * time.Millisecond}
	if g := q.Gap(google.KindRead); g != 12*time.Millisecond {
		t.Errorf("read gap = %v, want 12ms", g)
	}
	if g := q.Gap(google.KindWrite); g != 24*time.Millisecond {
		t.Errorf("write gap = %v, want 24ms", g)
	}
	if d := (google.Quota{}).WithDefaults(); d.Reads != 60 || d.Writes != 60 || d.Window != time.Minute || d.Guard != time.Second {
		t.Errorf("defaults = %+v, want Google's 60/60 a minute, guard 1s", d)
	}
	for in, want := range map[string]string{"x@proj-1.iam.gserviceaccount.com": "proj-1", "me@example.com": "default"} {
		if got := google.ProjectOf(in); got != want {
			t.Errorf("ProjectOf(%q) = %q, want %q", in, got, want)
		}
	}
}
