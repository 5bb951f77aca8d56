package directory

import (
	"context"
	"fmt"
	"slices"

	"github.com/gatehouse-iam/gatehouse/internal/access"
	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/permission"
)

// AdminRoleInput is what creating an admin role takes.
type AdminRoleInput struct {
	Name        string
	Description string
	Permissions []string
}

// AdminRolePatch changes the fields that are not nil.
type AdminRolePatch struct {
	Name        *string
	Description *string
	Permissions *[]string
}

func adminRoleRef(id string) iam.Ref { return iam.Ref{Type: "admin_role", ID: id} }

func (f fieldErrors) permissions(field string, perms []string) []string {
	out := []string{}
	for _, p := range perms {
		if !permission.ValidPattern(p) {
			f[field] = fmt.Sprintf("%q is not a system permission", p)
			continue
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	if len(out) == 0 && f[field] == "" {
		f[field] = "must hold at least one permission"
	}
	return out
}

// CreateAdminRole adds an admin role. Needs admin_roles.manage.
// Errors: CodeInvalid, CodeNameTaken.
func (s *Service) CreateAdminRole(ctx context.Context, in AdminRoleInput) (*iam.AdminRole, error) {
	p, err := permission.Require(ctx, permission.AdminRolesManage)
	if err != nil {
		return nil, err
	}
	f := fieldErrors{}
	name := f.text("name", in.Name, 100, true)
	desc := f.text("description", in.Description, 1000, false)
	perms := f.permissions("permissions", in.Permissions)
	if err := f.err(); err != nil {
		return nil, err
	}
	if err := requireCovers(p, perms); err != nil {
		return nil, err
	}
	now := s.now()
	r := &iam.AdminRole{ID: newID(), TenantID: p.TenantID, Name: name, Description: desc, Permissions: perms, CreatedAt: now, UpdatedAt: now}
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		if err := tx.CreateAdminRole(ctx, r); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, now, p.TenantID, "admin_role.created", adminRoleRef(r.ID), iam.ResultSuccess,
			map[string]any{"name": name, "permissions": perms}))
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// GetAdminRole returns an admin role. Needs admin_roles.manage.
func (s *Service) GetAdminRole(ctx context.Context, id string) (*iam.AdminRole, error) {
	p, err := permission.Require(ctx, permission.AdminRolesManage)
	if err != nil {
		return nil, err
	}
	if !access.ValidID(id) {
		return nil, notFound("admin role")
	}
	return s.store.GetAdminRole(ctx, p.TenantID, id)
}

// ListAdminRoles lists admin roles. Needs admin_roles.manage.
func (s *Service) ListAdminRoles(ctx context.Context, lp iam.ListParams) ([]iam.AdminRole, int, error) {
	p, err := permission.Require(ctx, permission.AdminRolesManage)
	if err != nil {
		return nil, 0, err
	}
	return s.store.ListAdminRoles(ctx, p.TenantID, lp)
}

// UpdateAdminRole changes an admin role; the built-in superadmin role cannot
// change. The role must meet pre. Needs admin_roles.manage. Errors:
// CodeInvalid, CodeNotFound, CodeNameTaken, CodeStateConflict,
// CodePreconditionFailed.
func (s *Service) UpdateAdminRole(ctx context.Context, id string, patch AdminRolePatch, pre iam.Precondition) (*iam.AdminRole, error) {
	p, err := permission.Require(ctx, permission.AdminRolesManage)
	if err != nil {
		return nil, err
	}
	if !access.ValidID(id) {
		return nil, notFound("admin role")
	}
	f := fieldErrors{}
	var name, desc string
	var perms []string
	if patch.Name != nil {
		name = f.text("name", *patch.Name, 100, true)
	}
	if patch.Description != nil {
		desc = f.text("description", *patch.Description, 1000, false)
	}
	if patch.Permissions != nil {
		perms = f.permissions("permissions", *patch.Permissions)
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	var r *iam.AdminRole
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		if r, err = tx.GetAdminRoleForUpdate(ctx, p.TenantID, id); err != nil {
			return err
		}
		if err := pre.Check(r.Version); err != nil {
			return err
		}
		if r.Builtin {
			return iam.Errorf(iam.CodeStateConflict, "the built-in %s role cannot change", r.Name)
		}
		if err := requireCovers(p, slices.Concat(r.Permissions, perms)); err != nil {
			return err
		}
		if patch.Name != nil {
			r.Name = name
		}
		if patch.Description != nil {
			r.Description = desc
		}
		if patch.Permissions != nil {
			r.Permissions = perms
		}
		r.UpdatedAt = s.now()
		if err := tx.UpdateAdminRole(ctx, r); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), p.TenantID, "admin_role.updated", adminRoleRef(id), iam.ResultSuccess,
			map[string]any{"name": r.Name, "permissions": r.Permissions}))
	})
	if err != nil {
		return nil, err
	}
	s.cache.ForgetAll()
	return r, nil
}

