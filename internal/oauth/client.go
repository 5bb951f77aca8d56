package oauth

import (
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// loginPath is where an authorization request goes for its user: the
// browser's session answers it, or the sign-in page is shown first.
const loginPath = "/oauth2/login"

// client is an application as zitadel/oidc's op.Client sees it.
type client struct{ app *iam.Application }

var _ op.Client = client{}

func (c client) GetID() string                    { return c.app.ClientID }
func (c client) RedirectURIs() []string           { return c.app.RedirectURIs }
func (c client) PostLogoutRedirectURIs() []string { return c.app.PostLogoutRedirectURIs }
func (c client) AuthMethod() oidc.AuthMethod      { return oidc.AuthMethod(c.app.TokenEndpointAuthMethod) }
func (c client) LoginURL(id string) string        { return loginPath + "?id=" + id }
func (c client) IDTokenLifetime() time.Duration   { return c.app.AccessTokenTTL }
func (c client) DevMode() bool                    { return false }
func (c client) ClockSkew() time.Duration         { return 0 }

// AccessTokenType is bearer for every application: Gatehouse makes its
// access tokens itself, JWT or opaque as the application asks, and hands
// them to the library through codec.
func (c client) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeBearer }

// IDTokenUserinfoClaimsAssertion puts the claims of profile and email in
// the ID token too, as Keycloak does: many client libraries read them
// there and never call userinfo.
func (c client) IDTokenUserinfoClaimsAssertion() bool { return true }

func (c client) ApplicationType() op.ApplicationType {
	switch c.app.Type {
	case iam.AppSPA:
		return op.ApplicationTypeUserAgent
	case iam.AppNative:
		return op.ApplicationTypeNative
	}
	return op.ApplicationTypeWeb
}

func (c client) ResponseTypes() []oidc.ResponseType {
	if slices.Contains(c.app.GrantTypes, string(oidc.GrantTypeCode)) {
		return []oidc.ResponseType{oidc.ResponseTypeCode}
	}
	return nil
}

func (c client) GrantTypes() []oidc.GrantType {
	out := make([]oidc.GrantType, len(c.app.GrantTypes))
	for i, g := range c.app.GrantTypes {
		out[i] = oidc.GrantType(g)
	}
	return out
}

func (c client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

func (c client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// IsScopeAllowed reports whether the application may ask for scope.
func (c client) IsScopeAllowed(scope string) bool { return slices.Contains(c.app.AllowedScopes, scope) }

// allows reports whether the application may use grant.
func allows(app *iam.Application, grant oidc.GrantType) bool {
	return slices.Contains(app.GrantTypes, string(grant))
}
