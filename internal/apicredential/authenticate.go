package apicredential

import (
	"context"
	"errors"

	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/authn"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/secret"
)

// errInvalid answers every secret that does not authenticate, whatever the
// reason: the audit log, not the caller, learns which.
var errInvalid = iam.Errorf(iam.CodeInvalidToken, "the access token is invalid or expired")

// Authenticator verifies the secrets of kind k presented to the tenant in
// ctx: a live, active, unexpired credential authenticates as its owner, with
// the owner's permissions. A credential that is inactive, expired or revoked,
// or whose owner may no longer sign in, is refused and the refusal audited.
func (s *Service) Authenticator(k Kind) authn.Authenticator {
	return authn.Func(func(ctx context.Context, raw string) (*iam.Principal, error) {
		return s.authenticate(ctx, k, raw)
	})
}

func (s *Service) authenticate(ctx context.Context, k Kind, raw string) (*iam.Principal, error) {
	t := iam.TenantFrom(ctx)
	if t == nil {
		return nil, iam.Internal(errors.New("no tenant in context"))
	}
	// The format and checksum are checked before any lookup.
	if kind, ok := secret.Parse(raw); !ok || kind != k.Secret {
		return nil, errInvalid
	}
	c, err := s.store.APICredentialByHash(ctx, secret.Hash(raw))
	if iam.IsCode(err, iam.CodeNotFound) {
		return nil, errInvalid
	}
	if err != nil {
		return nil, err
	}
	if c.TenantID != t.ID || c.OwnerKind != k.Owner {
		return nil, errInvalid
	}
	now := s.now()
	if st := c.State(now); st != iam.APICredentialActive {
		return nil, s.refuse(ctx, k, c, string(st))
	}
	p, err := s.owner(ctx, k, c)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, s.refuse(ctx, k, c, "owner_inactive")
	}
	p.TokenID, p.ExpiresAt = c.ID, c.ExpiresAt
	if s.uses.Due(c.ID, now) {
		// A failed write of the last use must not fail the request.
		if err := s.store.RecordAPICredentialUse(ctx, c.TenantID, c.ID, now); err != nil {
			iam.RecordCause(ctx, err)
		}
	}
	return p, nil
}

// owner is the principal the credential authenticates as, or nil when its
// owner no longer exists or may not sign in.
func (s *Service) owner(ctx context.Context, k Kind, c *iam.APICredential) (*iam.Principal, error) {
	if k.Owner == iam.PrincipalServiceAccount {
		p, err := s.accounts.ServiceAccountPrincipal(ctx, c.TenantID, c.OwnerID)
		if iam.IsCode(err, iam.CodeNotFound) {
			return nil, nil
		}
		return p, err
	}
	u, err := s.store.GetUser(ctx, c.TenantID, c.OwnerID)
	if iam.IsCode(err, iam.CodeNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if u.Status != iam.UserActive {
		return nil, nil
	}
	roles, err := s.store.UserAdminRoles(ctx, c.TenantID, u.ID)
	if err != nil {
		return nil, err
	}
	perms := []string{}
	for _, r := range roles {
		perms = append(perms, r.Permissions...)
	}
	return &iam.Principal{Kind: iam.PrincipalUser, ID: u.ID, TenantID: c.TenantID, UserID: u.ID, User: u, Permissions: perms}, nil
}

// refuse audits the use of a credential that may not authenticate, and
// answers as for an unknown secret.
func (s *Service) refuse(ctx context.Context, k Kind, c *iam.APICredential, reason string) error {
	e := audit.Event(ctx, s.now(), c.TenantID, k.Action+".refused", k.ref(c.ID), iam.ResultFailure,
		map[string]any{"reason": reason, "owner_kind": string(c.OwnerKind), "owner_id": c.OwnerID, "name": c.Name})
	if err := s.store.AppendAudit(ctx, e); err != nil {
		return err
	}
	return errInvalid
}
