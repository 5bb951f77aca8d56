// Package cache remembers values read from the store for a short while. A
// full cache is emptied rather than grown, so that a flood of distinct keys
// costs bounded memory and, at worst, a round of store reads.
package cache

import (
	"sync"
	"time"
)

// Bounded maps keys to values and the time each was read.
type Bounded[K comparable, V any] struct {
	max     int
	mu      sync.RWMutex
	entries map[K]entry[V]
}

type entry[V any] struct {
	value    V
	loadedAt time.Time
}

// New returns a cache of at most max entries.
func New[K comparable, V any](max int) *Bounded[K, V] {
	return &Bounded[K, V]{max: max, entries: map[K]entry[V]{}}
}

// Get returns the value remembered for key and when it was read.
func (c *Bounded[K, V]) Get(key K) (value V, loadedAt time.Time, ok bool) {
	c.mu.RLock()
	e, ok := c.entries[key]
	c.mu.RUnlock()
	return e.value, e.loadedAt, ok
}

// Fresh returns the value remembered for key if it was read less than maxAge
// before now.
func (c *Bounded[K, V]) Fresh(key K, now time.Time, maxAge time.Duration) (V, bool) {
	v, loadedAt, ok := c.Get(key)
	if !ok || now.Sub(loadedAt) >= maxAge {
		var zero V
		return zero, false
	}
	return v, true
}

// Put remembers value for key as read at loadedAt, and returns what it
// replaces, in one step.
func (c *Bounded[K, V]) Put(key K, value V, loadedAt time.Time) (prev V, had bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old, had := c.entries[key]
	if !had && len(c.entries) >= c.max {
		clear(c.entries)
	}
	c.entries[key] = entry[V]{value: value, loadedAt: loadedAt}
	return old.value, had
}

// Forget drops key.
func (c *Bounded[K, V]) Forget(key K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, key)
}

// Clear drops every entry.
func (c *Bounded[K, V]) Clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
}
