package serviceaccount

import (
	"context"
	"crypto"
	"crypto/subtle"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/secret"
)

// errInvalidToken is what a bearer secret that does not sign in gets,
// whatever the reason, so that nobody learns which secrets exist.
var errInvalidToken = iam.Errorf(iam.CodeInvalidToken, "the access token is invalid or expired")

// errInvalidClient is what VerifyClientSecret answers for any failure.
var errInvalidClient = iam.Errorf(iam.CodeInvalidCredentials, "client authentication failed")

// verifySecret finds the live key of the tenant in ctx whose secret is raw,
// and its account. A well-formed secret of a revoked or expired key is
// audited (the attempt is loud in the log, silent to the caller); any
// failure answers fail.
func (s *Service) verifySecret(ctx context.Context, raw string, fail *iam.Error) (*iam.ServiceAccountKey, *iam.ServiceAccount, error) {
	tenant := iam.TenantFrom(ctx)
	if kind, ok := secret.Parse(raw); !ok || kind != secret.ClientSecret || tenant == nil {
		return nil, nil, withCause(fail, "not a well-formed client secret of a tenant")
	}
	hash := secret.Hash(raw)
	k, err := s.store.ServiceAccountKeyBySecretHash(ctx, hash)
	switch {
	case iam.IsCode(err, iam.CodeNotFound):
		return nil, nil, withCause(fail, "unknown client secret")
	case err != nil:
		return nil, nil, err
	case k.TenantID != tenant.ID:
		return nil, nil, withCause(fail, "a client secret of another tenant")
	}
	now := s.now()
	if !k.Usable(now) {
		reason := "revoked"
		if k.RevokedAt == nil {
			reason = "expired"
		}
		// The account acts (and fails) in the audit log under its own kind.
		actx := iam.WithPrincipal(ctx, &iam.Principal{Kind: iam.PrincipalServiceAccount, ID: k.ServiceAccountID, TenantID: k.TenantID})
		if err := s.store.AppendAudit(ctx, audit.Event(actx, now, k.TenantID, "service_account.key_rejected", keyRef(k.ID), iam.ResultFailure,
			map[string]any{"service_account_id": k.ServiceAccountID, "reason": reason})); err != nil {
			return nil, nil, err
		}
		return nil, nil, withCause(fail, "a "+reason+" client secret")
	}
	a, err := s.store.GetServiceAccount(ctx, k.TenantID, k.ServiceAccountID)
	if iam.IsCode(err, iam.CodeNotFound) {
		return nil, nil, withCause(fail, "the key's account is gone")
	}
	if err != nil {
		return nil, nil, err
	}
	if s.uses.Due(k.ID, now) {
		if err := s.store.RecordServiceAccountKeyUse(ctx, k.TenantID, k.ID, now); err != nil && !iam.IsCode(err, iam.CodeNotFound) {
			return nil, nil, err
		}
	}
	return k, a, nil
}

func withCause(e *iam.Error, cause string) error {
	return &iam.Error{Code: e.Code, Message: e.Message, Err: errors.New(cause)}
}

// Authenticate verifies a client secret presented as a bearer token to the
// tenant in ctx, and returns the service account as a principal holding the
// permissions of its admin roles. Errors: CodeInvalidToken.
func (s *Service) Authenticate(ctx context.Context, raw string) (*iam.Principal, error) {
	k, a, err := s.verifySecret(ctx, raw, errInvalidToken)
	if err != nil {
		return nil, err
	}
	p, err := s.principal(ctx, a)
	if err != nil {
		return nil, err
	}
	p.TokenID = k.ID
	if k.ExpiresAt != nil {
		p.ExpiresAt = *k.ExpiresAt
	}
	return p, nil
}

// ServiceAccountPrincipal returns the service account id of the tenant as
// a principal holding the permissions of its admin roles, for the secrets
// other capabilities issue to it (service credentials). CodeNotFound.
func (s *Service) ServiceAccountPrincipal(ctx context.Context, tenantID, id string) (*iam.Principal, error) {
	a, err := s.store.GetServiceAccount(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	return s.principal(ctx, a)
}

func (s *Service) principal(ctx context.Context, a *iam.ServiceAccount) (*iam.Principal, error) {
	roles, err := s.store.ServiceAccountAdminRoles(ctx, a.TenantID, a.ID)
	if err != nil {
		return nil, err
	}
	perms := []string{}
	for _, r := range roles {
		perms = append(perms, r.Permissions...)
	}
	return &iam.Principal{Kind: iam.PrincipalServiceAccount, ID: a.ID, TenantID: a.TenantID, Permissions: perms}, nil
}

// VerifyClientSecret checks a service account's client id and secret at the
// tenant in ctx, as an OAuth token endpoint does (RFC 6749 §2.3.1), and
// returns the account. Errors: CodeInvalidCredentials for any mismatch,
// unknown, revoked or expired secret.
func (s *Service) VerifyClientSecret(ctx context.Context, clientID, raw string) (*iam.ServiceAccount, error) {
	_, a, err := s.verifySecret(ctx, raw, errInvalidClient)
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(a.ClientID), []byte(clientID)) != 1 {
		return nil, withCause(errInvalidClient, "the secret belongs to another client")
	}
	return a, nil
}

// PublicKey is a live public key of a service account, to verify its
// private_key_jwt assertions and JWT-bearer grants (RFC 7523).
type PublicKey struct {
	ID        string
	Algorithm string
	Key       crypto.PublicKey
}

// PublicKeys returns the live public keys of the service account with
// clientID at the tenant in ctx. Errors: CodeNotFound (no such client).
func (s *Service) PublicKeys(ctx context.Context, clientID string) (*iam.ServiceAccount, []PublicKey, error) {
	tenant := iam.TenantFrom(ctx)
	if tenant == nil {
		return nil, nil, notFound()
	}
	a, err := s.store.GetServiceAccountByClientID(ctx, tenant.ID, clientID)
	if err != nil {
		return nil, nil, err
	}
	keys, err := s.store.ListServiceAccountKeys(ctx, tenant.ID, a.ID)
	if err != nil {
		return nil, nil, err
	}
	out := []PublicKey{}
	now := s.now()
	for i := range keys {
		k := &keys[i]
		if k.Type != iam.KeyPublicKey || !k.Usable(now) {
			continue
		}
		block, _ := pem.Decode([]byte(k.PublicKeyPEM))
		if block == nil {
			return nil, nil, iam.Internal(fmt.Errorf("service account key %s: no PEM block", k.ID))
		}
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, nil, iam.Internal(fmt.Errorf("service account key %s: %w", k.ID, err))
		}
		out = append(out, PublicKey{ID: k.ID, Algorithm: k.Algorithm, Key: pub})
	}
	return a, out, nil
}
