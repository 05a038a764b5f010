package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// t0 is the fake clock's start.
var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// take takes one token from s or fails the test.
func take(t testing.TB, s Store, key string, l Limit, now time.Time) Decision {
	t.Helper()
	d, err := s.Take(context.Background(), key, l, now)
	if err != nil {
		t.Fatalf("Take(%q, %+v, %v): %v", key, l, now, err)
	}
	return d
}

// step is one Take at an offset from t0 and its expected Decision.
type step struct {
	at   time.Duration
	want Decision
}

// allow and deny build expected Decisions.
func allow(remaining int) Decision      { return Decision{Allowed: true, Remaining: remaining} }
func deny(retry time.Duration) Decision { return Decision{RetryAfter: retry} }

func TestLocalBurstAndRefill(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name  string
		limit Limit
		steps []step
	}{{
		name:  "burst 4 at 10/s holds 5",
		limit: Limit{RatePerSecond: 10, Burst: 4},
		steps: []step{
			{0, allow(4)}, {0, allow(3)}, {0, allow(2)}, {0, allow(1)}, {0, allow(0)},
			{0, deny(100 * ms)},
			{99 * ms, deny(1 * ms)},
			{100 * ms, allow(0)},
			{100 * ms, deny(100 * ms)},
			{350 * ms, allow(1)}, // 2.5 tokens refilled
			{350 * ms, allow(0)},
			{350 * ms, deny(50 * ms)},
			{10 * time.Second, allow(4)}, // full again, not more
		},
	}, {
		name:  "burst 0 is one at a time",
		limit: Limit{RatePerSecond: 2, Burst: 0},
		steps: []step{
			{0, allow(0)}, {0, deny(500 * ms)},
			{499 * ms, deny(1 * ms)},
			{500 * ms, allow(0)},
			{999 * ms, deny(1 * ms)},
			{2 * time.Second, allow(0)},
			{2 * time.Second, deny(500 * ms)},
		},
	}, {
		name:  "fractional rate",
		limit: Limit{RatePerSecond: 0.5, Burst: 1},
		steps: []step{
			{0, allow(1)}, {0, allow(0)}, {0, deny(2 * time.Second)},
			{2 * time.Second, allow(0)},
			{3 * time.Second, deny(time.Second)},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewLocal(10)
			for i, st := range tt.steps {
				got := take(t, s, "k", tt.limit, t0.Add(st.at))
				if got != st.want {
					t.Errorf("step %d at %v: got %+v, want %+v", i, st.at, got, st.want)
				}
			}
		})
	}
}

