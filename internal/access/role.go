package access

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/permission"
)

// PermissionInput is what creating a permission takes.
type PermissionInput struct {
	Name        string
	Description string
}

func permissionRef(id string) iam.Ref { return iam.Ref{Type: "permission", ID: id} }
func roleRef(id string) iam.Ref       { return iam.Ref{Type: "role", ID: id} }

func invalid(field, problem string) error {
	return iam.Invalid("the request has invalid fields", map[string]string{field: problem})
}

// text checks a free-text field: trimmed, bounded, no control characters.
func text(field, s string, maxLen int, required bool) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case required && s == "":
		return "", invalid(field, "is required")
	case utf8.RuneCountInString(s) > maxLen:
		return "", invalid(field, "is too long")
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "", invalid(field, "must not contain control characters")
	}
	return s, nil
}

// CreatePermission defines an application permission. Needs roles.write.
// Errors: CodeInvalid, CodeNameTaken.
func (s *Service) CreatePermission(ctx context.Context, in PermissionInput) (*iam.Permission, error) {
	p, err := permission.Require(ctx, permission.RolesWrite)
	if err != nil {
		return nil, err
	}
	if problem := checkPermissionName(in.Name); problem != "" {
		return nil, invalid("name", problem)
	}
	desc, err := text("description", in.Description, 1000, false)
	if err != nil {
		return nil, err
	}
	now := s.now()
	perm := &iam.Permission{ID: newID(), TenantID: p.TenantID, Name: in.Name, Description: desc, CreatedAt: now, UpdatedAt: now}
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		if err := tx.CreatePermission(ctx, perm); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, now, p.TenantID, "permission.created", permissionRef(perm.ID), iam.ResultSuccess,
			map[string]any{"name": perm.Name}))
	})
	if err != nil {
		return nil, err
	}
	return perm, nil
}

// GetPermission returns a permission. Needs roles.read.
func (s *Service) GetPermission(ctx context.Context, id string) (*iam.Permission, error) {
	p, err := permission.Require(ctx, permission.RolesRead)
	if err != nil {
		return nil, err
	}
	if !ValidID(id) {
		return nil, iam.Errorf(iam.CodeNotFound, "permission not found")
	}
	return s.store.GetPermission(ctx, p.TenantID, id)
}

// ListPermissions lists permissions. Needs roles.read.
func (s *Service) ListPermissions(ctx context.Context, lp iam.ListParams) ([]iam.Permission, int, error) {
	p, err := permission.Require(ctx, permission.RolesRead)
	if err != nil {
		return nil, 0, err
	}
	return s.store.ListPermissions(ctx, p.TenantID, lp)
}

// UpdatePermission changes a permission's description, if the permission
// meets pre; names are fixed because services check them. Needs roles.write.
func (s *Service) UpdatePermission(ctx context.Context, id, description string, pre iam.Precondition) (*iam.Permission, error) {
	p, err := permission.Require(ctx, permission.RolesWrite)
	if err != nil {
		return nil, err
	}
	if !ValidID(id) {
		return nil, iam.Errorf(iam.CodeNotFound, "permission not found")
	}
	desc, err := text("description", description, 1000, false)
	if err != nil {
		return nil, err
	}
	var perm *iam.Permission
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		if perm, err = tx.GetPermissionForUpdate(ctx, p.TenantID, id); err != nil {
			return err
		}
		if err := pre.Check(perm.Version); err != nil {
			return err
		}
		perm.Description, perm.UpdatedAt = desc, s.now()
		if err := tx.UpdatePermission(ctx, perm); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), p.TenantID, "permission.updated", permissionRef(id), iam.ResultSuccess, nil))
	})
	if err != nil {
		return nil, err
	}
	return perm, nil
}

// DeletePermission removes a permission and takes it out of every role, if
// the permission meets pre. Needs roles.write.
func (s *Service) DeletePermission(ctx context.Context, id string, pre iam.Precondition) error {
	p, err := permission.Require(ctx, permission.RolesWrite)
	if err != nil {
		return err
	}
	if !ValidID(id) {
		return iam.Errorf(iam.CodeNotFound, "permission not found")
	}
	return ChangeAccess(ctx, s.store, p.TenantID, s.Invalidate, func(tx iam.Tx) error {
		// Roles name permissions after checking, under this lock, that they
		// exist (rolePermissions).
		if err := tx.LockTenant(ctx, p.TenantID); err != nil {
			return err
		}
		perm, err := tx.GetPermissionForUpdate(ctx, p.TenantID, id)
		if err != nil {
			return err
		}
		if err := pre.Check(perm.Version); err != nil {
			return err
		}
		if err := tx.DeletePermission(ctx, p.TenantID, id); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), p.TenantID, "permission.deleted", permissionRef(id), iam.ResultSuccess,
			map[string]any{"name": perm.Name}))
	})
}

