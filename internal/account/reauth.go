package account

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/mfa"
	"github.com/gatehouse-iam/gatehouse/internal/permission"
	"github.com/gatehouse-iam/gatehouse/internal/settings"
	"github.com/gatehouse-iam/gatehouse/internal/token"
)

// ReauthInput confirms a signed-in caller: Code for TOTP, email and
// recovery codes, Assertion for a passkey, Password for an account without
// a second factor.
type ReauthInput struct {
	Method    string
	Code      string
	Password  string
	Assertion json.RawMessage
}

// reauthStep is what a session's pending step-up keeps: the mailed code and
// how many were mailed, or a passkey ceremony.
type reauthStep struct {
	Mails     int             `json:"mails,omitempty"`
	EmailCode *mfa.EmailCode  `json:"email_code,omitempty"`
	WebAuthn  json.RawMessage `json:"webauthn,omitempty"`
}

// reauthHash names a session's step-up: a session has at most one.
func reauthHash(sessionID string) string { return token.HashOpaque("reauth/" + sessionID) }

// Reauth confirms the caller with a second factor, or with their password
// when they have none, and records it on their session, which then may do
// for StepUpWindow what needs a recent second factor. Wrong answers count
// against the account's lockout, as at login.
func (s *Service) Reauth(ctx context.Context, in ReauthInput) error {
	p, err := permission.SessionUser(ctx)
	if err != nil {
		return err
	}
	if in.Method == "password" {
		return s.reauthPassword(ctx, p, in.Password)
	}
	if in.Method != mfa.MethodWebAuthn {
		if err := mfa.CheckFormat(in.Method, in.Code); err != nil {
			return err
		}
	}
	u, err := s.store.GetUser(ctx, p.TenantID, p.UserID)
	if err != nil {
		return err
	}
	status, err := s.factors.StatusOf(ctx, u.TenantID, u.ID)
	if err != nil {
		return err
	}
	if !status.Enabled() || !slices.Contains(status.Methods(), in.Method) {
		return &iam.Error{Code: iam.CodeInvalid, Message: "this method cannot confirm the account",
			Details: map[string]any{"fields": map[string]string{"method": "not one of the account's methods"}, "methods": status.Methods()}}
	}
	st, err := s.settings.For(ctx, u.TenantID)
	if err != nil {
		return err
	}
	f, locked, err := s.admit(ctx, st, u.TenantID, u.Email)
	if err != nil {
		return err
	}
	if locked {
		return s.reauthFailed(ctx, u.TenantID, u, "locked", errWrongCode)
	}
	if in.Method == mfa.MethodWebAuthn {
		return s.reauthPasskey(ctx, p, u, st, f, in.Assertion)
	}
	wrong := false
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		var (
			step reauthStep
			ch   *iam.MFAChallenge
		)
		if in.Method == mfa.MethodEmail {
			c, err := tx.MFAChallengeByHash(ctx, u.TenantID, reauthHash(p.SessionID))
			if err != nil && !iam.IsCode(err, iam.CodeNotFound) {
				return err
			}
			if err == nil {
				if ch, err = lockStep(ctx, tx, c, &step, errWrongCode); err != nil {
					return err
				}
			}
		}
		_, err := s.factors.Check(ctx, tx, u, in.Method, in.Code, step.EmailCode)
		if iam.IsCode(err, iam.CodeInvalidCredentials) {
			wrong = true
			if ch == nil {
				return nil
			}
			return saveStep(ctx, tx, ch, step)
		}
		if err != nil {
			return err
		}
		if ch != nil {
			if err := tx.DeleteMFAChallenge(ctx, ch.TenantID, ch.ID); err != nil {
				return err
			}
		}
		return s.confirmed(ctx, tx, p, u, in.Method)
	})
	if err != nil || !wrong {
		return err
	}
	return s.wrongReauth(ctx, st, u, f)
}

// wrongReauth counts a wrong step-up answer, reserved as f, against the
// account's lockout and returns the one answer for it.
func (s *Service) wrongReauth(ctx context.Context, st *settings.Settings, u *iam.User, f *iam.LoginFailures) error {
	if err := s.loginFailed(ctx, st, u.TenantID, u.ID, u.Email, f, "reauthentication_failed"); !iam.IsCode(err, iam.CodeInvalidCredentials) {
		return err
	}
	return errWrongCode
}

