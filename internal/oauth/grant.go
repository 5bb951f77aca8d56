package oauth

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/secret"
	"github.com/gatehouse-iam/gatehouse/internal/token"
)

var errInvalidRefresh = oidc.ErrInvalidGrant().WithDescription("the refresh token is invalid or expired")

// issued audits a grant's tokens in tx.
func issued(ctx context.Context, tx iam.Tx, now time.Time, app *iam.Application, action, grantType, subject, sessionID string, scopes []string) error {
	return tx.AppendAudit(ctx, issuedEvent(ctx, now, app, action, grantType, subject, sessionID, scopes))
}

func issuedEvent(ctx context.Context, now time.Time, app *iam.Application, action, grantType, subject, sessionID string, scopes []string) *iam.AuditEvent {
	details := map[string]any{"grant_type": grantType, "client_id": app.ClientID, "scopes": scopes, "subject": subject}
	if sessionID != "" {
		details["session_id"] = sessionID
	}
	client := iam.Ref{Type: string(iam.PrincipalApplication), ID: app.ID}
	if serviceAccountClient(app.ClientID) {
		client.Type = string(iam.PrincipalServiceAccount)
	}
	e := audit.Event(ctx, now, app.TenantID, action, client, iam.ResultSuccess, details)
	e.Actor = client
	return e
}

// grantRequest is a user's grant about to open: an exchanged code or an
// approved device.
type grantRequest struct {
	clientID  string
	grantType string
	sessionID string
	userID    string
	scopes    []string
	resources []string
	amr       []string
	authTime  *time.Time
	// browserSessionID is the browser session the user signed in with,
	// whose external provider, if any, the grant records.
	browserSessionID string
}

// openGrant opens a user's grant: a session of the user with the
// application, with a refresh token when the request asked for offline
// access.
func (s storage) openGrant(ctx context.Context, r grantRequest, withRefresh bool) (string, string, time.Time, error) {
	app, err := s.application(ctx, r.clientID)
	if err != nil {
		return "", "", time.Time{}, err
	}
	now := s.now()
	meta := iam.RequestMetaFrom(ctx)
	ttl := app.AccessTokenTTL
	if withRefresh {
		ttl = app.RefreshTokenTTL
	}
	grant := &iam.Session{ID: r.sessionID, TenantID: app.TenantID, UserID: r.userID, CreatedAt: now,
		LastSeenAt: now, ExpiresAt: now.Add(ttl), IP: meta.IP, UserAgent: meta.UserAgent, AMR: r.amr,
		ApplicationID: app.ID, Scopes: r.scopes, Resources: r.resources, AuthTime: r.authTime}
	if r.browserSessionID != "" {
		if bs, err := s.store.GetSession(ctx, app.TenantID, r.browserSessionID); err == nil {
			grant.FederatedProviderID = bs.FederatedProviderID
		}
	}
	var refresh string
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		u, err := tx.GetUser(ctx, app.TenantID, grant.UserID)
		if err != nil || u.Status != iam.UserActive {
			return errNoRequest
		}
		if err := tx.CreateSession(ctx, grant); err != nil {
			return err
		}
		if withRefresh {
			var rt *iam.RefreshToken
			refresh, rt = newRefreshToken(grant, now)
			if err := tx.CreateRefreshToken(ctx, rt); err != nil {
				return err
			}
		}
		return issued(ctx, tx, now, app, "oauth.token.issued", r.grantType, grant.UserID, grant.ID, grant.Scopes)
	})
	if err != nil {
		return "", "", time.Time{}, oauthError(err)
	}
	access, exp, err := s.accessToken(ctx, app, grant, grant.Scopes)
	return access, refresh, exp, err
}

