package mfa

import (
	"context"
	"crypto/subtle"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/mail"
	"github.com/gatehouse-iam/gatehouse/internal/token"
)

const (
	emailCodeTTL   = 10 * time.Minute
	emailCodeTries = 5
)

// EmailCode is a mailed code as the step waiting for it keeps it: hashed,
// with its expiry and the wrong answers it has had.
type EmailCode struct {
	Hash      string    `json:"hash"`
	ExpiresAt time.Time `json:"expires_at"`
	Tries     int       `json:"tries"`
}

// EnableEmail turns email codes on for the caller, whose address must be
// verified: a code sent to an address nobody proved to own proves nothing.
func (s *Service) EnableEmail(ctx context.Context, p *iam.Principal) error {
	if err := s.RequireRecentProof(ctx, p); err != nil {
		return err
	}
	u, err := s.store.GetUser(ctx, p.TenantID, p.UserID)
	if err != nil {
		return err
	}
	if !u.EmailVerified {
		return iam.Errorf(iam.CodeEmailNotVerified, "verify your email address before turning email codes on")
	}
	now := s.now()
	return s.store.InTx(ctx, func(tx iam.Tx) error {
		c := &iam.Credential{ID: newID(), TenantID: p.TenantID, UserID: p.UserID, Type: iam.CredentialEmailOTP,
			State: iam.CredentialActive, CreatedAt: now, UpdatedAt: now}
		if err := tx.PutCredential(ctx, c); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, s.event(ctx, p.TenantID, p.UserID, "mfa.email.enabled", iam.ResultSuccess, nil))
	})
}

// DisableEmail turns the caller's email codes off; it needs a recent second
// factor.
func (s *Service) DisableEmail(ctx context.Context, p *iam.Principal) error {
	if err := s.RequireRecent(ctx, p); err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx iam.Tx) error {
		if _, err := tx.GetUserForUpdate(ctx, p.TenantID, p.UserID); err != nil {
			return err
		}
		n, err := tx.DeleteCredentials(ctx, p.TenantID, p.UserID, iam.CredentialEmailOTP)
		if err != nil {
			return err
		}
		if n == 0 {
			return iam.Errorf(iam.CodeNotFound, "email codes are not on")
		}
		if err := s.KeepRequiredFactor(ctx, tx, p.TenantID, p.UserID); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, s.event(ctx, p.TenantID, p.UserID, "mfa.email.disabled", iam.ResultSuccess, nil))
	})
}

// SendEmailCode mails a new code to the user, who must have email codes on,
// through the outbox in tx, and returns it as the waiting step keeps it. A
// new code replaces the step's earlier one.
func (s *Service) SendEmailCode(ctx context.Context, tx iam.Tx, u *iam.User, tenantName string) (*EmailCode, error) {
	c, err := tx.GetCredential(ctx, u.TenantID, u.ID, iam.CredentialEmailOTP, "")
	if iam.IsCode(err, iam.CodeNotFound) || (err == nil && !c.Usable(s.now())) {
		return nil, iam.Errorf(iam.CodeStateConflict, "email codes are not on for this account")
	}
	if err != nil {
		return nil, err
	}
	code := newDigits()
	data := map[string]string{mail.FieldCode: code, mail.FieldName: u.Name, mail.FieldTenant: tenantName,
		mail.FieldExpiresIn: mail.ExpiresIn(emailCodeTTL)}
	if err := s.mailer.Queue(ctx, tx, u.TenantID, u.Email, mail.KindMFACode, data); err != nil {
		return nil, err
	}
	// A plain SHA-256 is enough: the code dies after a few tries and
	// minutes, so its hash is worth nothing once it leaks.
	return &EmailCode{Hash: token.HashOpaque(code), ExpiresAt: s.now().Add(emailCodeTTL)}, nil
}

// checkEmailCode counts an answer to the mailed code ec; it is right only
// while the code lives and has had fewer than emailCodeTries answers. The
// caller stores ec back (Tries moved) and ends the step on success.
func (s *Service) checkEmailCode(ec *EmailCode, code string) error {
	if ec == nil || !s.now().Before(ec.ExpiresAt) || ec.Tries >= emailCodeTries {
		return errWrongCode
	}
	ec.Tries++
	if subtle.ConstantTimeCompare([]byte(token.HashOpaque(code)), []byte(ec.Hash)) != 1 {
		return errWrongCode
	}
	return nil
}
