package ratelimit

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeStore is a primary store that fails while down is set, and counts
// its calls.
type fakeStore struct {
	down  atomic.Bool
	calls atomic.Int64
	local *Local
}

var errDown = errors.New("fake primary is down")

// Take fails while the store is down and otherwise takes from a Local.
func (s *fakeStore) Take(ctx context.Context, key string, l Limit, now time.Time) (Decision, error) {
	s.calls.Add(1)
	if s.down.Load() {
		return Decision{}, errDown
	}
	return s.local.Take(ctx, key, l, now)
}

// newFakeFallback returns a Fallback over a fakeStore, probing each second,
// and a counter of reports.
func newFakeFallback() (*Fallback, *fakeStore, *atomic.Int64) {
	p := &fakeStore{local: NewLocal(100)}
	var reports atomic.Int64
	f := NewFallback(p, NewLocal(100), func(err error) {
		if errors.Is(err, errDown) {
			reports.Add(1)
		}
	}, WithProbeInterval(time.Second))
	return f, p, &reports
}

func TestFallbackProbesOncePerInterval(t *testing.T) {
	f, p, reports := newFakeFallback()
	l := Limit{RatePerSecond: 1000}
	take(t, f, "k", l, t0)
	if f.Degraded() || p.calls.Load() != 1 {
		t.Fatalf("healthy: degraded %v after %d calls", f.Degraded(), p.calls.Load())
	}

	p.down.Store(true)
	for i := range 10 {
		take(t, f, "k", l, t0.Add(time.Duration(i)*100*time.Millisecond)) // 0 to 0.9s
	}
	if !f.Degraded() || p.calls.Load() != 2 || reports.Load() != 1 {
		t.Fatalf("down for 0.9s: degraded %v, %d calls, %d reports; want true, 2, 1",
			f.Degraded(), p.calls.Load(), reports.Load())
	}
	take(t, f, "k", l, t0.Add(time.Second)) // probe, fails
	if p.calls.Load() != 3 || reports.Load() != 2 {
		t.Fatalf("after one interval: %d calls, %d reports; want 3, 2", p.calls.Load(), reports.Load())
	}

	p.down.Store(false)
	take(t, f, "k", l, t0.Add(1500*time.Millisecond)) // within the interval: local
	if !f.Degraded() || p.calls.Load() != 3 {
		t.Fatalf("primary back, before the probe: degraded %v, %d calls", f.Degraded(), p.calls.Load())
	}
	take(t, f, "k", l, t0.Add(2*time.Second))
	if f.Degraded() || p.calls.Load() != 4 {
		t.Fatalf("after the probe: degraded %v, %d calls; want false, 4", f.Degraded(), p.calls.Load())
	}
	take(t, f, "k", l, t0.Add(2*time.Second))
	if p.calls.Load() != 5 {
		t.Errorf("recovered: %d calls, want every request on the primary", p.calls.Load())
	}
}

func TestFallbackEnforcesLocallyWhileDegraded(t *testing.T) {
	f, p, _ := newFakeFallback()
	p.down.Store(true)
	l := Limit{RatePerSecond: 1, Burst: 2}
	allowed := 0
	for range 10 {
		if take(t, f, "k", l, t0).Allowed {
			allowed++
		}
	}
	if allowed != 3 {
		t.Errorf("%d allowed while degraded, want burst+1 = 3", allowed)
	}
}

func TestFallbackDoesNotDegradeOnCallerErrors(t *testing.T) {
	f, p, reports := newFakeFallback()
	p.down.Store(true)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.Take(ctx, "k", Limit{RatePerSecond: 1}, t0); err == nil {
		t.Error("cancelled request: no error")
	}
	if _, err := f.Take(context.Background(), "k", Limit{}, t0); !errors.Is(err, ErrInvalidLimit) {
		t.Errorf("invalid limit: err %v, want ErrInvalidLimit", err)
	}
	if f.Degraded() || reports.Load() != 0 {
		t.Errorf("degraded %v with %d reports, want neither", f.Degraded(), reports.Load())
	}
}

func TestFallbackConcurrent(t *testing.T) {
	f, p, _ := newFakeFallback()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 300 {
				if g == 0 && i%50 == 0 {
					p.down.Store(!p.down.Load())
				}
				now := t0.Add(time.Duration(i) * 10 * time.Millisecond)
				take(t, f, "k", Limit{RatePerSecond: 1e6}, now)
				f.Degraded()
			}
		})
	}
	wg.Wait()
}