// TestLocalRateIsExact sends a request every millisecond for ten fake
// seconds: integer arithmetic must allow exactly rate*10 (+burst) of them.
func TestLocalRateIsExact(t *testing.T) {
	for _, l := range []Limit{
		{RatePerSecond: 100, Burst: 0},
		{RatePerSecond: 100, Burst: 20},
		{RatePerSecond: 250, Burst: 3},
		{RatePerSecond: 1, Burst: 0},
	} {
		s := NewLocal(1)
		allowed := 0
		for i := range 10000 {
			d, err := s.Take(context.Background(), "k", l, t0.Add(time.Duration(i)*time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed {
				allowed++
			}
		}
		if want := int(l.RatePerSecond*10) + l.Burst; allowed != want {
			t.Errorf("%+v: %d allowed in 10s, want %d", l, allowed, want)
		}
	}
}

func TestLocalKeysAreIndependent(t *testing.T) {
	s := NewLocal(10)
	l := Limit{RatePerSecond: 1}
	for _, k := range []string{"a", "b", "c"} {
		if !take(t, s, k, l, t0).Allowed {
			t.Errorf("first request for %q denied", k)
		}
	}
	if take(t, s, "a", l, t0).Allowed {
		t.Error("second request for a allowed")
	}
}

func TestLocalInvalidLimit(t *testing.T) {
	s := NewLocal(10)
	for _, l := range []Limit{
		{RatePerSecond: 0},
		{RatePerSecond: -1},
		{RatePerSecond: math.NaN()},
		{RatePerSecond: math.Inf(1)},
		{RatePerSecond: 1, Burst: -1},
		{RatePerSecond: 1e-12},
	} {
		if _, err := s.Take(context.Background(), "k", l, t0); !errors.Is(err, ErrInvalidLimit) {
			t.Errorf("%+v: err %v, want ErrInvalidLimit", l, err)
		}
	}
	if s.Len() != 0 {
		t.Errorf("invalid limits created %d buckets", s.Len())
	}
}

// TestLocalEvictionBoundsMemory takes tokens for 100k distinct keys: the
// store must hold at most maxKeys buckets, keep a key in steady use, and
// forget an idle one.
func TestLocalEvictionBoundsMemory(t *testing.T) {
	const maxKeys = 1000
	s := NewLocal(maxKeys)
	l := Limit{RatePerSecond: 1e-3} // one token per 1000 s
	ctx := context.Background()
	take(t, s, "idle", l, t0)
	take(t, s, "hot", l, t0)
	before := heapInUse()
	for i := range 100_000 {
		s.Take(ctx, "client-"+strconv.Itoa(i), l, t0)
		if i%100 == 0 {
			s.Take(ctx, "hot", l, t0) // denied, but keeps hot recently used
		}
		if i%10_000 == 0 && s.Len() > maxKeys {
			t.Fatalf("after %d keys: %d buckets, want at most %d", i+1, s.Len(), maxKeys)
		}
	}
	if n := s.Len(); n != maxKeys {
		t.Errorf("%d buckets held, want %d", n, maxKeys)
	}
	if growth := heapInUse() - before; growth > 2<<20 {
		t.Errorf("heap grew by %d bytes for %d buckets", growth, maxKeys)
	}
	if take(t, s, "hot", l, t0).Allowed {
		t.Error("hot key was evicted: its empty bucket came back full")
	}
	if !take(t, s, "idle", l, t0).Allowed {
		t.Error("idle key was kept")
	}
}

// heapInUse returns the live heap after a collection.
func heapInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse)
}

func TestNewLocalPanicsWithoutRoom(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("NewLocal(0) did not panic")
		}
	}()
	NewLocal(0)
}

// TestLocalConcurrent races many goroutines on one bucket, which must let
// exactly burst+1 through, and on many keys in a store small enough to
// evict all the time.
func TestLocalConcurrent(t *testing.T) {
	s := NewLocal(64)
	l := Limit{RatePerSecond: 1e-3, Burst: 49}
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				if take(t, s, "shared", l, t0).Allowed {
					allowed.Add(1)
				}
				take(t, s, fmt.Sprintf("g%d-%d", g, i%200), l, t0.Add(time.Duration(i)))
			}
		})
	}
	wg.Wait()
	if got := allowed.Load(); got != 50 {
		t.Errorf("%d allowed on the shared key, want 50", got)
	}
	if n := s.Len(); n > 64 {
		t.Errorf("%d buckets held, want at most 64", n)
	}
}

// BenchmarkLocalTake takes tokens in parallel across 10k keys in a store
// of 100k.
func BenchmarkLocalTake(b *testing.B) {
	s := NewLocal(100_000)
	keys := make([]string, 10_000)
	for i := range keys {
		keys[i] = fmt.Sprintf("192.0.2.%d/%d", i%256, i)
	}
	l := Limit{RatePerSecond: 100, Burst: 10}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			s.Take(context.Background(), keys[i%len(keys)], l, t0.Add(time.Duration(i)))
			i++
		}
	})
}

// BenchmarkLocalTakeEvicting takes tokens in parallel for ever-new keys in
// a full store, so that every Take evicts.
func BenchmarkLocalTakeEvicting(b *testing.B) {
	s := NewLocal(10_000)
	l := Limit{RatePerSecond: 100, Burst: 10}
	var next atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		buf := make([]byte, 0, 32)
		for pb.Next() {
			n := next.Add(1)
			buf = fmt.Appendf(buf[:0], "k%d", n)
			s.Take(context.Background(), string(buf), l, t0)
		}
	})
}
