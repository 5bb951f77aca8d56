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
