package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/gatehouse-iam/gatehouse/internal/application"
	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/secret"
	"github.com/gatehouse-iam/gatehouse/internal/token"
)

// loginWindow is how long an authorization request waits for its user to
// sign in; codeTTL how long its code may then be exchanged.
const (
	loginWindow = 30 * time.Minute
	codeTTL     = time.Minute
)

// storage is Gatehouse's stores as zitadel/oidc's op.Storage: the library
// parses and checks the protocol, storage answers from the tenant of the
// request in ctx and decides what is granted.
type storage struct{ *Provider }

var (
	_ op.Storage                        = storage{}
	_ op.ClientCredentialsStorage       = storage{}
	_ op.CanSetUserinfoFromRequest      = storage{}
	_ op.CanGetPrivateClaimsFromRequest = storage{}
)

func newID() string { return uuid.Must(uuid.NewV7()).String() }

var errNoTenant = errors.New("oauth: no tenant in the request")

func tenantOf(ctx context.Context) (*iam.Tenant, error) {
	t := iam.TenantFrom(ctx)
	if t == nil {
		return nil, oidc.ErrServerError().WithParent(errNoTenant)
	}
	return t, nil
}

// application finds the tenant's application with clientID and remembers
// it for the request (see requestState).
func (s storage) application(ctx context.Context, clientID string) (*iam.Application, error) {
	if st := stateOf(ctx); st != nil && st.app != nil && st.app.ClientID == clientID {
		return st.app, nil
	}
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	var app *iam.Application
	if serviceAccountClient(clientID) {
		var sa *iam.ServiceAccount
		if sa, _, err = s.sas.PublicKeys(ctx, clientID); err == nil {
			app = asApplication(sa)
		}
	} else {
		app, err = s.apps.ByClientID(ctx, t.ID, clientID)
	}
	// A client id the store cannot even hold (a NUL, invalid UTF-8) names
	// no client either.
	if iam.IsCode(err, iam.CodeNotFound) || iam.IsCode(err, iam.CodeInvalid) {
		return nil, oidc.ErrInvalidClient().WithDescription("unknown client")
	}
	if err != nil {
		return nil, oauthError(err)
	}
	if st := stateOf(ctx); st != nil {
		st.app = app
	}
	return app, nil
}

func (s storage) GetClientByClientID(ctx context.Context, clientID string) (op.Client, error) {
	app, err := s.application(ctx, clientID)
	if err != nil {
		return nil, err
	}
	return client{app}, nil
}

func (s storage) AuthorizeClientIDSecret(ctx context.Context, clientID, clientSecret string) error {
	var (
		app *iam.Application
		err error
	)
	if serviceAccountClient(clientID) {
		var sa *iam.ServiceAccount
		if sa, err = s.sas.VerifyClientSecret(ctx, clientID, clientSecret); err == nil {
			app = asApplication(sa)
		}
	} else {
		app, err = s.apps.VerifyClientSecret(ctx, clientID, clientSecret)
	}
	if iam.IsCode(err, iam.CodeInvalidCredentials) || iam.IsCode(err, iam.CodeInvalid) {
		return oidc.ErrInvalidClient().WithDescription("client authentication failed")
	}
	if err != nil {
		return oauthError(err)
	}
	if st := stateOf(ctx); st != nil {
		st.app = app
	}
	return nil
}

