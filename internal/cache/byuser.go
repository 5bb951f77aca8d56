package cache

import (
	"sync"
	"time"
)

// ByUser remembers, for a short time to live, what was read about a user
// under a key of theirs (a session, a token), so that forgetting the user
// drops every key at once. Every forget starts a new generation, and a value
// read before a forget is not remembered, so that a change racing a cache
// miss still applies at once:
//
//	gen := c.Generation()
//	v := read()
//	c.Put(gen, key, userID, v, now)
type ByUser[V any] struct {
	ttl     time.Duration
	max     int
	mu      sync.Mutex
	gen     uint64
	entries map[string]userEntry[V]
}

type userEntry[V any] struct {
	userID   string
	value    V
	loadedAt time.Time
}

// NewByUser returns a cache whose values live for ttl, of at most max
// entries: beyond it, it is emptied and refilled.
func NewByUser[V any](ttl time.Duration, max int) *ByUser[V] {
	return &ByUser[V]{ttl: ttl, max: max, entries: map[string]userEntry[V]{}}
}

// Get returns the value of key if it was read less than the time to live
// before now.
func (c *ByUser[V]) Get(key string, now time.Time) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || now.Sub(e.loadedAt) >= c.ttl {
		var zero V
		return zero, false
	}
	return e.value, true
}

// Generation is taken before reading a value that Put may remember.
func (c *ByUser[V]) Generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// Put remembers value, read at now, for key of the user userID (which may be
// empty), unless something was forgotten since gen was taken.
func (c *ByUser[V]) Put(gen uint64, key, userID string, value V, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if len(c.entries) >= c.max {
		clear(c.entries)
	}
	c.entries[key] = userEntry[V]{userID: userID, value: value, loadedAt: now}
}

// Forget drops key.
func (c *ByUser[V]) Forget(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.entries, key)
}

// ForgetUser drops every key of the user.
func (c *ByUser[V]) ForgetUser(userID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for key, e := range c.entries {
		if e.userID == userID {
			delete(c.entries, key)
		}
	}
}

// ForgetAll drops everything.
func (c *ByUser[V]) ForgetAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.entries)
}
