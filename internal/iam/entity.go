package iam

import "time"

// Tenant is an isolated user base. Exactly one tenant is the system tenant: the
// default in single-tenant mode and the one whose admins manage the others.
type Tenant struct {
	ID        string
	Name      string
	Hostnames []string
	System    bool
	// ExternalID is the caller's id for the tenant, unique among tenants;
	// empty when unset. nevisIDM's API calls it the client's external id.
	ExternalID string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	// Version is 1 when the tenant is created and grows by one with each
	// update; clients compare it (as an ETag) to change what they last read.
	Version int64
}

// UserStatus says whether a user may sign in.
type UserStatus string

// The user statuses.
const (
	UserActive   UserStatus = "active"
	UserDisabled UserStatus = "disabled"
)

// User is a person registered in a tenant. Email is stored lower-cased, so it is
// unique per tenant regardless of case. ExternalID is empty when unset. Their
// password and other secrets are Credentials.
type User struct {
	ID            string
	TenantID      string
	Email         string
	Name          string
	EmailVerified bool
	Status        UserStatus
	ExternalID    string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	// Version is 1 when the user is created and grows by one with each
	// update, including a change of the admin roles they hold.
	Version int64
}

// AdminRole is a named set of system permissions held by administrators.
type AdminRole struct {
	ID          string
	TenantID    string
	Name        string
	Description string
	Permissions []string
	Builtin     bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// Version is 1 at creation and grows by one with each update.
	Version int64
}

// Admin is a user holding at least one admin role.
type Admin struct {
	User  User
	Roles []AdminRole
}

// Session is one sign-in of a user. It is active until it expires or is revoked.
type Session struct {
	ID           string
	TenantID     string
	UserID       string
	CreatedAt    time.Time
	LastSeenAt   time.Time
	ExpiresAt    time.Time
	RevokedAt    *time.Time
	IP           string
	UserAgent    string
	KeepLoggedIn bool
	AMR          []string
	// MFAAt is when the session last passed a second factor, nil if never.
	MFAAt *time.Time
	// BrowserHash is the SHA-256 of a browser session's cookie secret;
	// empty for a session of API tokens.
	BrowserHash string
	// ApplicationID is set on an OAuth grant: the session of a user with
	// that application, holding the scopes granted to it.
	ApplicationID string
	Scopes        []string
	// Resources are the resource URIs (RFC 8707) the grant's access tokens
	// are meant for; none for tokens meant for the application itself.
	Resources []string
	// AuthTime is when the user last authenticated for the session, nil
	// where that is CreatedAt.
	AuthTime *time.Time
	// FederatedProviderID is the external provider the user signed in
	// through, empty for a sign-in of Gatehouse's own.
	FederatedProviderID string
}

// AuthenticatedAt is when the user last authenticated for the session.
func (s *Session) AuthenticatedAt() time.Time {
	if s.AuthTime != nil {
		return *s.AuthTime
	}
	return s.CreatedAt
}

// Active reports whether the session may still be used at now.
func (s *Session) Active(now time.Time) bool {
	return s.RevokedAt == nil && now.Before(s.ExpiresAt)
}

// RefreshToken is the stored form of an opaque refresh token: only its SHA-256.
type RefreshToken struct {
	ID        string
	TenantID  string
	SessionID string
	Hash      string
	CreatedAt time.Time
	ExpiresAt time.Time
	RotatedAt *time.Time
}

// Actor and Target name the parties of an audit event.
type Ref struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// AuditEvent records one change or authentication attempt.
type AuditEvent struct {
	ID        string
	TenantID  string
	Time      time.Time
	Actor     Ref
	Action    string
	Target    Ref
	IP        string
	UserAgent string
	Result    string
	Details   map[string]any
}

// Audit results.
const (
	ResultSuccess = "success"
	ResultFailure = "failure"
)

// SigningKey is a token signing key. PrivateKey is sealed with the master key;
// PublicJWK is the public half as a JSON Web Key. The key signs its
// algorithm's tokens from ActivatesAt until a later key activates; Succeeds is
// the key of its algorithm it follows ("" for the first). RetiredAt is set
// once no token it signed can still be valid: it then neither signs nor
// verifies.
type SigningKey struct {
	ID          string
	Algorithm   string
	PrivateKey  []byte
	PublicJWK   []byte
	Succeeds    string
	CreatedAt   time.Time
	ActivatesAt time.Time
	RetiredAt   *time.Time
}
