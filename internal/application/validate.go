package application

import (
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// The grant types an application may use (RFC 6749 §4, RFC 8628, RFC 7523,
// RFC 8693).
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	GrantClientCredentials = "client_credentials"
	GrantDeviceCode        = "urn:ietf:params:oauth:grant-type:device_code"
	GrantJWTBearer         = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	GrantTokenExchange     = "urn:ietf:params:oauth:grant-type:token-exchange"
)

// grantsByType are the grant types each type of application may use: a
// public client cannot authenticate, so it gets no grant that rests on
// client authentication alone; a machine acts for nobody, so it gets no
// grant that involves a user at the authorization endpoint.
var grantsByType = map[iam.ApplicationType][]string{
	iam.AppWeb:     {GrantAuthorizationCode, GrantRefreshToken, GrantTokenExchange},
	iam.AppSPA:     {GrantAuthorizationCode, GrantRefreshToken},
	iam.AppNative:  {GrantAuthorizationCode, GrantRefreshToken, GrantDeviceCode},
	iam.AppMachine: {GrantClientCredentials, GrantJWTBearer, GrantTokenExchange},
}

// The bounds of the token lifetimes.
const (
	minAccessTTL  = time.Minute
	maxAccessTTL  = 24 * time.Hour
	minRefreshTTL = time.Hour
	maxRefreshTTL = 365 * 24 * time.Hour
)

// The limits of the list fields.
const (
	maxURIs      = 20
	maxURILen    = 2000
	maxScopes    = 50
	maxScopeLen  = 100
	maxJWKSBytes = 16 << 10
	maxJWKSKeys  = 10
)

// defaults returns a new application of type typ with every setting at its
// default: confidential clients authenticate with a secret in the
// Authorization header, public ones with none; users' applications sign in
// with the code flow and may refresh, machines use client credentials.
func defaults(typ iam.ApplicationType) *iam.Application {
	a := &iam.Application{Type: typ, RedirectURIs: []string{}, PostLogoutRedirectURIs: []string{},
		AccessTokenFormat: "jwt", AccessTokenTTL: 15 * time.Minute, RefreshTokenTTL: 30 * 24 * time.Hour,
		IDTokenSignedResponseAlg: "RS256", RequirePKCE: typ.Public()}
	switch {
	case typ == iam.AppMachine:
		a.TokenEndpointAuthMethod, a.GrantTypes, a.AllowedScopes = iam.AuthClientSecretBasic, []string{GrantClientCredentials}, []string{}
	case typ.Public():
		a.TokenEndpointAuthMethod = iam.AuthNone
	default:
		a.TokenEndpointAuthMethod = iam.AuthClientSecretBasic
	}
	if typ != iam.AppMachine {
		a.GrantTypes = []string{GrantAuthorizationCode, GrantRefreshToken}
		a.AllowedScopes = []string{"openid", "profile", "email", "offline_access"}
	}
	return a
}

// problems collects what is wrong with an application, one problem per
// field, the first found.
type problems map[string]string

func (p problems) add(field, format string, args ...any) {
	if _, ok := p[field]; !ok {
		p[field] = fmt.Sprintf(format, args...)
	}
}

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return iam.Invalid("the application has invalid fields", p)
}

// validate checks every setting of a against its type and the others.
func validate(a *iam.Application) error {
	p := problems{}
	allowed, ok := grantsByType[a.Type]
	if !ok {
		p.add("type", "must be one of web, spa, native, machine")
		return p.err()
	}
	checkName(p, a.Name)
	checkAuthMethod(p, a)
	checkGrants(p, a, allowed)
	checkURIs(p, "redirect_uris", a.Type, a.RedirectURIs)
	checkURIs(p, "post_logout_redirect_uris", a.Type, a.PostLogoutRedirectURIs)
	authorizes := slices.Contains(a.GrantTypes, GrantAuthorizationCode)
	switch {
	case authorizes && len(a.RedirectURIs) == 0:
		p.add("redirect_uris", "the authorization_code grant needs at least one redirect URI")
	case !authorizes && len(a.RedirectURIs) > 0:
		p.add("redirect_uris", "only applications using the authorization_code grant have redirect URIs")
	}
	if a.Type == iam.AppMachine && len(a.PostLogoutRedirectURIs) > 0 {
		p.add("post_logout_redirect_uris", "machine applications sign nobody out")
	}
	checkScopes(p, a.AllowedScopes)
	checkResource(p, a.ResourceURI)
	if a.APIAccess && !slices.Contains(a.GrantTypes, GrantAuthorizationCode) {
		p.add("api_access", "is for applications people sign in to (authorization_code)")
	}
	if a.AccessTokenFormat != "jwt" && a.AccessTokenFormat != "opaque" {
		p.add("access_token_format", "must be jwt or opaque")
	}
	if a.AccessTokenTTL < minAccessTTL || a.AccessTokenTTL > maxAccessTTL {
		p.add("access_token_ttl", "must be between %d and %d seconds", int(minAccessTTL.Seconds()), int(maxAccessTTL.Seconds()))
	}
	if a.RefreshTokenTTL < minRefreshTTL || a.RefreshTokenTTL > maxRefreshTTL {
		p.add("refresh_token_ttl", "must be between %d and %d seconds", int(minRefreshTTL.Seconds()), int(maxRefreshTTL.Seconds()))
	}
	if a.IDTokenSignedResponseAlg != "RS256" && a.IDTokenSignedResponseAlg != "ES256" {
		p.add("id_token_signed_response_alg", "must be RS256 or ES256")
	}
	return p.err()
}

