package credential

import (
	"context"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse-iam/gatehouse/internal/access"
	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/permission"
)

// maxNameLen bounds a device id or context.
const maxNameLen = 255

// States lists the states an admin may set.
var States = []iam.CredentialState{iam.CredentialActive, iam.CredentialDisabled, iam.CredentialLocked, iam.CredentialExpired}

// List returns a page of the user's credentials, of typ when it is not
// empty. Needs credentials.read. Errors: CodeNotFound.
func (s *Service) List(ctx context.Context, ref UserRef, typ iam.CredentialType, p iam.ListParams) ([]iam.Credential, int, error) {
	pr, err := permission.Require(ctx, permission.CredentialsRead)
	if err != nil {
		return nil, 0, err
	}
	u, err := user(ctx, s.store, pr.TenantID, ref)
	if err != nil {
		return nil, 0, err
	}
	return s.store.ListCredentials(ctx, pr.TenantID, u.ID, typ, p)
}

// NewPassword is a device password, named by the device's CredentialExtID,
// or a context password, named by its Context, to add.
type NewPassword struct {
	Type            iam.CredentialType
	CredentialExtID string
	Context         string
	Password        string
}

// Create adds a device password or a context password to a user, under the
// tenant's password policy. Needs credentials.write (and, for an admin,
// admins.manage and everything they hold). Errors: CodeInvalid,
// CodePasswordPolicy, CodeNotFound, CodeConflict (the user holds one for
// that device or context).
func (s *Service) Create(ctx context.Context, ref UserRef, in NewPassword) (*iam.Credential, error) {
	pr, err := permission.Require(ctx, permission.CredentialsWrite)
	if err != nil {
		return nil, err
	}
	if pr.Kind == iam.PrincipalUser {
		if err := s.factors.RequireRecent(ctx, pr); err != nil {
			return nil, err
		}
	}
	field, name, err := checkNew(in)
	if err != nil {
		return nil, err
	}
	st, err := s.settings.For(ctx, pr.TenantID)
	if err != nil {
		return nil, err
	}
	u, err := user(ctx, s.store, pr.TenantID, ref)
	if err != nil {
		return nil, err
	}
	if err := permission.GuardAdminTarget(ctx, s.store, pr, u.ID); err != nil {
		return nil, err
	}
	if err := st.CheckPassword("password", in.Password, u.Email, u.Name); err != nil {
		return nil, err
	}
	// Hashed before the transaction, which must not wait on a slow hash.
	hash, err := s.hasher.Hash(ctx, in.Password)
	if err != nil {
		return nil, iam.Internal(err)
	}
	now := s.now()
	c := &iam.Credential{ID: newID(), TenantID: pr.TenantID, UserID: u.ID, Type: in.Type, Name: name,
		State: iam.CredentialActive, Secret: hash, CreatedAt: now, UpdatedAt: now}
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		// Read again, locked, and guarded again: the user may have become
		// an admin since.
		if _, err := tx.GetUserForUpdate(ctx, pr.TenantID, u.ID); err != nil {
			return err
		}
		if err := permission.GuardAdminTarget(ctx, tx, pr, u.ID); err != nil {
			return err
		}
		if err := tx.CreateCredential(ctx, c); err != nil {
			if iam.IsCode(err, iam.CodeConflict) {
				return &iam.Error{Code: iam.CodeConflict, Message: "the user already holds a " + string(in.Type) + " for this " + field,
					Details: map[string]any{field: name}, Err: err}
			}
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, now, pr.TenantID, "credential.created", userRef(u.ID), iam.ResultSuccess,
			map[string]any{"credential_id": c.ID, "type": string(c.Type), field: name}))
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// checkNew validates a new password's type and name, and returns the name
// trimmed with the field that carried it.
func checkNew(in NewPassword) (field, name string, err error) {
	fields := map[string]string{}
	switch in.Type {
	case iam.CredentialDevicePassword:
		field, name = "credential_ext_id", in.CredentialExtID
		if in.Context != "" {
			fields["context"] = "is not allowed for device_password"
		}
	case iam.CredentialContextPassword:
		field, name = "context", in.Context
		if in.CredentialExtID != "" {
			fields["credential_ext_id"] = "is not allowed for context_password"
		}
	default:
		return "", "", iam.Invalid("the request has invalid fields", map[string]string{"type": "must be device_password or context_password"})
	}
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		fields[field] = "is required"
	case utf8.RuneCountInString(name) > maxNameLen:
		fields[field] = "is too long"
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		fields[field] = "must not contain control characters"
	}
	if in.Password == "" {
		fields["password"] = "is required"
	}
	if len(fields) > 0 {
		return "", "", iam.Invalid("the request has invalid fields", fields)
	}
	return field, name, nil
}

