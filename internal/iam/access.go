package iam

import (
	"context"
	"time"
)

// Permission is an application permission such as "invoices.read", defined
// per tenant for the services that ask Gatehouse about it.
type Permission struct {
	ID          string
	TenantID    string
	Name        string
	Description string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// Version is 1 at creation and grows by one with each update.
	Version int64
}

// Role bundles permissions (names, or wildcards such as "invoices.*"). A role
// without OrganizationID is a tenant-wide template usable in every
// organization; with one, it exists only in that organization.
type Role struct {
	ID             string
	TenantID       string
	OrganizationID string
	Name           string
	Description    string
	Permissions    []string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// Version is 1 at creation and grows by one with each update.
	Version int64
}

// Organization is a B2B unit of a tenant. Alias is a unique slug.
type Organization struct {
	ID         string
	TenantID   string
	Name       string
	Alias      string
	ExternalID string
	Metadata   map[string]any
	// MFA is the organization's MFA policy, "optional" or "required": under
	// required, a member without a second factor must enrol one to sign in.
	MFA       string
	CreatedAt time.Time
	UpdatedAt time.Time
	// Version is 1 at creation and grows by one with each update.
	Version int64
}

// Member is a user's membership of an organization and the roles held there.
type Member struct {
	OrganizationID string
	User           User
	Roles          []Role
	CreatedAt      time.Time
}

// Membership is one organization a user belongs to, with the roles held there.
type Membership struct {
	Organization Organization
	Roles        []Role
	CreatedAt    time.Time
}

// Group is a set of users; the roles it carries reach every member.
type Group struct {
	ID          string
	TenantID    string
	Name        string
	Description string
	ExternalID  string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// Version is 1 at creation and grows by one with each update.
	Version int64
}

// GroupMember is a user in a group.
type GroupMember struct {
	User      User
	CreatedAt time.Time
}

// How a grant reaches a user.
const (
	ViaTenant       = "tenant"
	ViaGroup        = "group"
	ViaOrganization = "organization"
)

// Grant is one permission pattern a user holds, with the role and the path
// (a tenant-wide assignment, a group, or a membership) that gives it.
type Grant struct {
	Permission string
	RoleID     string
	RoleName   string
	Via        string
	ViaID      string
	ViaName    string
}

// RoleQuery filters the role list. Scope "template" lists roles without an
// organization; OrganizationID lists that organization's own roles.
type RoleQuery struct {
	ListParams
	OrganizationID string
	TemplatesOnly  bool
}

