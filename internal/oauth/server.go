package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"

	"github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/secret"
	"github.com/gatehouse-iam/gatehouse/internal/settings"
)

// server is the library's server over storage, with Gatehouse's answers
// where its rules are stricter or the library's own are wrong for it.
type server struct {
	*op.LegacyServer
	p *Provider
}

// grantTypes are the grants the token endpoint serves.
var grantTypes = []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken, oidc.GrantTypeClientCredentials,
	oidc.GrantTypeDeviceCode, oidc.GrantTypeBearer, oidc.GrantTypeTokenExchange}

// discovery is the OpenID document with what the library's type lacks.
type discovery struct {
	*oidc.DiscoveryConfiguration
	// PushedAuthorizationRequestEndpoint is RFC 9126's.
	PushedAuthorizationRequestEndpoint string `json:"pushed_authorization_request_endpoint"`
}

// Discovery names only what is served: the code flow (no implicit, RFC
// 9700 §2.1.2), the grants above, and pushed authorization requests.
func (s server) Discovery(ctx context.Context, r *op.Request[struct{}]) (*op.Response, error) {
	resp, err := s.LegacyServer.Discovery(ctx, r)
	if err != nil {
		return nil, err
	}
	if doc, ok := resp.Data.(*oidc.DiscoveryConfiguration); ok {
		doc.ResponseTypesSupported = []string{string(oidc.ResponseTypeCode)}
		doc.ResponseModesSupported = []string{string(oidc.ResponseModeQuery)}
		doc.GrantTypesSupported = grantTypes
		doc.TokenEndpointAuthSigningAlgValuesSupported = algorithmNames(assertionAlgorithms)
		doc.ACRValuesSupported = acrValues
		if t := iam.TenantFrom(ctx); t != nil {
			if st, err := s.p.policies.For(ctx, t.ID); err == nil && st.OAuth.DynamicRegistration == settings.RegistrationOpen {
				doc.RegistrationEndpoint = doc.Issuer + registerPath
			}
		}
		resp.Data = discovery{DiscoveryConfiguration: doc, PushedAuthorizationRequestEndpoint: doc.Issuer + parPath}
	}
	return resp, nil
}

// CodeExchange holds every client to the PKCE its authorization request
// began: the library checks a verifier only when one is sent or the client
// is public, which would let a stolen code of a confidential client pass
// without it (RFC 9700 §2.1.1, RFC 7636 §4.6).
func (s server) CodeExchange(ctx context.Context, r *op.ClientRequest[oidc.AccessTokenRequest]) (*op.Response, error) {
	if r.Data.CodeVerifier == "" {
		challenged, err := s.p.challenged(ctx, r.Data.Code)
		if err != nil {
			return nil, err
		}
		if challenged {
			return nil, oidc.ErrInvalidGrant().WithDescription("code_verifier required")
		}
	}
	return s.LegacyServer.CodeExchange(ctx, r)
}

// challenged reports whether the authorization request of code carried a
// PKCE challenge.
func (p *Provider) challenged(ctx context.Context, code string) (bool, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return false, err
	}
	stored, err := p.store.AuthRequestByCodeHash(ctx, secret.Hash(code))
	if iam.IsCode(err, iam.CodeNotFound) || (err == nil && stored.TenantID != t.ID) {
		return false, nil
	}
	if err != nil {
		return false, oauthError(err)
	}
	var req oidc.AuthRequest
	if err := json.Unmarshal(stored.Request, &req); err != nil {
		return false, oauthError(err)
	}
	return req.CodeChallenge != "", nil
}

// invalidToken is RFC 6750 §3.1's answer to a bearer token the resource
// does not accept.
var invalidToken = &oidc.Error{ErrorType: "invalid_token", Description: "the access token is invalid or expired"}

// UserInfo answers a token that is not active with 401 invalid_token (RFC
// 6750 §3.1), not the library's 403; a token without the openid scope
// stays 403.
func (s server) UserInfo(ctx context.Context, r *op.Request[oidc.UserInfoRequest]) (*op.Response, error) {
	resp, err := s.LegacyServer.UserInfo(ctx, r)
	if errors.Is(err, errInactive) {
		return nil, op.NewStatusError(invalidToken, http.StatusUnauthorized)
	}
	return resp, err
}

