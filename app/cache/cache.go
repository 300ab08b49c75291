// Package cache keeps derived, ready-to-serve values (rendered pages, encoded JSON) in
// memory, each tied to the scopes it was built from: a thread, a board, the board list.
// Events from the bus bump a scope's version, and every value built from an older
// version is dead from that instant. The database stays the truth: a cache miss is
// only slower.
package cache

import (
	"sync"

	lru "github.com/hashicorp/golang-lru/v2"
)

// Cache is an LRU of values guarded by scope versions and bounded by the bytes its
// values cost. It is safe for concurrent use.
type Cache struct {
	mu       sync.RWMutex
	versions map[string]uint64
	entries  *lru.Cache[string, entry]
	maxBytes int64

	sizeMu sync.Mutex // guards bytes and eviction
	bytes  int64
}

type entry struct {
	scopes   []string
	versions []uint64
	value    any
	cost     int64
}

// New returns a cache whose values cost at most maxBytes in all; 0 gives a cache that
// holds nothing (every Get misses), to measure or debug the uncached path.
func New(maxBytes int64) *Cache {
	c := &Cache{versions: map[string]uint64{}, maxBytes: maxBytes}
	if maxBytes <= 0 {
		return c
	}
	// The entry count is only a backstop; the byte budget is what evicts.
	l, err := lru.NewWithEvict[string, entry](1<<20, func(_ string, e entry) { c.bytes -= e.cost })
	if err != nil {
		panic(err)
	}
	c.entries = l
	return c
}

// Stamp is the versions of some scopes, taken before reading the data a value is built
// from. Taking it first is what makes a fill race-free: if the data changes while the
// value is being built, the stamp is already old and the value is never served.
type Stamp struct {
	scopes   []string
	versions []uint64
}

// Stamp records the current versions of scopes.
func (c *Cache) Stamp(scopes ...string) Stamp {
	c.mu.RLock()
	defer c.mu.RUnlock()
	v := make([]uint64, len(scopes))
	for i, s := range scopes {
		v[i] = c.versions[s]
	}
	return Stamp{scopes: scopes, versions: v}
}

// Put stores value under key, valid while every scope of the stamp is unchanged; cost is
// roughly the bytes it holds. The least recently used values make room.
func (c *Cache) Put(key string, st Stamp, value any, cost int) {
	if c.entries == nil || int64(cost) > c.maxBytes/4 {
		return
	}
	c.sizeMu.Lock()
	defer c.sizeMu.Unlock()
	// The eviction callback runs inside these calls, under sizeMu.
	c.entries.Remove(key)
	c.entries.Add(key, entry{scopes: st.scopes, versions: st.versions, value: value, cost: int64(cost)})
	c.bytes += int64(cost)
	for c.bytes > c.maxBytes {
		if _, _, ok := c.entries.RemoveOldest(); !ok {
			break
		}
	}
}

// Bytes is the cost of the values held.
func (c *Cache) Bytes() int64 {
	c.sizeMu.Lock()
	defer c.sizeMu.Unlock()
	return c.bytes
}

// Get returns the value under key if none of its scopes has changed since it was built.
func (c *Cache) Get(key string) (any, bool) {
	if c.entries == nil {
		return nil, false
	}
	e, ok := c.entries.Get(key)
	if !ok {
		return nil, false
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	for i, s := range e.scopes {
		if c.versions[s] != e.versions[i] {
			return nil, false
		}
	}
	return e.value, true
}

// Invalidate kills every value built from scope.
func (c *Cache) Invalidate(scopes ...string) {
	c.mu.Lock()
	for _, s := range scopes {
		c.versions[s]++
	}
	c.mu.Unlock()
}

// Len is the number of values held (live or stale), for metrics and tests.
func (c *Cache) Len() int {
	if c.entries == nil {
		return 0
	}
	return c.entries.Len()
}