// AccessStore persists permissions, roles and who holds them, organizations
// and groups. Unique violations answer the code named on the method.
type AccessStore interface {
	// CreatePermission inserts p. CodeNameTaken.
	CreatePermission(ctx context.Context, p *Permission) error
	GetPermission(ctx context.Context, tenantID, id string) (*Permission, error)
	// GetPermissionForUpdate reads like GetPermission and holds the row until
	// the transaction ends (see GetUserForUpdate).
	GetPermissionForUpdate(ctx context.Context, tenantID, id string) (*Permission, error)
	GetPermissionByName(ctx context.Context, tenantID, name string) (*Permission, error)
	// ListPermissions searches names, sorted by PermissionOrder. CodeInvalid for another order.
	ListPermissions(ctx context.Context, tenantID string, p ListParams) ([]Permission, int, error)
	// It sets p.Version to the incremented version.
	UpdatePermission(ctx context.Context, p *Permission) error
	// DeletePermission removes the permission and takes it out of every role.
	DeletePermission(ctx context.Context, tenantID, id string) error

	// CreateRole inserts r with its permissions. CodeNameTaken.
	CreateRole(ctx context.Context, r *Role) error
	GetRole(ctx context.Context, tenantID, id string) (*Role, error)
	// GetRoleForUpdate reads like GetRole and holds the row until the
	// transaction ends (see GetUserForUpdate).
	GetRoleForUpdate(ctx context.Context, tenantID, id string) (*Role, error)
	// ListRoles searches names, sorted by RoleOrder. CodeInvalid for another order.
	ListRoles(ctx context.Context, tenantID string, q RoleQuery) ([]Role, int, error)
	// UpdateRole writes name, description and permissions, and sets r.Version
	// to the incremented version. CodeNameTaken.
	UpdateRole(ctx context.Context, r *Role) error
	DeleteRole(ctx context.Context, tenantID, id string) error

	// AddUserRole assigns a role tenant-wide; assigning it again is no change.
	AddUserRole(ctx context.Context, tenantID, userID, roleID string) error
	// RemoveUserRole reports whether the user held the role.
	RemoveUserRole(ctx context.Context, tenantID, userID, roleID string) (bool, error)
	UserRoles(ctx context.Context, tenantID, userID string) ([]Role, error)

	// CreateOrganization inserts o. CodeAliasTaken, CodeExternalIDTaken.
	CreateOrganization(ctx context.Context, o *Organization) error
	GetOrganization(ctx context.Context, tenantID, id string) (*Organization, error)
	// GetOrganizationForUpdate reads like GetOrganization and holds the row
	// until the transaction ends (see GetUserForUpdate); changes to the
	// organization's members take it too.
	GetOrganizationForUpdate(ctx context.Context, tenantID, id string) (*Organization, error)
	GetOrganizationByAlias(ctx context.Context, tenantID, alias string) (*Organization, error)
	// ListOrganizations searches names and aliases, sorted by OrganizationOrder. CodeInvalid for another order.
	ListOrganizations(ctx context.Context, tenantID string, p ListParams) ([]Organization, int, error)
	// UpdateOrganization writes every mutable field and sets o.Version to the
	// incremented version. CodeAliasTaken, CodeExternalIDTaken.
	UpdateOrganization(ctx context.Context, o *Organization) error
	DeleteOrganization(ctx context.Context, tenantID, id string) error
	// SetMember adds the user to the organization if needed and replaces the
	// roles they hold there; created reports whether the membership is new.
	SetMember(ctx context.Context, tenantID, orgID, userID string, roleIDs []string, at time.Time) (created bool, err error)
	// RemoveMember reports whether the user was a member.
	RemoveMember(ctx context.Context, tenantID, orgID, userID string) (bool, error)
	GetMember(ctx context.Context, tenantID, orgID, userID string) (*Member, error)
	// ListMembers searches members' emails and names, sorted by MemberOrder. CodeInvalid for another order.
	ListMembers(ctx context.Context, tenantID, orgID string, p ListParams) ([]Member, int, error)
	// UserMemberships lists the organizations a user belongs to, by name.
	UserMemberships(ctx context.Context, tenantID, userID string) ([]Membership, error)
	// UserInMFAOrganization reports whether the user is a member of an
	// organization of the tenant whose MFA policy is "required".
	UserInMFAOrganization(ctx context.Context, tenantID, userID string) (bool, error)

	// CreateGroup inserts g. CodeNameTaken, CodeExternalIDTaken.
	CreateGroup(ctx context.Context, g *Group) error
	GetGroup(ctx context.Context, tenantID, id string) (*Group, error)
	// GetGroupForUpdate reads like GetGroup and holds the row until the
	// transaction ends (see GetUserForUpdate); changes to the group's members
	// and roles take it too.
	GetGroupForUpdate(ctx context.Context, tenantID, id string) (*Group, error)
	// ListGroups searches names and selects by q.Filter, sorted by
	// GroupOrder. CodeInvalid for another order or a filter the fields of
	// GroupFilterFields do not take.
	ListGroups(ctx context.Context, tenantID string, q GroupQuery) ([]Group, int, error)
	// UpdateGroup writes every mutable field and sets g.Version to the
	// incremented version. CodeNameTaken, CodeExternalIDTaken.
	UpdateGroup(ctx context.Context, g *Group) error
	DeleteGroup(ctx context.Context, tenantID, id string) error
	// AddGroupMember reports whether the user was not yet a member. Adding
	// and removing a member moves the group's Version, so that its ETag
	// covers the members.
	AddGroupMember(ctx context.Context, tenantID, groupID, userID string, at time.Time) (bool, error)
	RemoveGroupMember(ctx context.Context, tenantID, groupID, userID string) (bool, error)
	// GroupsOfUsers returns the groups each of the users is a member of, by
	// name; users in none are absent.
	GroupsOfUsers(ctx context.Context, tenantID string, userIDs []string) (map[string][]Group, error)
	// GroupMemberIDs returns the ids of every member of the group, in no
	// particular order.
	GroupMemberIDs(ctx context.Context, tenantID, groupID string) ([]string, error)
	// ListGroupMembers searches members' emails and names, sorted by GroupMemberOrder. CodeInvalid for another order.
	ListGroupMembers(ctx context.Context, tenantID, groupID string, p ListParams) ([]GroupMember, int, error)
	// AddGroupRole reports whether the group did not yet carry the role.
	AddGroupRole(ctx context.Context, tenantID, groupID, roleID string) (bool, error)
	RemoveGroupRole(ctx context.Context, tenantID, groupID, roleID string) (bool, error)
	GroupRoles(ctx context.Context, tenantID, groupID string) ([]Role, error)

	// Grants returns every permission pattern the user holds in the
	// organization (none: tenant-wide only), with the role and path giving it.
	Grants(ctx context.Context, tenantID, userID, orgID string) ([]Grant, error)

	// BumpAccessVersion records, in the caller's transaction, that who may do
	// what in the tenant changed.
	BumpAccessVersion(ctx context.Context, tenantID string) error
	// AccessVersion returns the tenant's counter; 0 before the first bump.
	AccessVersion(ctx context.Context, tenantID string) (int64, error)
}
