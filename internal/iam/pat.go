package iam

import (
	"context"
	"time"
)

// PersonalAccessToken is the stored form of a user's personal access token:
// its SHA-256 (Hash) and the part that may be shown (Display), never the
// secret. Scopes narrows the owner's system permissions while the token is
// used; nil means every permission the owner holds.
type PersonalAccessToken struct {
	ID         string
	TenantID   string
	UserID     string
	Name       string
	Hash       string
	Display    string
	Scopes     []string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// PATStore persists personal access tokens.
type PATStore interface {
	// CreatePAT inserts t. CodeNotFound when its user is not in t.TenantID.
	CreatePAT(ctx context.Context, t *PersonalAccessToken) error
	// PATByHash finds the token, revoked or not, whose Hash is hash, in any
	// tenant. CodeNotFound.
	PATByHash(ctx context.Context, hash string) (*PersonalAccessToken, error)
	// ListPATs lists the user's tokens not revoked, expired ones included,
	// newest first.
	ListPATs(ctx context.Context, tenantID, userID string, p ListParams) ([]PersonalAccessToken, int, error)
	// RevokePAT sets RevokedAt of the user's token id to at and returns the
	// token. CodeNotFound when the user holds no such token not yet
	// revoked: of two racing revocations exactly one succeeds.
	RevokePAT(ctx context.Context, tenantID, userID, id string, at time.Time) (*PersonalAccessToken, error)
	// RecordPATUse sets LastUsedAt of the token to at. CodeNotFound.
	RecordPATUse(ctx context.Context, tenantID, id string, at time.Time) error
}

// SCIMToken is the stored form of a tenant's SCIM bearer token, or of an
// organization's (OrganizationID set), whose directory provisions that
// organization's users only. A tenant, and each organization, holds at most
// one that is not revoked; revoked ones are kept so that their later use is
// told apart from an unknown secret.
type SCIMToken struct {
	ID             string
	TenantID       string
	OrganizationID string
	Hash           string
	Display        string
	CreatedBy      Ref
	CreatedAt      time.Time
	ExpiresAt      *time.Time
	LastUsedAt     *time.Time
	RevokedAt      *time.Time
}

// SCIMTokenStore persists SCIM tokens.
type SCIMTokenStore interface {
	// CreateSCIMToken inserts t. CodeConflict when its tenant (or its
	// organization) already holds a token not revoked; a re-create holds
	// the tenant's lock (TenantStore.LockTenant) and revokes the old one
	// first.
	CreateSCIMToken(ctx context.Context, t *SCIMToken) error
	// ActiveSCIMToken returns the token not revoked, expired or not, of the
	// tenant (orgID "") or of its organization orgID. CodeNotFound.
	ActiveSCIMToken(ctx context.Context, tenantID, orgID string) (*SCIMToken, error)
	// SCIMTokenByHash finds the token, revoked or not, whose Hash is hash,
	// in any tenant. CodeNotFound.
	SCIMTokenByHash(ctx context.Context, hash string) (*SCIMToken, error)
	// RevokeSCIMToken sets RevokedAt of the token not revoked of the tenant
	// (orgID "") or of its organization orgID to at and returns it.
	// CodeNotFound when there is none.
	RevokeSCIMToken(ctx context.Context, tenantID, orgID string, at time.Time) (*SCIMToken, error)
	// RecordSCIMTokenUse sets LastUsedAt of the token to at. CodeNotFound.
	RecordSCIMTokenUse(ctx context.Context, tenantID, id string, at time.Time) error
}
