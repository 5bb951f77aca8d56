package passkey

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// The RFC 8176 authentication method references of a passkey assertion: a
// passkey that never leaves its authenticator (not backup eligible, WebAuthn
// Level 3 §6.1.3) proves possession of a hardware-secured key; one its
// provider may sync to other devices, of a software-secured one.
const (
	AMRHardwareKey = "hwk"
	AMRSoftwareKey = "swk"
	// AMRMultiFactor joins the key's reference when the authenticator
	// verified its user (PIN or biometrics) as well: two factors at once.
	AMRMultiFactor = "mfa"
)

var errNotAccepted = iam.Errorf(iam.CodeInvalidCredentials, "the passkey was not accepted")

// errMalformed answers a credential that is no WebAuthn response of kind.
func errMalformed(kind string, cause error) error {
	return &iam.Error{Code: iam.CodeInvalid, Message: "the credential is not a WebAuthn " + kind + " response",
		Details: map[string]any{"fields": map[string]string{"credential": detail(cause)}}}
}

// detail is what go-webauthn says about a refused response, for the audit
// log and the caller who sent it.
func detail(err error) string {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		if pe.DevInfo != "" {
			return pe.Details + " (" + pe.DevInfo + ")"
		}
		return pe.Details
	}
	return err.Error()
}

// HasPasskeys reports whether the user holds a usable passkey.
func (s *Service) HasPasskeys(ctx context.Context, tenantID, userID string) (bool, error) {
	held, err := s.store.UserCredentials(ctx, tenantID, userID, iam.CredentialWebAuthn)
	if err != nil {
		return false, err
	}
	now := s.now()
	return slices.ContainsFunc(held, func(c iam.Credential) bool { return c.Usable(now) }), nil
}

// BeginAssertion starts a passkey assertion of u as a second factor: state
// is what FinishAssertion needs back (the caller keeps it, e.g. in its own
// challenge), options are for navigator.credentials.get() and allow u's
// usable passkeys. Errors: CodeNotFound (u holds no usable passkey),
// CodeUnavailable (no relying party on this host).
func (s *Service) BeginAssertion(ctx context.Context, u *iam.User) (state []byte, options json.RawMessage, err error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, nil, err
	}
	if t.ID != u.TenantID {
		return nil, nil, iam.Internal(errOtherTenant)
	}
	wa, err := s.relyingParty(t)
	if err != nil {
		return nil, nil, err
	}
	held, err := s.store.UserCredentials(ctx, u.TenantID, u.ID, iam.CredentialWebAuthn)
	if err != nil {
		return nil, nil, err
	}
	now := s.now()
	held = slices.DeleteFunc(held, func(c iam.Credential) bool { return !c.Usable(now) })
	if len(held) == 0 {
		return nil, nil, iam.Errorf(iam.CodeNotFound, "no passkey is registered")
	}
	creds, err := records(held)
	if err != nil {
		return nil, nil, err
	}
	assertion, session, err := wa.BeginLogin(&user{u: u, creds: creds}, webauthn.WithUserVerification(protocol.VerificationPreferred))
	if err != nil {
		return nil, nil, iam.Internal(err)
	}
	if state, err = json.Marshal(session); err != nil {
		return nil, nil, iam.Internal(err)
	}
	if options, err = json.Marshal(assertion); err != nil {
		return nil, nil, iam.Internal(err)
	}
	return state, options, nil
}

// FinishAssertion verifies u's answer to the assertion begun with state
// (WebAuthn Level 3 §7.2), records the passkey's new sign count and its use,
// and returns its RFC 8176 method: AMRHardwareKey or AMRSoftwareKey. Each
// refusal is audited with its reason (auth.passkey.failed) and answers
// CodeInvalidCredentials: an assertion of another challenge, origin or
// relying party, of a passkey u does not hold or that is not usable, a bad
// signature, a sign count that did not grow (a cloned authenticator), or
// a body that is no assertion at all.
func (s *Service) FinishAssertion(ctx context.Context, u *iam.User, state []byte, assertion json.RawMessage) (amr string, err error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return "", err
	}
	if t.ID != u.TenantID {
		return "", iam.Internal(errOtherTenant)
	}
	wa, err := s.relyingParty(t)
	if err != nil {
		return "", err
	}
	var session webauthn.SessionData
	if err := json.Unmarshal(state, &session); err != nil {
		return "", iam.Internal(fmt.Errorf("passkey assertion state: %w", err))
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(assertion)
	if err != nil {
		return "", s.refuse(ctx, u.TenantID, u.ID, failedAction, "malformed_assertion: "+detail(err), errNotAccepted)
	}
	_, verified, err := s.verify(ctx, wa, u, &session, parsed, false)
	if err != nil {
		return "", err
	}
	return keyAMR(verified), nil
}

