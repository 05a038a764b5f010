package ratelimit

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// newTestThrottle returns a Throttle or fails the test.
func newTestThrottle(t testing.TB, attempts int, window, lockout time.Duration, maxKeys int) *Throttle {
	t.Helper()
	if err := ValidateThrottle(attempts, window, lockout, maxKeys); err != nil {
		t.Fatal(err)
	}
	return NewThrottle(attempts, window, lockout, maxKeys)
}

// failAt records failures of key at offsets from t0.
func failAt(th *Throttle, key string, at ...time.Duration) {
	for _, a := range at {
		th.Fail(key, t0.Add(a))
	}
}

// wantBlocked checks key's state at an offset from t0.
func wantBlocked(t *testing.T, th *Throttle, key string, at time.Duration, blocked bool, left time.Duration) {
	t.Helper()
	b, l := th.Blocked(key, t0.Add(at))
	if b != blocked || l != left {
		t.Errorf("Blocked(%q) at %v = %v, %v; want %v, %v", key, at, b, l, blocked, left)
	}
}

func TestThrottleLocksOutAfterMaxAttempts(t *testing.T) {
	s := time.Second
	th := newTestThrottle(t, 3, 10*s, 60*s, 100)
	wantBlocked(t, th, "ip", 0, false, 0)
	failAt(th, "ip", 0, 1*s)
	wantBlocked(t, th, "ip", 2*s, false, 0)
	failAt(th, "ip", 2*s)
	wantBlocked(t, th, "ip", 2*s, true, 60*s)
	wantBlocked(t, th, "ip", 32*s, true, 30*s)
	wantBlocked(t, th, "other", 32*s, false, 0)
	failAt(th, "ip", 40*s, 41*s, 42*s) // ignored while blocked
	wantBlocked(t, th, "ip", 62*s-1, true, 1)
	wantBlocked(t, th, "ip", 62*s, false, 0)
	// After the lockout the count starts afresh.
	failAt(th, "ip", 63*s, 64*s)
	wantBlocked(t, th, "ip", 64*s, false, 0)
	failAt(th, "ip", 65*s)
	wantBlocked(t, th, "ip", 65*s, true, 60*s)
}

func TestThrottleWindowSlides(t *testing.T) {
	s := time.Second
	th := newTestThrottle(t, 3, 10*s, 60*s, 100)
	// Failures at 0, 5 and 10: the first is a full window old at 10.
	failAt(th, "a", 0, 5*s, 10*s)
	wantBlocked(t, th, "a", 10*s, false, 0)
	// 5, 10 and 14.999 are within 10s.
	failAt(th, "a", 15*s-1)
	wantBlocked(t, th, "a", 15*s, true, 60*s-1)

	// Spread-out failures never block, however many.
	for i := range 100 {
		failAt(th, "b", time.Duration(i)*5*s+s)
	}
	wantBlocked(t, th, "b", 500*s, false, 0)
	// ... until three land within one window: the last was at 496s.
	failAt(th, "b", 520*s, 521*s)
	wantBlocked(t, th, "b", 521*s, false, 0)
	failAt(th, "b", 522*s)
	wantBlocked(t, th, "b", 522*s, true, 60*s)
}

func TestThrottleOneAttempt(t *testing.T) {
	th := newTestThrottle(t, 1, time.Minute, time.Second, 10)
	failAt(th, "k", 0)
	wantBlocked(t, th, "k", 0, true, time.Second)
	wantBlocked(t, th, "k", time.Second, false, 0)
}

func TestNewThrottleRejectsNonPositive(t *testing.T) {
	for _, c := range []struct {
		attempts        int
		window, lockout time.Duration
		keys            int
	}{{0, 1, 1, 1}, {1, 0, 1, 1}, {1, 1, 0, 1}, {1, 1, 1, 0}, {1, -1, 1, 1}} {
		if err := ValidateThrottle(c.attempts, c.window, c.lockout, c.keys); err == nil {
			t.Errorf("ValidateThrottle%+v: no error", c)
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewThrottle%+v did not panic", c)
				}
			}()
			NewThrottle(c.attempts, c.window, c.lockout, c.keys)
		}()
	}
}

func TestThrottleBoundsMemory(t *testing.T) {
	th := newTestThrottle(t, 5, time.Minute, time.Minute, 500)
	failAt(th, "attacker", 0, 0, 0, 0, 0)
	for i := range 100_000 {
		th.Fail(fmt.Sprintf("203.0.113.%d/%d", i%256, i), t0)
		if i%50 == 0 {
			th.Blocked("attacker", t0) // the attacker retrying keeps its lockout fresh
		}
	}
	if n := th.Len(); n != 500 {
		t.Errorf("%d keys held, want 500", n)
	}
	wantBlocked(t, th, "attacker", time.Second, true, time.Minute-time.Second)
}

func TestThrottleConcurrent(t *testing.T) {
	th := newTestThrottle(t, 100, time.Hour, time.Hour, 1000)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				th.Fail("shared", t0)
				th.Fail(fmt.Sprintf("g%d-%d", g, i), t0)
				th.Blocked("shared", t0)
			}
		})
	}
	wg.Wait()
	wantBlocked(t, th, "shared", 0, true, time.Hour)
}

// BenchmarkThrottle records failures and checks keys in parallel.
func BenchmarkThrottle(b *testing.B) {
	th := newTestThrottle(b, 5, time.Minute, time.Minute, 100_000)
	keys := make([]string, 10_000)
	for i := range keys {
		keys[i] = fmt.Sprintf("198.51.100.%d/%d", i%256, i)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			k := keys[i%len(keys)]
			now := t0.Add(time.Duration(i) * time.Millisecond)
			if blocked, _ := th.Blocked(k, now); !blocked {
				th.Fail(k, now)
			}
			i++
		}
	})
}
