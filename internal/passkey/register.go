package passkey

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/gatehouse-iam/gatehouse/internal/access"
	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/permission"
)

// BeginRegistration starts registering a passkey for the caller: it returns
// the token that finishes it and the options for
// navigator.credentials.create() (WebAuthn Level 3 §5.4), which exclude the
// caller's passkeys and ask for a discoverable credential so that the
// passkey can also sign in without a password. Errors: CodeUnauthenticated,
// CodeStateConflict (the caller holds the most passkeys allowed),
// CodeUnavailable (no relying party on this host).
func (s *Service) BeginRegistration(ctx context.Context) (token string, options json.RawMessage, err error) {
	p, err := permission.Enrolling(ctx)
	if err != nil {
		return "", nil, err
	}
	if err := s.stepUp.RequireRecentProof(ctx, p); err != nil {
		return "", nil, err
	}
	t, err := tenantOf(ctx)
	if err != nil {
		return "", nil, err
	}
	wa, err := s.relyingParty(t)
	if err != nil {
		return "", nil, err
	}
	held, err := s.store.UserCredentials(ctx, p.TenantID, p.UserID, iam.CredentialWebAuthn)
	if err != nil {
		return "", nil, err
	}
	if len(held) >= maxPasskeys {
		return "", nil, iam.Errorf(iam.CodeStateConflict, "you hold %d passkeys, the most allowed: delete one first", maxPasskeys)
	}
	creds, err := records(held)
	if err != nil {
		return "", nil, err
	}
	creation, session, err := wa.BeginRegistration(&user{u: p.User, creds: creds},
		webauthn.WithExclusions(webauthn.Credentials(creds).CredentialDescriptors()),
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementPreferred, UserVerification: protocol.VerificationPreferred}),
		webauthn.WithConveyancePreference(protocol.PreferNoAttestation))
	if err != nil {
		return "", nil, iam.Internal(err)
	}
	if token, err = s.begin(ctx, p.TenantID, p.UserID, iam.ChallengeWebAuthnRegister, session); err != nil {
		return "", nil, err
	}
	if options, err = json.Marshal(creation); err != nil {
		return "", nil, iam.Internal(err)
	}
	return token, options, nil
}

// A failed registration answers 400, not 401: the caller is signed in, and
// a client that took a 401 for an ended session would sign them out.
var (
	errRegistrationToken = iam.Invalid("the registration is unknown, finished or expired: begin again",
		map[string]string{"token": "unknown, used or expired"})
	errRegistrationRefused = iam.Invalid("the authenticator's response does not verify against this registration",
		map[string]string{"credential": "does not verify"})
)

// FinishRegistration verifies the authenticator's answer to the
// registration begun with token (WebAuthn Level 3 §7.1) and stores the new
// passkey under name (trimmed; "Passkey" when empty). The challenge is used
// up whatever the outcome; each refusal is audited with its reason
// (mfa.webauthn.register_failed). Errors: CodeInvalid (the name; an
// unknown, used or expired token; a credential that is no registration
// response or that does not verify: another challenge, origin or relying
// party), CodeConflict (a passkey registered already), CodeStateConflict
// (the most passkeys allowed).
func (s *Service) FinishRegistration(ctx context.Context, token, name string, credential json.RawMessage) (*Passkey, error) {
	p, err := permission.Enrolling(ctx)
	if err != nil {
		return nil, err
	}
	if name, err = cleanName(name, true); err != nil {
		return nil, err
	}
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	wa, err := s.relyingParty(t)
	if err != nil {
		return nil, err
	}
	const action = "mfa.webauthn.register_failed"
	_, session, err := s.consume(ctx, p.TenantID, p.UserID, token, iam.ChallengeWebAuthnRegister, action, errRegistrationToken)
	if err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(credential)
	if err != nil {
		return nil, s.refuse(ctx, p.TenantID, p.UserID, action, "malformed_response", errMalformed("registration", err))
	}
	held, err := s.store.UserCredentials(ctx, p.TenantID, p.UserID, iam.CredentialWebAuthn)
	if err != nil {
		return nil, err
	}
	creds, err := records(held)
	if err != nil {
		return nil, err
	}
	created, err := wa.CreateCredential(&user{u: p.User, creds: creds}, *session, parsed)
	if err != nil {
		return nil, s.refuse(ctx, p.TenantID, p.UserID, action, "invalid_response: "+detail(err), errRegistrationRefused)
	}
	now := s.now()
	rec := &record{Name: name, Credential: *created}
	c := &iam.Credential{ID: newID(), TenantID: p.TenantID, UserID: p.UserID, Type: iam.CredentialWebAuthn,
		Name: credentialName(created.ID), State: iam.CredentialActive, Secret: rec.encode(), CreatedAt: now, UpdatedAt: now}
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		// The user's row serialises registrations, so that the limit holds
		// and a passkey registered twice at once is stored once.
		if _, err := tx.GetUserForUpdate(ctx, p.TenantID, p.UserID); err != nil {
			return err
		}
		held, err := tx.UserCredentials(ctx, p.TenantID, p.UserID, iam.CredentialWebAuthn)
		if err != nil {
			return err
		}
		if slices.ContainsFunc(held, func(h iam.Credential) bool { return h.Name == c.Name }) {
			return iam.Errorf(iam.CodeConflict, "this passkey is registered already")
		}
		if len(held) >= maxPasskeys {
			return iam.Errorf(iam.CodeStateConflict, "you hold %d passkeys, the most allowed: delete one first", maxPasskeys)
		}
		if err := tx.PutCredential(ctx, c); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, now, p.TenantID, "mfa.webauthn.registered", iam.Ref{Type: "user", ID: p.UserID},
			iam.ResultSuccess, map[string]any{"credential_id": c.ID, "name": name, "synced": created.Flags.BackupEligible}))
	})
	if err != nil {
		return nil, err
	}
	return passkeyOf(c, rec), nil
}

