package ratelimit

import (
	"fmt"
	"time"
)

// Throttle locks out keys (client addresses, usually) that fail
// authentication too often: maxAttempts failures within a sliding window
// block the key for the lockout duration, after which it starts afresh.
// It holds at most maxKeys keys, evicting the least recently used, and
// remembers at most maxAttempts failure times per key. A Throttle is safe
// for concurrent use.
type Throttle struct {
	maxAttempts int
	window      int64 // nanoseconds
	lockout     int64 // nanoseconds
	keys        *lru[failures]
}

// failures is one key's recent failures and lockout.
type failures struct {
	// times are the latest failure times in Unix nanoseconds, a ring of at
	// most maxAttempts once full; next is the oldest's index when full.
	times []int64
	next  int
	// until is the end of the key's lockout in Unix nanoseconds, or 0.
	until int64
}

// NewThrottle returns a Throttle blocking a key for lockout once it has
// failed maxAttempts times within window, holding at most maxKeys keys.
// It panics if a count or duration is not positive: callers validate
// configuration first (see ValidateThrottle).
func NewThrottle(maxAttempts int, window, lockout time.Duration, maxKeys int) *Throttle {
	if err := ValidateThrottle(maxAttempts, window, lockout, maxKeys); err != nil {
		panic(err)
	}
	return &Throttle{
		maxAttempts: maxAttempts,
		window:      int64(window),
		lockout:     int64(lockout),
		keys:        newLRU[failures](maxKeys),
	}
}

// ValidateThrottle returns an error unless NewThrottle accepts its
// arguments: every count and duration positive.
func ValidateThrottle(maxAttempts int, window, lockout time.Duration, maxKeys int) error {
	if maxAttempts < 1 || window <= 0 || lockout <= 0 || maxKeys < 1 {
		return fmt.Errorf("ratelimit: throttle needs positive attempts, window, lockout and keys; have %d, %v, %v, %d",
			maxAttempts, window, lockout, maxKeys)
	}
	return nil
}

// Fail records a failed authentication by key at now, blocking the key if
// it is the maxAttempts-th failure within the window. A failure while the
// key is blocked changes nothing.
func (t *Throttle) Fail(key string, now time.Time) {
	n := now.UnixNano()
	sh := t.keys.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	f := sh.get(key)
	if n < f.until {
		return
	}
	if oldest, full := f.push(n, t.maxAttempts); full && n-oldest < t.window {
		f.until = n + t.lockout
		f.times, f.next = f.times[:0], 0
	}
}

// Blocked reports whether key is locked out at now, and for how much
// longer.
func (t *Throttle) Blocked(key string, now time.Time) (bool, time.Duration) {
	n := now.UnixNano()
	sh := t.keys.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	f := sh.lookup(key)
	if f == nil || n >= f.until {
		return false, 0
	}
	return true, time.Duration(f.until - n)
}

// Len returns the number of keys held, at most maxKeys.
func (t *Throttle) Len() int {
	return t.keys.Len()
}

// push records a failure at n, keeping the latest size failures, and
// returns the oldest failure kept and whether size are kept.
func (f *failures) push(n int64, size int) (oldest int64, full bool) {
	if len(f.times) < size {
		f.times = append(f.times, n)
		return f.times[0], len(f.times) == size
	}
	f.times[f.next] = n
	f.next = (f.next + 1) % size
	return f.times[f.next], true
}
