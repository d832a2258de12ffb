package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/naversync/naversync/api"
	"github.com/naversync/naversync/service"
)

// APILoad is scenario 6: the HTTP API (api.New over the real engine, on a loopback server)
// under concurrent requests. The engine's workers are not started, so the syncs stay queued
// and only the API and the database are measured.
type APILoad struct {
	Requests, Concurrency int
	Create, Get           Endpoint
}

// Endpoint is the measurement of one route.
type Endpoint struct {
	Latency Quantiles
	Elapsed time.Duration
}

// PerSecond is requests per second.
func (e Endpoint) PerSecond() float64 {
	return ratio(float64(e.Latency.N), e.Elapsed.Seconds())
}

func (r *runner) apiLoad(ctx context.Context, dialect string, s *sims) (APILoad, error) {
	n, conc := r.cfg.APIRequests, r.cfg.APIConcurrency
	r.cfg.Progress(fmt.Sprintf("%s: API, %d × POST /syncs and GET /syncs/{id} from %d goroutines", dialect, n, conc))
	e, err := r.newEngine(ctx, dialect, s, engineOptions{fetchWorkers: 1, processWorkers: 1, noStart: true})
	if err != nil {
		return APILoad{}, err
	}
	defer e.close()
	// Equal queued syncs of one account are merged, so each request asks for a different
	// range: 365 ranges (Days 1..365) per account.
	var accts []service.Account
	for i := 0; i*365 < n; i++ {
		cust := s.customer(fmt.Sprintf("%d", 500000+r.next()), 0, 0, 0)
		a, err := e.account(ctx, fmt.Sprintf("api-%s", cust), cust, service.LevelKeyword, false)
		if err != nil {
			return APILoad{}, err
		}
		accts = append(accts, a)
	}
	srv := httptest.NewServer(api.New(e.svc, api.Options{Logger: r.cfg.Logger}))
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc}, Timeout: time.Minute}
	defer client.CloseIdleConnections()

	ids := make([]string, n)
	create := func(ctx context.Context, i int) error {
		body, _ := json.Marshal(map[string]any{"account_id": accts[i/365].ID, "days": 1 + i%365})
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/syncs", bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		var out struct {
			ID string `json:"id"`
		}
		if err := do(client, req, http.StatusAccepted, &out); err != nil {
			return err
		}
		ids[i] = out.ID
		return nil
	}
	get := func(ctx context.Context, i int) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/syncs/"+ids[i], nil)
		if err != nil {
			return err
		}
		return do(client, req, http.StatusOK, nil)
	}
	res := APILoad{Requests: n, Concurrency: conc}
	if res.Create, err = load(ctx, n, conc, create); err != nil {
		return res, fmt.Errorf("api: POST /syncs: %w", err)
	}
	if res.Get, err = load(ctx, n, conc, get); err != nil {
		return res, fmt.Errorf("api: GET /syncs/{id}: %w", err)
	}
	return res, nil
}

// do sends req and checks the status; out, when set, receives the JSON body.
func do(c *http.Client, req *http.Request, want int, out any) error {
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: status %d, want %d: %s", req.Method, req.URL.Path, resp.StatusCode, want, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// load runs fn for 0..n-1 from conc goroutines and records each call's latency.
func load(ctx context.Context, n, conc int, fn func(context.Context, int) error) (Endpoint, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	lat := make([]time.Duration, n)
	next := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				t := time.Now()
				if err := fn(ctx, i); err != nil {
					cancel(err)
					return
				}
				lat[i] = time.Since(t)
			}
		}()
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	elapsed := time.Since(start)
	if err := context.Cause(ctx); err != nil {
		return Endpoint{}, err
	}
	return Endpoint{Latency: quantiles(lat), Elapsed: elapsed}, nil
}
