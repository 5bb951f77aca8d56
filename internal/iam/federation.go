package iam

import (
	"context"
	"time"
)

// ProviderKind is the protocol an external identity provider speaks.
type ProviderKind string

// The kinds of external identity provider.
const (
	ProviderOIDC   ProviderKind = "oidc"
	ProviderOAuth2 ProviderKind = "oauth2"
	ProviderSAML   ProviderKind = "saml"
)

// FederatedProvider is an external identity provider people of a tenant,
// or of one of its organizations, sign in through. Settings holds what its
// kind needs (issuer, client id, scopes, endpoints, SAML metadata, claim
// mapping) as a JSON object; ClientSecret is sealed with the master key.
// Domains are lower-cased email domains that lead to it (home-realm
// discovery), unique among the tenant's providers.
type FederatedProvider struct {
	ID              string
	TenantID        string
	OrganizationID  string
	Name            string
	Kind            ProviderKind
	Enabled         bool
	Domains         []string
	JITProvisioning bool
	LinkPolicy      string
	Settings        []byte
	ClientSecret    []byte
	CreatedAt       time.Time
	UpdatedAt       time.Time
	// Version is 1 at creation and grows by one with each update.
	Version int64
}

// FederatedProviderStore persists external identity providers.
type FederatedProviderStore interface {
	// CreateFederatedProvider inserts p. CodeNameTaken.
	CreateFederatedProvider(ctx context.Context, p *FederatedProvider) error
	GetFederatedProvider(ctx context.Context, tenantID, id string) (*FederatedProvider, error)
	// GetFederatedProviderForUpdate reads like GetFederatedProvider and
	// holds the row until the transaction ends.
	GetFederatedProviderForUpdate(ctx context.Context, tenantID, id string) (*FederatedProvider, error)
	// ListFederatedProviders lists the tenant's providers by name.
	ListFederatedProviders(ctx context.Context, tenantID string) ([]FederatedProvider, error)
	// UpdateFederatedProvider writes every mutable field and sets
	// p.Version to the incremented version. CodeNameTaken.
	UpdateFederatedProvider(ctx context.Context, p *FederatedProvider) error
	DeleteFederatedProvider(ctx context.Context, tenantID, id string) error
}

// FederatedIdentity links a user to the subject an external provider names
// them by. Email is the address the provider asserted last.
type FederatedIdentity struct {
	ID          string
	TenantID    string
	ProviderID  string
	UserID      string
	Subject     string
	Email       string
	CreatedAt   time.Time
	LastLoginAt *time.Time
}

// FederatedLogin is a sign-in sent to a provider and not yet back. ID is
// the SHA-256 of the state sent along; BrowserHash that of the cookie
// binding it to the browser that started it. Nonce and Verifier (PKCE)
// check what comes back. LinkUserID is set when a signed-in user links an
// identity instead of signing in.
type FederatedLogin struct {
	ID          string
	TenantID    string
	ProviderID  string
	BrowserHash string
	Nonce       string
	Verifier    string
	ReturnTo    string
	LinkUserID  string
	// PreviousSessionID is the browser session the sign-in started from,
	// "" for none: signing in ends it.
	PreviousSessionID string
	CreatedAt         time.Time
	ExpiresAt         time.Time
}

// FederatedIdentityStore persists linked identities and sign-ins under way.
type FederatedIdentityStore interface {
	// CreateFederatedIdentity inserts i. CodeConflict when the provider's
	// subject is linked already.
	CreateFederatedIdentity(ctx context.Context, i *FederatedIdentity) error
	// GetFederatedIdentityBySubject finds the identity a provider names
	// subject. CodeNotFound.
	GetFederatedIdentityBySubject(ctx context.Context, tenantID, providerID, subject string) (*FederatedIdentity, error)
	// ListFederatedIdentities lists a user's identities, oldest first.
	ListFederatedIdentities(ctx context.Context, tenantID, userID string) ([]FederatedIdentity, error)
	// RecordFederatedSignIn sets an identity's email and last sign-in.
	RecordFederatedSignIn(ctx context.Context, tenantID, id, email string, at time.Time) error
	// DeleteFederatedIdentity removes one of a user's identities.
	// CodeNotFound.
	DeleteFederatedIdentity(ctx context.Context, tenantID, userID, id string) error
	// DeleteProviderIdentities removes every identity of a provider and
	// answers how many there were.
	DeleteProviderIdentities(ctx context.Context, tenantID, providerID string) (int64, error)
	// CreateFederatedLogin inserts l, and removes the sign-ins of every
	// tenant that expired before l.CreatedAt.
	CreateFederatedLogin(ctx context.Context, l *FederatedLogin) error
	// TakeFederatedLogin removes and returns a sign-in under way that has
	// not expired at now: of racing callers, one gets it. CodeNotFound.
	TakeFederatedLogin(ctx context.Context, tenantID, id string, now time.Time) (*FederatedLogin, error)
}

// SSOSetupLink is a one-time link an organization's IT admin sets up its
// SSO with: the provider it creates (ProviderID is reserved at once) and
// the email domains it proves by DNS. TokenHash is the SHA-256 of the
// link's secret.
type SSOSetupLink struct {
	ID             string
	TenantID       string
	OrganizationID string
	TokenHash      string
	ProviderID     string
	Domains        []SetupDomain
	CreatedAt      time.Time
	ExpiresAt      time.Time
	CompletedAt    *time.Time
	// Version is 1 at creation and grows by one with each update.
	Version int64
}

// SetupDomain is an email domain of a set-up link, verified once its DNS
// TXT record was found.
type SetupDomain struct {
	Name       string     `json:"name"`
	VerifiedAt *time.Time `json:"verified_at,omitempty"`
}

// SSOSetupLinkStore persists set-up links.
type SSOSetupLinkStore interface {
	CreateSSOSetupLink(ctx context.Context, l *SSOSetupLink) error
	// GetSSOSetupLinkByHash finds a link by its secret's hash. CodeNotFound.
	GetSSOSetupLinkByHash(ctx context.Context, tenantID, hash string) (*SSOSetupLink, error)
	// GetSSOSetupLinkForUpdate reads a link and holds its row until the
	// transaction ends. CodeNotFound.
	GetSSOSetupLinkForUpdate(ctx context.Context, tenantID, id string) (*SSOSetupLink, error)
	// UpdateSSOSetupLink writes the domains and completion and sets
	// l.Version to the incremented version.
	UpdateSSOSetupLink(ctx context.Context, l *SSOSetupLink) error
	// ListSSOSetupLinks lists an organization's links, newest first.
	ListSSOSetupLinks(ctx context.Context, tenantID, orgID string) ([]SSOSetupLink, error)
	// DeleteSSOSetupLink removes an organization's link. CodeNotFound.
	DeleteSSOSetupLink(ctx context.Context, tenantID, orgID, id string) error
	// EndSSOSetupLinks completes, at at, the open links that set up the
	// provider.
	EndSSOSetupLinks(ctx context.Context, tenantID, providerID string, at time.Time) error
}
