package permission

import (
	"context"
	"slices"
	"strings"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// System permissions held through admin roles.
const (
	UsersRead        = "users.read"
	UsersWrite       = "users.write"
	AdminsManage     = "admins.manage"
	AdminRolesManage = "admin_roles.manage"
	AuditView        = "audit.view"
	TenantsManage    = "tenants.manage"
	RolesRead        = "roles.read"
	RolesWrite       = "roles.write"
	OrgsRead         = "orgs.read"
	OrgsWrite        = "orgs.write"
	GroupsRead       = "groups.read"
	GroupsWrite      = "groups.write"
	AuthzCheck       = "authz.check"
	SessionsRead     = "sessions.read"
	SessionsWrite    = "sessions.write"
	AppsRead         = "apps.read"
	AppsWrite        = "apps.write"
	CredentialsRead  = "credentials.read"
	CredentialsWrite = "credentials.write"
	// CredentialsVerify lets a back end check a user's credential without
	// signing in as them.
	CredentialsVerify = "credentials.verify"
	// ServiceAccountsRead and ServiceAccountsWrite govern service accounts
	// and their keys.
	ServiceAccountsRead  = "service_accounts.read"
	ServiceAccountsWrite = "service_accounts.write"
	SettingsManage       = "settings.manage"
	FederatedManage      = "federated.manage"
	SCIMManage           = "scim.manage"
	LicensesRead         = "licenses.read"
	LicensesWrite        = "licenses.write"
	TasksManage          = "tasks.manage"
	DashboardView        = "dashboard.view"
)

// System lists every permission an admin role may hold.
var System = []string{
	UsersRead, UsersWrite, AdminsManage, AdminRolesManage,
	GroupsRead, GroupsWrite, OrgsRead, OrgsWrite, RolesRead, RolesWrite,
	AppsRead, AppsWrite, CredentialsRead, CredentialsWrite, CredentialsVerify,
	ServiceAccountsRead, ServiceAccountsWrite,
	SessionsRead, SessionsWrite, SettingsManage, AuditView, TenantsManage,
	FederatedManage, SCIMManage, LicensesRead, LicensesWrite, TasksManage, DashboardView,
	AuthzCheck,
}

// All is the permission that covers every other; the superadmin role holds it.
const All = "*"

// SuperadminRole is the built-in role holding every permission.
const SuperadminRole = "superadmin"

// ValidPattern reports whether p may be granted: a system permission, a
// "<prefix>.*" wildcard whose prefix some system permission has, or "*".
func ValidPattern(p string) bool {
	if p == All || slices.Contains(System, p) {
		return true
	}
	prefix, ok := strings.CutSuffix(p, ".*")
	if !ok {
		return false
	}
	for _, sp := range System {
		if strings.HasPrefix(sp, prefix+".") {
			return true
		}
	}
	return false
}

// Covers reports whether granted covers wanted: equal, "*", or a wildcard
// "a.*" covering "a.anything".
func Covers(granted, wanted string) bool {
	if granted == All || granted == wanted {
		return true
	}
	prefix, ok := strings.CutSuffix(granted, "*")
	return ok && strings.HasSuffix(prefix, ".") && strings.HasPrefix(wanted, prefix)
}

// Allowed reports whether any of granted covers wanted.
func Allowed(granted []string, wanted string) bool {
	for _, g := range granted {
		if Covers(g, wanted) {
			return true
		}
	}
	return false
}

var errForbidden = iam.Errorf(iam.CodeForbidden, "you do not have permission to do this")

// Require returns the caller of ctx if it holds the wanted permission: unauthenticated
// when there is no caller, forbidden when it lacks the permission.
func Require(ctx context.Context, wanted string) (*iam.Principal, error) {
	p, err := Authenticated(ctx)
	if err != nil {
		return nil, err
	}
	if !Allowed(p.Permissions, wanted) {
		return nil, &iam.Error{Code: errForbidden.Code, Message: errForbidden.Message, Details: map[string]any{"permission": wanted}}
	}
	return p, nil
}

// Authenticated returns the caller of ctx, or unauthenticated. A user who
// must enrol a second factor first is forbidden everything but that (see
// Enrolling).
func Authenticated(ctx context.Context) (*iam.Principal, error) {
	p := iam.PrincipalFrom(ctx)
	if p == nil {
		return nil, iam.Errorf(iam.CodeUnauthenticated, "authentication required")
	}
	if p.Kind == iam.PrincipalEnrollment {
		return nil, &iam.Error{Code: iam.CodeForbidden, Message: "this token may only enrol a second factor (under /api/v1/mfa)",
			Details: map[string]any{"principal_kind": string(p.Kind)}}
	}
	return p, nil
}

// Enrolling returns the caller of ctx if it is a user signed in with a
// session, or a user whose enrollment token lets them enrol a second factor:
// the callers of the enrolment steps.
func Enrolling(ctx context.Context) (*iam.Principal, error) {
	if p := iam.PrincipalFrom(ctx); p != nil && p.Kind == iam.PrincipalEnrollment {
		return p, nil
	}
	return SessionUser(ctx)
}

// SessionUser returns the caller of ctx if it is a user signed in with a
// session, for what guards the account itself (its password, email, second
// factors, tokens and sessions): a user authenticated otherwise, by a
// personal access token, is forbidden it.
func SessionUser(ctx context.Context) (*iam.Principal, error) {
	p, err := AuthenticatedUser(ctx)
	if err != nil {
		return nil, err
	}
	if p.SessionID == "" {
		return nil, &iam.Error{Code: iam.CodeForbidden, Message: "this needs a signed-in session; a personal access token may not do it",
			Details: map[string]any{"session": "required"}}
	}
	return p, nil
}

// AuthenticatedUser returns the caller of ctx if it is a user, for what only
// a user has (sessions, memberships, application roles): unauthenticated when
// there is no caller, forbidden when it is of another kind.
func AuthenticatedUser(ctx context.Context) (*iam.Principal, error) {
	p, err := Authenticated(ctx)
	if err != nil {
		return nil, err
	}
	if p.Kind != iam.PrincipalUser {
		return nil, &iam.Error{Code: iam.CodeForbidden, Message: "only a signed-in user may do this",
			Details: map[string]any{"principal_kind": string(p.Kind)}}
	}
	return p, nil
}

// CoversPattern reports whether the granted permissions include everything
// pattern grants: a caller may hand out only what it holds itself.
func CoversPattern(granted []string, pattern string) bool {
	if prefix, ok := strings.CutSuffix(pattern, ".*"); ok {
		for _, g := range granted {
			if g == All || g == pattern {
				return true
			}
			if gp, ok := strings.CutSuffix(g, ".*"); ok && strings.HasPrefix(prefix+".", gp+".") {
				return true
			}
		}
		return false
	}
	if pattern == All {
		return slices.Contains(granted, All)
	}
	return Allowed(granted, pattern)
}

// CoversAll reports whether granted covers every pattern.
func CoversAll(granted, patterns []string) bool {
	for _, p := range patterns {
		if !CoversPattern(granted, p) {
			return false
		}
	}
	return true
}

// AdminRoles reads the admin roles a user holds.
type AdminRoles interface {
	UserAdminRoles(ctx context.Context, tenantID, userID string) ([]iam.AdminRole, error)
}

// GuardAdminTarget lets a change to a user who holds admin roles through only
// if the caller manages admins and holds everything the target holds, so
// that users.write never reaches an admin.
func GuardAdminTarget(ctx context.Context, store AdminRoles, p *iam.Principal, userID string) error {
	held, err := store.UserAdminRoles(ctx, p.TenantID, userID)
	if err != nil {
		return err
	}
	return GuardHeld(p, held, "this user is an admin; changing them needs admins.manage")
}

// GuardHeld lets p change what holds the admin roles held only if p holds
// admins.manage and every permission of those roles; refused says why
// without it. Nothing is guarded when held is empty.
func GuardHeld(p *iam.Principal, held []iam.AdminRole, refused string) error {
	if len(held) == 0 {
		return nil
	}
	if !Allowed(p.Permissions, AdminsManage) {
		return &iam.Error{Code: iam.CodeForbidden, Message: refused, Details: map[string]any{"permission": AdminsManage}}
	}
	var perms []string
	for _, r := range held {
		perms = append(perms, r.Permissions...)
	}
	if !CoversAll(p.Permissions, perms) {
		return iam.Errorf(iam.CodeForbidden, "you cannot grant, change or remove permissions you do not hold")
	}
	return nil
}
