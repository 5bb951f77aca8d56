package account

import (
	"context"
	"sync"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// principalTTL bounds how long a session's state is trusted without reading
// the store: the time a revocation made on another replica takes to apply here.
const principalTTL = time.Second

var errInvalidAccess = iam.Errorf(iam.CodeInvalidToken, "the access token is invalid or expired")

// Authenticate turns an access token presented to the tenant in ctx into the
// caller: the token must verify, belong to this tenant, and its session and
// user must still be active.
func (s *Service) Authenticate(ctx context.Context, raw string) (*iam.Principal, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	claims, err := s.issuer.Verify(ctx, raw, s.baseURL(t))
	if err != nil {
		return nil, err
	}
	if claims.TenantID != t.ID {
		return nil, errInvalidAccess
	}
	base, err := s.sessionState(ctx, t.ID, claims.SessionID)
	if err != nil {
		return nil, err
	}
	if base == nil || base.UserID != claims.Subject {
		return nil, errInvalidAccess
	}
	p := *base
	p.TokenID, p.AMR, p.ExpiresAt = claims.ID, claims.AMR, claims.Expiry.Time()
	return &p, nil
}

// sessionState returns the principal of an active session, or nil when the
// session or its user is no longer active.
func (s *Service) sessionState(ctx context.Context, tenantID, sessionID string) (*iam.Principal, error) {
	if p, ok := s.cache.get(sessionID); ok {
		return p, nil
	}
	gen := s.cache.generation()
	sess, err := s.store.GetSession(ctx, tenantID, sessionID)
	if iam.IsCode(err, iam.CodeNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !sess.Active(s.now()) {
		s.cache.put(gen, sessionID, "", nil)
		return nil, nil
	}
	u, err := s.store.GetUser(ctx, tenantID, sess.UserID)
	if iam.IsCode(err, iam.CodeNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if u.Status != iam.UserActive {
		s.cache.put(gen, sessionID, u.ID, nil)
		return nil, nil
	}
	roles, err := s.store.UserAdminRoles(ctx, tenantID, u.ID)
	if err != nil {
		return nil, err
	}
	perms := []string{}
	for _, r := range roles {
		perms = append(perms, r.Permissions...)
	}
	p := &iam.Principal{Kind: iam.PrincipalUser, ID: u.ID, TenantID: tenantID, UserID: u.ID, SessionID: sess.ID, User: u, Permissions: perms}
	s.cache.put(gen, sessionID, u.ID, p)
	return p, nil
}

// principalCache remembers session states for principalTTL. A nil principal
// records an inactive session. Every forget bumps gen, and a state read
// before a forget is not remembered, so that a change racing a cache miss
// still applies at once.
type principalCache struct {
	now     func() time.Time
	mu      sync.Mutex
	gen     uint64
	entries map[string]cachedPrincipal
}

type cachedPrincipal struct {
	userID   string
	p        *iam.Principal
	loadedAt time.Time
}

// maxPrincipals bounds the cache; beyond it, it is emptied and refilled.
const maxPrincipals = 100_000

func newPrincipalCache(now func() time.Time) *principalCache {
	return &principalCache{now: now, entries: map[string]cachedPrincipal{}}
}

func (c *principalCache) get(sessionID string) (*iam.Principal, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[sessionID]
	if !ok || c.now().Sub(e.loadedAt) >= principalTTL {
		return nil, false
	}
	return e.p, true
}

// generation is taken before reading a state that put may remember.
func (c *principalCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

func (c *principalCache) put(gen uint64, sessionID, userID string, p *iam.Principal) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if len(c.entries) >= maxPrincipals {
		clear(c.entries)
	}
	c.entries[sessionID] = cachedPrincipal{userID: userID, p: p, loadedAt: c.now()}
}

func (c *principalCache) forgetSession(sessionID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.entries, sessionID)
}

func (c *principalCache) forgetUser(userID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for id, e := range c.entries {
		if e.userID == userID {
			delete(c.entries, id)
		}
	}
}

func (c *principalCache) forgetAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.entries)
}
