package directory

import (
	"time"

	"context"

	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/permission"
)

// EnsureSystemTenant returns the system tenant, creating it with its
// superadmin role on first start. created reports whether it did.
func (s *Service) EnsureSystemTenant(ctx context.Context) (t *iam.Tenant, created bool, err error) {
	t, err = s.store.SystemTenant(ctx)
	if err == nil || !iam.IsCode(err, iam.CodeNotFound) {
		return t, false, err
	}
	now := s.now()
	t = &iam.Tenant{ID: newID(), Name: "Default", System: true, Hostnames: []string{}, CreatedAt: now, UpdatedAt: now}
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		if err := createTenant(ctx, tx, t, nil); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, systemEvent(ctx, now, t.ID, "tenant.created", tenantRef(t.ID), nil))
	})
	if iam.IsCode(err, iam.CodeConflict) {
		// Another replica bootstrapped at the same moment.
		t, err = s.store.SystemTenant(ctx)
		return t, false, err
	}
	return t, err == nil, err
}

func systemEvent(ctx context.Context, now time.Time, tenantID, action string, target iam.Ref, details map[string]any) *iam.AuditEvent {
	e := audit.Event(ctx, now, tenantID, action, target, iam.ResultSuccess, details)
	e.Actor = iam.Ref{Type: audit.ActorSystem}
	return e
}

// EnsureBootstrapAdmin creates a superadmin in the tenant unless it already
// has an active one; replicas starting together create at most one. An email
// that belongs to an existing user is never promoted: CodeEmailTaken. When a
// superadmin exists the address and password are not looked at, so that a
// restart spends no password hash on an admin it will not create.
func (s *Service) EnsureBootstrapAdmin(ctx context.Context, tenantID, email, pw string) (*iam.User, error) {
	if n, err := activeSuperadmins(ctx, s.store, tenantID); err != nil || n > 0 {
		return nil, err
	}
	u, err := s.bootstrapUser(ctx, tenantID, email, pw)
	if err != nil {
		return nil, err
	}
	var created *iam.User
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		created = nil
		if err := tx.LockTenant(ctx, tenantID); err != nil {
			return err
		}
		if n, err := activeSuperadmins(ctx, tx, tenantID); err != nil || n > 0 {
			return err
		}
		role, err := tx.GetAdminRoleByName(ctx, tenantID, permission.SuperadminRole)
		if err != nil {
			return err
		}
		if err := createSuperadmin(ctx, tx, s.now(), tenantID, role, u); err != nil {
			return err
		}
		created = u.User
		return nil
	})
	return created, err
}

// activeSuperadmins counts the tenant's active users holding the built-in
// superadmin role.
func activeSuperadmins(ctx context.Context, store iam.AdminStore, tenantID string) (int, error) {
	role, err := store.GetAdminRoleByName(ctx, tenantID, permission.SuperadminRole)
	if err != nil {
		return 0, err
	}
	return store.CountActiveHolders(ctx, tenantID, role.ID)
}

// BootstrapAdmin creates a superadmin in the tenant without a caller: for the
// CLI and the first start. Errors: CodeInvalid, CodeEmailTaken.
func (s *Service) BootstrapAdmin(ctx context.Context, tenantID, email, pw string) (*iam.User, error) {
	u, err := s.bootstrapUser(ctx, tenantID, email, pw)
	if err != nil {
		return nil, err
	}
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		role, err := tx.GetAdminRoleByName(ctx, tenantID, permission.SuperadminRole)
		if err != nil {
			return err
		}
		return createSuperadmin(ctx, tx, s.now(), tenantID, role, u)
	})
	if err != nil {
		return nil, err
	}
	return u.User, nil
}

func createSuperadmin(ctx context.Context, tx iam.Tx, now time.Time, tenantID string, role *iam.AdminRole, u *newUser) error {
	if err := u.create(ctx, tx); err != nil {
		return err
	}
	if err := tx.SetUserAdminRoles(ctx, tenantID, u.ID, []string{role.ID}); err != nil {
		return err
	}
	return tx.AppendAudit(ctx, systemEvent(ctx, now, tenantID, "admin.created", userRef(u.ID),
		map[string]any{"email": u.Email, "admin_roles": []string{role.Name}}))
}

// bootstrapUser is the verified user a bootstrap admin becomes.
func (s *Service) bootstrapUser(ctx context.Context, tenantID, email, pw string) (*newUser, error) {
	f := fieldErrors{}
	f.required("password", pw)
	if err := f.err(); err != nil {
		return nil, err
	}
	return s.buildUser(ctx, tenantID, NewUser{Email: email, Password: pw, EmailVerified: true})
}
