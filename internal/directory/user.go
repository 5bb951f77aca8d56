package directory

import (
	"context"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/access"
	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/permission"
)

// NewUser is what creating a user takes. Password may be empty: the user then
// cannot sign in with a password until one is set.
type NewUser struct {
	Email         string
	Password      string
	Name          string
	ExternalID    string
	EmailVerified bool
}

// UserPatch changes the fields that are not nil. An empty ExternalID clears it.
type UserPatch struct {
	Email         *string
	Name          *string
	ExternalID    *string
	EmailVerified *bool
}

func userRef(id string) iam.Ref { return iam.Ref{Type: "user", ID: id} }

// CreateUser adds a user to the caller's tenant. Needs users.write.
// Errors: CodeInvalid, CodeEmailTaken, CodeExternalIDTaken.
func (s *Service) CreateUser(ctx context.Context, in NewUser) (*iam.User, error) {
	p, err := permission.Require(ctx, permission.UsersWrite)
	if err != nil {
		return nil, err
	}
	u, err := s.buildUser(ctx, p.TenantID, in)
	if err != nil {
		return nil, err
	}
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		if err := u.create(ctx, tx); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), p.TenantID, "user.created", userRef(u.ID), iam.ResultSuccess,
			map[string]any{"email": u.Email}))
	})
	if err != nil {
		return nil, err
	}
	return u.User, nil
}

// newUser is a user to insert and their password credential, nil when they
// have no password.
type newUser struct {
	*iam.User
	password *iam.Credential
}

// create inserts the user and their password.
func (n *newUser) create(ctx context.Context, tx iam.Tx) error {
	if err := tx.CreateUser(ctx, n.User); err != nil {
		return err
	}
	if n.password == nil {
		return nil
	}
	return tx.PutCredential(ctx, n.password)
}

// PasswordCredential is u's password credential holding hash, set at now.
func PasswordCredential(u *iam.User, hash string, now time.Time) *iam.Credential {
	return &iam.Credential{ID: newID(), TenantID: u.TenantID, UserID: u.ID, Type: iam.CredentialPassword,
		State: iam.CredentialActive, Secret: hash, CreatedAt: now, UpdatedAt: now}
}

// buildUser validates in and returns the user to insert, password hashed.
func (s *Service) buildUser(ctx context.Context, tenantID string, in NewUser) (*newUser, error) {
	f := fieldErrors{}
	email := f.email("email", in.Email)
	name := f.text("name", in.Name, maxNameLen, false)
	ext := f.text("external_id", in.ExternalID, maxExternalLen, false)
	if err := f.err(); err != nil {
		return nil, err
	}
	if in.Password != "" {
		st, err := s.settings.For(ctx, tenantID)
		if err != nil {
			return nil, err
		}
		if err := st.CheckPassword("password", in.Password, email, name); err != nil {
			return nil, err
		}
	}
	now := s.now()
	u := &newUser{User: &iam.User{ID: newID(), TenantID: tenantID, Email: email, Name: name, ExternalID: ext,
		EmailVerified: in.EmailVerified, Status: iam.UserActive, CreatedAt: now, UpdatedAt: now}}
	if in.Password != "" {
		h, err := s.hashPassword(ctx, in.Password)
		if err != nil {
			return nil, err
		}
		u.password = PasswordCredential(u.User, h, now)
	}
	return u, nil
}

// GetUser returns a user of the caller's tenant. Needs users.read.
func (s *Service) GetUser(ctx context.Context, id string) (*iam.User, error) {
	p, err := permission.Require(ctx, permission.UsersRead)
	if err != nil {
		return nil, err
	}
	if !access.ValidID(id) {
		return nil, notFound("user")
	}
	if err := inScope(ctx, s.store, p, id); err != nil {
		return nil, err
	}
	return s.store.GetUser(ctx, p.TenantID, id)
}

// ListUsers lists the caller's tenant's users. Needs users.read.
func (s *Service) ListUsers(ctx context.Context, q iam.UserQuery) ([]iam.User, int, error) {
	p, err := permission.Require(ctx, permission.UsersRead)
	if err != nil {
		return nil, 0, err
	}
	if p.OrganizationID != "" {
		member := iam.Filter{Op: iam.FilterEq, Field: "organization", Value: p.OrganizationID}
		if q.Filter != nil {
			member = iam.Filter{Op: iam.FilterAnd, Terms: []iam.Filter{member, *q.Filter}}
		}
		q.Filter = &member
	}
	return s.store.ListUsers(ctx, p.TenantID, q)
}

// UpdateUser changes a user's profile if the user meets pre. Needs users.write.
// Errors: CodeInvalid, CodeNotFound, CodeEmailTaken, CodeExternalIDTaken,
// CodePreconditionFailed.
func (s *Service) UpdateUser(ctx context.Context, id string, patch UserPatch, pre iam.Precondition) (*iam.User, error) {
	p, err := permission.Require(ctx, permission.UsersWrite)
	if err != nil {
		return nil, err
	}
	if !access.ValidID(id) {
		return nil, notFound("user")
	}
	f := fieldErrors{}
	var email, name, ext string
	if patch.Email != nil {
		email = f.email("email", *patch.Email)
	}
	if patch.Name != nil {
		name = f.text("name", *patch.Name, maxNameLen, false)
	}
	if patch.ExternalID != nil {
		ext = f.text("external_id", *patch.ExternalID, maxExternalLen, false)
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	var u *iam.User
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		if u, err = tx.GetUserForUpdate(ctx, p.TenantID, id); err != nil {
			return err
		}
		if err := permission.GuardAdminTarget(ctx, tx, p, id); err != nil {
			return err
		}
		if err := pre.Check(u.Version); err != nil {
			return err
		}
		changed := map[string]any{}
		if patch.Email != nil && email != u.Email {
			u.Email, changed["email"] = email, email
		}
		if patch.Name != nil {
			u.Name, changed["name"] = name, name
		}
		if patch.ExternalID != nil {
			u.ExternalID, changed["external_id"] = ext, ext
		}
		if patch.EmailVerified != nil {
			u.EmailVerified, changed["email_verified"] = *patch.EmailVerified, *patch.EmailVerified
		}
		u.UpdatedAt = s.now()
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), p.TenantID, "user.updated", userRef(id), iam.ResultSuccess, changed))
	})
	if err != nil {
		return nil, err
	}
	s.cache.ForgetUser(id)
	return u, nil
}

