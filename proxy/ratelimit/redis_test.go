package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// slow is a limit whose bucket barely refills during a test: one token per
// 100 seconds.
func slow(burst int) Limit { return Limit{RatePerSecond: 0.01, Burst: burst} }

func TestRedisEnforcesLimit(t *testing.T) {
	srv := startRedis(t)
	s := NewRedis(srv.client(), uniquePrefix(t))
	for i := range 5 {
		d := take(t, s, "k", slow(4), time.Time{})
		if !d.Allowed || d.Remaining != 4-i {
			t.Errorf("request %d: %+v, want allowed with %d remaining", i, d, 4-i)
		}
	}
	d := take(t, s, "k", slow(4), time.Time{})
	if d.Allowed || d.RetryAfter <= 90*time.Second || d.RetryAfter > 100*time.Second {
		t.Errorf("request 6: %+v, want denied for about 100s", d)
	}
	if !take(t, s, "other", slow(4), time.Time{}).Allowed {
		t.Error("another key was denied")
	}
}

func TestRedisRefills(t *testing.T) {
	srv := startRedis(t)
	s := NewRedis(srv.client(), uniquePrefix(t))
	l := Limit{RatePerSecond: 20} // one per 50ms
	if !take(t, s, "k", l, time.Time{}).Allowed {
		t.Fatal("first request denied")
	}
	d := take(t, s, "k", l, time.Time{})
	if d.Allowed || d.RetryAfter <= 0 || d.RetryAfter > 50*time.Millisecond {
		t.Fatalf("second request: %+v, want denied for at most 50ms", d)
	}
	time.Sleep(d.RetryAfter + time.Millisecond)
	if d := take(t, s, "k", l, time.Time{}); !d.Allowed {
		t.Errorf("after RetryAfter: %+v, want allowed", d)
	}
}

// TestRedisSharedAcrossInstances has two stores on two clients, as two
// proxies would, race for one bucket: exactly burst+1 requests pass.
func TestRedisSharedAcrossInstances(t *testing.T) {
	srv := startRedis(t)
	prefix := uniquePrefix(t)
	stores := []*Redis{NewRedis(srv.client(), prefix), NewRedis(srv.client(), prefix)}
	var allowed [2]atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		s := stores[g%2]
		wg.Go(func() {
			for range 10 {
				if take(t, s, "api-key-1", slow(9), time.Time{}).Allowed {
					allowed[g%2].Add(1)
				}
			}
		})
	}
	wg.Wait()
	a, b := allowed[0].Load(), allowed[1].Load()
	if a+b != 10 {
		t.Errorf("%d + %d allowed across two instances, want 10 in all", a, b)
	}
	for i, s := range stores {
		if take(t, s, "api-key-1", slow(9), time.Time{}).Allowed {
			t.Errorf("instance %d allowed a request past the shared limit", i)
		}
	}
}