// SetState sets the state of a user's credential; making it active again
// clears its failed verifications. Needs credentials.write (and, for an
// admin, admins.manage and everything they hold). Errors: CodeInvalid,
// CodeNotFound.
func (s *Service) SetState(ctx context.Context, ref UserRef, id string, state iam.CredentialState) (*iam.Credential, error) {
	pr, err := permission.Require(ctx, permission.CredentialsWrite)
	if err != nil {
		return nil, err
	}
	if !validState(state) {
		return nil, iam.Invalid("the request has invalid fields", map[string]string{"state": "must be active, disabled, locked or expired"})
	}
	var c *iam.Credential
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		var err error
		if c, err = s.lockedCredential(ctx, tx, pr, ref, id); err != nil {
			return err
		}
		from := c.State
		c.State, c.UpdatedAt = state, s.now()
		if state == iam.CredentialActive {
			c.FailedAttempts = 0
		}
		if err := tx.PutCredential(ctx, c); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, c.UpdatedAt, pr.TenantID, "credential.state_changed", userRef(c.UserID), iam.ResultSuccess,
			map[string]any{"credential_id": c.ID, "type": string(c.Type), "from": string(from), "to": string(state)}))
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Delete removes a user's credential. Needs credentials.write (and, for an
// admin, admins.manage and everything they hold). Errors: CodeNotFound.
func (s *Service) Delete(ctx context.Context, ref UserRef, id string) error {
	pr, err := permission.Require(ctx, permission.CredentialsWrite)
	if err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx iam.Tx) error {
		c, err := s.lockedCredential(ctx, tx, pr, ref, id)
		if err != nil {
			return err
		}
		if err := tx.DeleteCredential(ctx, pr.TenantID, c.UserID, c.ID); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), pr.TenantID, "credential.deleted", userRef(c.UserID), iam.ResultSuccess,
			map[string]any{"credential_id": c.ID, "type": string(c.Type)}))
	})
}

// lockedCredential reads the user's credential id in tx with the user's
// and the credential's rows held, once the guard on admins let the caller
// through.
func (s *Service) lockedCredential(ctx context.Context, tx iam.Tx, pr *iam.Principal, ref UserRef, id string) (*iam.Credential, error) {
	u, err := user(ctx, tx, pr.TenantID, ref)
	if err != nil {
		return nil, err
	}
	if _, err := tx.GetUserForUpdate(ctx, pr.TenantID, u.ID); err != nil {
		return nil, err
	}
	if err := permission.GuardAdminTarget(ctx, tx, pr, u.ID); err != nil {
		return nil, err
	}
	if !access.ValidID(id) {
		return nil, iam.Errorf(iam.CodeNotFound, "credential not found")
	}
	c, err := tx.GetCredentialByIDForUpdate(ctx, pr.TenantID, u.ID, id)
	if err != nil {
		return nil, err
	}
	if u.ID == pr.UserID && secondFactor(c.Type) {
		// One's own second factors change under /api/v1/mfa, behind its
		// step-up and policy, not around them here.
		return nil, &iam.Error{Code: iam.CodeForbidden, Message: "change your own second factors under /api/v1/mfa",
			Details: map[string]any{"type": string(c.Type)}}
	}
	return c, nil
}

// secondFactor reports whether credentials of typ are second factors.
func secondFactor(typ iam.CredentialType) bool {
	switch typ {
	case iam.CredentialTOTP, iam.CredentialEmailOTP, iam.CredentialWebAuthn, iam.CredentialRecoveryCode:
		return true
	}
	return false
}

func validState(state iam.CredentialState) bool { return slices.Contains(States, state) }
