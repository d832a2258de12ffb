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
	// workers is each pool's size (fetch, process), busy how many of its workers hold a sync.
	workers, busy *prometheus.GaugeVec
	// leasesExpired counts fetching syncs this replica rescued because their customer lease
	// expired without being released (a worker died or stalled).
	leasesExpired prometheus.Counter
	finished      finishedCounts // cached counts of finished syncs, for the queue gauge
	fresh         cachedAge      // cached age of the stalest account's data
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
		workers:      prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "naversync_workers", Help: "Workers of this replica by pool (fetch, process)."}, []string{"pool"}),
		busy:         prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "naversync_workers_busy", Help: "Workers of this replica holding a sync, by pool (fetch, process)."}, []string{"pool"}),
		leasesExpired: prometheus.NewCounter(prometheus.CounterOpts{Name: "naversync_leases_expired_total",
			Help: "Fetching syncs rescued by this replica because their customer lease expired without being released (a worker died or stalled)."}),
	}
	m.reg.MustRegister(m.lockWait, m.lockHold, m.phase, m.naverReports, m.naverErrors, m.naverCalls,
		m.sheetWrites, m.sheetErrors, m.sheetReqs, m.sheetBytes, m.rows, m.syncsDone, m.workers, m.busy, m.leasesExpired,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Every series a rule or the dashboard reads exists from the start, at 0: an increase from
	// nothing is not lost (a counter born at 1 shows no rate()), and the names can be checked.
	for _, st := range []string{StatusSucceeded, StatusFailed, StatusCanceled} {
		m.syncsDone.WithLabelValues(st)
	}
	for _, p := range []string{"fetch", "process", "write"} {
		m.phase.WithLabelValues(p)
	}
	for _, o := range []string{"built", "none", "pending", "reused", "not_served"} {
		m.naverReports.WithLabelValues(o)
	}
	for _, k := range []ErrorKind{KindAuth, KindRateLimited, KindMaintenance, KindNotReady, KindNotServed, KindReportFailed,
		KindNotFound, KindTransport, KindCanceled, KindNaverJobs, KindOther} {
		m.naverErrors.WithLabelValues(string(k))
	}
	for _, k := range []ErrorKind{KindTooLarge, KindNotShared, KindSpreadsheetNotFound, KindQuota, KindSheet} {
		m.sheetErrors.WithLabelValues(string(k))
	}
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
	roomDesc  = prometheus.NewDesc("naversync_naver_job_room_waiting", "Queued syncs waiting for room among their customer's Naver report jobs (other tools' jobs fill it).", nil, nil)
	roomAge   = prometheus.NewDesc("naversync_naver_job_room_wait_seconds", "How long the longest-waiting sync has waited for room among its customer's Naver report jobs; 0 when none waits.", nil, nil)
	ageDesc   = prometheus.NewDesc("naversync_data_age_seconds", "Age of the data of the stalest refreshed account: since its newest succeeded sync finished (or, never synced, since it was created); read at most finishedCountsTTL ago.", nil, nil)
)

func (c queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- queueDesc
	ch <- leaseDesc
	ch <- roomDesc
	ch <- roomAge
	ch <- ageDesc
}

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
	waits, err := c.s.store.RoomWaits(ctx)
	if err != nil {
		c.s.log.Warn("metrics: syncs waiting for room among Naver jobs", "err", err)
		return
	}
	waited := 0.0
	if waits.Oldest != nil {
		waited = max(c.s.now().Sub(*waits.Oldest), 0).Seconds()
	}
	ch <- prometheus.MustNewConstMetric(roomDesc, prometheus.GaugeValue, float64(waits.Syncs))
	ch <- prometheus.MustNewConstMetric(roomAge, prometheus.GaugeValue, waited)
	if age, ok := c.s.met.fresh.get(c.s); ok {
		ch <- prometheus.MustNewConstMetric(ageDesc, prometheus.GaugeValue, age.Seconds())
	}
}

// quotaCounter exports the Sheets writer's count of quota answers, when it keeps one.
type quotaCounter interface{ QuotaAnswers() uint64 }

func (m *metrics) registerSheets(writers ...SheetWriter) {
	var qs []quotaCounter
	for _, w := range writers {
		if q, ok := w.(quotaCounter); ok {
			qs = append(qs, q)
		}
	}
	if len(qs) == 0 {
		return
	}
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "naversync_sheet_quota_answers_total",
		Help: "Quota answers (429 RESOURCE_EXHAUSTED) Google Sheets gave this replica, retried ones included, summed over its identities."},
		func() float64 {
			var n uint64
			for _, q := range qs {
				n += q.QuotaAnswers()
			}
			return float64(n)
		}))
}

// cachedAge caches the age of the stalest refreshed account's data (refreshed in the
// background at most every finishedCountsTTL, as finishedCounts).
type cachedAge struct {
	mu         sync.Mutex
	age        time.Duration
	known      bool
	at         time.Time
	refreshing bool
}

func (c *cachedAge) get(s *Service) (time.Duration, bool) {
	c.mu.Lock()
	age, known, at, busy := c.age, c.known, c.at, c.refreshing
	stale := time.Since(at) > finishedCountsTTL
	if stale && !busy {
		c.refreshing = true
	}
	c.mu.Unlock()
	switch {
	case !known && stale && !busy:
		c.refresh(s)
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.age, c.known
	case stale && !busy:
		go c.refresh(s)
	}
	return age, known
}

func (c *cachedAge) refresh(s *Service) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	age, err := s.dataAge(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.refreshing = false
	if err != nil {
		s.log.Warn("metrics: data age", "err", err)
		return
	}
	c.age, c.known, c.at = age, true, time.Now()
}

// dataAge is the age of the stalest data among the accounts that refresh: since each one's
// newest succeeded sync finished, or since its creation when none did; 0 without such accounts.
func (s *Service) dataAge(ctx context.Context) (time.Duration, error) {
	rows, err := s.store.Freshness(ctx)
	if err != nil {
		return 0, err
	}
	now := s.now()
	var oldest time.Duration
	for _, r := range rows {
		since := r.CreatedAt
		if r.LastSuccess != nil {
			since = *r.LastSuccess
		}
		oldest = max(oldest, now.Sub(since))
	}
	return oldest, nil
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