// codeGrant is the grant an exchanged code opens, under the id its
// exchange claimed.
func codeGrant(r *authRequest) grantRequest {
	return grantRequest{clientID: r.ClientID, grantType: string(oidc.GrantTypeCode), sessionID: r.stored.GrantSessionID,
		userID: r.stored.UserID, scopes: r.Scopes, resources: r.Resources, amr: r.stored.AMR, authTime: r.stored.AuthTime,
		browserSessionID: r.stored.BrowserSessionID}
}

func newRefreshToken(grant *iam.Session, now time.Time) (string, *iam.RefreshToken) {
	raw := secret.New(secret.RefreshToken)
	return raw, &iam.RefreshToken{ID: newID(), TenantID: grant.TenantID, SessionID: grant.ID,
		Hash: secret.Hash(raw), CreatedAt: now, ExpiresAt: grant.ExpiresAt}
}

// accessToken signs an access token of a user's grant.
func (s storage) accessToken(ctx context.Context, app *iam.Application, grant *iam.Session, scopes []string) (string, time.Time, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return "", time.Time{}, err
	}
	// The roles are those the user holds in the application the token is
	// for: the first resource asked for, or else the client.
	target := app.ID
	if len(grant.Resources) > 0 {
		res, err := s.store.GetApplicationByResource(ctx, t.ID, grant.Resources[0])
		if err != nil {
			return "", time.Time{}, oidc.ErrInvalidTarget().WithDescription("resource %q is gone", grant.Resources[0])
		}
		target = res.ID
	}
	roles, err := s.store.ApplicationRolesFor(ctx, t.ID, target, grant.UserID)
	if err != nil {
		return "", time.Time{}, oauthError(err)
	}
	audience := audienceOf(app, grant.Resources)
	if app.APIAccess {
		// Gatehouse's own API takes tokens meant for its issuer.
		audience = append(audience, s.baseURL(t))
	}
	access, exp, err := s.issue(app, token.Grant{Issuer: s.baseURL(t), TenantID: t.ID, Subject: grant.UserID,
		SessionID: grant.ID, ClientID: app.ClientID, Audience: audience, Scopes: scopes, AMR: grant.AMR,
		Roles: roles, AuthTime: grant.AuthenticatedAt(), TTL: app.AccessTokenTTL})
	if err != nil {
		return "", time.Time{}, oauthError(err)
	}
	return access, exp, nil
}

// issue makes g's access token in the application's format: a JWT
// (RFC 9068), or opaque, sealed with the master key.
func (s storage) issue(app *iam.Application, g token.Grant) (string, time.Time, error) {
	if app.AccessTokenFormat == "opaque" {
		return s.issuer.SealGrant(g, s.sealer)
	}
	return s.issuer.IssueGrant(g)
}

// clientToken signs an application's own access token (client
// credentials): its subject is the client, and no user stands behind it.
func (s storage) clientToken(ctx context.Context, r *clientRequest) (string, time.Time, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return "", time.Time{}, err
	}
	e := issuedEvent(ctx, s.now(), r.app, "oauth.token.issued", string(r.grantType), r.app.ClientID, "", r.scopes)
	if err := s.audit.Append(ctx, e); err != nil {
		return "", time.Time{}, oauthError(err)
	}
	access, exp, err := s.issue(r.app, token.Grant{Issuer: s.baseURL(t), TenantID: t.ID, Subject: r.app.ClientID,
		ClientID: r.app.ClientID, Audience: audienceOf(r.app, r.resources), Scopes: r.scopes, TTL: r.app.AccessTokenTTL})
	if err != nil {
		return "", time.Time{}, oauthError(err)
	}
	return access, exp, nil
}

