package service

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/naversync/naversync/naver"
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
	rows         prometheus.Counter
	syncsDone    *prometheus.CounterVec
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
		rows:         prometheus.NewCounter(prometheus.CounterOpts{Name: "naversync_rows_processed_total", Help: "Sheet rows produced."}),
		syncsDone:    prometheus.NewCounterVec(prometheus.CounterOpts{Name: "naversync_syncs_finished_total", Help: "Syncs that reached a terminal status."}, []string{"status"}),
	}
	m.reg.MustRegister(m.lockWait, m.lockHold, m.phase, m.naverReports, m.naverErrors, m.naverCalls,
		m.sheetWrites, m.sheetErrors, m.sheetReqs, m.rows, m.syncsDone,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Gatherer exposes the engine's metrics (the api serves them at /metrics), including the queue
// depth by status read from the database at scrape time.
func (s *Service) Gatherer() prometheus.Gatherer { return s.met.reg }

// queueCollector reads the queue depth and the held leases from the database at scrape time, so
// every replica reports the same, true numbers.
type queueCollector struct{ s *Service }

var (
	queueDesc = prometheus.NewDesc("naversync_syncs", "Syncs in the database by status (queue depth).", []string{"status"}, nil)
	leaseDesc = prometheus.NewDesc("naversync_leases_held", "Naver customer leases currently held.", nil, nil)
)

func (c queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- queueDesc; ch <- leaseDesc }

func (c queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := c.s.store.CountSyncs(ctx)
	if err != nil {
		c.s.log.Warn("metrics: count syncs", "err", err)
		return
	}
	for _, st := range []string{StatusQueued, StatusFetching, StatusProcessing, StatusSucceeded, StatusFailed, StatusCanceled} {
		ch <- prometheus.MustNewConstMetric(queueDesc, prometheus.GaugeValue, float64(counts[st]), st)
	}
	leases, err := c.s.store.Leases(ctx)
	if err != nil {
		c.s.log.Warn("metrics: leases", "err", err)
		return
	}
	ch <- prometheus.MustNewConstMetric(leaseDesc, prometheus.GaugeValue, float64(len(leases)))
}

// naverErrorKind names an error from Naver for metrics and sync errors.
func naverErrorKind(err error) string {
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "canceled"
	case errors.Is(err, naver.ErrAuth):
		return "auth"
	case errors.Is(err, naver.ErrRateLimited):
		return "rate_limited"
	case errors.Is(err, naver.ErrMaintenance):
		return "maintenance"
	case errors.Is(err, naver.ErrNotReady):
		return "not_ready"
	case errors.Is(err, naver.ErrNotServed):
		return "not_served"
	case errors.Is(err, naver.ErrReportFailed):
		return "report_failed"
	case errors.Is(err, naver.ErrNotFound):
		return "not_found"
	case errors.Is(err, naver.ErrTransport):
		return "transport"
	default:
		return "other"
	}
}