// RoleInput is what creating a role takes. OrganizationID (an id or alias)
// makes it the organization's own role; without one it is a template.
type RoleInput struct {
	Name           string
	Description    string
	Permissions    []string
	OrganizationID string
}

// RolePatch changes the fields that are not nil.
type RolePatch struct {
	Name        *string
	Description *string
	Permissions *[]string
}

// rolePermissions checks that each entry is a defined permission or a
// wildcard, and returns them sorted without duplicates.
//
// For named permissions it takes the tenant's lock, as DeletePermission does
// before deleting: the names it finds must still exist when the role is
// written, or on PostgreSQL a role could keep a permission deleted in between.
func rolePermissions(ctx context.Context, tx iam.Tx, tenantID string, perms []string) ([]string, error) {
	if slices.ContainsFunc(perms, func(p string) bool { return !isWildcard(p) }) {
		if err := tx.LockTenant(ctx, tenantID); err != nil {
			return nil, err
		}
	}
	out := []string{}
	for _, name := range perms {
		if !isWildcard(name) {
			if _, err := tx.GetPermissionByName(ctx, tenantID, name); iam.IsCode(err, iam.CodeNotFound) {
				return nil, invalid("permissions", fmt.Sprintf("%q is neither a defined permission nor a wildcard such as invoices.*", name))
			} else if err != nil {
				return nil, err
			}
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out, nil
}

// OrganizationByRef finds an organization of the tenant by id or alias.
// Errors: CodeNotFound.
func OrganizationByRef(ctx context.Context, store iam.AccessStore, tenantID, ref string) (*iam.Organization, error) {
	if ValidID(ref) {
		return store.GetOrganization(ctx, tenantID, ref)
	}
	return store.GetOrganizationByAlias(ctx, tenantID, strings.ToLower(ref))
}

// CreateRole adds a role. Needs roles.write.
// Errors: CodeInvalid, CodeNotFound (organization), CodeNameTaken.
func (s *Service) CreateRole(ctx context.Context, in RoleInput) (*iam.Role, error) {
	p, err := permission.Require(ctx, permission.RolesWrite)
	if err != nil {
		return nil, err
	}
	name, err := text("name", in.Name, 100, true)
	if err != nil {
		return nil, err
	}
	desc, err := text("description", in.Description, 1000, false)
	if err != nil {
		return nil, err
	}
	now := s.now()
	r := &iam.Role{ID: newID(), TenantID: p.TenantID, Name: name, Description: desc, CreatedAt: now, UpdatedAt: now}
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		if in.OrganizationID != "" {
			org, err := OrganizationByRef(ctx, tx, p.TenantID, in.OrganizationID)
			if iam.IsCode(err, iam.CodeNotFound) {
				return invalid("organization_id", "no such organization")
			}
			if err != nil {
				return err
			}
			r.OrganizationID = org.ID
		}
		if r.Permissions, err = rolePermissions(ctx, tx, p.TenantID, in.Permissions); err != nil {
			return err
		}
		if err := tx.CreateRole(ctx, r); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, now, p.TenantID, "role.created", roleRef(r.ID), iam.ResultSuccess,
			map[string]any{"name": r.Name, "permissions": r.Permissions, "organization_id": r.OrganizationID}))
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// GetRole returns a role. Needs roles.read.
func (s *Service) GetRole(ctx context.Context, id string) (*iam.Role, error) {
	p, err := permission.Require(ctx, permission.RolesRead)
	if err != nil {
		return nil, err
	}
	if !ValidID(id) {
		return nil, iam.Errorf(iam.CodeNotFound, "role not found")
	}
	return s.store.GetRole(ctx, p.TenantID, id)
}

// ListRoles lists roles, optionally only templates or one organization's own
// (organization given by id or alias). Needs roles.read.
func (s *Service) ListRoles(ctx context.Context, q iam.RoleQuery) ([]iam.Role, int, error) {
	p, err := permission.Require(ctx, permission.RolesRead)
	if err != nil {
		return nil, 0, err
	}
	if q.OrganizationID != "" {
		org, err := OrganizationByRef(ctx, s.store, p.TenantID, q.OrganizationID)
		if err != nil {
			return nil, 0, err
		}
		q.OrganizationID = org.ID
	}
	return s.store.ListRoles(ctx, p.TenantID, q)
}

// UpdateRole changes a role, if it meets pre; the change reaches every holder
// at once. Needs roles.write. Errors: CodeInvalid, CodeNotFound,
// CodeNameTaken, CodePreconditionFailed.
func (s *Service) UpdateRole(ctx context.Context, id string, patch RolePatch, pre iam.Precondition) (*iam.Role, error) {
	p, err := permission.Require(ctx, permission.RolesWrite)
	if err != nil {
		return nil, err
	}
	if !ValidID(id) {
		return nil, iam.Errorf(iam.CodeNotFound, "role not found")
	}
	var name, desc string
	if patch.Name != nil {
		if name, err = text("name", *patch.Name, 100, true); err != nil {
			return nil, err
		}
	}
	if patch.Description != nil {
		if desc, err = text("description", *patch.Description, 1000, false); err != nil {
			return nil, err
		}
	}
	var r *iam.Role
	err = ChangeAccess(ctx, s.store, p.TenantID, s.Invalidate, func(tx iam.Tx) error {
		if r, err = tx.GetRoleForUpdate(ctx, p.TenantID, id); err != nil {
			return err
		}
		if err := pre.Check(r.Version); err != nil {
			return err
		}
		if patch.Name != nil {
			r.Name = name
		}
		if patch.Description != nil {
			r.Description = desc
		}
		if patch.Permissions != nil {
			if r.Permissions, err = rolePermissions(ctx, tx, p.TenantID, *patch.Permissions); err != nil {
				return err
			}
		}
		r.UpdatedAt = s.now()
		if err := tx.UpdateRole(ctx, r); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), p.TenantID, "role.updated", roleRef(id), iam.ResultSuccess,
			map[string]any{"name": r.Name, "permissions": r.Permissions}))
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// DeleteRole removes a role from every holder, if it meets pre.
// Needs roles.write.
func (s *Service) DeleteRole(ctx context.Context, id string, pre iam.Precondition) error {
	p, err := permission.Require(ctx, permission.RolesWrite)
	if err != nil {
		return err
	}
	if !ValidID(id) {
		return iam.Errorf(iam.CodeNotFound, "role not found")
	}
	return ChangeAccess(ctx, s.store, p.TenantID, s.Invalidate, func(tx iam.Tx) error {
		r, err := tx.GetRoleForUpdate(ctx, p.TenantID, id)
		if err != nil {
			return err
		}
		if err := pre.Check(r.Version); err != nil {
			return err
		}
		if err := tx.DeleteRole(ctx, p.TenantID, id); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), p.TenantID, "role.deleted", roleRef(id), iam.ResultSuccess,
			map[string]any{"name": r.Name}))
	})
}

