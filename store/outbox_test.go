package store_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/naversync/naversync/store"
)

func delivery(key, target string) store.Delivery {
	return store.Delivery{DedupeKey: key, TargetID: target, Event: "sync_failed", AccountID: "a1", Incident: "none", Payload: `{}`}
}

// The outbox stores a message once per dedupe key, however often (and by however many
// replicas) it is enqueued.
func TestOutboxDedupe(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := ctxT(t)
		other := e.open(t)
		n, err := e.s.EnqueueDeliveries(ctx, []store.Delivery{delivery("k1", "t1"), delivery("k2", "t1")})
		must(t, err)
		m, err := other.EnqueueDeliveries(ctx, []store.Delivery{delivery("k1", "t1"), delivery("k2", "t1"), delivery("k3", "t2")})
		must(t, err)
		if n != 2 || m != 1 {
			t.Fatalf("stored %d then %d, want 2 then 1", n, m)
		}
		all, err := e.s.ListDeliveries(ctx, "", 0)
		must(t, err)
		if len(all) != 3 {
			t.Fatalf("%d deliveries, want 3", len(all))
		}
		ids, err := e.s.IncidentTargets(ctx, "a1", "none", "recovered")
		must(t, err)
		if len(ids) != 2 || ids[0] != "t1" || ids[1] != "t2" {
			t.Fatalf("incident targets %v, want [t1 t2]", ids)
		}
	})
}

// Two replicas claiming at once get different deliveries; a claim that lapsed (its sender died)
// is claimed again, and the dead sender's late outcome is refused; retention deletes finished
// deliveries only.
func TestOutboxClaimLease(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := ctxT(t)
		other := e.open(t)
		var ds []store.Delivery
		for _, k := range []string{"a", "b", "c", "d", "e", "f"} {
			ds = append(ds, delivery(k, "t1"))
		}
		_, err := e.s.EnqueueDeliveries(ctx, ds)
		must(t, err)
		var (
			mu  sync.Mutex
			got = map[string]string{}
			wg  sync.WaitGroup
		)
		for i, st := range []*store.Store{e.s, other} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				owner := []string{"r1", "r2"}[i]
				for range 3 {
					c, err := st.ClaimDeliveries(ctx, owner, time.Minute, 1)
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					for _, d := range c {
						if prev, ok := got[d.ID]; ok {
							t.Errorf("delivery %s claimed by %s and %s", d.DedupeKey, prev, owner)
						}
						got[d.ID] = owner
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(got) != 6 {
			t.Fatalf("claimed %d of 6", len(got))
		}
		if c, err := e.s.ClaimDeliveries(ctx, "r3", time.Minute, 10); err != nil || len(c) != 0 {
			t.Fatalf("claimed again while held: %v, %v", c, err)
		}
		e.clock.Advance(2 * time.Minute) // every claim lapsed: their senders died
		again, err := other.ClaimDeliveries(ctx, "r2", time.Minute, 10)
		must(t, err)
		if len(again) != 6 {
			t.Fatalf("reclaimed %d of 6 lapsed deliveries", len(again))
		}
		stale := again[0]
		stale.ClaimToken--
		if err := e.s.MarkDelivered(ctx, stale); !errors.Is(err, store.ErrLeaseLost) {
			t.Fatalf("a lapsed claim's outcome: %v, want ErrLeaseLost", err)
		}
		must(t, other.MarkDelivered(ctx, again[0]))
		must(t, other.RetryDelivery(ctx, again[1], "the receiver answered 503", e.clock.Now().Add(time.Hour), false))
		must(t, other.RetryDelivery(ctx, again[2], "the receiver answered 404", e.clock.Now(), true))
		if c, err := e.s.ClaimDeliveries(ctx, "r1", time.Minute, 10); err != nil || len(c) != 0 {
			t.Fatalf("claimed before its retry time or after finishing: %v, %v", c, err)
		}
		e.clock.Advance(24 * time.Hour)
		n, err := e.s.DeleteFinishedDeliveries(ctx, e.clock.Now().Add(-time.Hour), 0)
		must(t, err)
		if n != 2 {
			t.Fatalf("retention deleted %d, want the delivered and the failed one", n)
		}
		left, err := e.s.ListDeliveries(ctx, "t1", 0)
		must(t, err)
		for _, d := range left {
			if d.State != store.DeliveryPending {
				t.Errorf("left %s in state %s", d.DedupeKey, d.State)
			}
		}
		if len(left) != 4 {
			t.Fatalf("%d left, want 4 pending", len(left))
		}
	})
}

// A webhook target round-trips, its URL only as the caller's ciphertext; deleting it deletes
// its pending deliveries.
func TestWebhookTargets(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := ctxT(t)
		w := store.WebhookTarget{Name: "ops", Kind: "slack", URLEnc: []byte{1, 2, 3}, URLHost: "hooks.slack.com",
			Events: []string{"sync_failed", "stale"}, Enabled: true}
		must(t, e.s.CreateWebhook(ctx, &w))
		got, err := e.s.GetWebhook(ctx, w.ID)
		must(t, err)
		if got.Name != "ops" || len(got.Events) != 2 || string(got.URLEnc) != "\x01\x02\x03" || !got.Enabled {
			t.Fatalf("got %+v", got)
		}
		off := false
		got, err = e.s.UpdateWebhook(ctx, w.ID, store.WebhookUpdate{Enabled: &off})
		must(t, err)
		if got.Enabled {
			t.Fatal("still enabled")
		}
		_, err = e.s.EnqueueDeliveries(ctx, []store.Delivery{delivery("x", w.ID)})
		must(t, err)
		must(t, e.s.DeleteWebhook(ctx, w.ID))
		if _, err := e.s.GetWebhook(ctx, w.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("after delete: %v", err)
		}
		left, err := e.s.ListDeliveries(ctx, w.ID, 0)
		must(t, err)
		if len(left) != 0 {
			t.Fatalf("%d pending deliveries of a deleted target left", len(left))
		}
	})
}
