package account

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/mfa"
	"github.com/gatehouse-iam/gatehouse/internal/settings"
	"github.com/gatehouse-iam/gatehouse/internal/token"
)

// Authentication method references (RFC 8176) a session records.
const (
	amrPassword = "pwd"
	amrOTP      = "otp"
	amrMFA      = "mfa"
)

// Prefixes of the tokens of a sign-in's second step, so that people and
// secret scanners recognise them.
const (
	MFATokenPrefix        = "ghm_"
	EnrollmentTokenPrefix = "ghe_"
)

const (
	// mfaStepTTL is how long a login waits for its second factor.
	mfaStepTTL = 5 * time.Minute
	// mfaStepFailures is how many wrong answers end a login's second step.
	mfaStepFailures = 5
	// mfaStepMails bounds the codes one step may have mailed.
	mfaStepMails = 5
	// enrollmentTTL is how long a user made to enrol a second factor may.
	enrollmentTTL = 15 * time.Minute
)

// LoginResult is a login's answer: tokens, or the second step it needs.
type LoginResult struct {
	Tokens *Tokens
	// MFA is set when the user must pass a second factor.
	MFA *MFAStep
	// EnrollmentToken is set when policy requires a second factor the user
	// does not have: it may only enrol one.
	EnrollmentToken string
}

// MFAStep is the second step of a login: its token and the methods that
// complete it.
type MFAStep struct {
	Token     string
	Methods   []string
	ExpiresIn int
}

// loginStep is what a login's second step keeps between requests.
type loginStep struct {
	Email        string          `json:"email"`
	PasswordID   string          `json:"password_id"`
	KeepLoggedIn bool            `json:"keep_logged_in"`
	Browser      bool            `json:"browser,omitempty"`
	Mails        int             `json:"mails,omitempty"`
	EmailCode    *mfa.EmailCode  `json:"email_code,omitempty"`
	WebAuthn     json.RawMessage `json:"webauthn,omitempty"`
}

// secondStep ends a login whose password passed: it opens the session, or
// asks for a second factor, or for enrolling one when policy requires it.
func (s *Service) secondStep(ctx context.Context, st *settings.Settings, u *iam.User, email, passwordID string, opts sessionOptions) (*LoginResult, error) {
	status, err := s.factors.StatusOf(ctx, u.TenantID, u.ID)
	if err != nil {
		return nil, err
	}
	if status.Enabled() {
		// The password proved right: the attempt it reserved is no failure.
		// The second step reserves its own; only the session's start clears
		// the count, so that a stolen password does not reset the lockout
		// that guards the second factor.
		if err := s.store.ReleaseLoginAttempt(ctx, u.TenantID, email); err != nil {
			return nil, err
		}
		state, err := json.Marshal(loginStep{Email: email, PasswordID: passwordID, KeepLoggedIn: opts.keep, Browser: opts.browser})
		if err != nil {
			return nil, iam.Internal(err)
		}
		raw, err := s.newChallenge(ctx, u, iam.ChallengeLogin, MFATokenPrefix, state, mfaStepTTL, "auth.login.mfa_required")
		if err != nil {
			return nil, err
		}
		return &LoginResult{MFA: &MFAStep{Token: raw, Methods: status.Methods(), ExpiresIn: int(mfaStepTTL.Seconds())}}, nil
	}
	required, err := s.factors.Required(ctx, s.store, u.TenantID, u.ID)
	if err != nil {
		return nil, err
	}
	if required {
		// No second factor to guard: a right password ends the count, as a
		// sign-in does.
		if err := s.store.ClearLoginFailures(ctx, u.TenantID, email); err != nil {
			return nil, err
		}
		raw, err := s.newChallenge(ctx, u, iam.ChallengeEnrollment, EnrollmentTokenPrefix, []byte(`{}`), enrollmentTTL, "auth.login.mfa_enrollment_required")
		if err != nil {
			return nil, err
		}
		return &LoginResult{EnrollmentToken: raw}, nil
	}
	t, err := s.openSession(ctx, st, u, email, passwordID, opts, []string{amrPassword})
	if err != nil {
		return nil, err
	}
	return &LoginResult{Tokens: t}, nil
}

