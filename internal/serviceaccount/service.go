package serviceaccount

import (
	"context"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/gatehouse-iam/gatehouse/internal/access"
	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/permission"
	"github.com/gatehouse-iam/gatehouse/internal/secret"
)

// Store is what the service reads outside transactions, and anything inside
// them.
type Store interface {
	iam.Transactor
	iam.ServiceAccountStore
	iam.ServiceAccountKeyStore
	iam.AuditStore
	iam.ServiceAccountAccessStore
	iam.AccessStore
}

// StepUp asks a user to have proved who they are recently: with their
// second factor, or by signing in when they have none
// (mfa.Service.RequireRecentProof).
type StepUp interface {
	RequireRecentProof(ctx context.Context, p *iam.Principal) error
}

// Service manages service accounts and their keys, and verifies the keys.
type Service struct {
	store   Store
	stepUp  StepUp
	changed func()
	uses    *secret.UseLimiter
	now     func() time.Time
}

// New returns a Service. changed is called after a change to what an
// account may do has committed (access.Service.Invalidate).
func New(store Store, stepUp StepUp, changed func(), now func() time.Time) *Service {
	return &Service{store: store, stepUp: stepUp, changed: changed, uses: secret.NewUseLimiter(),
		now: func() time.Time { return now().UTC().Truncate(time.Microsecond) }}
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

func accountRef(id string) iam.Ref { return iam.Ref{Type: string(iam.PrincipalServiceAccount), ID: id} }

func notFound() error { return iam.Errorf(iam.CodeNotFound, "service account not found") }

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

// clientIDPrefix starts every service account's client id, so that an OAuth
// client id tells a service account from an application at a glance.
const clientIDPrefix = "sa_"

// clientID is the stable public id of the account id.
func clientID(id string) string { return clientIDPrefix + strings.ReplaceAll(id, "-", "") }

// Input is what creating a service account takes. Organization (id or
// alias), if given, owns it.
type Input struct {
	Name         string
	Description  string
	Organization string
}

// Patch changes the fields that are not nil.
type Patch struct {
	Name        *string
	Description *string
}

// Create adds a service account. Needs service_accounts.write.
// Errors: CodeInvalid, CodeNameTaken.
func (s *Service) Create(ctx context.Context, in Input) (*iam.ServiceAccount, error) {
	p, err := permission.Require(ctx, permission.ServiceAccountsWrite)
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
	a := &iam.ServiceAccount{ID: newID(), TenantID: p.TenantID, Name: name, Description: desc, CreatedAt: now, UpdatedAt: now}
	a.ClientID = clientID(a.ID)
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		if in.Organization != "" {
			org, err := access.OrganizationByRef(ctx, tx, p.TenantID, strings.TrimSpace(in.Organization))
			if iam.IsCode(err, iam.CodeNotFound) {
				return invalid("organization_id", "no such organization")
			}
			if err != nil {
				return err
			}
			a.OrganizationID = org.ID
		}
		if err := tx.CreateServiceAccount(ctx, a); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, now, p.TenantID, "service_account.created", accountRef(a.ID), iam.ResultSuccess,
			map[string]any{"name": a.Name, "organization_id": a.OrganizationID, "client_id": a.ClientID}))
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// Get returns a service account. Needs service_accounts.read.
func (s *Service) Get(ctx context.Context, id string) (*iam.ServiceAccount, error) {
	p, err := permission.Require(ctx, permission.ServiceAccountsRead)
	if err != nil {
		return nil, err
	}
	if !access.ValidID(id) {
		return nil, notFound()
	}
	return s.store.GetServiceAccount(ctx, p.TenantID, id)
}

