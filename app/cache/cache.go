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

// Cache is a bounded LRU of values guarded by scope versions. It is safe for
// concurrent use.
type Cache struct {
	mu       sync.RWMutex
	versions map[string]uint64
	entries  *lru.Cache[string, entry]
}

type entry struct {
	scopes   []string
	versions []uint64
	value    any
}

// New returns a cache holding at most size values; size 0 gives a cache that holds
// nothing (every Get misses), to measure or debug the uncached path.
func New(size int) *Cache {
	if size <= 0 {
		return &Cache{versions: map[string]uint64{}}
	}
	l, err := lru.New[string, entry](size)
	if err != nil {
		panic(err) // only for size <= 0, a programming error
	}
	return &Cache{versions: map[string]uint64{}, entries: l}
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

// Put stores value under key, valid while every scope of the stamp is unchanged.
func (c *Cache) Put(key string, st Stamp, value any) {
	if c.entries == nil {
		return
	}
	c.entries.Add(key, entry{scopes: st.scopes, versions: st.versions, value: value})
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