// newChallenge stores a step for u and audits it, and returns its token.
func (s *Service) newChallenge(ctx context.Context, u *iam.User, purpose iam.ChallengePurpose, prefix string, state []byte, ttl time.Duration, action string) (string, error) {
	now := s.now()
	raw := token.NewOpaque(prefix)
	c := &iam.MFAChallenge{ID: newID(), TenantID: u.TenantID, UserID: u.ID, Purpose: purpose, TokenHash: token.HashOpaque(raw),
		State: state, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	err := s.store.InTx(ctx, func(tx iam.Tx) error {
		if err := tx.CreateMFAChallenge(ctx, c); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, now, u.TenantID, action, iam.Ref{Type: "user", ID: u.ID}, iam.ResultSuccess, nil))
	})
	return raw, err
}

var errInvalidMFAToken = iam.Errorf(iam.CodeInvalidToken, "the mfa_token is invalid or expired")

// challenge returns the live step of purpose that raw names in the
// request's tenant, or errInvalid.
func (s *Service) challenge(ctx context.Context, raw string, purpose iam.ChallengePurpose, errInvalid error) (*iam.MFAChallenge, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	c, err := s.store.MFAChallengeByHash(ctx, t.ID, token.HashOpaque(raw))
	if iam.IsCode(err, iam.CodeNotFound) {
		return nil, errInvalid
	}
	if err != nil {
		return nil, err
	}
	reason := ""
	switch {
	case c.Purpose != purpose:
		reason = "token_of_" + string(c.Purpose)
	case !s.now().Before(c.ExpiresAt):
		reason = "token_expired"
	case c.Failures >= mfaStepFailures:
		reason = "token_spent"
	default:
		return c, nil
	}
	if err := s.store.AppendAudit(ctx, audit.Event(ctx, s.now(), c.TenantID, "auth.mfa.refused", iam.Ref{Type: "user", ID: c.UserID},
		iam.ResultFailure, map[string]any{"reason": reason})); err != nil {
		return nil, err
	}
	return nil, errInvalid
}

// MFAVerifyInput answers a login's second step: Code for TOTP, email and
// recovery codes, Assertion for a passkey.
type MFAVerifyInput struct {
	Token     string
	Method    string
	Code      string
	Assertion json.RawMessage
	// Browser finishes a step a browser's sign-in began; the step of an
	// API sign-in finishes only without it, and the other way round, so
	// that neither surface completes the other's.
	Browser bool
}

// VerifyMFA completes a login's second step with a code: the session opens
// and its tokens are answered, or its cookie when a browser's login began
// the step. A wrong code counts against the step (five
// end it) and against the account's lockout, as a wrong password does.
func (s *Service) VerifyMFA(ctx context.Context, in MFAVerifyInput) (*Tokens, error) {
	c, err := s.challenge(ctx, in.Token, iam.ChallengeLogin, errInvalidMFAToken)
	if err != nil {
		return nil, err
	}
	var step loginStep
	if err := json.Unmarshal(c.State, &step); err != nil {
		return nil, iam.Internal(err)
	}
	if step.Browser != in.Browser {
		return nil, errInvalidMFAToken
	}
	u, err := s.store.GetUser(ctx, c.TenantID, c.UserID)
	if err != nil {
		return nil, err
	}
	if in.Method != mfa.MethodWebAuthn {
		if err := mfa.CheckFormat(in.Method, in.Code); err != nil {
			return nil, s.mfaRefused(ctx, u, "malformed_code", err)
		}
	}
	status, err := s.factors.StatusOf(ctx, u.TenantID, u.ID)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(status.Methods(), in.Method) {
		return nil, s.mfaRefused(ctx, u, "method_not_enabled", &iam.Error{Code: iam.CodeInvalid, Message: "this method cannot complete the sign-in",
			Details: map[string]any{"fields": map[string]string{"method": "not one of the account's methods"}, "methods": status.Methods()}})
	}
	if in.Method == mfa.MethodWebAuthn {
		check, err := s.passkeyAnswer(ctx, u, step.WebAuthn, in.Assertion)
		if err != nil {
			return nil, err
		}
		return s.completeStep(ctx, c, u, step, func(_ iam.Tx, state *loginStep) (string, error) {
			return check(&state.WebAuthn)
		})
	}
	return s.completeStep(ctx, c, u, step, func(tx iam.Tx, state *loginStep) (string, error) {
		return s.factors.Check(ctx, tx, u, in.Method, in.Code, state.EmailCode)
	})
}