// refreshGrant finds the live grant of a refresh token presented to this
// tenant. A token already rotated is a sign of theft: the grant ends (RFC
// 9700 §4.14.2).
func (s storage) refreshGrant(ctx context.Context, raw string) (*iam.RefreshToken, *iam.Session, *iam.Application, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	if k, ok := secret.Parse(raw); !ok || k != secret.RefreshToken {
		return nil, nil, nil, errInvalidRefresh
	}
	rt, err := s.store.RefreshTokenByHash(ctx, secret.Hash(raw))
	if iam.IsCode(err, iam.CodeNotFound) || (err == nil && rt.TenantID != t.ID) {
		return nil, nil, nil, errInvalidRefresh
	}
	if err != nil {
		return nil, nil, nil, oauthError(err)
	}
	grant, err := s.store.GetSession(ctx, t.ID, rt.SessionID)
	if err != nil || grant.ApplicationID == "" {
		// A sign-in's refresh token is for /api/v1/auth/refresh only.
		return nil, nil, nil, errInvalidRefresh
	}
	if rt.RotatedAt != nil {
		return nil, nil, nil, s.refreshReused(ctx, rt, grant.UserID)
	}
	now := s.now()
	if !now.Before(rt.ExpiresAt) || !grant.Active(now) {
		return nil, nil, nil, errInvalidRefresh
	}
	app, err := s.store.GetApplication(ctx, t.ID, grant.ApplicationID)
	if err != nil {
		return nil, nil, nil, errInvalidRefresh
	}
	return rt, grant, app, nil
}

func (s storage) refreshReused(ctx context.Context, rt *iam.RefreshToken, userID string) error {
	now := s.now()
	err := s.store.InTx(ctx, func(tx iam.Tx) error { return endReused(ctx, tx, rt, now) })
	if err != nil {
		return oauthError(err)
	}
	s.sessionsEnded(userID)
	return errInvalidRefresh
}

func endReused(ctx context.Context, tx iam.Tx, rt *iam.RefreshToken, now time.Time) error {
	if err := tx.RevokeSession(ctx, rt.TenantID, rt.SessionID, now); err != nil {
		return err
	}
	return tx.AppendAudit(ctx, audit.Event(ctx, now, rt.TenantID, "oauth.refresh.reuse_detected",
		iam.Ref{Type: "session", ID: rt.SessionID}, iam.ResultFailure, map[string]any{"refresh_token_id": rt.ID}))
}

// refresh rotates a grant's refresh token. Of two uses of one token only
// one rotates it; the other is reuse and ends the grant, the winner's
// tokens with it.
func (s storage) refresh(ctx context.Context, r *refreshRequest) (string, string, time.Time, error) {
	app, err := s.application(ctx, r.clientID)
	if err != nil {
		return "", "", time.Time{}, err
	}
	now := s.now()
	var (
		refresh string
		reused  bool
		grant   *iam.Session
	)
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		if err := tx.LockSession(ctx, app.TenantID, r.grant.ID); err != nil {
			return err
		}
		won, err := tx.MarkRefreshTokenRotated(ctx, r.token.ID, now)
		if err != nil {
			return err
		}
		if !won {
			reused = true
			return endReused(ctx, tx, r.token, now)
		}
		if grant, err = tx.GetSession(ctx, app.TenantID, r.grant.ID); err != nil {
			return err
		}
		u, err := tx.GetUser(ctx, app.TenantID, grant.UserID)
		if err != nil || u.Status != iam.UserActive || !grant.Active(now) {
			return errInvalidRefresh
		}
		grant.LastSeenAt, grant.ExpiresAt = now, now.Add(app.RefreshTokenTTL)
		if err := tx.TouchSession(ctx, app.TenantID, grant.ID, grant.LastSeenAt, grant.ExpiresAt); err != nil {
			return err
		}
		var rt *iam.RefreshToken
		refresh, rt = newRefreshToken(grant, now)
		if err := tx.CreateRefreshToken(ctx, rt); err != nil {
			return err
		}
		return issued(ctx, tx, now, app, "oauth.token.refreshed", string(oidc.GrantTypeRefreshToken), grant.UserID, grant.ID, r.scopes)
	})
	if err != nil {
		return "", "", time.Time{}, oauthError(err)
	}
	if reused {
		s.sessionsEnded(r.grant.UserID)
		return "", "", time.Time{}, errInvalidRefresh
	}
	access, exp, err := s.accessToken(ctx, app, grant, r.scopes)
	return access, refresh, exp, err
}