// failedAction is the audit action of a refused assertion.
const failedAction = "auth.passkey.failed"

func keyAMR(c *webauthn.Credential) string {
	if c.Flags.BackupEligible {
		return AMRSoftwareKey
	}
	return AMRHardwareKey
}

// refusal is why verify refused an assertion, for the audit log.
type refusal string

func (r refusal) Error() string { return string(r) }

// verify checks an assertion by u against session and, when it holds,
// stores the passkey's new sign count, flags and last use in one
// transaction that holds the passkey's row, so that two assertions
// racing with one sign count cannot both pass. A discoverable assertion
// (passwordless sign-in) has no user in its session: the user handle named
// u. Refusals are audited and answer errNotAccepted.
func (s *Service) verify(ctx context.Context, wa *webauthn.WebAuthn, u *iam.User, session *webauthn.SessionData,
	parsed *protocol.ParsedCredentialAssertionData, discoverable bool) (*iam.Credential, *webauthn.Credential, error) {
	var (
		stored   *iam.Credential
		verified *webauthn.Credential
	)
	now := s.now()
	err := s.store.InTx(ctx, func(tx iam.Tx) error {
		c, err := tx.GetCredentialForUpdate(ctx, u.TenantID, u.ID, iam.CredentialWebAuthn, credentialName(parsed.RawID))
		if iam.IsCode(err, iam.CodeNotFound) {
			return refusal("unknown_credential")
		}
		if err != nil {
			return err
		}
		if !c.Usable(now) {
			return refusal("passkey_" + c.Unusable())
		}
		held, err := tx.UserCredentials(ctx, u.TenantID, u.ID, iam.CredentialWebAuthn)
		if err != nil {
			return err
		}
		creds, err := records(held)
		if err != nil {
			return err
		}
		rec, err := decodeRecord(c)
		if err != nil {
			return err
		}
		// The locked row is the truth about the sign count; the list read
		// before the lock only shows which passkeys u holds.
		for i := range creds {
			if bytes.Equal(creds[i].ID, rec.Credential.ID) {
				creds[i] = rec.Credential
			}
		}
		wu := &user{u: u, creds: creds}
		var got *webauthn.Credential
		if discoverable {
			_, got, err = wa.ValidatePasskeyLogin(func(_, _ []byte) (webauthn.User, error) { return wu, nil }, *session, parsed)
		} else {
			got, err = wa.ValidateLogin(wu, *session, parsed)
		}
		if err != nil {
			return refusal("invalid_assertion: " + detail(err))
		}
		// WebAuthn Level 3 §7.2 step 22: a sign count that did not grow
		// past the stored one means the key may be cloned; refuse it and
		// keep the stored count, which the genuine authenticator exceeds.
		if got.Authenticator.CloneWarning {
			return refusal(fmt.Sprintf("sign_count_regressed: stored %d, presented %d",
				rec.Credential.Authenticator.SignCount, parsed.Response.AuthenticatorData.Counter))
		}
		rec.Credential = *got
		c.Secret, c.UpdatedAt, c.LastUsedAt = rec.encode(), now, &now
		if err := tx.PutCredential(ctx, c); err != nil {
			return err
		}
		stored, verified = c, got
		return nil
	})
	var r refusal
	if errors.As(err, &r) {
		return nil, nil, s.refuse(ctx, u.TenantID, u.ID, failedAction, string(r), errNotAccepted)
	}
	if err != nil {
		return nil, nil, err
	}
	return stored, verified, nil
}