// TestRedisKeysAreHashedAndExpire checks that the caller's key never
// appears in Redis and that an idle bucket's key expires once it would be
// full again.
func TestRedisKeysAreHashedAndExpire(t *testing.T) {
	srv := startRedis(t)
	c := srv.client()
	prefix := uniquePrefix(t)
	s := NewRedis(c, prefix)
	ctx := context.Background()
	const secret = "sk_live_secret-api-key"
	take(t, s, secret, Limit{RatePerSecond: 10, Burst: 1}, time.Time{})

	keys, err := c.Keys(ctx, prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || strings.Contains(keys[0], secret) || len(keys[0]) != len(prefix)+64 {
		t.Fatalf("keys %q: want one prefix+SHA-256 key without the caller's key", keys)
	}
	ttl, err := c.PTTL(ctx, keys[0]).Result()
	if err != nil || ttl <= 0 || ttl > 100*time.Millisecond {
		t.Fatalf("PTTL %v, %v: want at most the 100ms the bucket takes to refill", ttl, err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		n, err := c.Exists(ctx, keys[0]).Result()
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("bucket key did not expire")
		}
	}
}

func TestRedisInvalidLimit(t *testing.T) {
	s := NewRedis(NewClient("127.0.0.1:1", ""), "p:") // never dialled
	if _, err := s.Take(context.Background(), "k", Limit{}, time.Time{}); !errors.Is(err, ErrInvalidLimit) {
		t.Errorf("err %v, want ErrInvalidLimit", err)
	}
}

func TestRedisTimeout(t *testing.T) {
	srv := startRedis(t)
	s := NewRedis(srv.client(), uniquePrefix(t), WithTimeout(50*time.Millisecond))
	take(t, s, "k", slow(0), time.Time{}) // a pooled connection is open
	srv.pause()
	defer srv.resume()
	start := time.Now()
	_, err := s.Take(context.Background(), "k", slow(0), time.Time{})
	if err == nil {
		t.Fatal("Take on a stalled server succeeded")
	}
	if el := time.Since(start); el > time.Second {
		t.Errorf("Take took %v on a stalled server, want about the 50ms timeout", el)
	}
	t.Logf("stalled server: %v after %v", err, time.Since(start))
}

// TestFallbackOnRedisOutage kills Redis under a Fallback: requests go to
// the local store, Degraded turns true and the failure is reported; when
// Redis is back, the Fallback uses it again.
func TestFallbackOnRedisOutage(t *testing.T) {
	srv := startRedis(t)
	var reported []error
	var mu sync.Mutex
	report := func(err error) { mu.Lock(); reported = append(reported, err); mu.Unlock() }
	f := NewFallback(NewRedis(srv.client(), uniquePrefix(t)), NewLocal(100), report,
		WithProbeInterval(time.Second))
	l := slow(1)
	now := t0

	take(t, f, "k", l, now)
	take(t, f, "k", l, now)
	if f.Degraded() || take(t, f, "k", l, now).Allowed {
		t.Fatal("healthy Redis: want not degraded and the third request denied")
	}

	srv.stop()
	d := take(t, f, "k", l, now)
	if !d.Allowed || !f.Degraded() || len(reported) != 1 {
		t.Fatalf("Redis down: got %+v, degraded %v, %d reports; want allowed by a fresh local bucket, degraded, 1 report",
			d, f.Degraded(), len(reported))
	}
	take(t, f, "k", l, now.Add(time.Millisecond))
	if d := take(t, f, "k", l, now.Add(2*time.Millisecond)); d.Allowed {
		t.Errorf("degraded: local limit not enforced: %+v", d)
	}
	if len(reported) != 1 {
		t.Errorf("%d reports within one probe interval, want 1", len(reported))
	}

	srv.start()
	for i := 0; f.Degraded(); i++ {
		if i == 50 {
			t.Fatal("Fallback did not recover after Redis came back")
		}
		now = now.Add(time.Second)
		take(t, f, "recover", Limit{RatePerSecond: 1000}, now)
		time.Sleep(10 * time.Millisecond)
	}
	// The restarted server is empty: the first two requests pass again.
	if !take(t, f, "k", l, now).Allowed {
		t.Error("recovered: request denied by Redis's empty bucket")
	}
	t.Logf("reports: %v", reported)
}

// TestFallbackOnStalledRedis stalls Redis under a Fallback: the first
// request waits out the timeout and falls back, and the next ones, within
// the probe interval, do not wait at all.
func TestFallbackOnStalledRedis(t *testing.T) {
	srv := startRedis(t)
	s := NewRedis(srv.client(), uniquePrefix(t), WithTimeout(50*time.Millisecond))
	var reports atomic.Int64
	f := NewFallback(s, NewLocal(100), func(error) { reports.Add(1) })
	l := Limit{RatePerSecond: 1000}
	take(t, f, "k", l, t0)
	srv.pause()
	defer srv.resume()
	start := time.Now()
	if !take(t, f, "k", l, t0).Allowed || !f.Degraded() || reports.Load() != 1 {
		t.Fatalf("stalled: degraded %v, %d reports", f.Degraded(), reports.Load())
	}
	first := time.Since(start)
	start = time.Now()
	for i := range 100 {
		take(t, f, "k", l, t0.Add(time.Duration(i)*time.Millisecond))
	}
	if rest := time.Since(start); rest > time.Second { // 5s if each waited 50ms
		t.Errorf("100 requests within the probe interval took %v: they waited on Redis", rest)
	}
	t.Logf("first request %v, then 100 in %v", first, time.Since(start))
}

// BenchmarkRedisTake measures one Take round trip to a local Redis, and
// many concurrent ones.
func BenchmarkRedisTake(b *testing.B) {
	srv := startRedis(b)
	s := NewRedis(srv.client(), uniquePrefix(b))
	l := Limit{RatePerSecond: 1e6, Burst: 1000}
	ctx := context.Background()
	b.Run("serial", func(b *testing.B) {
		for i := range b.N {
			if _, err := s.Take(ctx, fmt.Sprint(i%1000), l, time.Time{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.SetParallelism(8) // 16 callers on 2 cores, as concurrent requests would be
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				if _, err := s.Take(ctx, fmt.Sprint(i%1000), l, time.Time{}); err != nil {
					b.Error(err)
					return
				}
				i++
			}
		})
	})
}
