package authn

import (
	"container/list"
	"crypto/sha256"
	"sync"
	"time"
)

// tokenCache holds principals by the SHA-256 of their token, each until
// an expiry, with at most max entries: inserting into a full cache evicts
// the oldest entry.
type tokenCache struct {
	mu      sync.Mutex
	max     int
	entries map[[sha256.Size]byte]*list.Element
	order   *list.List // of *cacheEntry, oldest first
}

// cacheEntry is one cached principal.
type cacheEntry struct {
	key   [sha256.Size]byte
	p     *Principal
	until time.Time
}

// newTokenCache returns an empty cache of at most max entries.
func newTokenCache(max int) *tokenCache {
	return &tokenCache{max: max, entries: map[[sha256.Size]byte]*list.Element{}, order: list.New()}
}

// get returns a copy of the principal cached under key if it has not
// expired at now, or nil. An expired entry is dropped.
func (c *tokenCache) get(key [sha256.Size]byte, now time.Time) *Principal {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok {
		return nil
	}
	ent := e.Value.(*cacheEntry)
	if !now.Before(ent.until) {
		c.remove(e)
		return nil
	}
	return principal(ent.p.Provider, ent.p.Subject, ent.p.Roles, ent.p.Scopes)
}

// put caches p under key until the given time, evicting the oldest
// entries to stay within max.
func (c *tokenCache) put(key [sha256.Size]byte, p *Principal, until time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok {
		c.remove(e)
	}
	for c.order.Len() >= c.max && c.order.Len() > 0 {
		c.remove(c.order.Front())
	}
	c.entries[key] = c.order.PushBack(&cacheEntry{key: key, p: p, until: until})
}

// remove drops element e; the caller holds mu.
func (c *tokenCache) remove(e *list.Element) {
	delete(c.entries, e.Value.(*cacheEntry).key)
	c.order.Remove(e)
}

// len is the number of entries, expired or not.
func (c *tokenCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