// AssignUserRole gives a user a template role tenant-wide. Needs roles.write.
// Errors: CodeNotFound (user or role), CodeInvalid (an organization's role).
func (s *Service) AssignUserRole(ctx context.Context, userID, roleID string) error {
	return s.changeRole(ctx, userHolder, userID, roleID, true)
}

// UnassignUserRole takes a tenant-wide role from a user. Needs roles.write.
// Errors: CodeNotFound (user, role, or the user does not hold it).
func (s *Service) UnassignUserRole(ctx context.Context, userID, roleID string) error {
	return s.changeRole(ctx, userHolder, userID, roleID, false)
}

// AssignServiceAccountRole gives a service account a template role
// tenant-wide, as AssignUserRole does a user. Needs roles.write.
func (s *Service) AssignServiceAccountRole(ctx context.Context, accountID, roleID string) error {
	return s.changeRole(ctx, accountHolder, accountID, roleID, true)
}

// UnassignServiceAccountRole takes a tenant-wide role from a service
// account. Needs roles.write.
func (s *Service) UnassignServiceAccountRole(ctx context.Context, accountID, roleID string) error {
	return s.changeRole(ctx, accountHolder, accountID, roleID, false)
}

// holder is a kind of subject that holds tenant-wide roles: how to find
// one, and how to give and take its roles.
type holder struct {
	what   string
	exists func(ctx context.Context, tx iam.Tx, tenantID, id string) error
	add    func(ctx context.Context, tx iam.Tx, tenantID, id, roleID string) error
	remove func(ctx context.Context, tx iam.Tx, tenantID, id, roleID string) (bool, error)
	roles  func(ctx context.Context, store Store, tenantID, id string) ([]iam.Role, error)
	get    func(ctx context.Context, store Store, tenantID, id string) error
}

