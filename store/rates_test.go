package store_test

import "testing"

// A rate saved by one replica is what another reads; the last save wins.
func TestCustomerRateSharedByReplicas(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		other := e.open(t)
		if _, ok, err := other.CustomerRate(ctxT(t), "111"); err != nil || ok {
			t.Fatalf("before any save: ok %v, %v", ok, err)
		}
		for _, r := range []float64{24.5, 27.25} {
			if err := e.s.SetCustomerRate(ctxT(t), "111", r); err != nil {
				t.Fatal(err)
			}
			got, ok, err := other.CustomerRate(ctxT(t), "111")
			if err != nil || !ok || got != r {
				t.Fatalf("read %v %v %v, want %v", got, ok, err, r)
			}
		}
		if _, ok, _ := other.CustomerRate(ctxT(t), "222"); ok {
			t.Error("another customer has a rate")
		}
	})
}
