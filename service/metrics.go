package service

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the engine's Prometheus series. Each Service has its own registry (no globals).
type metrics struct {
	reg          *prometheus.Registry
	lockWait     prometheus.Histogram
	lockHold     prometheus.Histogram
	phase        *prometheus.HistogramVec
	naverReports *prometheus.CounterVec
	naverErrors  *prometheus.CounterVec
	naverCalls   prometheus.Counter
	sheetWrites  prometheus.Counter
	sheetErrors  *prometheus.CounterVec
	sheetReqs    prometheus.Counter
	sheetBytes   prometheus.Counter
	rows         prometheus.Counter
	syncsDone    *prometheus.CounterVec
	finished     finishedCounts // cached counts of finished syncs, for the queue gauge
}

func newMetrics() *metrics {
	buckets := prometheus.ExponentialBuckets(0.01, 3, 12) // 10ms .. ~30min
	m := &metrics{
		reg:          prometheus.NewRegistry(),
		lockWait:     prometheus.NewHistogram(prometheus.HistogramOpts{Name: "naversync_lease_wait_seconds", Help: "Time a sync waited in the queue until it held its customer's Naver lease.", Buckets: buckets}),
		lockHold:     prometheus.NewHistogram(prometheus.HistogramOpts{Name: "naversync_lease_hold_seconds", Help: "Time a sync held its customer's Naver lease (the fetch phase).", Buckets: buckets}),
		phase:        prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "naversync_phase_seconds", Help: "Duration of sync phases.", Buckets: buckets}, []string{"phase"}),
		naverReports: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "naversync_naver_reports_total", Help: "Naver reports fetched, by outcome (built, none, pending, reused)."}, []string{"outcome"}),
		naverErrors:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "naversync_naver_errors_total", Help: "Naver errors by kind."}, []string{"kind"}),
		naverCalls:   prometheus.NewCounter(prometheus.CounterOpts{Name: "naversync_naver_calls_total", Help: "HTTP calls made to Naver's API."}),
		sheetWrites:  prometheus.NewCounter(prometheus.CounterOpts{Name: "naversync_sheet_writes_total", Help: "Tables written to Google Sheets."}),
		sheetErrors:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "naversync_sheet_errors_total", Help: "Google Sheets errors by kind."}, []string{"kind"}),
		sheetReqs:    prometheus.NewCounter(prometheus.CounterOpts{Name: "naversync_sheet_requests_total", Help: "HTTP requests made to the Sheets API."}),
		sheetBytes:   prometheus.NewCounter(prometheus.CounterOpts{Name: "naversync_sheet_request_bytes_total", Help: "Bytes of request bodies sent to the Sheets API."}),
		rows:         prometheus.NewCounter(prometheus.CounterOpts{Name: "naversync_rows_processed_total", Help: "Sheet rows produced."}),
		syncsDone:    prometheus.NewCounterVec(prometheus.CounterOpts{Name: "naversync_syncs_finished_total", Help: "Syncs that reached a terminal status."}, []string{"status"}),
	}
	m.reg.MustRegister(m.lockWait, m.lockHold, m.phase, m.naverReports, m.naverErrors, m.naverCalls,
		m.sheetWrites, m.sheetErrors, m.sheetReqs, m.sheetBytes, m.rows, m.syncsDone,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Gatherer exposes the engine's metrics (the api serves them at /metrics), including the syncs
// by status in the database: the work in flight (queued, fetching, processing) read at scrape
// time with an indexed count, the finished ones from a cache refreshed in the background, so
// that a scrape costs the same however many syncs are stored.
func (s *Service) Gatherer() prometheus.Gatherer { return s.met.reg }

// queueCollector reads the queue depth and the held leases from the database at scrape time, so
// every replica reports the same, true numbers.
type queueCollector struct{ s *Service }

var (
	queueDesc = prometheus.NewDesc("naversync_syncs", "Syncs in the database by status (queue depth; finished ones counted at most finishedCountsTTL ago).", []string{"status"}, nil)
	leaseDesc = prometheus.NewDesc("naversync_leases_held", "Naver customer leases currently held.", nil, nil)
)

func (c queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- queueDesc; ch <- leaseDesc }

func (c queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	active, err := c.s.store.CountActiveSyncs(ctx)
	if err != nil {
		c.s.log.Warn("metrics: count syncs", "err", err)
		return
	}
	for _, st := range []string{StatusQueued, StatusFetching, StatusProcessing} {
		ch <- prometheus.MustNewConstMetric(queueDesc, prometheus.GaugeValue, float64(active[st]), st)
	}
	if finished, ok := c.s.met.finished.get(c.s); ok {
		for _, st := range []string{StatusSucceeded, StatusFailed, StatusCanceled} {
			ch <- prometheus.MustNewConstMetric(queueDesc, prometheus.GaugeValue, float64(finished[st]), st)
		}
	}
	leases, err := c.s.store.Leases(ctx)
	if err != nil {
		c.s.log.Warn("metrics: leases", "err", err)
		return
	}
	ch <- prometheus.MustNewConstMetric(leaseDesc, prometheus.GaugeValue, float64(len(leases)))
}

// finishedCountsTTL is how old the counts of finished syncs in a scrape may be.
const finishedCountsTTL = 30 * time.Second

// finishedCounts caches the number of finished syncs per status. Counting them reads every row
// (tens of milliseconds with a million), so it is done at most once per finishedCountsTTL, in
// the background: a scrape never waits for it, except the first.
type finishedCounts struct {
	mu         sync.Mutex
	counts     map[string]int
	at         time.Time
	refreshing bool
}

// get returns the cached counts, starting a background refresh when they are older than the
// TTL; the first call counts synchronously. ok is false while no count ever succeeded.
func (f *finishedCounts) get(s *Service) (map[string]int, bool) {
	f.mu.Lock()
	counts, at, busy := f.counts, f.at, f.refreshing
	stale := time.Since(at) > finishedCountsTTL
	if stale && !busy {
		f.refreshing = true
	}
	f.mu.Unlock()
	switch {
	case counts == nil && stale && !busy:
		f.refresh(s)
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.counts, f.counts != nil
	case stale && !busy:
		go f.refresh(s)
	}
	return counts, counts != nil
}

func (f *finishedCounts) refresh(s *Service) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	counts, err := s.store.CountSyncs(ctx)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refreshing = false
	if err != nil {
		s.log.Warn("metrics: count finished syncs", "err", err)
		return
	}
	f.counts, f.at = counts, time.Now()
}
