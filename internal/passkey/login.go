package passkey

import (
	"context"
	"encoding/json"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/gatehouse-iam/gatehouse/internal/access"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// BeginLogin starts a passwordless sign-in with a discoverable passkey: it
// returns the token that finishes it and options for
// navigator.credentials.get() that name no user and require user
// verification, so that the passkey alone is two factors. Errors:
// CodeUnavailable (no relying party on this host).
func (s *Service) BeginLogin(ctx context.Context) (token string, options json.RawMessage, err error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return "", nil, err
	}
	wa, err := s.relyingParty(t)
	if err != nil {
		return "", nil, err
	}
	assertion, session, err := wa.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return "", nil, iam.Internal(err)
	}
	if token, err = s.begin(ctx, t.ID, "", iam.ChallengeWebAuthnLogin, session); err != nil {
		return "", nil, err
	}
	if options, err = json.Marshal(assertion); err != nil {
		return "", nil, iam.Internal(err)
	}
	return token, options, nil
}

// FinishLogin verifies the assertion of the passwordless sign-in begun with
// token and returns whose passkey signed in, its credential id and the
// session's RFC 8176 methods: the key's (AMRHardwareKey or AMRSoftwareKey)
// and AMRMultiFactor, since the sign-in required user verification. It
// does not check whether the user may sign in; the caller does. The
// challenge is used up whatever the outcome; each refusal is audited
// (auth.passkey.failed). Errors: CodeInvalidToken (unknown, used or
// expired token), CodeInvalid (a credential that is no assertion),
// CodeInvalidCredentials (an assertion that does not verify, of an unknown
// user or passkey, or of another tenant's).
func (s *Service) FinishLogin(ctx context.Context, token string, assertion json.RawMessage) (u *iam.User, credentialID string, amr []string, err error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, "", nil, err
	}
	wa, err := s.relyingParty(t)
	if err != nil {
		return nil, "", nil, err
	}
	_, session, err := s.consume(ctx, t.ID, "", token, iam.ChallengeWebAuthnLogin, failedAction, errChallenge)
	if err != nil {
		return nil, "", nil, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(assertion)
	if err != nil {
		return nil, "", nil, s.refuse(ctx, t.ID, "", failedAction, "malformed_assertion", errMalformed("assertion", err))
	}
	// The user handle names the user (WebAuthn Level 3 §7.2 step 6); only
	// users of the request's tenant are looked up.
	handle := string(parsed.Response.UserHandle)
	if !access.ValidID(handle) {
		return nil, "", nil, s.refuse(ctx, t.ID, "", failedAction, "unknown_user_handle", errNotAccepted)
	}
	u, err = s.store.GetUser(ctx, t.ID, handle)
	if iam.IsCode(err, iam.CodeNotFound) {
		return nil, "", nil, s.refuse(ctx, t.ID, "", failedAction, "unknown_user_handle", errNotAccepted)
	}
	if err != nil {
		return nil, "", nil, err
	}
	c, verified, err := s.verify(ctx, wa, u, session, parsed, true)
	if err != nil {
		return nil, "", nil, err
	}
	return u, c.ID, []string{keyAMR(verified), AMRMultiFactor}, nil
}