// DeleteAdminRole removes an admin role from the tenant and from its holders,
// if the role meets pre. Needs admin_roles.manage. Errors: CodeNotFound,
// CodeStateConflict (built-in), CodePreconditionFailed.
func (s *Service) DeleteAdminRole(ctx context.Context, id string, pre iam.Precondition) error {
	p, err := permission.Require(ctx, permission.AdminRolesManage)
	if err != nil {
		return err
	}
	if !access.ValidID(id) {
		return notFound("admin role")
	}
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		r, err := tx.GetAdminRoleForUpdate(ctx, p.TenantID, id)
		if err != nil {
			return err
		}
		if err := pre.Check(r.Version); err != nil {
			return err
		}
		if r.Builtin {
			return iam.Errorf(iam.CodeStateConflict, "the built-in %s role cannot be deleted", r.Name)
		}
		if err := requireCovers(p, r.Permissions); err != nil {
			return err
		}
		if err := tx.DeleteAdminRole(ctx, p.TenantID, id); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), p.TenantID, "admin_role.deleted", adminRoleRef(id), iam.ResultSuccess,
			map[string]any{"name": r.Name}))
	})
	if err == nil {
		s.cache.ForgetAll()
	}
	return err
}

// NewAdmin is what creating an admin takes: a new user and the admin roles
// (ids or names) they hold.
type NewAdmin struct {
	Email      string
	Password   string
	Name       string
	AdminRoles []string
}

// GetAdmin returns a user holding admin roles, with the roles. Needs
// admins.manage. Errors: CodeNotFound (no such user, or one without admin roles).
func (s *Service) GetAdmin(ctx context.Context, userID string) (*iam.Admin, error) {
	p, err := permission.Require(ctx, permission.AdminsManage)
	if err != nil {
		return nil, err
	}
	if !access.ValidID(userID) {
		return nil, notFound("admin")
	}
	// The user (and its version) first, the roles second: roles changed in
	// between come with the older version, which If-Match then refuses,
	// rather than older roles with a newer version, which it would accept.
	u, err := s.store.GetUser(ctx, p.TenantID, userID)
	if iam.IsCode(err, iam.CodeNotFound) {
		return nil, notFound("admin")
	}
	if err != nil {
		return nil, err
	}
	roles, err := s.store.UserAdminRoles(ctx, p.TenantID, userID)
	if err != nil {
		return nil, err
	}
	if len(roles) == 0 {
		return nil, notFound("admin")
	}
	return &iam.Admin{User: *u, Roles: roles}, nil
}

// ListAdmins lists users holding admin roles. Needs admins.manage.
func (s *Service) ListAdmins(ctx context.Context, lp iam.ListParams) ([]iam.Admin, int, error) {
	p, err := permission.Require(ctx, permission.AdminsManage)
	if err != nil {
		return nil, 0, err
	}
	return s.store.ListAdmins(ctx, p.TenantID, lp)
}

// CreateAdmin creates a user holding admin roles. Needs admins.manage.
// Errors: CodeInvalid, CodeEmailTaken.
func (s *Service) CreateAdmin(ctx context.Context, in NewAdmin) (*iam.Admin, error) {
	p, err := permission.Require(ctx, permission.AdminsManage)
	if err != nil {
		return nil, err
	}
	f := fieldErrors{}
	f.required("password", in.Password)
	if len(in.AdminRoles) == 0 {
		f["admin_roles"] = "must name at least one admin role"
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	u, err := s.buildUser(ctx, p.TenantID, NewUser{Email: in.Email, Password: in.Password, Name: in.Name, EmailVerified: true})
	if err != nil {
		return nil, err
	}
	var admin *iam.Admin
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		roles, err := resolveRoles(ctx, tx, p.TenantID, in.AdminRoles)
		if err != nil {
			return err
		}
		if err := requireCovers(p, rolePermissions(roles)); err != nil {
			return err
		}
		if err := u.create(ctx, tx); err != nil {
			return err
		}
		if err := tx.SetUserAdminRoles(ctx, p.TenantID, u.ID, roleIDs(roles)); err != nil {
			return err
		}
		u.Version++ // SetUserAdminRoles counts as an update of the user.
		admin = &iam.Admin{User: *u.User, Roles: roles}
		return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), p.TenantID, "admin.created", userRef(u.ID), iam.ResultSuccess,
			map[string]any{"email": u.Email, "admin_roles": roleNames(roles)}))
	})
	if err != nil {
		return nil, err
	}
	return admin, nil
}

// noLiveCredentials refuses to widen what a user holds while they own live
// API credentials: an admin with credentials.write may have made them for
// the user and kept their secrets, which would act with the new roles.
func noLiveCredentials(ctx context.Context, tx iam.Tx, tenantID, userID string) error {
	n, err := liveCredentials(ctx, tx, tenantID, iam.PrincipalUser, userID)
	if err != nil {
		return err
	}
	return liveSecretsConflict("the user owns live API credentials", n)
}

