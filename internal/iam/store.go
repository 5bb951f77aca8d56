package iam

import (
	"context"
	"time"
)

// Store methods return *Error values with these codes: CodeNotFound when a row
// does not exist in the tenant, the Code named on the method for unique
// violations, and CodeInternal for everything else.

// TenantStore persists tenants and their hostnames. Hostnames read back in
// the order they were last written in: the first is the tenant's primary.
type TenantStore interface {
	// CreateTenant inserts t and its hostnames. CodeHostnameTaken,
	// CodeExternalIDTaken.
	CreateTenant(ctx context.Context, t *Tenant) error
	GetTenant(ctx context.Context, id string) (*Tenant, error)
	// GetTenantForUpdate reads like GetTenant and holds the row until the
	// transaction ends (see UserStore.GetUserForUpdate).
	GetTenantForUpdate(ctx context.Context, id string) (*Tenant, error)
	// SystemTenant returns the system tenant; CodeNotFound before bootstrap.
	SystemTenant(ctx context.Context) (*Tenant, error)
	// TenantByHostname finds the tenant serving a lower-cased hostname.
	TenantByHostname(ctx context.Context, hostname string) (*Tenant, error)
	// TenantByExternalID finds the tenant with that external id. CodeNotFound.
	TenantByExternalID(ctx context.Context, externalID string) (*Tenant, error)
	// ListTenants searches names, sorted by TenantOrder. CodeInvalid for another order.
	ListTenants(ctx context.Context, p ListParams) ([]Tenant, int, error)
	// UpdateTenant replaces the name, external id and hostnames and sets
	// t.Version to the incremented version. CodeHostnameTaken,
	// CodeExternalIDTaken.
	UpdateTenant(ctx context.Context, t *Tenant) error
	// DeleteTenant removes the tenant and everything in it.
	DeleteTenant(ctx context.Context, id string) error
	// LockTenant serialises transactions that check tenant-wide invariants
	// (such as "one superadmin remains") until the transaction ends.
	LockTenant(ctx context.Context, id string) error
}

// UserStore persists users.
type UserStore interface {
	// CreateUser inserts u. CodeEmailTaken, CodeExternalIDTaken.
	CreateUser(ctx context.Context, u *User) error
	GetUser(ctx context.Context, tenantID, id string) (*User, error)
	// GetUserForUpdate reads like GetUser and holds the user's row until the
	// transaction ends, so that a read-modify-write reading with it (inside
	// InTx) loses no concurrent change: a second one waits for the first to
	// commit and then reads its result. Every Get…ForUpdate works so.
	GetUserForUpdate(ctx context.Context, tenantID, id string) (*User, error)
	GetUserByEmail(ctx context.Context, tenantID, email string) (*User, error)
	// GetUserByExternalID finds the user with that external id. CodeNotFound.
	GetUserByExternalID(ctx context.Context, tenantID, externalID string) (*User, error)
	// ListUsers searches email and name, sorted by UserOrder. CodeInvalid for another order.
	ListUsers(ctx context.Context, tenantID string, q UserQuery) ([]User, int, error)
	// UpdateUser writes every mutable field of u and sets u.Version to the
	// incremented version. CodeEmailTaken, CodeExternalIDTaken.
	UpdateUser(ctx context.Context, u *User) error
	DeleteUser(ctx context.Context, tenantID, id string) error
}

// AdminStore persists admin roles and who holds them.
type AdminStore interface {
	// CreateAdminRole inserts r. CodeNameTaken.
	CreateAdminRole(ctx context.Context, r *AdminRole) error
	GetAdminRole(ctx context.Context, tenantID, id string) (*AdminRole, error)
	// GetAdminRoleForUpdate reads like GetAdminRole and holds the row until
	// the transaction ends (see UserStore.GetUserForUpdate).
	GetAdminRoleForUpdate(ctx context.Context, tenantID, id string) (*AdminRole, error)
	GetAdminRoleByName(ctx context.Context, tenantID, name string) (*AdminRole, error)
	// ListAdminRoles searches names, sorted by AdminRoleOrder. CodeInvalid for another order.
	ListAdminRoles(ctx context.Context, tenantID string, p ListParams) ([]AdminRole, int, error)
	// UpdateAdminRole writes name, description and permissions and sets
	// r.Version to the incremented version; the version of every user
	// holding the role moves too. CodeNameTaken.
	UpdateAdminRole(ctx context.Context, r *AdminRole) error
	// DeleteAdminRole removes the role from its holders, whose versions move.
	DeleteAdminRole(ctx context.Context, tenantID, id string) error
	// SetUserAdminRoles replaces the admin roles a user holds; an empty list
	// makes the user an ordinary user again. It increments the user's Version:
	// the roles are part of the admin a client reads. Callers hold the user's
	// row (GetUserForUpdate).
	SetUserAdminRoles(ctx context.Context, tenantID, userID string, roleIDs []string) error
	UserAdminRoles(ctx context.Context, tenantID, userID string) ([]AdminRole, error)
	// ListAdmins lists users holding an admin role, sorted by AdminOrder. CodeInvalid for another order.
	ListAdmins(ctx context.Context, tenantID string, p ListParams) ([]Admin, int, error)
	// CountActiveHolders counts active users holding the role.
	CountActiveHolders(ctx context.Context, tenantID, roleID string) (int, error)
}

