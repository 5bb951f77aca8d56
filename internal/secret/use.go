package secret

import (
	"sync"
	"time"
)

// UseInterval is how often, at most, the last use of one secret is written.
const UseInterval = time.Minute

// maxTracked bounds a UseLimiter; beyond it, it forgets and starts again,
// which costs at most one extra write per secret.
const maxTracked = 100_000

// UseLimiter decides when a secret's last use is worth writing: at most
// once per UseInterval per secret, so that authenticating a request does
// not write to the store. Each replica keeps its own.
type UseLimiter struct {
	mu   sync.Mutex
	last map[string]time.Time
}

// NewUseLimiter returns an empty limiter.
func NewUseLimiter() *UseLimiter { return &UseLimiter{last: map[string]time.Time{}} }

// Due reports whether the use at now of the secret id should be written,
// and if so counts it as written.
func (l *UseLimiter) Due(id string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if at, ok := l.last[id]; ok && now.Sub(at) < UseInterval && !now.Before(at) {
		return false
	}
	if len(l.last) >= maxTracked {
		clear(l.last)
	}
	l.last[id] = now
	return true
}