// List lists service accounts, those an organization (id or alias) owns if
// q names one. Needs service_accounts.read.
func (s *Service) List(ctx context.Context, q iam.ServiceAccountQuery) ([]iam.ServiceAccount, int, error) {
	p, err := permission.Require(ctx, permission.ServiceAccountsRead)
	if err != nil {
		return nil, 0, err
	}
	if q.OrganizationID != "" {
		org, err := access.OrganizationByRef(ctx, s.store, p.TenantID, q.OrganizationID)
		if iam.IsCode(err, iam.CodeNotFound) {
			return []iam.ServiceAccount{}, 0, nil
		}
		if err != nil {
			return nil, 0, err
		}
		q.OrganizationID = org.ID
	}
	return s.store.ListServiceAccounts(ctx, p.TenantID, q)
}

// Update changes a service account, if it meets pre. Needs
// service_accounts.write, and for an account holding admin roles what
// guardAccount asks. Errors: CodeInvalid, CodeNotFound, CodeNameTaken,
// CodePreconditionFailed, CodeForbidden.
func (s *Service) Update(ctx context.Context, id string, patch Patch, pre iam.Precondition) (*iam.ServiceAccount, error) {
	p, err := permission.Require(ctx, permission.ServiceAccountsWrite)
	if err != nil {
		return nil, err
	}
	if !access.ValidID(id) {
		return nil, notFound()
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
	var a *iam.ServiceAccount
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		if a, err = lockedAccount(ctx, tx, p, id, pre); err != nil {
			return err
		}
		if patch.Name != nil {
			a.Name = name
		}
		if patch.Description != nil {
			a.Description = desc
		}
		a.UpdatedAt = s.now()
		if err := tx.UpdateServiceAccount(ctx, a); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), p.TenantID, "service_account.updated", accountRef(id), iam.ResultSuccess,
			map[string]any{"name": a.Name}))
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// Delete removes a service account, if it meets pre, and with it, in the
// same transaction, its keys (revoked: they no longer sign in), roles,
// memberships and admin roles. Needs service_accounts.write, and for an
// account holding admin roles what guardAccount asks.
func (s *Service) Delete(ctx context.Context, id string, pre iam.Precondition) error {
	p, err := permission.Require(ctx, permission.ServiceAccountsWrite)
	if err != nil {
		return err
	}
	if !access.ValidID(id) {
		return notFound()
	}
	return access.ChangeAccess(ctx, s.store, p.TenantID, s.changed, func(tx iam.Tx) error {
		a, err := lockedAccount(ctx, tx, p, id, pre)
		if err != nil {
			return err
		}
		keys, err := tx.ListServiceAccountKeys(ctx, p.TenantID, id)
		if err != nil {
			return err
		}
		live := 0
		for i := range keys {
			if keys[i].Usable(s.now()) {
				live++
			}
		}
		if err := tx.DeleteServiceAccount(ctx, p.TenantID, id); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), p.TenantID, "service_account.deleted", accountRef(id), iam.ResultSuccess,
			map[string]any{"name": a.Name, "keys_revoked": live}))
	})
}

// lockedAccount reads the account with its row held, checks pre, and lets
// the caller on only as guardAccount does.
func lockedAccount(ctx context.Context, tx iam.Tx, p *iam.Principal, id string, pre iam.Precondition) (*iam.ServiceAccount, error) {
	a, err := tx.GetServiceAccountForUpdate(ctx, p.TenantID, id)
	if err != nil {
		return nil, err
	}
	if err := pre.Check(a.Version); err != nil {
		return nil, err
	}
	return a, GuardAccount(ctx, tx, p, id)
}

// GuardAccount lets a change to a service account holding admin roles
// (its keys above all, which act with them) through only if the caller
// manages admins and holds everything the account holds, as
// permission.GuardAdminTarget does for users: nobody reaches through an
// account more than they hold.
func GuardAccount(ctx context.Context, store iam.ServiceAccountAccessStore, p *iam.Principal, accountID string) error {
	held, err := store.ServiceAccountAdminRoles(ctx, p.TenantID, accountID)
	if err != nil {
		return err
	}
	return permission.GuardHeld(p, held, "this service account holds admin roles; changing it needs admins.manage")
}
