package account

import (
	"context"

	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/directory"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/mail"
	"github.com/gatehouse-iam/gatehouse/internal/permission"
)

// VerifyEmail marks the address of a verification link verified.
// Errors: CodeInvalidToken.
func (s *Service) VerifyEmail(ctx context.Context, raw string) error {
	return s.store.InTx(ctx, func(tx iam.Tx) error {
		ot, err := s.consumeToken(ctx, tx, raw, iam.TokenVerifyEmail)
		if err != nil {
			return err
		}
		u, err := tx.GetUserForUpdate(ctx, ot.TenantID, ot.UserID)
		if err != nil {
			return err
		}
		if u.Email != ot.Email {
			return errBadLink // the address changed since the link was sent
		}
		u.EmailVerified, u.UpdatedAt = true, s.now()
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		e := audit.Event(ctx, s.now(), ot.TenantID, "user.email_verified", iam.Ref{Type: "user", ID: u.ID}, iam.ResultSuccess, map[string]any{"email": u.Email})
		e.Actor = iam.Ref{Type: audit.ActorUser, ID: u.ID}
		return tx.AppendAudit(ctx, e)
	})
}

// ResendVerification mails a new verification link when the address belongs
// to an unverified user. It answers the same whatever the address.
func (s *Service) ResendVerification(ctx context.Context, rawEmail string) error {
	t, email, err := tenantAndEmail(ctx, rawEmail)
	if err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx iam.Tx) error {
		u, err := tx.GetUserByEmail(ctx, t.ID, email)
		if iam.IsCode(err, iam.CodeNotFound) {
			return nil
		}
		if err != nil || u.EmailVerified || u.Status != iam.UserActive {
			return err
		}
		if err := tx.ExpireUserTokens(ctx, t.ID, u.ID, iam.TokenVerifyEmail, s.now()); err != nil {
			return err
		}
		link, err := s.issueToken(ctx, tx, u, iam.TokenVerifyEmail, email, verifyTTL, "/verify-email")
		if err != nil {
			return err
		}
		if err := tx.AppendAudit(ctx, audit.Event(ctx, s.now(), t.ID, "user.verification_resent", iam.Ref{Type: "user", ID: u.ID},
			iam.ResultSuccess, map[string]any{"email": email})); err != nil {
			return err
		}
		return s.mailer.Queue(ctx, tx, t.ID, email, mail.KindVerifyEmail,
			map[string]string{"Link": link, "Name": u.Name, "Email": email, "Tenant": t.Name, "ExpiresIn": "24 hours"})
	})
}

// RequestEmailChange mails the new address a confirmation link and the old
// one a notice; the address changes only when the link is used.
// Errors: CodeUnauthenticated, CodeInvalid, CodeInvalidCredentials (password).
func (s *Service) RequestEmailChange(ctx context.Context, rawEmail, pw string) error {
	p, err := permission.SessionUser(ctx)
	if err != nil {
		return err
	}
	if err := s.factors.RequireRecent(ctx, p); err != nil {
		return err
	}
	email, err := directory.NormalizeEmail(rawEmail)
	if err != nil {
		return iam.Invalid("the request has invalid fields", map[string]string{"new_email": err.Error()})
	}
	u, err := s.checkOwnPassword(ctx, p, pw)
	if err != nil {
		return err
	}
	if email == u.Email {
		return iam.Invalid("the request has invalid fields", map[string]string{"new_email": "is already your address"})
	}
	t, err := tenantOf(ctx)
	if err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx iam.Tx) error {
		if err := tx.ExpireUserTokens(ctx, t.ID, u.ID, iam.TokenEmailChange, s.now()); err != nil {
			return err
		}
		link, err := s.issueToken(ctx, tx, u, iam.TokenEmailChange, email, emailTTL, "/confirm-email")
		if err != nil {
			return err
		}
		if err := s.mailer.Queue(ctx, tx, t.ID, email, mail.KindEmailChangeConfirm,
			map[string]string{"Link": link, "Name": u.Name, "Email": u.Email, "NewEmail": email, "Tenant": t.Name, "ExpiresIn": "24 hours"}); err != nil {
			return err
		}
		if err := s.mailer.Queue(ctx, tx, t.ID, u.Email, mail.KindEmailChangeNotice,
			map[string]string{"Name": u.Name, "Email": u.Email, "NewEmail": email, "Tenant": t.Name}); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), t.ID, "user.email_change_requested", iam.Ref{Type: "user", ID: u.ID},
			iam.ResultSuccess, map[string]any{"new_email": email}))
	})
}

