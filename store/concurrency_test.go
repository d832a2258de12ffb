package store_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/naversync/naversync/store"
)

// bell lets workers wait for "something was released" without sleeping.
type bell struct {
	mu sync.Mutex
	ch chan struct{}
}

func newBell() *bell { return &bell{ch: make(chan struct{})} }

func (b *bell) ring() {
	b.mu.Lock()
	defer b.mu.Unlock()
	close(b.ch)
	b.ch = make(chan struct{})
}

func (b *bell) wait() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ch
}

// TestConcurrentClaims runs 50 workers on two Store instances over the syncs
// of 5 customers: a customer never has two holders, its tokens strictly grow
// and every sync is claimed exactly once.
func TestConcurrentClaims(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := ctxT(t)
		const (
			customers   = 5
			perCustomer = 12
			workers     = 50
			total       = customers * perCustomer
		)
		for i := range perCustomer {
			for c := range customers {
				mustEnqueue(t, e.s, store.Sync{CustomerID: fmt.Sprint("cust-", c), AccountID: fmt.Sprint("acc-", c), From: fmt.Sprintf("2026-01-%02d", i+1), To: "2026-01-31"})
			}
		}
		replicas := []*store.Store{e.s, e.open(t)}

		var (
			mu        sync.Mutex
			holding   = map[string]string{} // customer -> sync
			lastToken = map[string]int64{}
			claimed   = map[string]int{}
			problems  []string
			finished  atomic.Int64
			released  = newBell()
			done      = make(chan struct{})
			abort     = make(chan struct{})
			abortOnce sync.Once
			wg        sync.WaitGroup
		)
		// fail records a problem and stops every worker: a worker that
		// could not release its lease would otherwise leave the others
		// waiting for a customer that never frees up.
		fail := func(format string, args ...any) {
			mu.Lock()
			problems = append(problems, fmt.Sprintf(format, args...))
			mu.Unlock()
			abortOnce.Do(func() { close(abort) })
		}
		for w := range workers {
			s := replicas[w%len(replicas)]
			owner := fmt.Sprint("worker-", w)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					ring := released.wait()
					sy, l, err := s.ClaimFetch(ctx, owner, ttl)
					if err != nil {
						fail("%s: claim: %v", owner, err)
						return
					}
					if sy == nil {
						select {
						case <-done:
							return
						case <-abort:
							return
						case <-ring:
							continue
						case <-ctx.Done():
							return
						}
					}
					mu.Lock()
					if other, busy := holding[l.CustomerID]; busy {
						problems = append(problems, fmt.Sprintf("%s held by %s and %s", l.CustomerID, other, sy.ID))
					}
					if l.Token <= lastToken[l.CustomerID] {
						problems = append(problems, fmt.Sprintf("%s token %d after %d", l.CustomerID, l.Token, lastToken[l.CustomerID]))
					}
					holding[l.CustomerID], lastToken[l.CustomerID] = sy.ID, l.Token
					claimed[sy.ID]++
					mu.Unlock()

					if err := s.PutReportFile(ctx, *l, store.ReportFile{ReportType: "AD", StatDate: sy.From, Key: sy.ID, State: store.FileBuilt, SyncID: sy.ID}); err != nil {
						fail("%s: put file: %v", owner, err)
						return
					}
					mu.Lock()
					delete(holding, l.CustomerID)
					mu.Unlock()
					if err := s.FinishFetch(ctx, *l); err != nil {
						fail("%s: finish: %v", owner, err)
						return
					}
					if finished.Add(1) == total {
						close(done)
					}
					released.ring()
				}
			}()
		}
		wg.Wait()

		for _, p := range problems {
			t.Error(p)
		}
		if len(claimed) != total {
			t.Errorf("%d syncs claimed, want %d", len(claimed), total)
		}
		for id, n := range claimed {
			if n != 1 {
				t.Errorf("sync %s claimed %d times", id, n)
			}
		}
		for c := range customers {
			if got := lastToken[fmt.Sprint("cust-", c)]; got != perCustomer {
				t.Errorf("cust-%d last token %d, want %d", c, got, perCustomer)
			}
		}
		counts, err := e.s.CountSyncs(ctx)
		must(t, err)
		if counts[store.StatusProcessing] != total {
			t.Errorf("CountSyncs = %v, want %d processing", counts, total)
		}
	})
}
