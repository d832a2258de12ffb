package service_test

import (
	"log/slog"
	"testing"
	"time"

	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/service/servicetest"
	"github.com/naversync/naversync/store/storetest"
)

// TestChangeFeedAnnouncesOtherReplicas: Changes ticks for a change made by another replica
// (the change feed), without the follower reading the database itself.
func TestChangeFeedAnnouncesOtherReplicas(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := servicetest.NewWorld(t, db, servicetest.WorldOptions{})
			opts := servicetest.EngineOptions{NoStart: true, LogLevel: slog.LevelWarn}
			one, two := w.Engine(opts), w.Engine(opts)
			a := w.Account(one, "A", "8401", "sheet-8401", service.LevelCampaign)
			changes, stop := one.Service.Changes()
			defer stop()
			for _, change := range []func() (string, error){
				func() (string, error) { // a new sync, queued by the other replica
					s, _, err := two.Service.EnqueueSync(t.Context(), service.SyncRequest{AccountID: a.ID, Days: 1})
					return s.ID, err
				},
				func() (string, error) { // ... and canceled there
					s, _, err := two.Service.ListSyncs(t.Context(), service.SyncFilter{})
					if err != nil {
						return "", err
					}
					_, err = two.Service.CancelSync(t.Context(), s[0].ID)
					return s[0].ID, err
				},
			} {
				drain(changes)
				if _, err := change(); err != nil {
					t.Fatal(err)
				}
				select {
				case <-changes:
				case <-time.After(90 * time.Second): // a bound for a hung test, not a speed check
					t.Fatal("no change announced")
				}
			}
		})
	}
}

func drain(ch <-chan struct{}) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}