// ConfirmEmailChange switches the user to the address the link was sent to.
// Errors: CodeInvalidToken, CodeEmailTaken (someone took it meanwhile).
func (s *Service) ConfirmEmailChange(ctx context.Context, raw string) error {
	var userID string
	err := s.store.InTx(ctx, func(tx iam.Tx) error {
		ot, err := s.consumeToken(ctx, tx, raw, iam.TokenEmailChange)
		if err != nil {
			return err
		}
		u, err := tx.GetUserForUpdate(ctx, ot.TenantID, ot.UserID)
		if err != nil {
			return err
		}
		if u.Status != iam.UserActive {
			return errBadLink
		}
		old := u.Email
		u.Email, u.EmailVerified, u.UpdatedAt = ot.Email, true, s.now()
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		// A verification link still out for the old address is void now.
		if err := tx.ExpireUserTokens(ctx, ot.TenantID, u.ID, iam.TokenVerifyEmail, s.now()); err != nil {
			return err
		}
		userID = u.ID
		e := audit.Event(ctx, s.now(), ot.TenantID, "user.email_changed", iam.Ref{Type: "user", ID: u.ID}, iam.ResultSuccess,
			map[string]any{"old_email": old, "new_email": u.Email})
		e.Actor = iam.Ref{Type: audit.ActorUser, ID: u.ID}
		return tx.AppendAudit(ctx, e)
	})
	if err == nil {
		s.cache.ForgetUser(userID)
		s.userChanged(userID)
	}
	return err
}

// checkOwnPassword verifies the caller's current password. It counts
// against the same lockout as logins, so a stolen access token cannot
// brute-force the password behind it.
func (s *Service) checkOwnPassword(ctx context.Context, p *iam.Principal, pw string) (*iam.User, error) {
	u, err := s.store.GetUser(ctx, p.TenantID, p.UserID)
	if err != nil {
		return nil, err
	}
	st, err := s.settings.For(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	wrong := iam.Errorf(iam.CodeInvalidCredentials, "the current password is wrong")
	f, locked, err := s.admit(ctx, st, p.TenantID, u.Email)
	if err != nil {
		return nil, err
	}
	if locked {
		return nil, s.reauthFailed(ctx, p.TenantID, u, "locked", wrong)
	}
	c, ok, err := s.verifyPassword(ctx, u, pw)
	if err != nil {
		return nil, err
	}
	if !ok || !c.Usable(s.now()) {
		if err := s.loginFailed(ctx, st, p.TenantID, u.ID, u.Email, f, "reauthentication_failed"); !iam.IsCode(err, iam.CodeInvalidCredentials) {
			return nil, err
		}
		return nil, wrong
	}
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		if err := tx.ClearLoginFailures(ctx, p.TenantID, u.Email); err != nil {
			return err
		}
		return tx.RecordCredentialUse(ctx, p.TenantID, c.ID, s.now())
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

func (s *Service) reauthFailed(ctx context.Context, tenantID string, u *iam.User, reason string, answer error) error {
	e := audit.Event(ctx, s.now(), tenantID, "auth.reauthentication.failed", iam.Ref{Type: "user", ID: u.ID}, iam.ResultFailure,
		map[string]any{"reason": reason})
	if err := s.store.AppendAudit(ctx, e); err != nil {
		return err
	}
	return answer
}