// List returns the caller's passkeys, oldest first.
func (s *Service) List(ctx context.Context) ([]Passkey, error) {
	p, err := permission.Enrolling(ctx)
	if err != nil {
		return nil, err
	}
	held, err := s.store.UserCredentials(ctx, p.TenantID, p.UserID, iam.CredentialWebAuthn)
	if err != nil {
		return nil, err
	}
	out := make([]Passkey, 0, len(held))
	for i := range held {
		r, err := decodeRecord(&held[i])
		if err != nil {
			return nil, err
		}
		out = append(out, *passkeyOf(&held[i], r))
	}
	return out, nil
}

var errPasskeyNotFound = iam.Errorf(iam.CodeNotFound, "passkey not found")

// Rename gives one of the caller's passkeys a new display name. Errors:
// CodeInvalid, CodeNotFound.
func (s *Service) Rename(ctx context.Context, id, name string) (*Passkey, error) {
	p, err := permission.SessionUser(ctx)
	if err != nil {
		return nil, err
	}
	if name, err = cleanName(name, false); err != nil {
		return nil, err
	}
	var out *Passkey
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		c, err := lockPasskey(ctx, tx, p, id)
		if err != nil {
			return err
		}
		r, err := decodeRecord(c)
		if err != nil {
			return err
		}
		old := r.Name
		r.Name = name
		c.Secret, c.UpdatedAt = r.encode(), s.now()
		if err := tx.PutCredential(ctx, c); err != nil {
			return err
		}
		out = passkeyOf(c, r)
		return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), p.TenantID, "mfa.webauthn.renamed", iam.Ref{Type: "user", ID: p.UserID},
			iam.ResultSuccess, map[string]any{"credential_id": c.ID, "old_name": old, "name": name}))
	})
	return out, err
}

// Delete removes one of the caller's passkeys; it needs a recent second
// factor. Errors: CodeNotFound, CodeMFAReauthRequired.
func (s *Service) Delete(ctx context.Context, id string) error {
	p, err := permission.SessionUser(ctx)
	if err != nil {
		return err
	}
	if err := s.stepUp.RequireRecent(ctx, p); err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx iam.Tx) error {
		// The user's row first: two factors removed at once must not both
		// pass KeepRequiredFactor.
		if _, err := tx.GetUserForUpdate(ctx, p.TenantID, p.UserID); err != nil {
			return err
		}
		c, err := lockPasskey(ctx, tx, p, id)
		if err != nil {
			return err
		}
		r, err := decodeRecord(c)
		if err != nil {
			return err
		}
		if err := tx.DeleteCredential(ctx, p.TenantID, p.UserID, c.ID); err != nil {
			return err
		}
		if err := s.stepUp.KeepRequiredFactor(ctx, tx, p.TenantID, p.UserID); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), p.TenantID, "mfa.webauthn.deleted", iam.Ref{Type: "user", ID: p.UserID},
			iam.ResultSuccess, map[string]any{"credential_id": c.ID, "name": r.Name}))
	})
}

// lockPasskey reads the caller's passkey whose credential id is id and holds
// its row until tx ends. CodeNotFound for an id of anything else.
func lockPasskey(ctx context.Context, tx iam.Tx, p *iam.Principal, id string) (*iam.Credential, error) {
	if !access.ValidID(id) {
		return nil, errPasskeyNotFound
	}
	c, err := tx.GetCredentialByIDForUpdate(ctx, p.TenantID, p.UserID, id)
	if iam.IsCode(err, iam.CodeNotFound) || (err == nil && c.Type != iam.CredentialWebAuthn) {
		return nil, errPasskeyNotFound
	}
	return c, err
}
