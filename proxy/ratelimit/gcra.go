package ratelimit

import (
	"math"
	"time"
)

// The stores implement the token bucket as GCRA, the generic cell rate
// algorithm: instead of a token count and a refill time, a bucket keeps one
// number, its theoretical arrival time (TAT), the instant at which it
// would be full again. A request at now is allowed when
// now >= TAT - tolerance, and then moves TAT one emission interval later.
// With interval = 1/rate and tolerance = burst*interval this is exactly a
// token bucket holding burst+1 tokens, computed in integers so that no
// rounding accumulates.

// gcraParams is a Limit in integer time units (nanoseconds for Local,
// microseconds for Redis).
type gcraParams struct {
	// interval is the time one token takes to refill, at least 1.
	interval int64
	// tolerance is burst*interval: how far ahead of now TAT may run.
	tolerance int64
}

// paramsIn converts l to integer units of unit; l must be valid.
func paramsIn(l Limit, unit time.Duration) gcraParams {
	interval := int64(math.Round(float64(time.Second/unit) / l.RatePerSecond))
	if interval < 1 {
		interval = 1
	}
	return gcraParams{interval: interval, tolerance: int64(l.Burst) * interval}
}

// gcra applies one request at now to a bucket whose theoretical arrival
// time is tat (0 for a new bucket), returning the new TAT and the decision.
// RetryAfter is in the units of now, scaled to a Duration by unit.
func gcra(tat, now int64, p gcraParams, unit time.Duration) (int64, Decision) {
	if tat < now {
		tat = now
	}
	allowAt := tat - p.tolerance
	if now < allowAt {
		return tat, Decision{RetryAfter: time.Duration(allowAt-now) * unit}
	}
	tat += p.interval
	remaining := (now + p.tolerance + p.interval - tat) / p.interval
	return tat, Decision{Allowed: true, Remaining: int(remaining)}
}
