package account

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/settings"
	"github.com/gatehouse-iam/gatehouse/internal/token"
)

// PasskeyVerifier verifies the assertion of a passwordless sign-in begun
// with token (passkey.Service.FinishLogin): whose passkey it was, which
// credential, and the session's RFC 8176 methods; amr holds "mfa" when the
// authenticator verified its user as well.
type PasskeyVerifier interface {
	FinishLogin(ctx context.Context, token string, assertion json.RawMessage) (u *iam.User, credentialID string, amr []string, err error)
}

// PasskeyLoginInput is what a passwordless sign-in takes.
type PasskeyLoginInput struct {
	Token        string
	Assertion    json.RawMessage
	KeepLoggedIn bool
}

// PasskeyLogin opens a session for the user whose passkey signed in without
// a password: a disabled user, or one whose unverified email the tenant's
// policy refuses, answers CodeInvalidCredentials (CodeEmailNotVerified) as
// a password login does, audited with the real reason. A sign-in whose
// passkey verified its user counts as the session's second factor. Errors:
// those of PasskeyVerifier.FinishLogin, and the above.
func (s *Service) PasskeyLogin(ctx context.Context, in PasskeyLoginInput) (*Tokens, error) {
	u, credentialID, amr, err := s.passkeys.FinishLogin(ctx, in.Token, in.Assertion)
	if err != nil {
		return nil, err
	}
	st, err := s.settings.For(ctx, u.TenantID)
	if err != nil {
		return nil, err
	}
	switch {
	case u.Status != iam.UserActive:
		return nil, s.failure(ctx, u.TenantID, u.ID, u.Email, "passkey_user_"+string(u.Status))
	case (st.Signup.RequireVerifiedEmail || st.Signup.Policy == settings.SignupDomainAllowlist) && !u.EmailVerified:
		if err := s.failure(ctx, u.TenantID, u.ID, u.Email, "email_not_verified"); !iam.IsCode(err, iam.CodeInvalidCredentials) {
			return nil, err
		}
		return nil, iam.Errorf(iam.CodeEmailNotVerified, "verify your email address before signing in")
	}
	t, err := s.openSession(ctx, st, u, u.Email, credentialID, in.KeepLoggedIn, amr)
	if err != nil {
		return nil, err
	}
	if slices.Contains(amr, "mfa") {
		if err := s.markSessionMFA(ctx, u.TenantID, t.RefreshToken); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// markSessionMFA records that the session of a fresh refresh token passed a
// second factor now.
func (s *Service) markSessionMFA(ctx context.Context, tenantID, refresh string) error {
	rt, err := s.store.RefreshTokenByHash(ctx, token.HashOpaque(refresh))
	if err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx iam.Tx) error { return tx.SetSessionMFA(ctx, tenantID, rt.SessionID, s.now()) })
}