// inspection is what a presented access token stands for.
type inspection struct {
	tenantID string
	claims   *token.AccessClaims // nil for an opaque token
	app      *iam.Application    // nil for a token of no application
	user     *iam.User           // nil for a client's own token
	scopes   []string
	opaque   *iam.Principal
}

var errInactive = oidc.ErrInvalidRequest().WithDescription("the token is not active")

// inspect verifies a token presented to this tenant's issuer: an access
// token of a grant, a client or a sign-in, whose session and user are
// still active; or any opaque token Gatehouse issues (personal access
// tokens, API credentials).
func (s storage) inspect(ctx context.Context, raw string) (*inspection, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	c, err := s.accessClaims(ctx, t, raw)
	if errors.Is(err, errNotAccessToken) {
		p, err := s.bearer.Authenticate(ctx, raw)
		if err != nil {
			return nil, errInactive
		}
		return &inspection{tenantID: t.ID, opaque: p, user: p.User}, nil
	}
	if err != nil || c.TenantID != t.ID {
		return nil, errInactive
	}
	in := &inspection{tenantID: t.ID, claims: c, scopes: strings.Fields(c.Scope)}
	if c.ClientID != "" {
		if in.app, err = s.application(ctx, c.ClientID); err != nil {
			return nil, errInactive
		}
	}
	if c.SessionID == "" {
		if in.app == nil || c.Subject != in.app.ClientID {
			return nil, errInactive
		}
		return in, nil
	}
	now := s.now()
	grant, err := s.store.GetSession(ctx, t.ID, c.SessionID)
	if err != nil || !grant.Active(now) || grant.UserID != c.Subject {
		return nil, errInactive
	}
	if in.user, err = s.store.GetUser(ctx, t.ID, grant.UserID); err != nil || in.user.Status != iam.UserActive {
		return nil, errInactive
	}
	return in, nil
}

var errNotAccessToken = errors.New("not an access token of an OAuth grant")

// accessClaims verifies an access token issued by t's issuer: a JWT or an
// opaque sealed one. errNotAccessToken for another kind of token.
func (s storage) accessClaims(ctx context.Context, t *iam.Tenant, raw string) (*token.AccessClaims, error) {
	switch {
	case strings.HasPrefix(raw, token.OpaquePrefix):
		return s.issuer.OpenSealed(raw, s.baseURL(t), s.sealer)
	case strings.Count(raw, ".") == 2:
		return s.issuer.VerifyIssued(ctx, raw, s.baseURL(t))
	}
	return nil, errNotAccessToken
}

// describe fills an introspection answer (RFC 7662 §2.2).
func (in *inspection) describe(resp *oidc.IntrospectionResponse) {
	resp.TokenType = oidc.BearerToken
	if in.user != nil {
		resp.Username = in.user.Email
	}
	if p := in.opaque; p != nil {
		resp.Subject = p.ID
		if p.UserID != "" {
			resp.Subject = p.UserID
		}
		if !p.ExpiresAt.IsZero() {
			resp.Expiration = oidc.FromTime(p.ExpiresAt)
		}
		return
	}
	c := in.claims
	resp.Scope = in.scopes
	resp.ClientID = c.ClientID
	resp.Subject = c.Subject
	resp.Issuer = c.Issuer
	resp.Audience = oidc.Audience(c.Audience)
	resp.Expiration = oidc.FromTime(c.Expiry.Time())
	resp.IssuedAt = oidc.FromTime(c.IssuedAt.Time())
	resp.JWTID = c.ID
	if len(c.Roles) > 0 {
		resp.Claims = map[string]any{"roles": c.Roles}
	}
}