// CreateAuthRequest keeps a request the library has checked against the
// client (redirect URI, response type) after Gatehouse's own rules: the
// application's scopes only, and PKCE with S256 where it is required or
// used at all (RFC 9700 §2.1.1). hintSubject is the user of the request's
// id_token_hint, which the library has verified, "" for none.
func (s storage) CreateAuthRequest(ctx context.Context, req *oidc.AuthRequest, hintSubject string) (op.AuthRequest, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	app, err := s.application(ctx, req.ClientID)
	if err != nil {
		return nil, err
	}
	// The library has dropped the scopes it does not know; they are
	// refused here like the ones the client may not ask for.
	requested := req.Scopes
	if st := stateOf(ctx); st != nil && st.scope != "" {
		requested = strings.Fields(st.scope)
	}
	for _, sc := range requested {
		if !slices.Contains(app.AllowedScopes, sc) {
			return nil, oidc.ErrInvalidScope().WithDescription("scope %s is not allowed for this client", sc)
		}
	}
	switch {
	case req.CodeChallenge == "" && app.RequirePKCE:
		return nil, oidc.ErrInvalidRequest().WithDescription("this client must use PKCE (code_challenge with S256)")
	case req.CodeChallenge != "" && req.CodeChallengeMethod != oidc.CodeChallengeMethodS256:
		return nil, oidc.ErrInvalidRequest().WithDescription("code_challenge_method must be S256")
	}
	var resources []string
	if st := stateOf(ctx); st != nil {
		if resources, err = s.resolveResources(ctx, st.resources); err != nil {
			return nil, err
		}
	}
	sr := storedRequest{AuthRequest: *req, Resources: resources, HintSubject: hintSubject}
	encoded, err := json.Marshal(sr)
	if err != nil {
		return nil, oauthError(err)
	}
	now := s.now()
	stored := &iam.AuthRequest{ID: newID(), TenantID: t.ID, ApplicationID: app.ID, Request: encoded,
		CreatedAt: now, ExpiresAt: now.Add(loginWindow)}
	if err := s.store.CreateAuthRequest(ctx, stored); err != nil {
		return nil, oauthError(err)
	}
	return &authRequest{stored: stored, storedRequest: sr}, nil
}

// resolveResources checks the resources a request names (RFC 8707): each
// must be the resource URI of an application of the tenant. It returns
// them once each, in order.
func (s storage) resolveResources(ctx context.Context, uris []string) ([]string, error) {
	if len(uris) == 0 {
		return nil, nil
	}
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(uris))
	for _, uri := range uris {
		if slices.Contains(out, uri) {
			continue
		}
		// The issuer as a token's audience makes it valid on /api/v1: an
		// application stored with it as its resource before that was
		// refused must not pass it on.
		if application.IsIssuer(uri, s.baseURL(t)) {
			return nil, oidc.ErrInvalidTarget().WithDescription("resource %q is not a resource server of this tenant", uri)
		}
		if _, err := s.store.GetApplicationByResource(ctx, t.ID, uri); err != nil {
			if iam.IsCode(err, iam.CodeNotFound) {
				return nil, oidc.ErrInvalidTarget().WithDescription("resource %q is not a resource server of this tenant", uri)
			}
			return nil, oauthError(err)
		}
		out = append(out, uri)
	}
	return out, nil
}

// audienceOf is whom an access token of app is for: the resources asked
// for, or else the application itself.
func audienceOf(app *iam.Application, resources []string) []string {
	if len(resources) > 0 {
		return resources
	}
	return []string{app.ClientID}
}

// errNoRequest is every answer about an authorization request or code that
// is unknown, of another tenant, expired or used.
var errNoRequest = oidc.ErrInvalidGrant().WithDescription("the authorization request or code is invalid or expired")

func (s storage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	if uuid.Validate(id) != nil {
		return nil, errNoRequest
	}
	stored, err := s.store.GetAuthRequest(ctx, t.ID, id)
	if iam.IsCode(err, iam.CodeNotFound) {
		return nil, errNoRequest
	}
	if err != nil {
		return nil, oauthError(err)
	}
	if !s.now().Before(stored.ExpiresAt) || stored.CodeHash != "" {
		return nil, errNoRequest
	}
	return decodeAuthRequest(stored)
}

