package application

import (
	"context"
	"crypto/subtle"
	"errors"

	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/secret"
)

// errInvalidClient is what VerifyClientSecret answers for any failure, so
// that the caller learns nothing of which part was wrong.
var errInvalidClient = iam.Errorf(iam.CodeInvalidCredentials, "client authentication failed")

// unmatchable stands in for the stored hash of a client that has none, so
// that every verification hashes and compares the same way.
var unmatchable = secret.Hash("no application has this secret")

// VerifyClientSecret checks an application's client id and secret at the
// tenant in ctx, as an OAuth token endpoint does (RFC 6749 §2.3.1), and
// returns the application. The comparison takes the same time whether the
// client exists, has a secret, or the secret is wrong; a failure for a
// known client is audited. Errors: CodeInvalidCredentials for any mismatch.
func (s *Service) VerifyClientSecret(ctx context.Context, clientID, raw string) (*iam.Application, error) {
	tenant := iam.TenantFrom(ctx)
	if tenant == nil {
		return nil, fail("no tenant")
	}
	a, err := s.ByClientID(ctx, tenant.ID, clientID)
	if err != nil && !iam.IsCode(err, iam.CodeNotFound) {
		return nil, err
	}
	stored := unmatchable
	if a != nil && iam.UsesSecret(a.TokenEndpointAuthMethod) && a.SecretHash != "" {
		stored = a.SecretHash
	}
	match := subtle.ConstantTimeCompare([]byte(secret.Hash(raw)), []byte(stored)) == 1
	if match && stored != unmatchable {
		return a, nil
	}
	if a == nil {
		return nil, fail("unknown client id")
	}
	// The failure is silent to the caller and loud in the log.
	actx := iam.WithPrincipal(ctx, &iam.Principal{Kind: iam.PrincipalApplication, ID: a.ID, TenantID: a.TenantID})
	if err := s.store.AppendAudit(ctx, audit.Event(actx, s.now(), a.TenantID, "application.secret_rejected", appRef(a.ID), iam.ResultFailure,
		map[string]any{"client_id": a.ClientID})); err != nil {
		return nil, err
	}
	return nil, fail("wrong client secret")
}

func fail(cause string) error {
	return &iam.Error{Code: errInvalidClient.Code, Message: errInvalidClient.Message, Err: errors.New(cause)}
}