// SessionStore persists sessions and refresh tokens.
type SessionStore interface {
	CreateSession(ctx context.Context, s *Session) error
	GetSession(ctx context.Context, tenantID, id string) (*Session, error)
	// LockSession holds the session row until the transaction ends, so that
	// every transaction touching a session and its tokens locks the session
	// first. CodeNotFound.
	LockSession(ctx context.Context, tenantID, id string) error
	// TouchSession records use of the session and sets its new expiry.
	TouchSession(ctx context.Context, tenantID, id string, lastSeen, expires time.Time) error
	RevokeSession(ctx context.Context, tenantID, id string, at time.Time) error
	// RevokeUserSessions revokes every session of the user and ends the
	// steps the user started that would still end in a session, a grant or
	// a new factor: pending MFA challenges (sign-in steps, enrolments,
	// step-ups) and authorization requests not exchanged are deleted,
	// approved device authorizations not redeemed are denied.
	RevokeUserSessions(ctx context.Context, tenantID, userID string, at time.Time) error
	// SessionByBrowserHash returns the tenant's session whose cookie secret
	// hashes to hash, revoked or expired ones too. CodeNotFound.
	SessionByBrowserHash(ctx context.Context, tenantID, hash string) (*Session, error)
	// RotateBrowserHash replaces the session's cookie hash oldHash with
	// newHash and reports whether it did: false when the session's hash is
	// no longer oldHash, so that of two concurrent rotations exactly one wins.
	RotateBrowserHash(ctx context.Context, tenantID, sessionID, oldHash, newHash string) (bool, error)
	CreateRefreshToken(ctx context.Context, t *RefreshToken) error
	RefreshTokenByHash(ctx context.Context, hash string) (*RefreshToken, error)
	// MarkRefreshTokenRotated sets RotatedAt if it is unset and reports whether
	// this call did so: of two concurrent rotations exactly one wins.
	MarkRefreshTokenRotated(ctx context.Context, id string, at time.Time) (bool, error)
}

// AuditStore persists the audit log. Events are never updated or deleted here.
type AuditStore interface {
	AppendAudit(ctx context.Context, e *AuditEvent) error
	// AppendAudits appends every event or, failing, none.
	AppendAudits(ctx context.Context, events []*AuditEvent) error
	// ListAudit returns matching events, newest first.
	ListAudit(ctx context.Context, tenantID string, q AuditQuery) ([]AuditEvent, int, error)
}

// KeyStore persists token signing keys. The keys of one algorithm form a
// chain, each naming the key it succeeds, which rotation extends.
type KeyStore interface {
	// CreateSigningKey stores k. Each key has at most one successor and each
	// algorithm one first key (Succeeds ""): of concurrent creations that
	// follow the same key, one is stored and the others are CodeConflict.
	CreateSigningKey(ctx context.Context, k *SigningKey) error
	// ListSigningKeys returns keys not retired, newest first.
	ListSigningKeys(ctx context.Context) ([]SigningKey, error)
	// ActivateSigningKey moves key id's ActivatesAt to at if that is later
	// than at, and reports whether it did: of concurrent callers one does.
	ActivateSigningKey(ctx context.Context, id string, at time.Time) (bool, error)
	// RetireSigningKey sets key id's RetiredAt to at if it is unset, and
	// reports whether it did.
	RetireSigningKey(ctx context.Context, id string, at time.Time) (bool, error)
}

// Tx is everything a store does, inside one transaction.
type Tx interface {
	TenantStore
	UserStore
	CredentialStore
	MFAStore
	AdminStore
	SessionStore
	AuditStore
	KeyStore
	AccessStore
	MailStore
	SettingsStore
	AccountStore
	ServiceAccountStore
	ServiceAccountKeyStore
	ServiceAccountAccessStore
	APICredentialStore
	LeaseStore
	PATStore
	SCIMTokenStore
	SCIMAttributeStore
	FederatedProviderStore
	FederatedIdentityStore
	SSOSetupLinkStore
	ApplicationStore
	ApplicationRoleStore
	OAuthStore
}

// Transactor runs fn in one transaction, committed if fn returns nil. A
// service declares the store it needs as Transactor plus the few aggregate
// stores it reads outside transactions.
type Transactor interface {
	InTx(ctx context.Context, fn func(tx Tx) error) error
}

// Store is a backend. Its methods outside InTx each run in their own
// transaction; InTx runs fn in one transaction, committed if fn returns nil.
type Store interface {
	Tx
	Transactor
	Ping(ctx context.Context) error
	Close() error
}
