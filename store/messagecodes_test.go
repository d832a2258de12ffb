package store_test

import (
	"testing"

	"github.com/naversync/naversync/store"
)

// TestCodesStored: a run's outcome and an audit entry's detail keep their message code and
// parameters (migration 00004); rows written without them (the previous release) read back
// with none.
func TestCodesStored(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := ctxT(t)
		for _, key := range []string{"refresh:coded", "refresh:plain"} {
			won, err := e.s.ClaimRun(ctx, key, "r1")
			must(t, err)
			if !won {
				t.Fatalf("%s not won", key)
			}
		}
		must(t, e.s.RecordRunCoded(ctx, "refresh:coded", "queued 2 syncs for 2 accounts", "run.queued", `{"accounts":"2","syncs":"2"}`))
		must(t, e.s.RecordRun(ctx, "refresh:plain", "queued 0 syncs for 0 accounts"))
		runs, err := e.s.LastRuns(ctx, 10)
		must(t, err)
		got := map[string]store.Run{}
		for _, r := range runs {
			got[r.Key] = r
		}
		if r := got["refresh:coded"]; r.OutcomeCode != "run.queued" || r.OutcomeParams != `{"accounts":"2","syncs":"2"}` || r.Outcome != "queued 2 syncs for 2 accounts" {
			t.Errorf("coded run %+v", r)
		}
		if r := got["refresh:plain"]; r.OutcomeCode != "" || r.OutcomeParams != "" {
			t.Errorf("plain run %+v", r)
		}

		must(t, e.s.AddAudit(ctx, &store.AuditEntry{Actor: "naversync", Action: "refresh.run", Detail: "queued 1 syncs for 1 accounts",
			DetailCode: "run.queued", DetailParams: `{"accounts":"1","syncs":"1"}`}))
		must(t, e.s.AddAudit(ctx, &store.AuditEntry{Actor: "naversync", Action: "refresh.run", Detail: "plain"}))
		entries, _, err := e.s.ListAudit(ctx, store.AuditFilter{})
		must(t, err)
		if len(entries) != 2 || entries[0].DetailCode != "" || entries[1].DetailCode != "run.queued" || entries[1].DetailParams != `{"accounts":"1","syncs":"1"}` {
			t.Errorf("audit entries %+v", entries)
		}
	})
}