// AuthRequestByCode claims a code for the one exchange it allows. A code
// presented again ends the grant its first exchange opened (RFC 6749
// §4.1.2): whoever holds it now may have stolen it.
func (s storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	stored, err := s.store.AuthRequestByCodeHash(ctx, secret.Hash(code))
	if iam.IsCode(err, iam.CodeNotFound) || (err == nil && stored.TenantID != t.ID) {
		return nil, errNoRequest
	}
	if err != nil {
		return nil, oauthError(err)
	}
	if stored.GrantSessionID != "" {
		return nil, s.codeReused(ctx, stored)
	}
	if !s.now().Before(stored.ExpiresAt) {
		return nil, errNoRequest
	}
	grant := newID()
	won, err := s.store.ClaimAuthRequest(ctx, t.ID, stored.ID, grant)
	if err != nil {
		return nil, oauthError(err)
	}
	if !won {
		stored, err = s.store.GetAuthRequest(ctx, t.ID, stored.ID)
		if err != nil {
			return nil, oauthError(err)
		}
		return nil, s.codeReused(ctx, stored)
	}
	stored.GrantSessionID = grant
	return decodeAuthRequest(stored)
}

// codeReused ends what the first exchange of a code issued, and audits it.
func (s storage) codeReused(ctx context.Context, stored *iam.AuthRequest) error {
	now := s.now()
	err := s.store.InTx(ctx, func(tx iam.Tx) error {
		err := tx.RevokeSession(ctx, stored.TenantID, stored.GrantSessionID, now)
		if err != nil && !iam.IsCode(err, iam.CodeNotFound) {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, now, stored.TenantID, "oauth.code.reused",
			iam.Ref{Type: "session", ID: stored.GrantSessionID}, iam.ResultFailure,
			map[string]any{"application_id": stored.ApplicationID, "user_id": stored.UserID}))
	})
	if err != nil {
		return oauthError(err)
	}
	s.sessionsEnded(stored.UserID)
	return errNoRequest
}

func (s storage) SaveAuthCode(ctx context.Context, id, code string) error {
	t, err := tenantOf(ctx)
	if err != nil {
		return err
	}
	ok, err := s.store.SetAuthRequestCode(ctx, t.ID, id, secret.Hash(code), s.now().Add(codeTTL))
	if err != nil {
		return oauthError(err)
	}
	if !ok {
		return errNoRequest
	}
	return nil
}

// DeleteAuthRequest forgets a request, except one whose code was
// exchanged: that one stays until it expires, so that a second use of the
// code is known for what it is.
func (s storage) DeleteAuthRequest(ctx context.Context, id string) error {
	t, err := tenantOf(ctx)
	if err != nil {
		return err
	}
	stored, err := s.store.GetAuthRequest(ctx, t.ID, id)
	if iam.IsCode(err, iam.CodeNotFound) {
		return nil
	}
	if err != nil {
		return oauthError(err)
	}
	if stored.GrantSessionID != "" {
		return nil
	}
	if err := s.store.DeleteAuthRequest(ctx, t.ID, id); err != nil && !iam.IsCode(err, iam.CodeNotFound) {
		return oauthError(err)
	}
	return nil
}

func (s storage) CreateAccessToken(ctx context.Context, req op.TokenRequest) (string, time.Time, error) {
	switch r := req.(type) {
	case *authRequest:
		access, _, exp, err := s.openGrant(ctx, codeGrant(r), false)
		return access, exp, err
	case *op.DeviceAuthorizationState:
		access, _, exp, err := s.openGrant(ctx, deviceGrant(r), false)
		return access, exp, err
	case *clientRequest:
		return s.clientToken(ctx, r)
	}
	return "", time.Time{}, oidc.ErrUnsupportedGrantType()
}

func (s storage) CreateAccessAndRefreshTokens(ctx context.Context, req op.TokenRequest, _ string) (string, string, time.Time, error) {
	switch r := req.(type) {
	case *authRequest:
		return s.openGrant(ctx, codeGrant(r), true)
	case *op.DeviceAuthorizationState:
		return s.openGrant(ctx, deviceGrant(r), true)
	case *refreshRequest:
		return s.refresh(ctx, r)
	}
	return "", "", time.Time{}, oidc.ErrUnsupportedGrantType()
}