// reauthPasskey confirms the caller with the assertion answering the
// passkey ceremony begun for their session (BeginReauthPasskey).
func (s *Service) reauthPasskey(ctx context.Context, p *iam.Principal, u *iam.User, st *settings.Settings, f *iam.LoginFailures, assertion json.RawMessage) error {
	var step reauthStep
	c, err := s.store.MFAChallengeByHash(ctx, u.TenantID, reauthHash(p.SessionID))
	switch {
	case err == nil:
		if err := json.Unmarshal(c.State, &step); err != nil {
			return iam.Internal(err)
		}
	case !iam.IsCode(err, iam.CodeNotFound):
		return err
	}
	if err == nil && !s.now().Before(c.ExpiresAt) {
		step.WebAuthn = nil
	}
	check, err := s.passkeyAnswer(ctx, u, step.WebAuthn, assertion)
	if err != nil {
		return err
	}
	wrong := false
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		var state reauthStep
		cur, err := lockStep(ctx, tx, c, &state, errPasskeyNotBegun)
		if err != nil {
			return err
		}
		_, cerr := check(&state.WebAuthn)
		if err := tx.DeleteMFAChallenge(ctx, cur.TenantID, cur.ID); err != nil {
			return err
		}
		if cerr != nil {
			wrong = true
			return nil
		}
		return s.confirmed(ctx, tx, p, u, mfa.MethodWebAuthn)
	})
	if err != nil || !wrong {
		return err
	}
	return s.wrongReauth(ctx, st, u, f)
}

// BeginReauthPasskey answers the options for navigator.credentials.get()
// that confirm the caller's session with one of their passkeys. Asking
// again replaces the session's earlier step-up.
func (s *Service) BeginReauthPasskey(ctx context.Context) (json.RawMessage, error) {
	p, err := permission.SessionUser(ctx)
	if err != nil {
		return nil, err
	}
	u, err := s.store.GetUser(ctx, p.TenantID, p.UserID)
	if err != nil {
		return nil, err
	}
	state, options, err := s.passkeys.BeginAssertion(ctx, u)
	if err != nil {
		return nil, err
	}
	return options, s.replaceReauthStep(ctx, p, reauthStep{WebAuthn: state}, s.now().Add(mfaStepTTL))
}

// replaceReauthStep stores the session's pending step-up in place of an
// earlier one, keeping its count of mailed codes.
func (s *Service) replaceReauthStep(ctx context.Context, p *iam.Principal, step reauthStep, expires time.Time) error {
	return s.store.InTx(ctx, func(tx iam.Tx) error {
		old, prev, err := s.reauthStepOf(ctx, tx, p)
		if err != nil {
			return err
		}
		step.Mails = prev.Mails
		return s.putReauthStep(ctx, tx, p, old, step, expires)
	})
}

// putReauthStep stores step as the session's pending step-up in tx, in
// place of old (the session's earlier one, if any).
func (s *Service) putReauthStep(ctx context.Context, tx iam.Tx, p *iam.Principal, old *iam.MFAChallenge, step reauthStep, expires time.Time) error {
	if old != nil {
		if err := tx.DeleteMFAChallenge(ctx, old.TenantID, old.ID); err != nil && !iam.IsCode(err, iam.CodeNotFound) {
			return err
		}
	}
	state, err := json.Marshal(step)
	if err != nil {
		return iam.Internal(err)
	}
	c := &iam.MFAChallenge{ID: newID(), TenantID: p.TenantID, UserID: p.UserID, Purpose: iam.ChallengeReauth,
		TokenHash: reauthHash(p.SessionID), State: state, CreatedAt: s.now(), ExpiresAt: expires}
	return tx.CreateMFAChallenge(ctx, c)
}

// reauthStepOf returns the session's pending step-up and its state; a
// step past its expiry counts as none but is returned for removal.
func (s *Service) reauthStepOf(ctx context.Context, tx iam.Tx, p *iam.Principal) (*iam.MFAChallenge, reauthStep, error) {
	var step reauthStep
	c, err := tx.MFAChallengeByHash(ctx, p.TenantID, reauthHash(p.SessionID))
	if iam.IsCode(err, iam.CodeNotFound) {
		return nil, step, nil
	}
	if err != nil {
		return nil, step, err
	}
	if s.now().Before(c.ExpiresAt) {
		if err := json.Unmarshal(c.State, &step); err != nil {
			return nil, step, iam.Internal(err)
		}
	}
	return c, step, nil
}