func algorithmNames(algs []jose.SignatureAlgorithm) []string {
	out := make([]string, len(algs))
	for i, a := range algs {
		out[i] = string(a)
	}
	return out
}

// VerifyClient authenticates the client of a token request. Client
// assertions (private_key_jwt) are verified here, for every grant: the
// library takes RS256 only, skips them for client credentials, and lets a
// jti be replayed.
func (s server) VerifyClient(ctx context.Context, r *op.Request[op.ClientCredentials]) (op.Client, error) {
	if r.Data.ClientAssertionType == "" && r.Data.ClientAssertion == "" {
		return s.LegacyServer.VerifyClient(ctx, r)
	}
	if r.Data.ClientAssertionType != oidc.ClientAssertionTypeJWTAssertion {
		return nil, oidc.ErrInvalidClient().WithDescription("unsupported client_assertion_type")
	}
	st := storage{s.p}
	clientID, err := st.verifyAssertion(ctx, r.Data.ClientAssertion)
	if err != nil {
		return nil, err
	}
	if r.Data.ClientID != "" && r.Data.ClientID != clientID {
		return nil, errAssertion
	}
	client, err := st.GetClientByClientID(ctx, clientID)
	if err != nil {
		return nil, err
	}
	if client.AuthMethod() != oidc.AuthMethodPrivateKeyJWT {
		return nil, oidc.ErrInvalidClient().WithDescription("this client does not authenticate with private_key_jwt")
	}
	return client, nil
}

// JWTProfile answers the JWT-bearer grant (RFC 7523 §2.1) for a client's
// own assertion: a service account, or an application allowed the grant,
// gets a token for itself.
func (s server) JWTProfile(ctx context.Context, r *op.Request[oidc.JWTProfileGrantRequest]) (*op.Response, error) {
	st := storage{s.p}
	clientID, err := st.verifyAssertion(ctx, r.Data.Assertion)
	if err != nil {
		return nil, oidc.ErrInvalidGrant().WithDescription("the assertion is invalid")
	}
	app, err := st.application(ctx, clientID)
	if err != nil {
		return nil, err
	}
	if !allows(app, oidc.GrantTypeBearer) {
		return nil, oidc.ErrUnauthorizedClient().WithDescription("the client may not use the JWT-bearer grant")
	}
	for _, sc := range r.Data.Scope {
		if !slices.Contains(app.AllowedScopes, sc) {
			return nil, oidc.ErrInvalidScope().WithDescription("scope %s is not allowed for this client", sc)
		}
	}
	var resources []string
	if rs := stateOf(ctx); rs != nil {
		if resources, err = st.resolveResources(ctx, rs.resources); err != nil {
			return nil, err
		}
	}
	access, exp, err := st.clientToken(ctx, &clientRequest{app: app, scopes: r.Data.Scope, grantType: oidc.GrantTypeBearer, resources: resources})
	if err != nil {
		return nil, err
	}
	return op.NewResponse(&oidc.AccessTokenResponse{AccessToken: access, TokenType: oidc.BearerToken,
		ExpiresIn: uint64(exp.Sub(s.p.now()).Seconds()), Scope: r.Data.Scope}), nil
}

// Introspect answers RFC 7662 for a client authenticated by its secret or
// by an assertion verified as at the token endpoint (the library's own
// path takes RS256 assertions only). A token that is not active, or not
// Gatehouse's, is {"active": false}.
func (s server) Introspect(ctx context.Context, r *op.Request[op.IntrospectionRequest]) (*op.Response, error) {
	st := storage{s.p}
	cc := r.Data.ClientCredentials
	if cc.ClientAssertion != "" {
		if cc.ClientAssertionType != oidc.ClientAssertionTypeJWTAssertion {
			return nil, oidc.ErrInvalidClient().WithDescription("unsupported client_assertion_type")
		}
		clientID, err := st.verifyAssertion(ctx, cc.ClientAssertion)
		if err != nil {
			return nil, err
		}
		if cc.ClientID != "" && cc.ClientID != clientID {
			return nil, errAssertion
		}
	} else if err := st.AuthorizeClientIDSecret(ctx, cc.ClientID, cc.ClientSecret); err != nil {
		return nil, err
	}
	resp := new(oidc.IntrospectionResponse)
	if in, err := st.inspect(ctx, r.Data.Token); err == nil {
		in.describe(resp)
		resp.Active = true
	}
	return op.NewResponse(resp), nil
}
