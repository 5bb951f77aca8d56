package mfa

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"image/png"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// RFC 6238 as every authenticator app implements it.
const (
	totpPeriod = 30
	totpSkew   = 1 // steps accepted either side of now
	// totpPending is how long an enrolment waits for its confirmation.
	totpPending = 10 * time.Minute
	qrSize      = 256
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// totpState is what a TOTP credential keeps, sealed with the master key:
// the seed, and the last time step a code was accepted for, since a code
// must not work twice (pquerna/otp does not remember).
type totpState struct {
	Seed     string `json:"seed"`
	LastStep int64  `json:"last_step"`
}

// TOTPEnrollment is what an authenticator app needs to start.
type TOTPEnrollment struct {
	Secret     string
	OTPAuthURI string
	QRPNG      []byte
}

// BeginTOTP starts enrolling a TOTP authenticator for the caller. The new
// seed waits, disabled, for ConfirmTOTP; beginning again replaces it. A user
// who already has TOTP on must turn it off first.
func (s *Service) BeginTOTP(ctx context.Context, p *iam.Principal) (*TOTPEnrollment, error) {
	if err := s.RequireRecentProof(ctx, p); err != nil {
		return nil, err
	}
	cur, err := s.store.GetCredential(ctx, p.TenantID, p.UserID, iam.CredentialTOTP, "")
	switch {
	case err == nil && cur.State == iam.CredentialActive:
		return nil, iam.Errorf(iam.CodeConflict, "TOTP is already on; turn it off before enrolling another authenticator")
	case err != nil && !iam.IsCode(err, iam.CodeNotFound):
		return nil, err
	}
	key, err := s.totpKey(p.User.Email, nil)
	if err != nil {
		return nil, err
	}
	e, err := enrollmentOf(key)
	if err != nil {
		return nil, err
	}
	now := s.now()
	c := &iam.Credential{ID: newID(), TenantID: p.TenantID, UserID: p.UserID, Type: iam.CredentialTOTP,
		State: iam.CredentialDisabled, CreatedAt: now, UpdatedAt: now, ExpiresAt: new(now.Add(totpPending))}
	if err := s.sealTOTP(c, totpState{Seed: key.Secret()}); err != nil {
		return nil, err
	}
	if err := s.store.PutCredential(ctx, c); err != nil {
		return nil, err
	}
	return e, nil
}

// PendingTOTP is the caller's enrolment still waiting for its
// confirmation, for a page to show again after a wrong code: the seed is
// the server's, never one a form sends back. Errors: CodeStateConflict
// when none waits.
func (s *Service) PendingTOTP(ctx context.Context, p *iam.Principal) (*TOTPEnrollment, error) {
	c, err := s.store.GetCredential(ctx, p.TenantID, p.UserID, iam.CredentialTOTP, "")
	if err != nil && !iam.IsCode(err, iam.CodeNotFound) {
		return nil, err
	}
	if err != nil || !pending(c, s.now()) {
		return nil, errNoEnrolment
	}
	st, err := s.openTOTP(c)
	if err != nil {
		return nil, err
	}
	seed, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(st.Seed)
	if err != nil {
		return nil, iam.Internal(err)
	}
	key, err := s.totpKey(p.User.Email, seed)
	if err != nil {
		return nil, err
	}
	return enrollmentOf(key)
}

var errNoEnrolment = iam.Errorf(iam.CodeStateConflict, "no TOTP enrolment is waiting; begin one first")

// totpKey is the authenticator key of an account: a new random seed when
// seed is nil.
func (s *Service) totpKey(email string, seed []byte) (*otp.Key, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: s.issuer, AccountName: email, Period: totpPeriod,
		SecretSize: 20, Secret: seed, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return nil, iam.Internal(err)
	}
	return key, nil
}

// enrollmentOf is what an authenticator app needs of key, its QR code drawn.
func enrollmentOf(key *otp.Key) (*TOTPEnrollment, error) {
	img, err := key.Image(qrSize, qrSize)
	if err != nil {
		return nil, iam.Internal(err)
	}
	var qr bytes.Buffer
	if err := png.Encode(&qr, img); err != nil {
		return nil, iam.Internal(err)
	}
	return &TOTPEnrollment{Secret: key.Secret(), OTPAuthURI: key.URL(), QRPNG: qr.Bytes()}, nil
}

