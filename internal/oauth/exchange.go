package oauth

import (
	"context"
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/token"
)

// TokenExchange answers RFC 8693's grant: a client trades an access token
// it received (one issued to it, or meant for it: its client id or its
// resource URI in the audience) for another, for a client of this tenant
// named in audience, with the same or fewer scopes, never outliving the
// token it trades. With an actor token of the client's own (client
// credentials) the new token says so in act: delegation, not
// impersonation; a token that already has act keeps it. It belongs to the
// same grant, so revoking that grant ends it too.
func (s server) TokenExchange(ctx context.Context, r *op.ClientRequest[oidc.TokenExchangeRequest]) (*op.Response, error) {
	st := storage{s.p}
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	app, err := st.application(ctx, r.Client.GetID())
	if err != nil {
		return nil, err
	}
	if !allows(app, oidc.GrantTypeTokenExchange) {
		return nil, oidc.ErrUnauthorizedClient().WithDescription("the client may not exchange tokens")
	}
	req := r.Data
	switch {
	case req.SubjectTokenType != oidc.AccessTokenType:
		return nil, oidc.ErrInvalidRequest().WithDescription("only access tokens are exchanged (subject_token_type)")
	case req.RequestedTokenType != "" && req.RequestedTokenType != oidc.AccessTokenType:
		return nil, oidc.ErrInvalidRequest().WithDescription("only access tokens are issued (requested_token_type)")
	}
	subject, err := st.inspect(ctx, req.SubjectToken)
	if err != nil || subject.claims == nil {
		return nil, oidc.ErrInvalidRequest().WithDescription("subject_token is invalid")
	}
	sc := subject.claims
	if !heldBy(sc, app) {
		return nil, oidc.ErrInvalidRequest().WithDescription("subject_token was not issued to this client or meant for it")
	}
	// A token of delegation keeps its chain of actors when traded on:
	// dropping act would turn delegation into impersonation.
	actor := sc.Actor
	if req.ActorToken != "" {
		if req.ActorTokenType != oidc.AccessTokenType {
			return nil, oidc.ErrInvalidRequest().WithDescription("only access tokens act (actor_token_type)")
		}
		a, err := st.inspect(ctx, req.ActorToken)
		if err != nil || a.claims == nil || a.claims.SessionID != "" || a.claims.Subject != app.ClientID {
			return nil, oidc.ErrInvalidRequest().WithDescription("actor_token must be the client's own token")
		}
		actor = &token.Actor{Subject: app.ClientID, Actor: sc.Actor}
	}
	scopes := []string(req.Scopes)
	if len(scopes) == 0 {
		scopes = subject.scopes
	}
	for _, s := range scopes {
		if !slices.Contains(subject.scopes, s) {
			return nil, oidc.ErrInvalidScope().WithDescription("scope %s is not in the subject token", s)
		}
	}
	// The new token is for the clients named in audience and the resource
	// servers named in resource (RFC 8707); for the client itself when
	// neither is given. Its roles are those of the first.
	resources, err := st.resolveResources(ctx, req.Resource)
	if err != nil {
		return nil, err
	}
	audience := append([]string(req.Audience), resources...)
	if len(audience) == 0 {
		audience = []string{app.ClientID}
	}
	var target *iam.Application
	for _, aud := range req.Audience {
		a, err := s.p.apps.ByClientID(ctx, t.ID, aud)
		if err != nil {
			return nil, oidc.ErrInvalidTarget().WithDescription("audience %s is not a client of this tenant", aud)
		}
		if target == nil {
			target = a
		}
	}
	if target == nil && len(resources) > 0 {
		if target, err = s.p.store.GetApplicationByResource(ctx, t.ID, resources[0]); err != nil {
			return nil, oauthError(err)
		}
	}
	if target == nil {
		target = app
	}
	now := s.p.now()
	ttl := min(app.AccessTokenTTL, sc.Expiry.Time().Sub(now))
	g := token.Grant{Issuer: s.p.baseURL(t), TenantID: t.ID, Subject: sc.Subject, SessionID: sc.SessionID, ClientID: app.ClientID,
		Audience: audience, Scopes: scopes, AMR: sc.AMR, TTL: ttl, Actor: actor}
	if sc.AuthTime != 0 {
		g.AuthTime = time.Unix(sc.AuthTime, 0)
	}
	if subject.user != nil {
		if g.Roles, err = s.p.store.ApplicationRolesFor(ctx, t.ID, target.ID, subject.user.ID); err != nil {
			return nil, oauthError(err)
		}
	}
	e := issuedEvent(ctx, now, app, "oauth.token.exchanged", string(oidc.GrantTypeTokenExchange), sc.Subject, sc.SessionID, scopes)
	e.Details["audience"] = audience
	e.Details["delegation"] = actor != nil
	if err := s.p.audit.Append(ctx, e); err != nil {
		return nil, oauthError(err)
	}
	access, exp, err := st.issue(app, g)
	if err != nil {
		return nil, oauthError(err)
	}
	return op.NewResponse(&oidc.TokenExchangeResponse{AccessToken: access, IssuedTokenType: oidc.AccessTokenType,
		TokenType: oidc.BearerToken, ExpiresIn: uint64(exp.Sub(now).Seconds()), Scopes: scopes}), nil
}

// heldBy reports whether app may trade a token with claims c: issued to
// it, or meant for it, by its client id or its resource URI.
func heldBy(c *token.AccessClaims, app *iam.Application) bool {
	return c.ClientID == app.ClientID || c.Audience.Contains(app.ClientID) ||
		(app.ResourceURI != "" && c.Audience.Contains(app.ResourceURI))
}