var errPasskeyNotBegun = iam.Errorf(iam.CodeStateConflict, "ask for the passkey's options first")

// passkeyAnswer verifies a passkey assertion against the ceremony state a
// step holds, before the step's transaction: the passkey service writes
// the key's sign count in a transaction of its own. The check it returns
// runs under the step's lock and ends the ceremony, so that an assertion
// answers it once however many requests carry it.
func (s *Service) passkeyAnswer(ctx context.Context, u *iam.User, state json.RawMessage, assertion json.RawMessage) (func(*json.RawMessage) (string, error), error) {
	if len(state) == 0 {
		return nil, errPasskeyNotBegun
	}
	if len(assertion) == 0 {
		return nil, iam.Invalid("the request has invalid fields", map[string]string{"assertion": "is required for webauthn"})
	}
	amr, verr := s.passkeys.FinishAssertion(ctx, u, state, assertion)
	if verr != nil && !iam.IsCode(verr, iam.CodeInvalidCredentials) {
		return nil, verr
	}
	return func(cur *json.RawMessage) (string, error) {
		if !bytes.Equal(*cur, state) {
			return "", errWrongCode
		}
		*cur = nil
		if verr != nil {
			return "", errWrongCode
		}
		return amr, nil
	}, nil
}

// BeginMFAPasskey answers the options for navigator.credentials.get() that
// complete a login's second step with one of the user's passkeys. Asking
// again replaces the earlier ceremony.
func (s *Service) BeginMFAPasskey(ctx context.Context, raw string) (json.RawMessage, error) {
	c, err := s.challenge(ctx, raw, iam.ChallengeLogin, errInvalidMFAToken)
	if err != nil {
		return nil, err
	}
	u, err := s.store.GetUser(ctx, c.TenantID, c.UserID)
	if err != nil {
		return nil, err
	}
	state, options, err := s.passkeys.BeginAssertion(ctx, u)
	if err != nil {
		return nil, err
	}
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		var step loginStep
		cur, err := lockStep(ctx, tx, c, &step, errInvalidMFAToken)
		if err != nil {
			return err
		}
		step.WebAuthn = state
		return saveStep(ctx, tx, cur, step)
	})
	return options, err
}

// completeStep runs check against the step c under its lock. Right, the
// step ends and the session opens in the same transaction; wrong, the step
// counts the failure (and ends at the fifth), the account's lockout counts
// it, and the answer is the one for every wrong code.
func (s *Service) completeStep(ctx context.Context, c *iam.MFAChallenge, u *iam.User, step loginStep,
	check func(tx iam.Tx, state *loginStep) (string, error)) (*Tokens, error) {
	st, err := s.settings.For(ctx, u.TenantID)
	if err != nil {
		return nil, err
	}
	f, locked, err := s.admit(ctx, st, u.TenantID, step.Email)
	if err != nil {
		return nil, err
	}
	if locked {
		return nil, s.mfaFailed(ctx, u, "locked", errWrongCode)
	}
	var (
		sess  *iam.Session
		raw   string
		wrong error
	)
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		var state loginStep
		cur, err := lockStep(ctx, tx, c, &state, errInvalidMFAToken)
		if err != nil {
			return err
		}
		if cur.Failures >= mfaStepFailures || !s.now().Before(cur.ExpiresAt) {
			return errInvalidMFAToken
		}
		amr, err := check(tx, &state)
		if iam.IsCode(err, iam.CodeInvalidCredentials) {
			wrong = err
			return s.countWrong(ctx, tx, cur, &state)
		}
		if err != nil {
			return err
		}
		if u.Status != iam.UserActive {
			return errInvalidMFAToken
		}
		if err := tx.DeleteMFAChallenge(ctx, cur.TenantID, cur.ID); err != nil {
			return err
		}
		sess, raw, err = s.startSession(ctx, tx, st, u, state.Email, state.PasswordID,
			sessionOptions{keep: state.KeepLoggedIn, browser: state.Browser}, []string{amrPassword, amr, amrMFA})
		return err
	})
	if err != nil {
		return nil, err
	}
	if wrong != nil {
		return nil, s.loginFailed(ctx, st, u.TenantID, u.ID, step.Email, f, "wrong_second_factor")
	}
	return s.answer(ctx, st, sess, raw)
}