func checkName(p problems, name string) {
	switch {
	case name == "":
		p.add("name", "is required")
	case utf8.RuneCountInString(name) > 100:
		p.add("name", "is too long")
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		p.add("name", "must not contain control characters")
	}
}

// checkAuthMethod checks the token endpoint authentication method against
// the type (a public client has no credentials, RFC 6749 §2.1) and the keys
// private_key_jwt verifies assertions with (RFC 7523 §2.2): a key set or
// where to fetch one, never both.
func checkAuthMethod(p problems, a *iam.Application) {
	switch a.TokenEndpointAuthMethod {
	case iam.AuthNone:
		if !a.Type.Public() {
			p.add("token_endpoint_auth_method", "a %s application is confidential: it must authenticate", a.Type)
		}
	case iam.AuthClientSecretBasic, iam.AuthClientSecretPost, iam.AuthPrivateKeyJWT:
		if a.Type.Public() {
			p.add("token_endpoint_auth_method", "a %s application is public: it keeps no credentials, so must be none", a.Type)
		}
	default:
		p.add("token_endpoint_auth_method", "must be one of client_secret_basic, client_secret_post, private_key_jwt, none")
	}
	if a.TokenEndpointAuthMethod != iam.AuthPrivateKeyJWT {
		if a.JWKS != "" {
			p.add("jwks", "is only for private_key_jwt")
		}
		if a.JWKSURI != "" {
			p.add("jwks_uri", "is only for private_key_jwt")
		}
		return
	}
	switch {
	case a.JWKS == "" && a.JWKSURI == "":
		p.add("jwks", "private_key_jwt needs jwks or jwks_uri")
	case a.JWKS != "" && a.JWKSURI != "":
		p.add("jwks", "give jwks or jwks_uri, not both")
	case a.JWKS != "":
		checkJWKS(p, a.JWKS)
	default:
		checkJWKSURI(p, a.JWKSURI)
	}
}

// checkResource accepts a resource server's URI (RFC 8707 §2): absolute
// https, without a fragment or user information.
func checkResource(p problems, raw string) {
	if raw == "" {
		return
	}
	u, err := url.Parse(raw)
	switch {
	case len(raw) > 2000:
		p.add("resource_uri", "is longer than 2000 characters")
	case err != nil || !u.IsAbs() || u.Host == "":
		p.add("resource_uri", "must be an absolute URI")
	case u.Scheme != "https":
		p.add("resource_uri", "must be https")
	case u.Fragment != "" || strings.Contains(raw, "#") || u.User != nil:
		p.add("resource_uri", "must have no fragment and no user information")
	}
}

// IsIssuer reports whether resource names issuer itself, whatever the
// letter case of its scheme and host, a default port or a trailing slash.
func IsIssuer(resource, issuer string) bool {
	r, err1 := url.Parse(resource)
	i, err2 := url.Parse(issuer)
	if err1 != nil || err2 != nil {
		return false
	}
	return strings.EqualFold(r.Scheme, i.Scheme) && strings.EqualFold(hostPort(r), hostPort(i)) &&
		strings.TrimSuffix(r.EscapedPath(), "/") == strings.TrimSuffix(i.EscapedPath(), "/") && r.RawQuery == i.RawQuery
}

