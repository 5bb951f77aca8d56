package application

import (
	"context"
	"sync"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// clientTTL bounds how long an application read for its client id is
// trusted: the time a change made on another replica takes to apply here.
// A change made on this replica applies at once.
const clientTTL = time.Second

// maxClients bounds the cache; past it, the cache starts over.
const maxClients = 10_000

// clientCache keeps applications by tenant and client id: the token and
// introspection endpoints read one on every request.
type clientCache struct {
	mu   sync.Mutex
	apps map[clientKey]cachedClient
	// gen grows with each forget, so that a read that began before a change
	// does not put what it read after the change was forgotten.
	gen uint64
}

type clientKey struct{ tenantID, clientID string }

type cachedClient struct {
	app     *iam.Application
	expires time.Time
}

func (c *clientCache) get(k clientKey, now time.Time) (*iam.Application, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.apps[k]
	if !ok || !now.Before(e.expires) {
		return nil, c.gen, false
	}
	return e.app, c.gen, true
}

func (c *clientCache) put(gen uint64, k clientKey, app *iam.Application, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.apps == nil || len(c.apps) >= maxClients {
		c.apps = map[clientKey]cachedClient{}
	}
	c.apps[k] = cachedClient{app: app, expires: now.Add(clientTTL)}
}

func (c *clientCache) forgetAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.apps = nil
}

// ByClientID returns the tenant's application with clientID, read at most
// clientTTL ago. The application is shared: callers must not change it.
// Errors: CodeNotFound.
func (s *Service) ByClientID(ctx context.Context, tenantID, clientID string) (*iam.Application, error) {
	k := clientKey{tenantID, clientID}
	now := s.now()
	app, gen, ok := s.clients.get(k, now)
	if ok {
		return app, nil
	}
	app, err := s.store.GetApplicationByClientID(ctx, tenantID, clientID)
	if err != nil {
		return nil, err
	}
	s.clients.put(gen, k, app, now)
	return app, nil
}
