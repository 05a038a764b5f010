package ratelimit

import (
	"context"
	"time"
)

// Limit is a token bucket: RatePerSecond tokens refill per second, up to
// Burst+1 tokens held (a burst of 0 still lets one request through).
type Limit struct {
	RatePerSecond float64
	Burst         int
}

// Decision is the answer for one request.
type Decision struct {
	Allowed bool
	// RetryAfter is when the next request would be allowed, if denied.
	RetryAfter time.Duration
}

// Store takes one token for key under limit l.
type Store interface {
	Take(ctx context.Context, key string, l Limit, now time.Time) (Decision, error)
}