// ConfirmTOTP turns the caller's pending TOTP on with a code from their app.
func (s *Service) ConfirmTOTP(ctx context.Context, p *iam.Principal, code string) error {
	if err := checkDigits("code", code); err != nil {
		return err
	}
	wrong := false
	err := s.store.InTx(ctx, func(tx iam.Tx) error {
		c, err := tx.GetCredentialForUpdate(ctx, p.TenantID, p.UserID, iam.CredentialTOTP, "")
		if err != nil && !iam.IsCode(err, iam.CodeNotFound) {
			return err
		}
		if err != nil || !pending(c, s.now()) {
			return errNoEnrolment
		}
		st, err := s.openTOTP(c)
		if err != nil {
			return err
		}
		step, ok := matchTOTP(st, code, s.now())
		if !ok {
			wrong = true
			return tx.AppendAudit(ctx, s.event(ctx, p.TenantID, p.UserID, "mfa.totp.confirm_failed", iam.ResultFailure, nil))
		}
		st.LastStep = step
		now := s.now()
		c.State, c.UpdatedAt, c.ExpiresAt, c.LastUsedAt = iam.CredentialActive, now, nil, &now
		if err := s.sealTOTP(c, *st); err != nil {
			return err
		}
		if err := tx.PutCredential(ctx, c); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, s.event(ctx, p.TenantID, p.UserID, "mfa.totp.enabled", iam.ResultSuccess, nil))
	})
	if err != nil {
		return err
	}
	if wrong {
		return iam.Invalid("the code is wrong", map[string]string{"code": "does not match the authenticator"})
	}
	return nil
}

// pending reports whether c is an enrolment still waiting for its
// confirmation.
func pending(c *iam.Credential, now time.Time) bool {
	return c.State == iam.CredentialDisabled && c.ExpiresAt != nil && now.Before(*c.ExpiresAt)
}

// DisableTOTP turns the caller's TOTP off; it needs a recent second factor.
func (s *Service) DisableTOTP(ctx context.Context, p *iam.Principal) error {
	if err := s.RequireRecent(ctx, p); err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx iam.Tx) error {
		if _, err := tx.GetUserForUpdate(ctx, p.TenantID, p.UserID); err != nil {
			return err
		}
		n, err := tx.DeleteCredentials(ctx, p.TenantID, p.UserID, iam.CredentialTOTP)
		if err != nil {
			return err
		}
		if n == 0 {
			return iam.Errorf(iam.CodeNotFound, "TOTP is not on")
		}
		if err := s.KeepRequiredFactor(ctx, tx, p.TenantID, p.UserID); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, s.event(ctx, p.TenantID, p.UserID, "mfa.totp.disabled", iam.ResultSuccess, nil))
	})
}

// checkTOTP accepts a code of the user's active TOTP once: it records the
// code's time step in tx, so that the code, and any earlier one, is refused
// from then on.
func (s *Service) checkTOTP(ctx context.Context, tx iam.Tx, tenantID, userID, code string) error {
	c, err := tx.GetCredentialForUpdate(ctx, tenantID, userID, iam.CredentialTOTP, "")
	if iam.IsCode(err, iam.CodeNotFound) {
		return errWrongCode
	}
	if err != nil {
		return err
	}
	if !c.Usable(s.now()) {
		return errWrongCode
	}
	st, err := s.openTOTP(c)
	if err != nil {
		return err
	}
	step, ok := matchTOTP(st, code, s.now())
	if !ok {
		return errWrongCode
	}
	st.LastStep = step
	now := s.now()
	c.UpdatedAt, c.LastUsedAt = now, &now
	if err := s.sealTOTP(c, *st); err != nil {
		return err
	}
	return tx.PutCredential(ctx, c)
}

// matchTOTP returns the time step within the skew whose code is code and
// that comes after the last accepted one. Every candidate is compared, so
// the time taken does not tell which matched.
func matchTOTP(st *totpState, code string, now time.Time) (int64, bool) {
	cur := now.Unix() / totpPeriod
	var found int64
	ok := false
	for step := cur - totpSkew; step <= cur+totpSkew; step++ {
		want, err := totp.GenerateCodeCustom(st.Seed, time.Unix(step*totpPeriod, 0), totpOpts)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && step > st.LastStep && !ok {
			found, ok = step, true
		}
	}
	return found, ok
}

// totpAssociated binds a sealed seed to its user: a sealed value copied to
// another user's row does not open.
func totpAssociated(c *iam.Credential) []byte {
	return []byte("totp/" + c.TenantID + "/" + c.UserID)
}

func (s *Service) sealTOTP(c *iam.Credential, st totpState) error {
	plain, err := json.Marshal(st)
	if err != nil {
		return iam.Internal(err)
	}
	sealed, err := s.master.Seal(plain, totpAssociated(c))
	if err != nil {
		return iam.Internal(err)
	}
	c.Secret = base64.RawStdEncoding.EncodeToString(sealed)
	return nil
}

func (s *Service) openTOTP(c *iam.Credential) (*totpState, error) {
	sealed, err := base64.RawStdEncoding.DecodeString(c.Secret)
	if err != nil {
		return nil, iam.Internal(err)
	}
	plain, err := s.master.Open(sealed, totpAssociated(c))
	if err != nil {
		return nil, iam.Internal(err)
	}
	var st totpState
	if err := json.Unmarshal(plain, &st); err != nil {
		return nil, iam.Internal(err)
	}
	return &st, nil
}
