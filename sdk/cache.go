package sdk

import (
	"sync"
	"time"
)

// cache maps keys to values that expire, holding at most about size
// entries. It keeps two generations: new entries go into cur; when cur is
// full it becomes old and the previous old generation is dropped. Entries
// read from old move back into cur, so what is used stays, and every
// operation is O(1) — no sweep over all entries when the cache is full.
//
// A nil *cache is a disabled cache: it finds nothing and keeps nothing.
type cache[K comparable, V any] struct {
	mu   sync.Mutex
	half int
	cur  map[K]cacheEntry[V]
	old  map[K]cacheEntry[V]
}

type cacheEntry[V any] struct {
	value   V
	expires time.Time
}

// newCache returns a cache of about size entries, or nil (disabled) when
// size is not positive.
func newCache[K comparable, V any](size int) *cache[K, V] {
	if size <= 0 {
		return nil
	}
	half := max(1, size/2)
	return &cache[K, V]{half: half, cur: make(map[K]cacheEntry[V]), old: map[K]cacheEntry[V]{}}
}

// get returns the value of key when it is there and not expired at now.
func (c *cache[K, V]) get(key K, now time.Time) (V, bool) {
	var zero V
	if c == nil {
		return zero, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.cur[key]
	if !ok {
		if e, ok = c.old[key]; ok {
			delete(c.old, key)
			if now.Before(e.expires) {
				c.insert(key, e)
			}
		}
	}
	if !ok || !now.Before(e.expires) {
		delete(c.cur, key)
		return zero, false
	}
	return e.value, true
}

// put keeps value under key until expires.
func (c *cache[K, V]) put(key K, value V, expires time.Time) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.old, key)
	c.insert(key, cacheEntry[V]{value, expires})
}

func (c *cache[K, V]) insert(key K, e cacheEntry[V]) {
	if _, ok := c.cur[key]; !ok && len(c.cur) >= c.half {
		c.old, c.cur = c.cur, make(map[K]cacheEntry[V], c.half)
	}
	c.cur[key] = e
}

// len is the number of entries held, expired ones included.
func (c *cache[K, V]) len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.cur) + len(c.old)
}
