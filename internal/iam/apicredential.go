package iam

import (
	"context"
	"time"
)

// APICredentialState is where an API or service credential is in its life
// cycle. Only an active one authenticates.
type APICredentialState string

// The states. Revoked is final; expired follows from ExpiresAt and ends with
// a renewal; inactive is an owner's or admin's switch.
const (
	APICredentialActive   APICredentialState = "active"
	APICredentialInactive APICredentialState = "inactive"
	APICredentialExpired  APICredentialState = "expired"
	APICredentialRevoked  APICredentialState = "revoked"
)

// APICredential is a long-lived bearer secret of a machine caller: an API
// credential when OwnerKind is PrincipalUser, a service credential when it is
// PrincipalServiceAccount. It authenticates as its owner. Its name is unique
// among the live (not revoked) credentials of its owner kind in its tenant
// and namespace: OrganizationID, empty for the tenant as a whole. SecretHash
// is secret.Hash of the secret, which is never stored; Display is its
// prefix and first characters, safe to show.
type APICredential struct {
	ID             string
	TenantID       string
	OwnerKind      PrincipalKind
	OwnerID        string
	OrganizationID string
	Name           string
	SecretHash     string
	Display        string
	Active         bool
	ExpiresAt      time.Time
	RevokedAt      *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
	LastUsedAt     *time.Time
	// WarnedAt is when its owner was told that it expires soon; a renewal
	// clears it, so that the new expiry is warned of again.
	WarnedAt *time.Time
}

// State is the credential's state at now: revoked before expired before
// inactive.
func (c *APICredential) State(now time.Time) APICredentialState {
	switch {
	case c.RevokedAt != nil:
		return APICredentialRevoked
	case !now.Before(c.ExpiresAt):
		return APICredentialExpired
	case !c.Active:
		return APICredentialInactive
	}
	return APICredentialActive
}

// APICredentialQuery filters a list of credentials of one owner kind; zero
// fields other than OwnerKind do not filter. State is evaluated at Now.
type APICredentialQuery struct {
	ListParams
	OwnerKind      PrincipalKind
	OwnerID        string
	OrganizationID string
	// TenantWide lists only those kept in the tenant as a whole.
	TenantWide    bool
	State         APICredentialState
	ExpiresBefore *time.Time
	Now           time.Time
}

// APICredentialSelector picks the live credentials of one owner kind a bulk
// revocation ends: those matching every field set. IDs and Names, when set
// (even empty), are the only candidates.
type APICredentialSelector struct {
	OwnerKind      PrincipalKind
	IDs            []string
	Names          []string
	OwnerID        string
	OrganizationID string
	ExpiresBefore  *time.Time
}

// APICredentialStore persists API and service credentials.
type APICredentialStore interface {
	// CreateAPICredential inserts c. CodeNameTaken when a live credential
	// of its owner kind has its name in its namespace.
	CreateAPICredential(ctx context.Context, c *APICredential) error
	// GetAPICredential returns the credential id. CodeNotFound.
	GetAPICredential(ctx context.Context, tenantID, id string) (*APICredential, error)
	// GetAPICredentialForUpdate reads like GetAPICredential and holds the
	// row until the transaction ends (see UserStore.GetUserForUpdate).
	GetAPICredentialForUpdate(ctx context.Context, tenantID, id string) (*APICredential, error)
	// APICredentialByName returns the credential of kind named name in the
	// namespace orgID ("" for the tenant as a whole): the live one, or else
	// the one revoked last. CodeNotFound.
	APICredentialByName(ctx context.Context, tenantID string, kind PrincipalKind, orgID, name string) (*APICredential, error)
	// APICredentialByHash finds a credential of any tenant by the hash of
	// its secret. CodeNotFound.
	APICredentialByHash(ctx context.Context, hash string) (*APICredential, error)
	// ListAPICredentials returns the page of q, newest first.
	ListAPICredentials(ctx context.Context, tenantID string, q APICredentialQuery) ([]APICredential, int, error)
	// UpdateAPICredential writes every mutable field of c: name,
	// organization, active, expiry, revocation, warning and UpdatedAt.
	// CodeNameTaken, CodeNotFound.
	UpdateAPICredential(ctx context.Context, c *APICredential) error
	// SelectAPICredentialsForUpdate returns the live credentials sel picks,
	// oldest first, their rows held until the transaction ends.
	SelectAPICredentialsForUpdate(ctx context.Context, tenantID string, sel APICredentialSelector) ([]APICredential, error)
	// RevokeAPICredentials revokes at at those of ids still live and
	// returns how many it revoked.
	RevokeAPICredentials(ctx context.Context, tenantID string, ids []string, at time.Time) (int, error)
	// RecordAPICredentialUse sets LastUsedAt, changing nothing else.
	// CodeNotFound.
	RecordAPICredentialUse(ctx context.Context, tenantID, id string, at time.Time) error
	// ExpiringAPICredentials returns up to limit credentials of every
	// tenant that are live, active, not yet warned of, and expire after
	// from and no later than until, soonest first.
	ExpiringAPICredentials(ctx context.Context, from, until time.Time, limit int) ([]APICredential, error)
	// MarkAPICredentialWarned sets WarnedAt to at if it is unset and the
	// credential still expires at expiresAt, and reports whether this call
	// set it: of concurrent callers exactly one does.
	MarkAPICredentialWarned(ctx context.Context, tenantID, id string, expiresAt, at time.Time) (bool, error)
}

// LeaseStore holds leases: named rights, held by one holder at a time until
// they run out, that let one replica of many run a periodic job.
type LeaseStore interface {
	// AcquireLease gives holder the lease name until until, if it is free,
	// has run out at now, or is holder's already, and reports whether holder
	// holds it now: of concurrent callers at most one does.
	AcquireLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error)
	// ReleaseLease frees the lease if holder holds it.
	ReleaseLease(ctx context.Context, name, holder string) error
}
