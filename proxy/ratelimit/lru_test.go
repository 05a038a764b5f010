package ratelimit

import (
	"strconv"
	"testing"
)

// TestLRUHoldsExactlyMaxKeys checks that the shards' room adds up to
// maxKeys for sizes around the sharding thresholds.
func TestLRUHoldsExactlyMaxKeys(t *testing.T) {
	for _, maxKeys := range []int{1, 2, 127, 128, 255, 256, 1000, 8191, 8192, 10_007} {
		c := newLRU[int](maxKeys)
		for i := range 3 * maxKeys {
			k := strconv.Itoa(i)
			s := c.shard(k)
			s.mu.Lock()
			*s.get(k) = i
			s.mu.Unlock()
		}
		if n := c.Len(); n != maxKeys {
			t.Errorf("newLRU(%d) holds %d keys after %d inserts", maxKeys, n, 3*maxKeys)
		}
	}
}

// TestLRUEvictsLeastRecentlyUsed fills a one-shard lru and checks which
// keys survive, and that a reused entry starts from a zero value.
func TestLRUEvictsLeastRecentlyUsed(t *testing.T) {
	c := newLRU[int](3)
	s := &c.shards[0]
	for i, k := range []string{"a", "b", "c"} {
		*s.get(k) = i + 1
	}
	s.lookup("a")   // order: a c b
	*s.get("d") = 4 // evicts b; order: d a c
	if s.lookup("b") != nil {
		t.Error("b survived")
	}
	for _, k := range []string{"c", "a", "d"} { // order: d a c
		if v := s.lookup(k); v == nil {
			t.Errorf("%s was evicted", k)
		}
	}
	if v := s.get("e"); *v != 0 { // evicts c, reusing its entry
		t.Errorf("new key starts at %d, want 0", *v)
	}
	if s.lookup("c") != nil || s.lookup("a") == nil || s.lookup("d") == nil {
		t.Error("e did not evict exactly c, the least recently used")
	}
}
