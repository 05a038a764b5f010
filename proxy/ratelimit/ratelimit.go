package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// Limit is a token bucket: RatePerSecond tokens refill per second, up to
// Burst+1 tokens held (a burst of 0 still lets one request through).
type Limit struct {
	RatePerSecond float64
	Burst         int
}

// ErrInvalidLimit is wrapped by the error for a Limit that no bucket can
// enforce: a rate that is not a positive finite number, a negative burst,
// or a bucket that takes longer than a century to refill.
var ErrInvalidLimit = errors.New("ratelimit: invalid limit")

// maxFill bounds the time a bucket takes to fill from empty, so that the
// nanosecond arithmetic of the stores cannot overflow.
const maxFill = 100 * 365 * 24 * time.Hour

// Validate reports whether l can be enforced; the error wraps
// ErrInvalidLimit.
func (l Limit) Validate() error {
	r := l.RatePerSecond
	switch {
	case math.IsNaN(r) || math.IsInf(r, 0) || r <= 0:
		return fmt.Errorf("%w: rate %v per second is not a positive number", ErrInvalidLimit, r)
	case l.Burst < 0:
		return fmt.Errorf("%w: burst %d is negative", ErrInvalidLimit, l.Burst)
	case float64(l.Burst+1)/r > maxFill.Seconds():
		return fmt.Errorf("%w: rate %v per second with burst %d takes over %v to refill",
			ErrInvalidLimit, r, l.Burst, maxFill)
	}
	return nil
}

// Decision is the answer for one request.
type Decision struct {
	Allowed bool
	// RetryAfter is when the next request would be allowed, if denied.
	RetryAfter time.Duration
	// Remaining is how many more requests the bucket would allow at once
	// after this one; 0 when denied.
	Remaining int
}

// Store takes one token for key under limit l. Keys should carry the
// limit's name (for example "api-default/ip/192.0.2.1"): a bucket's state
// is only meaningful under the limit that filled it. Every Store returns
// an error wrapping ErrInvalidLimit for an invalid l.
type Store interface {
	Take(ctx context.Context, key string, l Limit, now time.Time) (Decision, error)
}