var (
	userHolder = holder{
		what: "user",
		exists: func(ctx context.Context, tx iam.Tx, tenantID, id string) error {
			_, err := tx.GetUser(ctx, tenantID, id)
			return err
		},
		add: func(ctx context.Context, tx iam.Tx, t, id, r string) error { return tx.AddUserRole(ctx, t, id, r) },
		remove: func(ctx context.Context, tx iam.Tx, t, id, r string) (bool, error) {
			return tx.RemoveUserRole(ctx, t, id, r)
		},
		roles: func(ctx context.Context, st Store, t, id string) ([]iam.Role, error) { return st.UserRoles(ctx, t, id) },
		get: func(ctx context.Context, st Store, t, id string) error {
			_, err := st.GetUser(ctx, t, id)
			return err
		},
	}
	accountHolder = holder{
		what: "service_account",
		exists: func(ctx context.Context, tx iam.Tx, tenantID, id string) error {
			_, err := tx.GetServiceAccount(ctx, tenantID, id)
			return err
		},
		add: func(ctx context.Context, tx iam.Tx, t, id, r string) error {
			return tx.AddServiceAccountRole(ctx, t, id, r)
		},
		remove: func(ctx context.Context, tx iam.Tx, t, id, r string) (bool, error) {
			return tx.RemoveServiceAccountRole(ctx, t, id, r)
		},
		roles: func(ctx context.Context, st Store, t, id string) ([]iam.Role, error) {
			return st.ServiceAccountRoles(ctx, t, id)
		},
		get: func(ctx context.Context, st Store, t, id string) error {
			_, err := st.GetServiceAccount(ctx, t, id)
			return err
		},
	}
)

func (h holder) notFound() error {
	return iam.Errorf(iam.CodeNotFound, "%s not found", strings.ReplaceAll(h.what, "_", " "))
}

func (s *Service) changeRole(ctx context.Context, h holder, id, roleID string, assign bool) error {
	p, err := permission.Require(ctx, permission.RolesWrite)
	if err != nil {
		return err
	}
	if !ValidID(id) {
		return h.notFound()
	}
	if !ValidID(roleID) {
		return iam.Errorf(iam.CodeNotFound, "role not found")
	}
	return ChangeAccess(ctx, s.store, p.TenantID, s.Invalidate, func(tx iam.Tx) error {
		if err := h.exists(ctx, tx, p.TenantID, id); err != nil {
			return err
		}
		r, err := tx.GetRole(ctx, p.TenantID, roleID)
		if err != nil {
			return err
		}
		action := h.what + ".role_assigned"
		if assign {
			if r.OrganizationID != "" {
				return iam.Invalid("an organization's role is held through membership of that organization",
					map[string]string{"role_id": "is a role of one organization; assign it with the organization's members API"})
			}
			if err := h.add(ctx, tx, p.TenantID, id, roleID); err != nil {
				return err
			}
		} else {
			action = h.what + ".role_unassigned"
			held, err := h.remove(ctx, tx, p.TenantID, id, roleID)
			if err != nil {
				return err
			}
			if !held {
				return iam.Errorf(iam.CodeNotFound, "the %s does not hold this role", strings.ReplaceAll(h.what, "_", " "))
			}
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), p.TenantID, action, iam.Ref{Type: h.what, ID: id}, iam.ResultSuccess,
			map[string]any{"role_id": roleID, "role": r.Name}))
	})
}

// UserRoles lists a user's tenant-wide roles. Needs roles.read.
func (s *Service) UserRoles(ctx context.Context, userID string) ([]iam.Role, error) {
	return s.heldRoles(ctx, userHolder, userID)
}

// ServiceAccountRoles lists a service account's tenant-wide roles. Needs
// roles.read.
func (s *Service) ServiceAccountRoles(ctx context.Context, accountID string) ([]iam.Role, error) {
	return s.heldRoles(ctx, accountHolder, accountID)
}

func (s *Service) heldRoles(ctx context.Context, h holder, id string) ([]iam.Role, error) {
	p, err := permission.Require(ctx, permission.RolesRead)
	if err != nil {
		return nil, err
	}
	if !ValidID(id) {
		return nil, h.notFound()
	}
	if err := h.get(ctx, s.store, p.TenantID, id); err != nil {
		return nil, err
	}
	return h.roles(ctx, s.store, p.TenantID, id)
}