// reauthPassword confirms a caller without a second factor by password.
// One with a factor must use it: a password alone is what step-up is meant
// to be more than.
func (s *Service) reauthPassword(ctx context.Context, p *iam.Principal, pw string) error {
	status, err := s.factors.StatusOf(ctx, p.TenantID, p.UserID)
	if err != nil {
		return err
	}
	if status.Enabled() {
		return &iam.Error{Code: iam.CodeMFAReauthRequired, Message: "confirm with a second factor, not the password",
			Details: map[string]any{"methods": status.Methods()}}
	}
	u, err := s.checkOwnPassword(ctx, p, pw)
	if err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx iam.Tx) error { return s.confirmed(ctx, tx, p, u, "password") })
}

// confirmed records in tx that the caller's session passed a step-up, and
// clears the failed attempts counted against the account.
func (s *Service) confirmed(ctx context.Context, tx iam.Tx, p *iam.Principal, u *iam.User, method string) error {
	now := s.now()
	if err := tx.SetSessionMFA(ctx, p.TenantID, p.SessionID, now); err != nil {
		return err
	}
	if err := tx.ClearLoginFailures(ctx, u.TenantID, u.Email); err != nil {
		return err
	}
	return tx.AppendAudit(ctx, audit.Event(ctx, now, u.TenantID, "auth.reauthentication.succeeded", iam.Ref{Type: "user", ID: u.ID},
		iam.ResultSuccess, map[string]any{"method": method, "session_id": p.SessionID}))
}

// SendReauthCode mails the caller a code to confirm their session with. A
// new code replaces the session's earlier one.
func (s *Service) SendReauthCode(ctx context.Context) error {
	p, err := permission.SessionUser(ctx)
	if err != nil {
		return err
	}
	t, err := tenantOf(ctx)
	if err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx iam.Tx) error {
		u, err := tx.GetUser(ctx, p.TenantID, p.UserID)
		if err != nil {
			return err
		}
		old, prev, err := s.reauthStepOf(ctx, tx, p)
		if err != nil {
			return err
		}
		if prev.Mails >= mfaStepMails {
			return iam.Errorf(iam.CodeRateLimited, "too many codes mailed for this session; wait for the last one to expire")
		}
		ec, err := s.factors.SendEmailCode(ctx, tx, u, t.Name)
		if err != nil {
			return err
		}
		if err := s.putReauthStep(ctx, tx, p, old, reauthStep{EmailCode: ec, Mails: prev.Mails + 1}, ec.ExpiresAt); err != nil {
			return err
		}
		now := s.now()
		return tx.AppendAudit(ctx, audit.Event(ctx, now, u.TenantID, "auth.mfa.email_sent", iam.Ref{Type: "user", ID: u.ID}, iam.ResultSuccess,
			map[string]any{"purpose": "reauth"}))
	})
}

var errInvalidEnrollment = iam.Errorf(iam.CodeInvalidToken, "the enrollment token is invalid or expired")

// AuthenticateEnrollment turns an enrollment token into its restricted
// principal, which may only enrol a second factor (see
// permission.Enrolling).
func (s *Service) AuthenticateEnrollment(ctx context.Context, raw string) (*iam.Principal, error) {
	c, err := s.challenge(ctx, raw, iam.ChallengeEnrollment, errInvalidEnrollment)
	if err != nil {
		return nil, err
	}
	u, err := s.store.GetUser(ctx, c.TenantID, c.UserID)
	if iam.IsCode(err, iam.CodeNotFound) {
		return nil, errInvalidEnrollment
	}
	if err != nil {
		return nil, err
	}
	if u.Status != iam.UserActive {
		return nil, errInvalidEnrollment
	}
	return &iam.Principal{Kind: iam.PrincipalEnrollment, ID: u.ID, TenantID: u.TenantID, UserID: u.ID, User: u,
		Permissions: []string{}, ExpiresAt: c.ExpiresAt}, nil
}
