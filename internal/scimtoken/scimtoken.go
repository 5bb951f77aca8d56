package scimtoken

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/permission"
	"github.com/gatehouse-iam/gatehouse/internal/secret"
)

// Store is what the service reads outside transactions, and anything inside
// them.
type Store interface {
	iam.Transactor
	iam.SCIMTokenStore
	iam.AccessStore
	iam.AuditStore
}

// StepUp decides whether a user proved who they are recently enough to
// create a secret (mfa.Service.RequireRecentProof).
type StepUp interface {
	RequireRecentProof(ctx context.Context, p *iam.Principal) error
}

// Service manages SCIM tokens and authenticates them.
type Service struct {
	store  Store
	stepUp StepUp
	now    func() time.Time
	uses   *secret.UseLimiter
}

// New returns a Service.
func New(store Store, stepUp StepUp, now func() time.Time) *Service {
	return &Service{store: store, stepUp: stepUp, now: func() time.Time { return now().UTC().Truncate(time.Microsecond) },
		uses: secret.NewUseLimiter()}
}

// Created is a new token and its secret, which is shown this once.
type Created struct {
	Token  *iam.SCIMToken
	Secret string
}

func tokenRef(id string) iam.Ref { return iam.Ref{Type: "scim_token", ID: id} }

// Create makes a new SCIM token for the caller's tenant (orgID "") or for
// its organization orgID, revoking the one it held: of concurrent calls
// each replaces the one before, and the last one's token is the tenant's
// (or organization's). expiresAt nil never expires. Needs scim.manage and
// every permission the token will carry (Provisioning, or
// OrganizationProvisioning): its holder acts with them, so making it is
// granting them. Errors: CodeInvalid (expires_at), CodeNotFound (the
// organization), CodeForbidden.
func (s *Service) Create(ctx context.Context, orgID string, expiresAt *time.Time) (*Created, error) {
	p, err := permission.Require(ctx, permission.SCIMManage)
	if err != nil {
		return nil, err
	}
	carried := Provisioning
	if orgID != "" {
		carried = OrganizationProvisioning
	}
	if !permission.CoversAll(p.Permissions, carried) {
		return nil, &iam.Error{Code: iam.CodeForbidden, Message: "a SCIM token acts with permissions you do not hold",
			Details: map[string]any{"permissions": carried}}
	}
	if p.Kind == iam.PrincipalUser {
		if err := s.stepUp.RequireRecentProof(ctx, p); err != nil {
			return nil, err
		}
	}
	now := s.now()
	if expiresAt != nil {
		e := expiresAt.UTC().Truncate(time.Microsecond)
		if !e.After(now) {
			return nil, iam.Invalid("the request has invalid fields", map[string]string{"expires_at": "must be in the future"})
		}
		expiresAt = &e
	}
	raw := secret.New(secret.SCIMToken)
	tk := &iam.SCIMToken{ID: uuid.Must(uuid.NewV7()).String(), TenantID: p.TenantID, OrganizationID: orgID, Hash: secret.Hash(raw),
		Display: secret.Display(raw), CreatedBy: p.Ref(), CreatedAt: now, ExpiresAt: expiresAt}
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		// The tenant's lock orders concurrent re-creations: each revokes
		// the token of the one before it.
		if err := tx.LockTenant(ctx, p.TenantID); err != nil {
			return err
		}
		details := map[string]any{}
		if orgID != "" {
			if err := organization(ctx, tx, p.TenantID, orgID); err != nil {
				return err
			}
			details["organization_id"] = orgID
		}
		old, err := tx.RevokeSCIMToken(ctx, p.TenantID, orgID, now)
		switch {
		case err == nil:
			details["replaced"] = old.ID
		case !iam.IsCode(err, iam.CodeNotFound):
			return err
		}
		if tk.ExpiresAt != nil {
			details["expires_at"] = tk.ExpiresAt.Format(time.RFC3339)
		}
		if err := tx.CreateSCIMToken(ctx, tk); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, now, p.TenantID, "scim_token.created", tokenRef(tk.ID), iam.ResultSuccess, details))
	})
	if err != nil {
		return nil, err
	}
	return &Created{Token: tk, Secret: raw}, nil
}

var errNone = iam.Errorf(iam.CodeNotFound, "the tenant has no SCIM token")

// organization checks that orgID is an organization of the tenant.
func organization(ctx context.Context, store iam.AccessStore, tenantID, orgID string) error {
	if _, err := uuid.Parse(orgID); err != nil {
		return iam.Errorf(iam.CodeNotFound, "organization not found")
	}
	_, err := store.GetOrganization(ctx, tenantID, orgID)
	return err
}

