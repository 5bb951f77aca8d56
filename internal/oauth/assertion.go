package oauth

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// assertionAlgorithms are the signatures a client assertion may carry: no
// "none" and no HMAC, so that a public key can never serve as a shared
// secret.
var assertionAlgorithms = []jose.SignatureAlgorithm{jose.RS256, jose.PS256, jose.ES256, jose.ES384, jose.EdDSA}

// maxAssertionLife bounds how far ahead an assertion's exp may lie, and so
// how long its id must be remembered.
const maxAssertionLife = time.Hour

// assertionSkew is the clock difference tolerated on exp, nbf and iat.
const assertionSkew = 30 * time.Second

var errAssertion = oidc.ErrInvalidClient().WithDescription("the client assertion is invalid")

// verifyAssertion checks a JWT a client signed to authenticate (RFC 7523
// §2.2, private_key_jwt) or as a JWT-bearer grant (§2.1): a signature of
// one of the client's keys, iss and sub both the client, this issuer or
// its token endpoint as audience, a live exp no more than an hour ahead,
// and a jti not seen before. It returns the client id.
func (s storage) verifyAssertion(ctx context.Context, raw string) (string, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return "", err
	}
	tok, err := jwt.ParseSigned(raw, assertionAlgorithms)
	if err != nil || len(tok.Headers) != 1 {
		return "", errAssertion
	}
	var unverified jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&unverified); err != nil || unverified.Issuer == "" {
		return "", errAssertion
	}
	key, err := s.GetKeyByIDAndClientID(ctx, tok.Headers[0].KeyID, unverified.Issuer)
	if err != nil {
		return "", errAssertion
	}
	if key.Algorithm != "" && key.Algorithm != tok.Headers[0].Algorithm {
		return "", errAssertion
	}
	var c jwt.Claims
	if err := tok.Claims(key.Key, &c); err != nil {
		return "", errAssertion
	}
	issuer := s.baseURL(t)
	now := s.now()
	switch {
	case c.Issuer != c.Subject, c.ID == "", c.Expiry == nil:
		return "", errAssertion
	case !c.Audience.Contains(issuer) && !c.Audience.Contains(issuer+"/oauth2/token"):
		return "", errAssertion
	case c.Expiry.Time().After(now.Add(maxAssertionLife)):
		return "", oidc.ErrInvalidClient().WithDescription("the client assertion lives longer than an hour")
	}
	if err := c.ValidateWithLeeway(jwt.Expected{Time: now}, assertionSkew); err != nil {
		return "", oidc.ErrInvalidClient().WithDescription("the client assertion is expired or not yet valid")
	}
	fresh, err := s.store.UseAssertion(ctx, t.ID, c.Issuer, c.ID, c.Expiry.Time().Add(assertionSkew))
	if err != nil {
		return "", oauthError(err)
	}
	if !fresh {
		return "", oidc.ErrInvalidClient().WithDescription("the client assertion was used before")
	}
	return c.Issuer, nil
}

// keyOf finds key id in a JSON Web Key Set document.
func keyOf(jwks, id string) (*jose.JSONWebKey, error) {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal([]byte(jwks), &set); err != nil {
		return nil, err
	}
	if k := publicSigningKey(set, id); k != nil {
		return k, nil
	}
	return nil, errUnknownKey
}

// serviceAccountClient is a service account's client id: its keys and
// secrets authenticate it, and it acts for itself (client credentials and
// the JWT-bearer grant).
func serviceAccountClient(clientID string) bool { return strings.HasPrefix(clientID, "sa_") }

// asApplication is a service account as the application the provider sees:
// a machine client whose scopes are none, since its permissions are its
// roles.
func asApplication(sa *iam.ServiceAccount) *iam.Application {
	return &iam.Application{ID: sa.ID, TenantID: sa.TenantID, Name: sa.Name, Type: iam.AppMachine, ClientID: sa.ClientID,
		GrantTypes:              []string{string(oidc.GrantTypeClientCredentials), string(oidc.GrantTypeBearer)},
		TokenEndpointAuthMethod: iam.AuthPrivateKeyJWT, AllowedScopes: []string{}, AccessTokenFormat: "jwt",
		AccessTokenTTL: 15 * time.Minute, IDTokenSignedResponseAlg: "RS256"}
}