// DeleteUser removes a user and everything they hold, if the user meets pre.
// A caller confined to an organization (its SCIM client) reaches only its
// members, and takes a member of other organizations out of its own only.
// Needs users.write. Errors: CodeNotFound, CodeLastSuperadmin, CodePreconditionFailed.
func (s *Service) DeleteUser(ctx context.Context, id string, pre iam.Precondition) error {
	p, err := permission.Require(ctx, permission.UsersWrite)
	if err != nil {
		return err
	}
	if !access.ValidID(id) {
		return notFound("user")
	}
	err = s.guardSuperadmin(ctx, p.TenantID, func(tx iam.Tx) error {
		u, err := tx.GetUserForUpdate(ctx, p.TenantID, id)
		if err != nil {
			return err
		}
		if err := inScope(ctx, tx, p, id); err != nil {
			return err
		}
		if err := permission.GuardAdminTarget(ctx, tx, p, id); err != nil {
			return err
		}
		if err := pre.Check(u.Version); err != nil {
			return err
		}
		if p.OrganizationID != "" {
			// An organization's client deletes the user only if they belong
			// to no other organization; else they only leave this one.
			memberships, err := tx.UserMemberships(ctx, p.TenantID, id)
			if err != nil {
				return err
			}
			if len(memberships) > 1 {
				if _, err := tx.RemoveMember(ctx, p.TenantID, p.OrganizationID, id); err != nil {
					return err
				}
				if err := tx.BumpAccessVersion(ctx, p.TenantID); err != nil {
					return err
				}
				return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), p.TenantID, "organization.member_removed", userRef(id),
					iam.ResultSuccess, map[string]any{"organization_id": p.OrganizationID}))
			}
			if err := confined(ctx, tx, p, id); err != nil {
				return err
			}
		}
		if err := tx.DeleteUser(ctx, p.TenantID, id); err != nil {
			return err
		}
		if err := tx.BumpAccessVersion(ctx, p.TenantID); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), p.TenantID, "user.deleted", userRef(id), iam.ResultSuccess,
			map[string]any{"email": u.Email}))
	})
	if err == nil {
		s.cache.ForgetUser(id)
	}
	return err
}

// DeleteOwnAccount deletes the caller's own account. It needs the session
// to have confirmed its user within the step-up window (a second factor, or
// the password for an account without one), so that a stolen access token
// cannot end an account. The last superadmin cannot leave. Errors:
// CodeMFAReauthRequired, CodeLastSuperadmin.
func (s *Service) DeleteOwnAccount(ctx context.Context) error {
	p, err := permission.AuthenticatedUser(ctx)
	if err != nil {
		return err
	}
	if err := s.reauth.RequireReauthenticated(ctx, p); err != nil {
		return err
	}
	err = s.guardSuperadmin(ctx, p.TenantID, func(tx iam.Tx) error {
		u, err := tx.GetUserForUpdate(ctx, p.TenantID, p.UserID)
		if err != nil {
			return err
		}
		if err := tx.DeleteUser(ctx, p.TenantID, u.ID); err != nil {
			return err
		}
		if err := tx.BumpAccessVersion(ctx, p.TenantID); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), p.TenantID, "user.deleted", userRef(u.ID), iam.ResultSuccess,
			map[string]any{"email": u.Email, "self": true}))
	})
	if err == nil {
		s.cache.ForgetUser(p.UserID)
	}
	return err
}

// SetUserStatus disables or enables a user. Disabling revokes every session.
// Needs users.write. Errors: CodeNotFound, CodeLastSuperadmin.
func (s *Service) SetUserStatus(ctx context.Context, id string, status iam.UserStatus) (*iam.User, error) {
	p, err := permission.Require(ctx, permission.UsersWrite)
	if err != nil {
		return nil, err
	}
	if !access.ValidID(id) {
		return nil, notFound("user")
	}
	action := "user.enabled"
	if status == iam.UserDisabled {
		action = "user.disabled"
	}
	var u *iam.User
	err = s.guardSuperadmin(ctx, p.TenantID, func(tx iam.Tx) error {
		if u, err = tx.GetUserForUpdate(ctx, p.TenantID, id); err != nil {
			return err
		}
		if err := permission.GuardAdminTarget(ctx, tx, p, id); err != nil {
			return err
		}
		u.Status, u.UpdatedAt = status, s.now()
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		if status == iam.UserDisabled {
			if err := tx.RevokeUserSessions(ctx, p.TenantID, id, s.now()); err != nil {
				return err
			}
		}
		if err := tx.BumpAccessVersion(ctx, p.TenantID); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), p.TenantID, action, userRef(id), iam.ResultSuccess, nil))
	})
	if err != nil {
		return nil, err
	}
	s.cache.ForgetUser(id)
	return u, nil
}
