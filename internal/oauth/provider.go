package oauth

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/rs/cors"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"

	"github.com/gatehouse-iam/gatehouse/internal/authn"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/mfa"
	"github.com/gatehouse-iam/gatehouse/internal/serviceaccount"
	"github.com/gatehouse-iam/gatehouse/internal/token"
)

// Store is what the provider keeps and reads.
type Store interface {
	iam.Transactor
	iam.OAuthStore
	iam.SessionStore
	iam.UserStore
	iam.ApplicationStore
	iam.ApplicationRoleStore
	iam.AuditStore
	Ping(ctx context.Context) error
}

// Applications finds applications by client id and checks their client
// secrets (RFC 6749 §2.3.1).
type Applications interface {
	ByClientID(ctx context.Context, tenantID, clientID string) (*iam.Application, error)
	VerifyClientSecret(ctx context.Context, clientID, raw string) (*iam.Application, error)
}

// AuditWriter appends audit events outside a transaction of the caller's.
type AuditWriter interface {
	Append(ctx context.Context, e *iam.AuditEvent) error
}

// ServiceAccounts check service accounts' client secrets and publish
// their keys: a service account is a client of its own.
type ServiceAccounts interface {
	VerifyClientSecret(ctx context.Context, clientID, raw string) (*iam.ServiceAccount, error)
	PublicKeys(ctx context.Context, clientID string) (*iam.ServiceAccount, []serviceaccount.PublicKey, error)
}

// Factors tells whether a user has a second factor.
type Factors interface {
	StatusOf(ctx context.Context, tenantID, userID string) (*mfa.Status, error)
}

// Deps are what the provider is built on.
type Deps struct {
	Store Store
	// Audit writes the events of grants that change nothing else.
	Audit AuditWriter
	Apps  Applications
	// ServiceAccounts are clients too: client credentials and JWT-bearer.
	ServiceAccounts ServiceAccounts
	// Registrar registers clients that register themselves, where a
	// tenant's Policies allow it.
	Registrar Registrar
	Policies  Policies
	Keys      *token.Keys
	Issuer    *token.Issuer
	// Bearer verifies the opaque tokens introspection is asked about.
	Bearer authn.Authenticator
	// BaseURL is a tenant's public base URL: its OpenID issuer.
	BaseURL func(*iam.Tenant) string
	// SessionsEnded tells the caches of sign-ins that a user's session (a
	// grant or a browser's) ended here, so that its tokens stop at once on
	// this replica.
	SessionsEnded func(userID string)
	// Factors decide whether acr_values asking for a second factor can
	// send the person to confirm one.
	Factors Factors
	// Outbound fetches other parties' documents (jwks_uri); nil is
	// OutboundClient.
	Outbound *http.Client
	// Sealer is the master key: it seals post-logout URIs in links and the
	// claims of opaque access tokens.
	Sealer token.Sealer
	Now    func() time.Time
}

// Provider is the OAuth 2.0 authorization server and OpenID provider of
// every tenant, each the issuer at its own base URL.
type Provider struct {
	store     Store
	audit     AuditWriter
	apps      Applications
	sas       ServiceAccounts
	registrar Registrar
	policies  Policies
	keys      *token.Keys
	issuer    *token.Issuer
	bearer    authn.Authenticator
	baseURL   func(*iam.Tenant) string
	sealer    token.Sealer
	ended     func(userID string)
	remote    *remoteKeys
	factors   Factors
	polls     devicePolls
	now       func() time.Time

	op      *op.Provider
	handler http.Handler
}

// endpoints are the paths of the OAuth surface.
var endpoints = op.Endpoints{
	Authorization:       op.NewEndpoint("oauth2/authorize"),
	Token:               op.NewEndpoint("oauth2/token"),
	Introspection:       op.NewEndpoint("oauth2/introspect"),
	Userinfo:            op.NewEndpoint("oauth2/userinfo"),
	Revocation:          op.NewEndpoint("oauth2/revoke"),
	EndSession:          op.NewEndpoint("oauth2/end_session"),
	JwksURI:             op.NewEndpoint("oauth2/keys"),
	DeviceAuthorization: op.NewEndpoint("oauth2/device_authorization"),
}

