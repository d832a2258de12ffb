package bench

import (
	"slices"
	"time"
)

// Quantiles summarizes a sample of durations.
type Quantiles struct {
	N             int
	P50, P99, Max time.Duration
}

// quantiles uses the nearest-rank method; an empty sample gives zeros.
func quantiles(ds []time.Duration) Quantiles {
	if len(ds) == 0 {
		return Quantiles{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := func(p float64) time.Duration {
		i := int(p*float64(len(s))+0.999999) - 1
		return s[min(max(i, 0), len(s)-1)]
	}
	return Quantiles{N: len(s), P50: rank(0.50), P99: rank(0.99), Max: s[len(s)-1]}
}

// ms is a duration in milliseconds, for tables.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