// revoke ends what a token of clientID grants (RFC 7009): the whole grant
// of a refresh token or of a grant's access token. A token that is not
// active, or not of Gatehouse, needs no revoking; an access token of a
// client's own lives out its short life.
func (s storage) revoke(ctx context.Context, raw, clientID string) *oidc.Error {
	t := iam.TenantFrom(ctx)
	if t == nil {
		return oidc.ErrServerError()
	}
	var sessionID string
	if k, ok := secret.Parse(raw); ok && k == secret.RefreshToken {
		rt, err := s.store.RefreshTokenByHash(ctx, secret.Hash(raw))
		if err != nil || rt.TenantID != t.ID {
			return nil
		}
		sessionID = rt.SessionID
	} else {
		c, err := s.accessClaims(ctx, t, raw)
		if err != nil || c.TenantID != t.ID {
			return nil
		}
		if c.ClientID != clientID {
			return oidc.ErrUnauthorizedClient().WithDescription("the token was not issued to this client")
		}
		sessionID = c.SessionID
	}
	if sessionID == "" {
		return nil
	}
	grant, err := s.store.GetSession(ctx, t.ID, sessionID)
	if err != nil || grant.ApplicationID == "" {
		return nil
	}
	app, err := s.application(ctx, clientID)
	if err != nil {
		return oidc.ErrUnauthorizedClient().WithDescription("the token was not issued to this client")
	}
	if app.ID != grant.ApplicationID {
		// An access token this client obtained by token exchange belongs
		// to another application's grant, which it may not end.
		return &oidc.Error{ErrorType: "unsupported_token_type", // RFC 7009 §2.2.1
			Description: "an access token obtained by token exchange ends with the grant it came from or at its expiry, not alone"}
	}
	now := s.now()
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		if err := tx.RevokeSession(ctx, t.ID, grant.ID, now); err != nil {
			return err
		}
		e := audit.Event(ctx, now, t.ID, "oauth.token.revoked", iam.Ref{Type: "session", ID: grant.ID}, iam.ResultSuccess,
			map[string]any{"client_id": clientID, "user_id": grant.UserID})
		e.Actor = iam.Ref{Type: string(iam.PrincipalApplication), ID: app.ID}
		return tx.AppendAudit(ctx, e)
	})
	if err != nil {
		return oauthError(err)
	}
	s.sessionsEnded(grant.UserID)
	return nil
}

// userinfo sets the claims the scopes ask for (OpenID Connect Core §5.4)
// and the roles the user holds in the application.
func (s storage) userinfo(ctx context.Context, info *oidc.UserInfo, tenantID string, app *iam.Application, userID string, scopes []string) error {
	u, err := s.store.GetUser(ctx, tenantID, userID)
	if err != nil {
		return oauthError(err)
	}
	info.Subject = u.ID
	if slices.Contains(scopes, oidc.ScopeProfile) && u.Name != "" {
		info.Name = u.Name
	}
	if slices.Contains(scopes, oidc.ScopeEmail) {
		info.Email = u.Email
		info.EmailVerified = oidc.Bool(u.EmailVerified)
	}
	if app == nil {
		return nil
	}
	roles, err := s.store.ApplicationRolesFor(ctx, tenantID, app.ID, u.ID)
	if err != nil {
		return oauthError(err)
	}
	if len(roles) > 0 {
		info.AppendClaims("roles", roles)
	}
	return nil
}

// oauthError passes an OAuth error on, answers a request the store refuses
// as invalid (text PostgreSQL cannot hold, such as a NUL or invalid UTF-8)
// with invalid_request, and turns any other error into server_error.
func oauthError(err error) *oidc.Error {
	if e, ok := errors.AsType[*oidc.Error](err); ok {
		return e
	}
	if e, ok := errors.AsType[*iam.Error](err); ok && e.Code == iam.CodeInvalid {
		return oidc.ErrInvalidRequest().WithDescription("%s", e.Message)
	}
	return oidc.ErrServerError().WithParent(err)
}
