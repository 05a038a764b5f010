package ratelimit

import (
	"context"
	"time"
)

// Local keeps token buckets in memory, for one proxy instance. It holds at
// most the maxKeys buckets it was made with, evicting the least recently
// used; an evicted bucket starts full when its key comes back, which errs
// towards allowing but never lets memory grow with the number of clients.
// A Local is safe for concurrent use.
type Local struct {
	buckets *lru[int64] // theoretical arrival time, Unix nanoseconds
}

// localUnit is the time unit of Local's bucket arithmetic.
const localUnit = time.Nanosecond

// NewLocal returns an empty Local holding at most maxKeys buckets. It
// panics if maxKeys is less than 1.
func NewLocal(maxKeys int) *Local {
	return &Local{buckets: newLRU[int64](maxKeys)}
}

// Take takes one token from key's bucket under l at now, which should not
// go backwards by much: a bucket's state is a point in time, and an
// earlier now only finds it emptier. The context is unused.
func (s *Local) Take(_ context.Context, key string, l Limit, now time.Time) (Decision, error) {
	if err := l.Validate(); err != nil {
		return Decision{}, err
	}
	p := paramsIn(l, localUnit)
	sh := s.buckets.shard(key)
	sh.mu.Lock()
	tat := sh.get(key)
	var d Decision
	*tat, d = gcra(*tat, now.UnixNano(), p, localUnit)
	sh.mu.Unlock()
	return d, nil
}

// Len returns the number of buckets held, at most maxKeys.
func (s *Local) Len() int {
	return s.buckets.Len()
}