func (s storage) TokenRequestByRefreshToken(ctx context.Context, raw string) (op.RefreshTokenRequest, error) {
	rt, grant, app, err := s.refreshGrant(ctx, raw)
	if err != nil {
		return nil, err
	}
	return &refreshRequest{token: rt, grant: grant, clientID: app.ClientID, scopes: grant.Scopes}, nil
}

// TerminateSession is not reached: the library asks
// TerminateSessionFromRequest instead.
func (s storage) TerminateSession(context.Context, string, string) error {
	return oidc.ErrServerError().WithDescription("end_session is not served by this method")
}

func (s storage) RevokeToken(ctx context.Context, tok, _, clientID string) *oidc.Error {
	return s.revoke(ctx, tok, clientID)
}

func (s storage) GetRefreshTokenInfo(ctx context.Context, _ string, raw string) (string, string, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return "", "", err
	}
	if k, ok := secret.Parse(raw); !ok || k != secret.RefreshToken {
		return "", "", op.ErrInvalidRefreshToken
	}
	rt, err := s.store.RefreshTokenByHash(ctx, secret.Hash(raw))
	if iam.IsCode(err, iam.CodeNotFound) || (err == nil && rt.TenantID != t.ID) {
		return "", "", op.ErrInvalidRefreshToken
	}
	if err != nil {
		return "", "", err
	}
	grant, err := s.store.GetSession(ctx, t.ID, rt.SessionID)
	if err != nil {
		return "", "", op.ErrInvalidRefreshToken
	}
	return grant.UserID, raw, nil
}

// SigningKey signs ID tokens: RS256 unless the request's application
// asked for another algorithm (id_token_signed_response_alg).
func (s storage) SigningKey(ctx context.Context) (op.SigningKey, error) {
	alg := jose.RS256
	if st := stateOf(ctx); st != nil && st.app != nil && st.app.IDTokenSignedResponseAlg != "" {
		alg = jose.SignatureAlgorithm(st.app.IDTokenSignedResponseAlg)
	}
	return s.keys.SigningKey(ctx, alg)
}

func (s storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return token.Algorithms, nil
}

func (s storage) KeySet(context.Context) ([]op.Key, error) {
	set := s.keys.JWKS()
	out := make([]op.Key, len(set.Keys))
	for i, k := range set.Keys {
		out[i] = publicKey{k}
	}
	return out, nil
}

// publicKey is a published key as op.Key.
type publicKey struct{ jose.JSONWebKey }

func (k publicKey) ID() string { return k.KeyID }
func (k publicKey) Algorithm() jose.SignatureAlgorithm {
	return jose.SignatureAlgorithm(k.JSONWebKey.Algorithm)
}
func (k publicKey) Use() string { return k.JSONWebKey.Use }
func (k publicKey) Key() any    { return k.JSONWebKey.Key }

// SetUserinfoFromScopes is deprecated in the library, which asks
// SetUserinfoFromRequest instead.
func (s storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

func (s storage) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	t, err := tenantOf(ctx)
	if err != nil {
		return err
	}
	app, err := s.application(ctx, req.GetClientID())
	if err != nil {
		return err
	}
	if err := s.userinfo(ctx, info, t.ID, app, req.GetSubject(), scopes); err != nil {
		return err
	}
	// A sign-in through an external provider names it (idp), beside
	// amr "fed".
	var idp string
	switch r := req.(type) {
	case *authRequest:
		if bs, err := s.store.GetSession(ctx, t.ID, r.stored.BrowserSessionID); err == nil {
			idp = bs.FederatedProviderID
		}
	case *refreshRequest:
		idp = r.grant.FederatedProviderID
	}
	if idp != "" {
		info.AppendClaims("idp", idp)
	}
	return nil
}

func (s storage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tok, _, _ string) error {
	in, err := s.inspect(ctx, tok)
	if err != nil {
		return err
	}
	if in.user == nil || !slices.Contains(in.scopes, oidc.ScopeOpenID) {
		return oidc.ErrAccessDenied().WithDescription("the access token has no openid scope for a user")
	}
	return s.userinfo(ctx, info, in.tenantID, in.app, in.user.ID, in.scopes)
}