// corsOptions let any web origin call the endpoints a browser application
// calls (token, userinfo, discovery, keys, revocation), never with
// credentials: the library's default would allow them from any origin.
var corsOptions = cors.Options{
	AllowedOrigins:   []string{"*"},
	AllowedMethods:   []string{http.MethodGet, http.MethodPost},
	AllowedHeaders:   []string{"Authorization", "Content-Type"},
	AllowCredentials: false,
	MaxAge:           600,
}

// New builds the provider.
func New(d Deps) (*Provider, error) {
	p := &Provider{store: d.Store, audit: d.Audit, apps: d.Apps, sas: d.ServiceAccounts, registrar: d.Registrar, policies: d.Policies, keys: d.Keys, issuer: d.Issuer, bearer: d.Bearer, baseURL: d.BaseURL, sealer: d.Sealer, ended: d.SessionsEnded, now: d.Now}
	outbound := d.Outbound
	if outbound == nil {
		outbound = OutboundClient()
	}
	p.remote, p.factors = newRemoteKeys(outbound, d.Now), d.Factors
	cfg := &op.Config{
		DefaultLogoutRedirectURI: "/logout",
		CodeMethodS256:           true,
		AuthMethodPost:           true,
		AuthMethodPrivateKeyJWT:  true,
		GrantTypeRefreshToken:    true,
		DeviceAuthorization:      deviceConfig,
		SupportedUILocales:       []language.Tag{language.English, language.German},
		SupportedScopes:          []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail, oidc.ScopeOfflineAccess},
		SupportedClaims: []string{"sub", "aud", "exp", "iat", "iss", "auth_time", "nonce", "acr", "amr", "c_hash", "at_hash",
			"azp", "sid", "name", "email", "email_verified", "roles", "idp"},
	}
	issuer := func(bool) (op.IssuerFromRequest, error) {
		return func(r *http.Request) string { return p.issuerOf(r.Context()) }, nil
	}
	var err error
	p.op, err = op.NewProvider(cfg, storage{p}, issuer, op.WithCrypto(codec{}), op.WithCORSOptions(&corsOptions))
	if err != nil {
		return nil, err
	}
	opts := corsOptions
	p.handler = op.RegisterServer(server{op.NewLegacyServer(p.op, endpoints), p}, endpoints,
		op.WithHTTPMiddleware(p.requestContext), op.WithServerCORSOptions(&opts))
	return p, nil
}

// sessionsEnded passes on that a session of userID ended.
func (p *Provider) sessionsEnded(userID string) {
	if p.ended != nil && userID != "" {
		p.ended(userID)
	}
}

// issuerOf is the issuer a request is for: its tenant's base URL.
func (p *Provider) issuerOf(ctx context.Context) string {
	if t := iam.TenantFrom(ctx); t != nil {
		return p.baseURL(t)
	}
	return ""
}

// requestContext gives the library the request's issuer, and storage a
// place to keep the application the request is for.
func (p *Provider) requestContext(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(p.contextFor(r)))
	})
}

func (p *Provider) contextFor(r *http.Request) context.Context {
	ctx := op.ContextWithIssuer(r.Context(), p.issuerOf(r.Context()))
	// The library drops the resource parameter (RFC 8707); it is read here.
	// ParseForm leaves the form parsed for the library.
	st := &requestState{}
	if err := r.ParseForm(); err == nil {
		st.resources, st.scope = r.Form["resource"], r.Form.Get("scope")
	}
	return context.WithValue(ctx, stateKey{}, st)
}

// requestState is what one request's storage calls share: the library
// asks for the client, then later for a signing key without saying whose;
// and what the request names that the library drops: its resources, and
// the scopes it does not know.
type requestState struct {
	app       *iam.Application
	resources []string
	scope     string
}

type stateKey struct{}

func stateOf(ctx context.Context) *requestState {
	st, _ := ctx.Value(stateKey{}).(*requestState)
	return st
}

// ServeHTTP serves the endpoints of the library's router. Their answers
// carry tokens or say what a token is worth, and are never cached (RFC 6749
// §5.1, RFC 7662 §4); the discovery document may be.
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, "/.well-known/") {
		w.Header().Set("Cache-Control", "no-store")
	}
	p.handler.ServeHTTP(w, r)
}