// none is the error of a tenant or organization without a token.
func none(orgID string) error {
	if orgID == "" {
		return errNone
	}
	return iam.Errorf(iam.CodeNotFound, "the organization has no SCIM token")
}

// Get describes the token of the caller's tenant (orgID "") or of its
// organization orgID. Needs scim.manage. Errors: CodeNotFound.
func (s *Service) Get(ctx context.Context, orgID string) (*iam.SCIMToken, error) {
	p, err := permission.Require(ctx, permission.SCIMManage)
	if err != nil {
		return nil, err
	}
	if orgID != "" {
		if err := organization(ctx, s.store, p.TenantID, orgID); err != nil {
			return nil, err
		}
	}
	tk, err := s.store.ActiveSCIMToken(ctx, p.TenantID, orgID)
	if iam.IsCode(err, iam.CodeNotFound) {
		return nil, none(orgID)
	}
	return tk, err
}

// Revoke ends the token of the caller's tenant (orgID "") or of its
// organization orgID. Needs scim.manage. Errors: CodeNotFound.
func (s *Service) Revoke(ctx context.Context, orgID string) error {
	p, err := permission.Require(ctx, permission.SCIMManage)
	if err != nil {
		return err
	}
	now := s.now()
	return s.store.InTx(ctx, func(tx iam.Tx) error {
		if orgID != "" {
			if err := organization(ctx, tx, p.TenantID, orgID); err != nil {
				return err
			}
		}
		tk, err := tx.RevokeSCIMToken(ctx, p.TenantID, orgID, now)
		if iam.IsCode(err, iam.CodeNotFound) {
			return none(orgID)
		}
		if err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, now, p.TenantID, "scim_token.revoked", tokenRef(tk.ID), iam.ResultSuccess, nil))
	})
}

var errInvalid = iam.Errorf(iam.CodeInvalidToken, "the SCIM token is invalid or expired")

// Provisioning are the permissions of a SCIM client: it reads and writes the
// tenant's users and groups, and nothing else. An organization's client
// provisions that organization's users only (OrganizationProvisioning).
var (
	Provisioning             = []string{permission.UsersRead, permission.UsersWrite, permission.GroupsRead, permission.GroupsWrite}
	OrganizationProvisioning = []string{permission.UsersRead, permission.UsersWrite}
)

// AuthenticateSCIM returns the principal of the SCIM token raw: a
// provisioning client of the token's tenant. When ctx
// carries a tenant (the request's), the token must be that tenant's. A
// well-formed token that is revoked, expired or of another tenant is
// audited with the reason; every refusal answers CodeInvalidToken alike.
// Each request reads the store, which SCIM's provisioning pace allows; the
// last use is written at most once a minute.
func (s *Service) AuthenticateSCIM(ctx context.Context, raw string) (*iam.Principal, error) {
	if k, ok := secret.Parse(raw); !ok || k != secret.SCIMToken {
		return nil, errInvalid
	}
	tk, err := s.store.SCIMTokenByHash(ctx, secret.Hash(raw))
	if iam.IsCode(err, iam.CodeNotFound) {
		return nil, errInvalid
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	reason := ""
	t := iam.TenantFrom(ctx)
	switch {
	case t != nil && t.ID != tk.TenantID:
		reason = "other_tenant"
	case tk.RevokedAt != nil:
		reason = "revoked"
	case tk.ExpiresAt != nil && !now.Before(*tk.ExpiresAt):
		reason = "expired"
	}
	if reason != "" {
		details := map[string]any{"reason": reason}
		if t != nil && t.ID != tk.TenantID {
			details["presented_to_tenant"] = t.ID
		}
		if err := s.store.AppendAudit(ctx, audit.Event(ctx, now, tk.TenantID, "scim_token.refused", tokenRef(tk.ID), iam.ResultFailure, details)); err != nil {
			return nil, err
		}
		return nil, errInvalid
	}
	if s.uses.Due(tk.ID, now) {
		if err := s.store.RecordSCIMTokenUse(ctx, tk.TenantID, tk.ID, now); err != nil {
			iam.RecordCause(ctx, err)
		}
	}
	p := &iam.Principal{Kind: iam.PrincipalSCIM, ID: tk.ID, TenantID: tk.TenantID, TokenID: tk.ID, Permissions: Provisioning,
		ExpiresAt: expiry(tk)}
	if tk.OrganizationID != "" {
		p.OrganizationID, p.Permissions = tk.OrganizationID, OrganizationProvisioning
	}
	return p, nil
}

// expiry is when tk stops working, the zero time for never.
func expiry(tk *iam.SCIMToken) time.Time {
	if tk.ExpiresAt == nil {
		return time.Time{}
	}
	return *tk.ExpiresAt
}
