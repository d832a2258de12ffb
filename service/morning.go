package service

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/naversync/naversync/store"
)

// MorningProgress is the progress of the day's scheduled refresh: the syncs of trigger scheduled
// queued since midnight in Naver's time zone (the morning refresh, the accounts' own times, the
// pending retries and the operators' "refresh now"), read from the database so every replica
// tells the same.
type MorningProgress struct {
	// Day is the day (YYYY-MM-DD, Naver's time zone) whose refresh this is.
	Day string `json:"day"`
	// Planned is every scheduled sync queued today; Done succeeded, Failed failed, Canceled
	// canceled, Remaining still queued or running.
	Planned   int `json:"planned"`
	Done      int `json:"done"`
	Failed    int `json:"failed"`
	Canceled  int `json:"canceled"`
	Remaining int `json:"remaining"`
	// StartedAt is when the first of them began fetching; absent before.
	StartedAt *time.Time `json:"started_at,omitempty"`
	// ExpectedEnd is now plus the remaining syncs over the throughput observed since StartedAt
	// (finished syncs per second); absent until a sync has finished, and once none remains.
	ExpectedEnd *time.Time `json:"expected_end,omitempty"`
}

// morningProgress computes the progress from the day's tally at now.
func morningProgress(day string, t store.ScheduledTally, now time.Time) MorningProgress {
	p := MorningProgress{
		Day: day, Done: t.ByStatus[StatusSucceeded], Failed: t.ByStatus[StatusFailed], Canceled: t.ByStatus[StatusCanceled],
		Remaining: t.ByStatus[StatusQueued] + t.ByStatus[StatusFetching] + t.ByStatus[StatusProcessing],
		StartedAt: t.FirstStarted,
	}
	finished := p.Done + p.Failed + p.Canceled
	p.Planned = finished + p.Remaining
	if p.Remaining == 0 || finished == 0 || t.FirstStarted == nil {
		return p
	}
	elapsed := now.Sub(*t.FirstStarted)
	if elapsed <= 0 {
		return p
	}
	// remaining / (finished / elapsed), in whole nanoseconds.
	left := time.Duration(float64(elapsed) * float64(p.Remaining) / float64(finished))
	end := now.Add(left).UTC()
	p.ExpectedEnd = &end
	return p
}

// MorningProgress reads the progress of today's scheduled refresh.
func (s *Service) MorningProgress(ctx context.Context) (MorningProgress, error) {
	day := s.today()
	midnight := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, s.cfg.Location)
	t, err := s.store.CountScheduled(ctx, midnight)
	if err != nil {
		return MorningProgress{Day: day.Format(dayLayout)}, mapStoreErr("morning progress", err)
	}
	return morningProgress(day.Format(dayLayout), t, s.now()), nil
}

// morningCollector reports the morning's progress at scrape time.
type morningCollector struct{ s *Service }

var (
	morningSyncsDesc = prometheus.NewDesc("naversync_morning_syncs",
		"The day's scheduled syncs (since midnight in Naver's time zone) by state: planned, done, failed, canceled, remaining.", []string{"state"}, nil)
	morningEndDesc = prometheus.NewDesc("naversync_morning_expected_end_seconds",
		"When the day's scheduled syncs are expected to be done (Unix time): now plus the remaining syncs over the observed throughput; absent until one finished and once none remains.", nil, nil)
)

func (c morningCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- morningSyncsDesc
	ch <- morningEndDesc
}

func (c morningCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	p, err := c.s.MorningProgress(ctx)
	if err != nil {
		c.s.log.Warn("metrics: morning progress", "err", err)
		return
	}
	for state, n := range map[string]int{"planned": p.Planned, "done": p.Done, "failed": p.Failed, "canceled": p.Canceled, "remaining": p.Remaining} {
		ch <- prometheus.MustNewConstMetric(morningSyncsDesc, prometheus.GaugeValue, float64(n), state)
	}
	if p.ExpectedEnd != nil {
		ch <- prometheus.MustNewConstMetric(morningEndDesc, prometheus.GaugeValue, float64(p.ExpectedEnd.UnixMilli())/1000)
	}
}
