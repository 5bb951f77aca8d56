package account

import (
	"context"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// maxPrincipals bounds the cache of session states.
const maxPrincipals = 100_000

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
	// A token without a session is an application's own (client
	// credentials): it acts for no user here.
	if claims.TenantID != t.ID || claims.SessionID == "" {
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
	if p, ok := s.cache.Get(sessionID, s.now()); ok {
		return p, nil
	}
	gen := s.cache.Generation()
	sess, err := s.store.GetSession(ctx, tenantID, sessionID)
	if iam.IsCode(err, iam.CodeNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !sess.Active(s.now()) {
		s.cache.Put(gen, sessionID, "", nil, s.now())
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
		s.cache.Put(gen, sessionID, u.ID, nil, s.now())
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
	s.cache.Put(gen, sessionID, u.ID, p, s.now())
	return p, nil
}
