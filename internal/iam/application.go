package iam

import (
	"context"
	"time"
)

// ApplicationType is the kind of OAuth client an application is. web and
// machine clients keep a secret (confidential, RFC 6749 §2.1); spa and native
// clients run where anyone can read them (public) and must use PKCE.
type ApplicationType string

// The application types.
const (
	AppWeb     ApplicationType = "web"
	AppSPA     ApplicationType = "spa"
	AppNative  ApplicationType = "native"
	AppMachine ApplicationType = "machine"
)

// Public reports whether clients of type t cannot keep a secret.
func (t ApplicationType) Public() bool { return t == AppSPA || t == AppNative }

// The token endpoint authentication methods (RFC 7591 §2).
const (
	AuthClientSecretBasic = "client_secret_basic"
	AuthClientSecretPost  = "client_secret_post"
	AuthPrivateKeyJWT     = "private_key_jwt"
	AuthNone              = "none"
)

// UsesSecret reports whether clients authenticating with method present a
// client secret.
func UsesSecret(method string) bool {
	return method == AuthClientSecretBasic || method == AuthClientSecretPost
}

// Application is an OAuth 2.0 / OpenID Connect client of a tenant: what the
// authorization server needs to know about it, enough to answer every
// question zitadel/oidc's op.Client asks. ClientID is its public id, random
// (not derived from ID) and unique across tenants. SecretHash is its client
// secret's SHA-256, empty when its method uses none. JWKS is a JSON Web Key
// Set document and JWKSURI where one is published, for private_key_jwt.
type Application struct {
	ID                       string
	TenantID                 string
	Name                     string
	Type                     ApplicationType
	ClientID                 string
	SecretHash               string
	RedirectURIs             []string
	PostLogoutRedirectURIs   []string
	GrantTypes               []string
	TokenEndpointAuthMethod  string
	JWKS                     string
	JWKSURI                  string
	AllowedScopes            []string
	AccessTokenFormat        string
	AccessTokenTTL           time.Duration
	RefreshTokenTTL          time.Duration
	IDTokenSignedResponseAlg string
	RequireConsent           bool
	// RequirePKCE is true for public clients: their code grants must carry
	// a PKCE verifier (RFC 7636, RFC 9700 §2.1.1).
	RequirePKCE bool
	// ResourceURI names the application as a resource server (RFC 8707):
	// tokens asked for with resource=ResourceURI are meant for it. Empty
	// for an application that is no resource server.
	ResourceURI string
	// APIAccess lets the access tokens of the application's users call
	// Gatehouse's own API as those users: an admin console.
	APIAccess bool
	CreatedAt time.Time
	UpdatedAt time.Time
	// Version is 1 at creation and grows by one with each update,
	// a secret rotation included.
	Version int64
}

// ApplicationQuery filters the application list; Type lists only
// applications of that type.
type ApplicationQuery struct {
	ListParams
	Type ApplicationType
}

// ApplicationOrder is the order of the application list.
var ApplicationOrder = Order{"created_at", "name"}

// ApplicationStore persists applications.
type ApplicationStore interface {
	// CreateApplication inserts a and sets a.Version to 1. CodeNameTaken;
	// CodeConflict when the client id or the resource URI is taken.
	CreateApplication(ctx context.Context, a *Application) error
	GetApplication(ctx context.Context, tenantID, id string) (*Application, error)
	// GetApplicationForUpdate reads like GetApplication and holds the row
	// until the transaction ends (see UserStore.GetUserForUpdate).
	GetApplicationForUpdate(ctx context.Context, tenantID, id string) (*Application, error)
	// GetApplicationByClientID finds the tenant's application with that
	// client id. CodeNotFound.
	GetApplicationByClientID(ctx context.Context, tenantID, clientID string) (*Application, error)
	// GetApplicationByResource finds the tenant's application whose
	// resource URI is uri. CodeNotFound.
	GetApplicationByResource(ctx context.Context, tenantID, uri string) (*Application, error)
	// ListApplications searches names, sorted by ApplicationOrder.
	// CodeInvalid for another order.
	ListApplications(ctx context.Context, tenantID string, q ApplicationQuery) ([]Application, int, error)
	// UpdateApplication writes every field but the type, the client id and
	// the creation time, and sets a.Version to the incremented version.
	// CodeNameTaken; CodeConflict when the resource URI is taken.
	UpdateApplication(ctx context.Context, a *Application) error
	// DeleteApplication removes the application with its roles and their
	// mappings.
	DeleteApplication(ctx context.Context, tenantID, id string) error
}

// ApplicationRole is a role an application defines, such as "editor":
// the roles claim of the application's tokens names the ones its subject
// is mapped to.
type ApplicationRole struct {
	ID            string
	TenantID      string
	ApplicationID string
	Name          string
	Description   string
	CreatedAt     time.Time
}

// AppRoleMapping gives an application role to exactly one subject: a user
// (UserID), every member of a group (GroupID) or every member of an
// organization (OrganizationID). Role is the role's name.
type AppRoleMapping struct {
	ID             string
	TenantID       string
	ApplicationID  string
	RoleID         string
	Role           string
	UserID         string
	GroupID        string
	OrganizationID string
	CreatedAt      time.Time
}

// AppRoleMappingQuery filters the mapping list: each field set must match.
type AppRoleMappingQuery struct {
	ListParams
	ApplicationID  string
	Role           string
	UserID         string
	GroupID        string
	OrganizationID string
}

// ApplicationRoleStore persists application roles and their mappings.
type ApplicationRoleStore interface {
	// CreateApplicationRole inserts r. CodeNotFound when its application
	// is not in r.TenantID; CodeNameTaken.
	CreateApplicationRole(ctx context.Context, r *ApplicationRole) error
	// ApplicationRoleByName finds the application's role. CodeNotFound.
	ApplicationRoleByName(ctx context.Context, tenantID, applicationID, name string) (*ApplicationRole, error)
	// ListApplicationRoles lists the application's roles by name.
	ListApplicationRoles(ctx context.Context, tenantID, applicationID string) ([]ApplicationRole, error)
	// DeleteApplicationRole removes the role and its mappings. CodeNotFound.
	DeleteApplicationRole(ctx context.Context, tenantID, applicationID, id string) error
	// CreateAppRoleMapping inserts m (m.Role is ignored). CodeNotFound when
	// its application, role or subject is not in m.TenantID or the role is
	// not the application's; CodeConflict when the subject already holds
	// the role.
	CreateAppRoleMapping(ctx context.Context, m *AppRoleMapping) error
	GetAppRoleMapping(ctx context.Context, tenantID, id string) (*AppRoleMapping, error)
	// ListAppRoleMappings lists the matching mappings, oldest first.
	ListAppRoleMappings(ctx context.Context, tenantID string, q AppRoleMappingQuery) ([]AppRoleMapping, int, error)
	DeleteAppRoleMapping(ctx context.Context, tenantID, id string) error
	// ApplicationRolesFor returns the names of the application's roles the
	// user holds directly, through a group it is a member of, or through
	// an organization it is a member of: sorted, each once.
	ApplicationRolesFor(ctx context.Context, tenantID, applicationID, userID string) ([]string, error)
}
