package directory

import (
	"context"
	"slices"

	"github.com/gatehouse-iam/gatehouse/internal/access"
	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/permission"
)

// A service account holds organization memberships and admin roles as a
// user does, under the same rules: memberships need orgs.write and take the
// organization's roles and templates; admin roles need admins.manage, and
// nobody hands out, changes or takes away permissions they do not hold.

func serviceAccountRef(id string) iam.Ref {
	return iam.Ref{Type: string(iam.PrincipalServiceAccount), ID: id}
}

// SetServiceAccountMember adds a service account to an organization (id or
// alias) if needed and replaces the roles it holds there. Needs orgs.write.
// Errors: CodeInvalid (roles), CodeNotFound.
func (s *Service) SetServiceAccountMember(ctx context.Context, ref, accountID string, roleIDs []string) (*iam.Membership, error) {
	p, err := permission.Require(ctx, permission.OrgsWrite)
	if err != nil {
		return nil, err
	}
	if !access.ValidID(accountID) {
		return nil, notFound("service account")
	}
	var m *iam.Membership
	err = access.ChangeAccess(ctx, s.store, p.TenantID, s.cache.AccessChanged, func(tx iam.Tx) error {
		o, err := lockedOrganization(ctx, tx, p.TenantID, ref)
		if err != nil {
			return err
		}
		if _, err := tx.GetServiceAccount(ctx, p.TenantID, accountID); err != nil {
			return err
		}
		ids, names, err := memberRoles(ctx, tx, p.TenantID, o.ID, roleIDs)
		if err != nil {
			return err
		}
		created, err := tx.SetServiceAccountMember(ctx, p.TenantID, o.ID, accountID, ids, s.now())
		if err != nil {
			return err
		}
		action := "organization.member_updated"
		if created {
			action = "organization.member_added"
		}
		if err := tx.AppendAudit(ctx, audit.Event(ctx, s.now(), p.TenantID, action, serviceAccountRef(accountID), iam.ResultSuccess,
			map[string]any{"organization_id": o.ID, "roles": names})); err != nil {
			return err
		}
		ms, err := tx.ServiceAccountMemberships(ctx, p.TenantID, accountID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(ms, func(m iam.Membership) bool { return m.Organization.ID == o.ID })
		if i < 0 {
			return iam.Internal(errMembershipVanished)
		}
		m = &ms[i]
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// RemoveServiceAccountMember ends a service account's membership of an
// organization (id or alias). Needs orgs.write. Errors: CodeNotFound.
func (s *Service) RemoveServiceAccountMember(ctx context.Context, ref, accountID string) error {
	p, err := permission.Require(ctx, permission.OrgsWrite)
	if err != nil {
		return err
	}
	if !access.ValidID(accountID) {
		return notFound("member")
	}
	return access.ChangeAccess(ctx, s.store, p.TenantID, s.cache.AccessChanged, func(tx iam.Tx) error {
		o, err := lockedOrganization(ctx, tx, p.TenantID, ref)
		if err != nil {
			return err
		}
		removed, err := tx.RemoveServiceAccountMember(ctx, p.TenantID, o.ID, accountID)
		if err != nil {
			return err
		}
		if !removed {
			return notFound("member")
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), p.TenantID, "organization.member_removed", serviceAccountRef(accountID), iam.ResultSuccess,
			map[string]any{"organization_id": o.ID}))
	})
}

// ServiceAccountMemberships lists the organizations a service account
// belongs to. Needs orgs.read.
func (s *Service) ServiceAccountMemberships(ctx context.Context, accountID string) ([]iam.Membership, error) {
	p, err := permission.Require(ctx, permission.OrgsRead)
	if err != nil {
		return nil, err
	}
	if !access.ValidID(accountID) {
		return nil, notFound("service account")
	}
	if _, err := s.store.GetServiceAccount(ctx, p.TenantID, accountID); err != nil {
		return nil, err
	}
	return s.store.ServiceAccountMemberships(ctx, p.TenantID, accountID)
}

// ServiceAccountAdminRoles returns a service account with the admin roles
// it holds. Needs admins.manage.
func (s *Service) ServiceAccountAdminRoles(ctx context.Context, accountID string) (*iam.ServiceAccount, []iam.AdminRole, error) {
	p, err := permission.Require(ctx, permission.AdminsManage)
	if err != nil {
		return nil, nil, err
	}
	if !access.ValidID(accountID) {
		return nil, nil, notFound("service account")
	}
	// The account (and its version) first, as GetAdmin reads a user.
	a, err := s.store.GetServiceAccount(ctx, p.TenantID, accountID)
	if err != nil {
		return nil, nil, err
	}
	roles, err := s.store.ServiceAccountAdminRoles(ctx, p.TenantID, accountID)
	if err != nil {
		return nil, nil, err
	}
	return a, roles, nil
}

// noLiveSecrets refuses to widen what a service account holds while it has
// live keys or service credentials: whoever made them, perhaps with less
// than the new roles, holds their secrets, which would act with the roles.
func (s *Service) noLiveSecrets(ctx context.Context, tx iam.Tx, tenantID, accountID string) error {
	keys, err := tx.ListServiceAccountKeys(ctx, tenantID, accountID)
	if err != nil {
		return err
	}
	now, live := s.now(), 0
	for _, k := range keys {
		if k.Usable(now) {
			live++
		}
	}
	creds, err := liveCredentials(ctx, tx, tenantID, iam.PrincipalServiceAccount, accountID)
	if err != nil {
		return err
	}
	return liveSecretsConflict("the service account holds live keys or service credentials", live+creds)
}

// liveCredentials counts the live API or service credentials of an owner,
// holding their rows until the transaction ends.
func liveCredentials(ctx context.Context, tx iam.Tx, tenantID string, kind iam.PrincipalKind, ownerID string) (int, error) {
	creds, err := tx.SelectAPICredentialsForUpdate(ctx, tenantID, iam.APICredentialSelector{OwnerKind: kind, OwnerID: ownerID})
	return len(creds), err
}

// liveSecretsConflict refuses roles that widen what an owner of n live
// secrets holds (none: nil); holder says who holds them.
func liveSecretsConflict(holder string, n int) error {
	if n == 0 {
		return nil
	}
	return &iam.Error{Code: iam.CodeStateConflict, Message: holder + " made before these roles: revoke them first, then make new ones",
		Details: map[string]any{"live_secrets": n}}
}

// SetServiceAccountAdminRoles replaces the admin roles (ids or names) a
// service account holds, if it meets pre; none leaves it without. Needs
// admins.manage, and the caller must hold every permission of the roles
// given and taken. Errors: CodeInvalid, CodeNotFound, CodeForbidden,
// CodePreconditionFailed, CodeStateConflict (roles that widen what an
// account with live secrets holds).
func (s *Service) SetServiceAccountAdminRoles(ctx context.Context, accountID string, names []string, pre iam.Precondition) (*iam.ServiceAccount, []iam.AdminRole, error) {
	p, err := permission.Require(ctx, permission.AdminsManage)
	if err != nil {
		return nil, nil, err
	}
	if !access.ValidID(accountID) {
		return nil, nil, notFound("service account")
	}
	var (
		a     *iam.ServiceAccount
		roles []iam.AdminRole
	)
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		if a, err = tx.GetServiceAccountForUpdate(ctx, p.TenantID, accountID); err != nil {
			return err
		}
		if err := pre.Check(a.Version); err != nil {
			return err
		}
		if roles, err = resolveRoles(ctx, tx, p.TenantID, names); err != nil {
			return err
		}
		held, err := tx.ServiceAccountAdminRoles(ctx, p.TenantID, accountID)
		if err != nil {
			return err
		}
		if err := requireCovers(p, slices.Concat(rolePermissions(roles), rolePermissions(held))); err != nil {
			return err
		}
		if !permission.CoversAll(rolePermissions(held), rolePermissions(roles)) {
			if err := s.noLiveSecrets(ctx, tx, p.TenantID, accountID); err != nil {
				return err
			}
		}
		if err := tx.SetServiceAccountAdminRoles(ctx, p.TenantID, accountID, roleIDs(roles)); err != nil {
			return err
		}
		a.Version++ // SetServiceAccountAdminRoles counts as an update of the account.
		return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), p.TenantID, "service_account.admin_roles_set", serviceAccountRef(accountID), iam.ResultSuccess,
			map[string]any{"admin_roles": roleNames(roles)}))
	})
	if err != nil {
		return nil, nil, err
	}
	return a, roles, nil
}
