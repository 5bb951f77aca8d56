package account

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/mfa"
	"github.com/gatehouse-iam/gatehouse/internal/permission"
	"github.com/gatehouse-iam/gatehouse/internal/token"
)

// ReauthInput confirms a signed-in caller.
type ReauthInput struct {
	Method   string
	Code     string
	Password string
}

// reauthStep is what a session's pending step-up keeps: the mailed code.
type reauthStep struct {
	EmailCode *mfa.EmailCode  `json:"email_code,omitempty"`
	WebAuthn  json.RawMessage `json:"webauthn,omitempty"`
}

// reauthHash names a session's step-up: a session has at most one.
func reauthHash(sessionID string) string { return token.HashOpaque("reauth/" + sessionID) }

// sessionCaller is the signed-in user of ctx with the session the step-up
// is for; other callers have no session to confirm.
func sessionCaller(ctx context.Context) (*iam.Principal, error) {
	p, err := permission.AuthenticatedUser(ctx)
	if err != nil {
		return nil, err
	}
	if p.SessionID == "" {
		return nil, iam.Errorf(iam.CodeForbidden, "only a session signed in with a password can be confirmed")
	}
	return p, nil
}

// Reauth confirms the caller with a second factor, or with their password
// when they have none, and records it on their session, which then may do
// for StepUpWindow what needs a recent second factor. Wrong answers count
// against the account's lockout, as at login.
func (s *Service) Reauth(ctx context.Context, in ReauthInput) error {
	p, err := sessionCaller(ctx)
	if err != nil {
		return err
	}
	if in.Method == "password" {
		return s.reauthPassword(ctx, p, in.Password)
	}
	if err := mfa.CheckFormat(in.Method, in.Code); err != nil {
		return err
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
				if ch, err = tx.GetMFAChallengeForUpdate(ctx, c.TenantID, c.ID); err != nil {
					return err
				}
				if err := json.Unmarshal(ch.State, &step); err != nil {
					return iam.Internal(err)
				}
			}
		}
		_, err := s.factors.Check(ctx, tx, u, in.Method, in.Code, step.EmailCode)
		if iam.IsCode(err, iam.CodeInvalidCredentials) {
			wrong = true
			if ch == nil {
				return nil
			}
			b, err := json.Marshal(step)
			if err != nil {
				return iam.Internal(err)
			}
			ch.State = b
			return tx.UpdateMFAChallenge(ctx, ch)
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
	if err != nil {
		return err
	}
	if wrong {
		if err := s.loginFailed(ctx, st, u.TenantID, u.ID, u.Email, f, "reauthentication_failed"); !iam.IsCode(err, iam.CodeInvalidCredentials) {
			return err
		}
		return errWrongCode
	}
	return nil
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
	p, err := sessionCaller(ctx)
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
		old, err := tx.MFAChallengeByHash(ctx, p.TenantID, reauthHash(p.SessionID))
		switch {
		case err == nil:
			if err := tx.DeleteMFAChallenge(ctx, old.TenantID, old.ID); err != nil && !iam.IsCode(err, iam.CodeNotFound) {
				return err
			}
		case !iam.IsCode(err, iam.CodeNotFound):
			return err
		}
		ec, err := s.factors.SendEmailCode(ctx, tx, u, t.Name)
		if err != nil {
			return err
		}
		state, err := json.Marshal(reauthStep{EmailCode: ec})
		if err != nil {
			return iam.Internal(err)
		}
		now := s.now()
		c := &iam.MFAChallenge{ID: newID(), TenantID: u.TenantID, UserID: u.ID, Purpose: iam.ChallengeReauth,
			TokenHash: reauthHash(p.SessionID), State: state, CreatedAt: now, ExpiresAt: ec.ExpiresAt}
		if err := tx.CreateMFAChallenge(ctx, c); err != nil {
			return err
		}
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
