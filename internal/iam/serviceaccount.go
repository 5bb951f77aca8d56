package iam

import (
	"context"
	"time"
)

// ServiceAccount is a machine identity of a tenant: it holds roles,
// organization memberships and admin roles as a user does, and signs in with
// its keys. OrganizationID, when set, is the organization that owns it.
// ClientID is its stable public id, unique across tenants.
type ServiceAccount struct {
	ID             string
	TenantID       string
	OrganizationID string
	Name           string
	Description    string
	ClientID       string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// Version is 1 at creation and grows by one with each update,
	// including a change of the admin roles it holds.
	Version int64
}

// ServiceAccountQuery filters the service-account list; OrganizationID lists
// only the accounts that organization owns.
type ServiceAccountQuery struct {
	ListParams
	OrganizationID string
}

// ServiceAccountOrder is the order of the service-account list.
var ServiceAccountOrder = Order{"created_at", "name"}

// ServiceAccountStore persists service accounts.
type ServiceAccountStore interface {
	// CreateServiceAccount inserts a and sets a.Version to 1.
	// CodeNameTaken; CodeConflict when the client id is taken; CodeNotFound
	// when its organization is not in a.TenantID.
	CreateServiceAccount(ctx context.Context, a *ServiceAccount) error
	GetServiceAccount(ctx context.Context, tenantID, id string) (*ServiceAccount, error)
	// GetServiceAccountForUpdate reads like GetServiceAccount and holds the
	// row until the transaction ends (see UserStore.GetUserForUpdate).
	GetServiceAccountForUpdate(ctx context.Context, tenantID, id string) (*ServiceAccount, error)
	// GetServiceAccountByClientID finds the tenant's account with that
	// client id. CodeNotFound.
	GetServiceAccountByClientID(ctx context.Context, tenantID, clientID string) (*ServiceAccount, error)
	// ListServiceAccounts searches names, sorted by ServiceAccountOrder.
	// CodeInvalid for another order.
	ListServiceAccounts(ctx context.Context, tenantID string, q ServiceAccountQuery) ([]ServiceAccount, int, error)
	// UpdateServiceAccount writes name and description and sets a.Version
	// to the incremented version. CodeNameTaken.
	UpdateServiceAccount(ctx context.Context, a *ServiceAccount) error
	// DeleteServiceAccount removes the account with its keys, roles,
	// memberships and admin roles.
	DeleteServiceAccount(ctx context.Context, tenantID, id string) error
}

// ServiceAccountKeyType names what a service-account key holds.
type ServiceAccountKeyType string

// The key types: a client secret (only its hash is kept), or a public key
// for private_key_jwt and the JWT-bearer grant.
const (
	KeySecret    ServiceAccountKeyType = "secret"
	KeyPublicKey ServiceAccountKeyType = "public_key"
)

// ServiceAccountKey is one key of a service account. SecretHash is the
// secret's SHA-256 (secret keys only); Display tells secrets apart (prefix
// and four characters) or names a public key's fingerprint; Algorithm and
// PublicKeyPEM are set for public keys.
type ServiceAccountKey struct {
	ID               string
	TenantID         string
	ServiceAccountID string
	Type             ServiceAccountKeyType
	SecretHash       string
	Display          string
	Algorithm        string
	PublicKeyPEM     string
	CreatedAt        time.Time
	ExpiresAt        *time.Time
	RevokedAt        *time.Time
	LastUsedAt       *time.Time
}

// Usable reports whether the key may authenticate at now: not revoked and
// not expired.
func (k *ServiceAccountKey) Usable(now time.Time) bool {
	return k.RevokedAt == nil && (k.ExpiresAt == nil || now.Before(*k.ExpiresAt))
}

// ServiceAccountKeyStore persists service accounts' keys.
type ServiceAccountKeyStore interface {
	// CreateServiceAccountKey inserts k. CodeNotFound when its account is
	// not in k.TenantID; CodeConflict when the secret hash exists.
	CreateServiceAccountKey(ctx context.Context, k *ServiceAccountKey) error
	// ServiceAccountKeyBySecretHash finds a secret key of any tenant by its
	// hash, revoked or not. CodeNotFound.
	ServiceAccountKeyBySecretHash(ctx context.Context, hash string) (*ServiceAccountKey, error)
	// ListServiceAccountKeys lists the account's keys, revoked ones too,
	// newest first.
	ListServiceAccountKeys(ctx context.Context, tenantID, accountID string) ([]ServiceAccountKey, error)
	// RevokeServiceAccountKey sets RevokedAt of the account's key id to at
	// unless it is set, and reports whether this call did: of concurrent
	// revocations exactly one does. CodeNotFound when the account holds no
	// such key.
	RevokeServiceAccountKey(ctx context.Context, tenantID, accountID, id string, at time.Time) (bool, error)
	// RecordServiceAccountKeyUse sets LastUsedAt of the key to at.
	// CodeNotFound.
	RecordServiceAccountKeyUse(ctx context.Context, tenantID, id string, at time.Time) error
}

// ServiceAccountAccessStore persists what service accounts hold: tenant-wide
// roles, organization memberships with their roles, and admin roles. Each
// method works as its user counterpart in AccessStore or AdminStore.
type ServiceAccountAccessStore interface {
	// AddServiceAccountRole assigns a role tenant-wide; again is no change.
	// CodeNotFound when the account or role is not in the tenant.
	AddServiceAccountRole(ctx context.Context, tenantID, accountID, roleID string) error
	// RemoveServiceAccountRole reports whether the account held the role.
	RemoveServiceAccountRole(ctx context.Context, tenantID, accountID, roleID string) (bool, error)
	ServiceAccountRoles(ctx context.Context, tenantID, accountID string) ([]Role, error)
	// SetServiceAccountMember adds the account to the organization if
	// needed and replaces the roles it holds there; created reports whether
	// the membership is new. CodeNotFound for anything not in the tenant.
	SetServiceAccountMember(ctx context.Context, tenantID, orgID, accountID string, roleIDs []string, at time.Time) (created bool, err error)
	// RemoveServiceAccountMember reports whether the account was a member.
	RemoveServiceAccountMember(ctx context.Context, tenantID, orgID, accountID string) (bool, error)
	// ServiceAccountMemberships lists the organizations the account belongs
	// to, by name.
	ServiceAccountMemberships(ctx context.Context, tenantID, accountID string) ([]Membership, error)
	// SetServiceAccountAdminRoles replaces the admin roles the account
	// holds and increments its Version. Callers hold its row
	// (GetServiceAccountForUpdate).
	SetServiceAccountAdminRoles(ctx context.Context, tenantID, accountID string, roleIDs []string) error
	ServiceAccountAdminRoles(ctx context.Context, tenantID, accountID string) ([]AdminRole, error)
	// ServiceAccountGrants returns every permission pattern the account
	// holds in the organization (none: tenant-wide only), as Grants does.
	ServiceAccountGrants(ctx context.Context, tenantID, accountID, orgID string) ([]Grant, error)
}