// SetAdminRoles replaces the admin roles a user holds, if the user meets pre;
// an empty list demotes them to an ordinary user. Needs admins.manage.
// Roles that widen what the user holds are refused while they own live API
// credentials. Errors: CodeInvalid, CodeNotFound, CodeLastSuperadmin,
// CodePreconditionFailed, CodeStateConflict.
func (s *Service) SetAdminRoles(ctx context.Context, userID string, names []string, pre iam.Precondition) (*iam.Admin, error) {
	p, err := permission.Require(ctx, permission.AdminsManage)
	if err != nil {
		return nil, err
	}
	if !access.ValidID(userID) {
		return nil, notFound("admin")
	}
	action := "admin.updated"
	if len(names) == 0 {
		action = "admin.deleted"
	}
	var admin *iam.Admin
	err = s.guardSuperadmin(ctx, p.TenantID, func(tx iam.Tx) error {
		u, err := tx.GetUserForUpdate(ctx, p.TenantID, userID)
		if err != nil {
			return err
		}
		roles, err := resolveRoles(ctx, tx, p.TenantID, names)
		if err != nil {
			return err
		}
		held, err := tx.UserAdminRoles(ctx, p.TenantID, userID)
		if err != nil {
			return err
		}
		if len(roles) == 0 && len(held) == 0 {
			return notFound("admin")
		}
		if err := pre.Check(u.Version); err != nil {
			return err
		}
		if err := requireCovers(p, slices.Concat(rolePermissions(roles), rolePermissions(held))); err != nil {
			return err
		}
		if !permission.CoversAll(rolePermissions(held), rolePermissions(roles)) {
			if err := noLiveCredentials(ctx, tx, p.TenantID, userID); err != nil {
				return err
			}
		}
		if err := tx.SetUserAdminRoles(ctx, p.TenantID, userID, roleIDs(roles)); err != nil {
			return err
		}
		u.Version++ // SetUserAdminRoles counts as an update of the user.
		admin = &iam.Admin{User: *u, Roles: roles}
		return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), p.TenantID, action, userRef(userID), iam.ResultSuccess,
			map[string]any{"admin_roles": roleNames(roles)}))
	})
	if err != nil {
		return nil, err
	}
	s.cache.ForgetUser(userID)
	return admin, nil
}

// resolveRoles finds admin roles by id or name, naming any unknown one.
func resolveRoles(ctx context.Context, tx iam.Tx, tenantID string, refs []string) ([]iam.AdminRole, error) {
	roles := []iam.AdminRole{}
	for _, ref := range refs {
		var r *iam.AdminRole
		var err error
		if access.ValidID(ref) {
			r, err = tx.GetAdminRole(ctx, tenantID, ref)
		} else {
			r, err = tx.GetAdminRoleByName(ctx, tenantID, ref)
		}
		if iam.IsCode(err, iam.CodeNotFound) {
			return nil, iam.Invalid("unknown admin role", map[string]string{"admin_roles": fmt.Sprintf("no admin role %q", ref)})
		}
		if err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(roles, func(x iam.AdminRole) bool { return x.ID == r.ID }) {
			roles = append(roles, *r)
		}
	}
	return roles, nil
}

// requireCovers refuses a change that would grant, alter or take away
// permissions the caller does not hold itself, so that no admin can raise
// itself or another above its own rank.
func requireCovers(p *iam.Principal, perms []string) error {
	if permission.CoversAll(p.Permissions, perms) {
		return nil
	}
	return iam.Errorf(iam.CodeForbidden, "you cannot grant, change or remove permissions you do not hold")
}

func rolePermissions(roles []iam.AdminRole) []string {
	var perms []string
	for _, r := range roles {
		perms = append(perms, r.Permissions...)
	}
	return perms
}

func roleIDs(roles []iam.AdminRole) []string {
	ids := make([]string, len(roles))
	for i, r := range roles {
		ids[i] = r.ID
	}
	return ids
}

func roleNames(roles []iam.AdminRole) []string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = r.Name
	}
	return names
}

// guardSuperadmin runs fn in a transaction that holds the tenant's lock and
// fails with CodeLastSuperadmin if fn leaves a tenant that had an active
// superadmin without one.
func (s *Service) guardSuperadmin(ctx context.Context, tenantID string, fn func(tx iam.Tx) error) error {
	return s.store.InTx(ctx, func(tx iam.Tx) error {
		if err := tx.LockTenant(ctx, tenantID); err != nil {
			return err
		}
		role, err := tx.GetAdminRoleByName(ctx, tenantID, permission.SuperadminRole)
		if iam.IsCode(err, iam.CodeNotFound) {
			return fn(tx)
		}
		if err != nil {
			return err
		}
		before, err := tx.CountActiveHolders(ctx, tenantID, role.ID)
		if err != nil {
			return err
		}
		if err := fn(tx); err != nil {
			return err
		}
		after, err := tx.CountActiveHolders(ctx, tenantID, role.ID)
		if err != nil {
			return err
		}
		if before > 0 && after == 0 {
			return iam.Errorf(iam.CodeLastSuperadmin, "this would leave the tenant without an active superadmin")
		}
		return nil
	})
}