// hostPort is u's host with its port, the scheme's default made explicit.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"https": "443", "http": "80"}[strings.ToLower(u.Scheme)]
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// checkJWKS accepts a JSON Web Key Set (RFC 7517 §5) of public signing keys.
func checkJWKS(p problems, raw string) {
	if len(raw) > maxJWKSBytes {
		p.add("jwks", "is larger than %d bytes", maxJWKSBytes)
		return
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal([]byte(raw), &set); err != nil {
		p.add("jwks", "is not a JSON Web Key Set: %v", err)
		return
	}
	if len(set.Keys) == 0 || len(set.Keys) > maxJWKSKeys {
		p.add("jwks", "must hold between 1 and %d keys", maxJWKSKeys)
		return
	}
	for i, k := range set.Keys {
		if !k.Valid() || !k.IsPublic() {
			p.add(fmt.Sprintf("jwks.keys[%d]", i), "must be a valid public key")
		}
	}
}

func checkJWKSURI(p problems, raw string) {
	u, err := url.Parse(raw)
	switch {
	case len(raw) > maxURILen:
		p.add("jwks_uri", "is too long")
	case err != nil || u.Scheme != "https" || u.Host == "":
		p.add("jwks_uri", "must be an absolute https URL")
	case strings.Contains(raw, "#"):
		p.add("jwks_uri", "must not contain a fragment")
	}
}

func checkGrants(p problems, a *iam.Application, allowed []string) {
	if len(a.GrantTypes) == 0 {
		p.add("grant_types", "needs at least one grant type")
		return
	}
	for i, g := range a.GrantTypes {
		field := fmt.Sprintf("grant_types[%d]", i)
		switch {
		case !slices.Contains(allGrants, g):
			p.add(field, "is not a grant type Gatehouse knows")
		case !slices.Contains(allowed, g):
			p.add(field, "%s is not for %s applications (they may use %s)", g, a.Type, strings.Join(allowed, ", "))
		case slices.Index(a.GrantTypes, g) != i:
			p.add(field, "is listed twice")
		}
	}
	// A refresh token comes only with the tokens of a user's grant.
	if slices.Contains(a.GrantTypes, GrantRefreshToken) &&
		!slices.Contains(a.GrantTypes, GrantAuthorizationCode) && !slices.Contains(a.GrantTypes, GrantDeviceCode) {
		p.add("grant_types", "refresh_token needs authorization_code or the device code grant")
	}
}

var allGrants = []string{GrantAuthorizationCode, GrantRefreshToken, GrantClientCredentials, GrantDeviceCode, GrantJWTBearer, GrantTokenExchange}

// loopbackHosts are the hosts a native application may name over plain
// http: the device itself, whose redirects never leave it (RFC 8252 §7.3).
var loopbackHosts = []string{"127.0.0.1", "::1", "localhost"}

// checkURIs checks redirect (or post-logout redirect) URIs. They are
// compared as exact strings when used (RFC 9700 §4.1.3), so none is
// normalised here: a trailing slash makes another URI.
func checkURIs(p problems, field string, typ iam.ApplicationType, uris []string) {
	if len(uris) > maxURIs {
		p.add(field, "lists more than %d URIs", maxURIs)
		return
	}
	for i, raw := range uris {
		item := fmt.Sprintf("%s[%d]", field, i)
		if problem := uriProblem(typ, raw); problem != "" {
			p.add(item, "%s", problem)
		} else if slices.Index(uris, raw) != i {
			p.add(item, "is listed twice")
		}
	}
}

func uriProblem(typ iam.ApplicationType, raw string) string {
	if raw == "" || len(raw) > maxURILen {
		return fmt.Sprintf("must be between 1 and %d characters", maxURILen)
	}
	if strings.ContainsFunc(raw, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return "must not contain spaces or control characters"
	}
	// RFC 6749 §3.1.2: the redirection endpoint URI must not include a
	// fragment component.
	if strings.Contains(raw, "#") {
		return "must not contain a fragment"
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() {
		return "must be an absolute URI"
	}
	if u.User != nil {
		return "must not contain user information"
	}
	switch u.Scheme {
	case "https":
		if u.Host == "" {
			return "must name a host"
		}
	case "http":
		if typ != iam.AppNative || !slices.Contains(loopbackHosts, u.Hostname()) {
			return "must use https; http is only for loopback addresses (127.0.0.1, [::1], localhost) of native applications"
		}
	default:
		// RFC 8252 §7.1: private-use schemes are reverse domain names.
		if typ != iam.AppNative {
			return "custom URI schemes are only for native applications"
		}
		if !strings.Contains(u.Scheme, ".") {
			return "a custom URI scheme must be a reverse domain name such as com.example.app"
		}
	}
	return ""
}

// checkScopes accepts scope tokens as RFC 6749 §3.3 defines them: printable
// ASCII but space, double quote and backslash.
func checkScopes(p problems, scopes []string) {
	if len(scopes) > maxScopes {
		p.add("allowed_scopes", "lists more than %d scopes", maxScopes)
		return
	}
	for i, s := range scopes {
		item := fmt.Sprintf("allowed_scopes[%d]", i)
		switch {
		case s == "" || len(s) > maxScopeLen:
			p.add(item, "must be between 1 and %d characters", maxScopeLen)
		case strings.ContainsFunc(s, func(r rune) bool { return r < 0x21 || r > 0x7e || r == '"' || r == '\\' }):
			p.add(item, "must be printable ASCII without spaces, quotes or backslashes (RFC 6749 §3.3)")
		case slices.Index(scopes, s) != i:
			p.add(item, "is listed twice")
		}
	}
}