// countWrong records a wrong answer to the step cur in tx; the fifth ends it.
func (s *Service) countWrong(ctx context.Context, tx iam.Tx, cur *iam.MFAChallenge, state *loginStep) error {
	cur.Failures++
	if cur.Failures >= mfaStepFailures {
		return tx.DeleteMFAChallenge(ctx, cur.TenantID, cur.ID)
	}
	return saveStep(ctx, tx, cur, state)
}

// lockStep reads the step c again under its lock, its state decoded into
// state; missing when it is gone.
func lockStep(ctx context.Context, tx iam.Tx, c *iam.MFAChallenge, state any, missing error) (*iam.MFAChallenge, error) {
	cur, err := tx.GetMFAChallengeForUpdate(ctx, c.TenantID, c.ID)
	if iam.IsCode(err, iam.CodeNotFound) {
		return nil, missing
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(cur.State, state); err != nil {
		return nil, iam.Internal(err)
	}
	return cur, nil
}

// saveStep writes state into the locked step cur in tx.
func saveStep(ctx context.Context, tx iam.Tx, cur *iam.MFAChallenge, state any) error {
	b, err := json.Marshal(state)
	if err != nil {
		return iam.Internal(err)
	}
	cur.State = b
	return tx.UpdateMFAChallenge(ctx, cur)
}

var errWrongCode = iam.Errorf(iam.CodeInvalidCredentials, "the code is wrong or expired")

// mfaRefused audits an answer to a second step refused as malformed, which
// counts against nothing, and returns answer.
func (s *Service) mfaRefused(ctx context.Context, u *iam.User, reason string, answer error) error {
	if err := s.store.AppendAudit(ctx, audit.Event(ctx, s.now(), u.TenantID, "auth.mfa.refused", iam.Ref{Type: "user", ID: u.ID},
		iam.ResultFailure, map[string]any{"reason": reason})); err != nil {
		return err
	}
	return answer
}

// mfaFailed audits a second step refused without checking anything.
func (s *Service) mfaFailed(ctx context.Context, u *iam.User, reason string, answer error) error {
	if err := s.store.AppendAudit(ctx, failureEvent(ctx, s.now(), u.TenantID, u.ID, u.Email, reason)); err != nil {
		return err
	}
	return answer
}

// SendMFACode mails a code for a login's second step. Each code replaces the
// step's earlier one; a step mails at most mfaStepMails.
func (s *Service) SendMFACode(ctx context.Context, raw string) error {
	c, err := s.challenge(ctx, raw, iam.ChallengeLogin, errInvalidMFAToken)
	if err != nil {
		return err
	}
	t, err := tenantOf(ctx)
	if err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx iam.Tx) error {
		var state loginStep
		cur, err := lockStep(ctx, tx, c, &state, errInvalidMFAToken)
		if err != nil {
			return err
		}
		if state.Mails >= mfaStepMails {
			return iam.Errorf(iam.CodeRateLimited, "too many codes mailed for this sign-in; sign in again")
		}
		u, err := tx.GetUser(ctx, cur.TenantID, cur.UserID)
		if err != nil {
			return err
		}
		ec, err := s.factors.SendEmailCode(ctx, tx, u, t.Name)
		if err != nil {
			return err
		}
		state.EmailCode, state.Mails = ec, state.Mails+1
		if err := saveStep(ctx, tx, cur, state); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), u.TenantID, "auth.mfa.email_sent", iam.Ref{Type: "user", ID: u.ID}, iam.ResultSuccess, nil))
	})
}
