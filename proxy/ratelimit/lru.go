package ratelimit

import (
	"container/list"
	"hash/maphash"
	"sync"
)

// maxShards is the most shards an lru splits into, enough to keep lock
// contention low on any machine a proxy runs on.
const maxShards = 64

// minShardKeys is the fewest keys a shard holds when there is more than
// one: a shard's LRU order only means something with room for many keys,
// so small lrus use fewer shards.
const minShardKeys = 128

// lru is a bounded map from string keys to values of type V, split into
// shards that each keep their own least-recently-used order under their
// own lock. It holds at most the max it was made with, in total: a full
// shard evicts its own least recently used entry, so eviction is LRU per
// shard, which approximates global LRU closely for well-spread keys.
type lru[V any] struct {
	seed   maphash.Seed
	shards []lruShard[V]
}

// lruShard is one shard of an lru. Callers hold mu around lookup and
// insert and any use of the value pointers they return.
type lruShard[V any] struct {
	mu    sync.Mutex
	max   int
	items map[string]*list.Element
	order list.List // of *lruEntry[V]; front is most recently used
	_     [64]byte  // keeps neighbouring shards' locks off one cache line
}

// lruEntry is one key and its value.
type lruEntry[V any] struct {
	key string
	val V
}

// newLRU returns an lru holding at most maxKeys entries; maxKeys must be
// positive.
func newLRU[V any](maxKeys int) *lru[V] {
	if maxKeys < 1 {
		panic("ratelimit: maxKeys must be at least 1")
	}
	n := min(maxShards, max(1, maxKeys/minShardKeys))
	c := &lru[V]{seed: maphash.MakeSeed(), shards: make([]lruShard[V], n)}
	for i := range c.shards {
		s := &c.shards[i]
		s.max = maxKeys / n
		if i < maxKeys%n {
			s.max++
		}
		s.items = make(map[string]*list.Element, s.max)
	}
	return c
}

// shard returns the shard that holds key.
func (c *lru[V]) shard(key string) *lruShard[V] {
	return &c.shards[maphash.String(c.seed, key)%uint64(len(c.shards))]
}

// Len returns the number of entries held.
func (c *lru[V]) Len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		n += len(s.items)
		s.mu.Unlock()
	}
	return n
}

// lookup returns key's value and marks it most recently used, or nil if
// the shard does not hold key.
func (s *lruShard[V]) lookup(key string) *V {
	e, ok := s.items[key]
	if !ok {
		return nil
	}
	s.order.MoveToFront(e)
	return &e.Value.(*lruEntry[V]).val
}

// insert adds key, which the shard must not hold, with a zero value as the
// most recently used entry, evicting the least recently used entry if the
// shard is full. The evicted entry's list element is reused.
func (s *lruShard[V]) insert(key string) *V {
	if len(s.items) < s.max {
		ent := &lruEntry[V]{key: key}
		s.items[key] = s.order.PushFront(ent)
		return &ent.val
	}
	e := s.order.Back()
	ent := e.Value.(*lruEntry[V])
	delete(s.items, ent.key)
	var zero V
	ent.key, ent.val = key, zero
	s.items[key] = e
	s.order.MoveToFront(e)
	return &ent.val
}

// get returns key's value, inserting a zero value if the shard does not
// hold it.
func (s *lruShard[V]) get(key string) *V {
	if v := s.lookup(key); v != nil {
		return v
	}
	return s.insert(key)
}