// SetIntrospectionFromToken is not reached: the server answers
// introspection itself (server.Introspect); it answers the same.
func (s storage) SetIntrospectionFromToken(ctx context.Context, resp *oidc.IntrospectionResponse, tok, _, _ string) error {
	in, err := s.inspect(ctx, tok)
	if err != nil {
		return err
	}
	in.describe(resp)
	return nil
}

// GetPrivateClaimsFromScopes is not reached: Gatehouse signs its access
// tokens itself, and the library's JWT profile grant is not offered yet.
func (s storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

func (s storage) GetPrivateClaimsFromRequest(context.Context, op.TokenRequest, []string) (map[string]any, error) {
	return nil, nil
}

// GetKeyByIDAndClientID finds a public key of a client: of an
// application's JWKS, or of a service account's keys.
func (s storage) GetKeyByIDAndClientID(ctx context.Context, keyID, clientID string) (*jose.JSONWebKey, error) {
	if serviceAccountClient(clientID) {
		_, keys, err := s.sas.PublicKeys(ctx, clientID)
		if err != nil {
			return nil, oidc.ErrInvalidClient().WithDescription("unknown client")
		}
		for _, k := range keys {
			if k.ID == keyID {
				return &jose.JSONWebKey{Key: k.Key, KeyID: k.ID, Algorithm: k.Algorithm, Use: "sig"}, nil
			}
		}
		return nil, oidc.ErrInvalidClient().WithDescription("unknown key id")
	}
	app, err := s.application(ctx, clientID)
	if err != nil {
		return nil, err
	}
	if app.TokenEndpointAuthMethod != iam.AuthPrivateKeyJWT || (app.JWKS == "" && app.JWKSURI == "") {
		return nil, oidc.ErrInvalidClient().WithDescription("the client has no keys")
	}
	if app.JWKS == "" {
		k, err := s.remote.key(ctx, app.JWKSURI, keyID)
		if err != nil {
			iam.RecordCause(ctx, err)
			return nil, oidc.ErrInvalidClient().WithDescription("the key is not in the client's jwks_uri")
		}
		return k, nil
	}
	k, err := keyOf(app.JWKS, keyID)
	if err != nil {
		return nil, oidc.ErrInvalidClient().WithDescription("unknown key id")
	}
	return k, nil
}

// ValidateJWTProfileScopes is not reached: the server answers the
// JWT-bearer grant itself (server.JWTProfile).
func (s storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, oidc.ErrUnsupportedGrantType()
}

func (s storage) Health(ctx context.Context) error { return s.store.Ping(ctx) }

func (s storage) ClientCredentials(ctx context.Context, clientID, clientSecret string) (op.Client, error) {
	if err := s.AuthorizeClientIDSecret(ctx, clientID, clientSecret); err != nil {
		return nil, err
	}
	return s.GetClientByClientID(ctx, clientID)
}

func (s storage) ClientCredentialsTokenRequest(ctx context.Context, clientID string, scopes []string) (op.TokenRequest, error) {
	app, err := s.application(ctx, clientID)
	if err != nil {
		return nil, err
	}
	if !allows(app, oidc.GrantTypeClientCredentials) {
		return nil, oidc.ErrUnauthorizedClient().WithDescription("the client may not use client_credentials")
	}
	for _, sc := range scopes {
		if !slices.Contains(app.AllowedScopes, sc) || sc == oidc.ScopeOpenID || sc == oidc.ScopeOfflineAccess {
			return nil, oidc.ErrInvalidScope().WithDescription("scope %s is not allowed for this client", sc)
		}
	}
	var resources []string
	if st := stateOf(ctx); st != nil {
		if resources, err = s.resolveResources(ctx, st.resources); err != nil {
			return nil, err
		}
	}
	return &clientRequest{app: app, scopes: scopes, grantType: oidc.GrantTypeClientCredentials, resources: resources}, nil
}
