package iam

import (
	"context"
	"time"
)

// AuthRequest is an OAuth authorization request (RFC 6749 §4.1.1) on its
// way from /oauth2/authorize to the token endpoint. Request is the
// validated request as the OAuth package encodes it; the store keeps it
// whole. UserID, BrowserSessionID, AuthTime and AMR are set once the user
// has signed in, CodeHash once a code was issued, and GrantSessionID by the
// one exchange of that code.
type AuthRequest struct {
	ID               string
	TenantID         string
	ApplicationID    string
	Request          []byte
	UserID           string
	BrowserSessionID string
	AuthTime         *time.Time
	AMR              []string
	CodeHash         string
	GrantSessionID   string
	CreatedAt        time.Time
	ExpiresAt        time.Time
}

// Consent is what a user granted an application: its scopes, and when
// they first consented to it.
type Consent struct {
	TenantID        string
	UserID          string
	ApplicationID   string
	ApplicationName string
	Scopes          []string
	// Resources are the resource servers' URIs the application may ask
	// tokens for on the user's behalf.
	Resources []string
	CreatedAt time.Time
}

// DeviceState is where a device authorization stands.
type DeviceState string

// The device authorization states.
const (
	DevicePending  DeviceState = "pending"
	DeviceApproved DeviceState = "approved"
	DeviceDenied   DeviceState = "denied"
	DeviceUsed     DeviceState = "used"
)

// DeviceAuthorization is a device's authorization request (RFC 8628):
// CodeHash is its device code's SHA-256, UserCode what the person types.
// UserID, AuthTime and AMR are set when they decide.
type DeviceAuthorization struct {
	CodeHash      string
	TenantID      string
	ApplicationID string
	UserCode      string
	Scopes        []string
	// Resources are the resource URIs (RFC 8707) the device asked for.
	Resources []string
	State     DeviceState
	UserID    string
	AuthTime  *time.Time
	AMR       []string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// OAuthStore persists authorization requests, device authorizations and
// consents.
type OAuthStore interface {
	CreateAuthRequest(ctx context.Context, r *AuthRequest) error
	// GetAuthRequest returns the tenant's request. CodeNotFound.
	GetAuthRequest(ctx context.Context, tenantID, id string) (*AuthRequest, error)
	// AuthRequestByCodeHash finds the request whose code hashes to hash, in
	// any tenant. CodeNotFound.
	AuthRequestByCodeHash(ctx context.Context, hash string) (*AuthRequest, error)
	// CompleteAuthRequest records who signed in for the request, unless
	// someone already did, and reports whether it did.
	CompleteAuthRequest(ctx context.Context, tenantID, id, userID, browserSessionID string, authTime time.Time, amr []string) (bool, error)
	// SetAuthRequestCode records the hash of the request's code and its
	// new expiry, once: it reports false when the request has a code
	// already or nobody signed in for it.
	SetAuthRequestCode(ctx context.Context, tenantID, id, codeHash string, expires time.Time) (bool, error)
	// ClaimAuthRequest sets the grant session of the request's code unless
	// one is set, and reports whether it did: of concurrent exchanges of
	// one code exactly one wins.
	ClaimAuthRequest(ctx context.Context, tenantID, id, grantSessionID string) (bool, error)
	DeleteAuthRequest(ctx context.Context, tenantID, id string) error
	// DeleteExpiredAuthRequests removes requests, device authorizations
	// and used assertion ids that expired before t, and reports how many.
	DeleteExpiredAuthRequests(ctx context.Context, t time.Time) (int, error)

	// GrantConsent adds scopes and resources to the user's consent to the
	// application; those granted before stay as they were.
	GrantConsent(ctx context.Context, tenantID, userID, applicationID string, scopes, resources []string, at time.Time) error
	// ConsentedScopes lists the scopes the user granted the application,
	// sorted; none when they never consented.
	ConsentedScopes(ctx context.Context, tenantID, userID, applicationID string) ([]string, error)
	// ConsentedResources lists the resource URIs (RFC 8707) the user let
	// the application ask tokens for, sorted; none when they never did.
	ConsentedResources(ctx context.Context, tenantID, userID, applicationID string) ([]string, error)
	// ListConsents lists the user's consents by application name.
	ListConsents(ctx context.Context, tenantID, userID string) ([]Consent, error)
	// RevokeConsent removes the user's consent to the application, scopes
	// and resources, and reports whether there was one.
	RevokeConsent(ctx context.Context, tenantID, userID, applicationID string) (bool, error)
	// CreateDeviceAuthorization inserts d. CodeConflict when its user code
	// is taken in its tenant.
	CreateDeviceAuthorization(ctx context.Context, d *DeviceAuthorization) error
	// DeviceAuthorizationByCodeHash finds a device authorization by its
	// device code's hash, in any tenant. CodeNotFound.
	DeviceAuthorizationByCodeHash(ctx context.Context, hash string) (*DeviceAuthorization, error)
	// DeviceAuthorizationByUserCode finds the tenant's device authorization
	// with that user code. CodeNotFound.
	DeviceAuthorizationByUserCode(ctx context.Context, tenantID, userCode string) (*DeviceAuthorization, error)
	// DecideDeviceAuthorization moves a pending authorization to approved or
	// denied, recording who decided, and reports whether it did.
	DecideDeviceAuthorization(ctx context.Context, tenantID, hash, userID string, authTime time.Time, amr []string, approve bool) (bool, error)
	// UseDeviceAuthorization moves an approved authorization to used and
	// reports whether it did: its tokens are issued once.
	UseDeviceAuthorization(ctx context.Context, hash string) (bool, error)

	// UseAssertion records the id of a client's assertion until it expires
	// and reports whether it was new: an id already recorded is a replay.
	UseAssertion(ctx context.Context, tenantID, clientID, jti string, expires time.Time) (bool, error)

	// RevokeApplicationGrants revokes every live grant of the user to the
	// application.
	RevokeApplicationGrants(ctx context.Context, tenantID, userID, applicationID string, at time.Time) error
}
