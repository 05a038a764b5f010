package ratelimit

import (
	"context"
	"sync/atomic"
	"time"
)

// DefaultProbeInterval is how often a degraded Fallback retries its
// primary store unless WithProbeInterval says otherwise.
const DefaultProbeInterval = 500 * time.Millisecond

// Fallback takes tokens from a primary store, normally Redis, and from a
// Local store when the primary fails, so that limits stay enforced (per
// instance rather than shared) while Redis is down. A failure is passed to
// the report hook and makes the Fallback degraded; while degraded, one
// request per probe interval tries the primary again and the others go
// straight to the local store, so that a dead Redis costs at most one
// timeout per interval. The first primary success ends the degradation.
// A Fallback is safe for concurrent use.
type Fallback struct {
	primary  Store
	local    *Local
	report   func(error)
	interval time.Duration

	degraded  atomic.Bool
	nextProbe atomic.Int64 // Unix nanoseconds of the next try while degraded
}

// FallbackOption configures a Fallback.
type FallbackOption func(*Fallback)

// WithProbeInterval makes a degraded Fallback retry its primary at most
// once per d of the now passed to Take (DefaultProbeInterval otherwise).
func WithProbeInterval(d time.Duration) FallbackOption {
	return func(f *Fallback) { f.interval = d }
}

// NewFallback returns a store that uses primary and falls back to local on
// its errors, calling report (if not nil) with each one.
func NewFallback(primary Store, local *Local, report func(error), opts ...FallbackOption) *Fallback {
	f := &Fallback{primary: primary, local: local, report: report, interval: DefaultProbeInterval}
	for _, o := range opts {
		o(f)
	}
	return f
}

// Degraded reports whether the last try of the primary store failed, so
// that limits are currently per instance.
func (f *Fallback) Degraded() bool {
	return f.degraded.Load()
}

// Take takes one token for key from the primary store, or from the local
// store if the primary fails or is being skipped while degraded. An
// invalid limit, or a ctx that ends during the primary's call, is an
// error rather than a reason to fall back.
func (f *Fallback) Take(ctx context.Context, key string, l Limit, now time.Time) (Decision, error) {
	if err := l.Validate(); err != nil {
		return Decision{}, err
	}
	if f.degraded.Load() && !f.claimProbe(now) {
		return f.local.Take(ctx, key, l, now)
	}
	d, err := f.primary.Take(ctx, key, l, now)
	if err == nil {
		f.degraded.Store(false)
		return d, nil
	}
	if ctx.Err() != nil {
		return Decision{}, err
	}
	f.fail(err, now)
	return f.local.Take(ctx, key, l, now)
}

// claimProbe reports whether the caller should try the primary store now,
// letting one caller per probe interval through.
func (f *Fallback) claimProbe(now time.Time) bool {
	next := f.nextProbe.Load()
	if now.UnixNano() < next {
		return false
	}
	return f.nextProbe.CompareAndSwap(next, now.Add(f.interval).UnixNano())
}

// fail records a primary failure at now and reports it.
func (f *Fallback) fail(err error, now time.Time) {
	f.nextProbe.Store(now.Add(f.interval).UnixNano())
	f.degraded.Store(true)
	if f.report != nil {
		f.report(err)
	}
}
