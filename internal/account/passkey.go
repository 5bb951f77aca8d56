package account

import (
	"context"
	"encoding/json"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/settings"
)

// PasskeyVerifier checks passkey assertions (passkey.Service). FinishLogin
// verifies a passwordless sign-in begun with token: whose passkey it was,
// which credential, and the session's RFC 8176 methods, holding "mfa" when
// the authenticator verified its user as well. BeginAssertion and
// FinishAssertion ask a known user for an assertion as a second factor;
// the caller keeps state between them.
type PasskeyVerifier interface {
	FinishLogin(ctx context.Context, token string, assertion json.RawMessage) (u *iam.User, credentialID string, amr []string, err error)
	BeginAssertion(ctx context.Context, u *iam.User) (state []byte, options json.RawMessage, err error)
	FinishAssertion(ctx context.Context, u *iam.User, state []byte, assertion json.RawMessage) (amr string, err error)
}

// PasskeyLoginInput is what a passwordless sign-in takes.
type PasskeyLoginInput struct {
	Token        string
	Assertion    json.RawMessage
	KeepLoggedIn bool
	// Browser opens a browser session instead of API tokens.
	Browser bool
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
	return s.openSession(ctx, st, u, u.Email, credentialID, sessionOptions{keep: in.KeepLoggedIn, browser: in.Browser}, amr)
}
