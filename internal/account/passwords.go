package account

import (
	"context"

	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/directory"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/mail"
	"github.com/gatehouse-iam/gatehouse/internal/permission"
)

// ForgotPassword mails a reset link when the address belongs to an active
// user. It answers the same whatever the address.
func (s *Service) ForgotPassword(ctx context.Context, rawEmail string) error {
	t, email, err := tenantAndEmail(ctx, rawEmail)
	if err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx iam.Tx) error {
		u, err := tx.GetUserByEmail(ctx, t.ID, email)
		if iam.IsCode(err, iam.CodeNotFound) {
			return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), t.ID, "auth.password_reset.requested", iam.Ref{Type: "user"},
				iam.ResultFailure, map[string]any{"email": email, "reason": "unknown_email"}))
		}
		if err != nil {
			return err
		}
		if u.Status != iam.UserActive {
			return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), t.ID, "auth.password_reset.requested", iam.Ref{Type: "user", ID: u.ID},
				iam.ResultFailure, map[string]any{"email": email, "reason": "user_" + string(u.Status)}))
		}
		return s.sendReset(ctx, tx, t, u)
	})
}

func (s *Service) sendReset(ctx context.Context, tx iam.Tx, t *iam.Tenant, u *iam.User) error {
	link, err := s.issueToken(ctx, tx, u, iam.TokenPasswordReset, u.Email, resetTTL, "/reset-password")
	if err != nil {
		return err
	}
	if err := tx.AppendAudit(ctx, audit.Event(ctx, s.now(), t.ID, "auth.password_reset.requested", iam.Ref{Type: "user", ID: u.ID},
		iam.ResultSuccess, map[string]any{"email": u.Email})); err != nil {
		return err
	}
	return s.mailer.Queue(ctx, tx, t.ID, u.Email, mail.KindPasswordReset,
		map[string]string{"Link": link, "Name": u.Name, "Email": u.Email, "Tenant": t.Name, "ExpiresIn": "30 minutes"})
}

// ResetPassword sets a new password with a reset link, then ends every
// session of the user and voids their other reset links.
// Errors: CodeInvalidToken, CodePasswordPolicy.
func (s *Service) ResetPassword(ctx context.Context, raw, newPassword string) error {
	t, st, err := s.tenantSettings(ctx)
	if err != nil {
		return err
	}
	var userID string
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		ot, err := s.consumeToken(ctx, tx, raw, iam.TokenPasswordReset)
		if err != nil {
			return err
		}
		u, err := tx.GetUserForUpdate(ctx, t.ID, ot.UserID)
		if err != nil {
			return err
		}
		if u.Status != iam.UserActive || u.Email != ot.Email {
			return errBadLink
		}
		if err := st.CheckPassword("new_password", newPassword, u.Email, u.Name); err != nil {
			return err
		}
		userID = u.ID
		return s.setPassword(ctx, tx, t, u, newPassword, "", "user.password_reset")
	})
	if err == nil {
		s.cache.ForgetUser(userID)
	}
	return err
}

// ChangePassword changes the caller's password after checking the current
// one, and ends the caller's other sessions.
// Errors: CodeInvalidCredentials (current password), CodePasswordPolicy.
func (s *Service) ChangePassword(ctx context.Context, current, next string) error {
	p, err := permission.SessionUser(ctx)
	if err != nil {
		return err
	}
	if err := s.factors.RequireRecent(ctx, p); err != nil {
		return err
	}
	t, st, err := s.tenantSettings(ctx)
	if err != nil {
		return err
	}
	u, err := s.checkOwnPassword(ctx, p, current)
	if err != nil {
		return err
	}
	if err := st.CheckPassword("new_password", next, u.Email, u.Name); err != nil {
		return err
	}
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		// Read again, locked: writing back u as read before the
		// transaction would undo changes made to the user meanwhile.
		u, err := tx.GetUserForUpdate(ctx, p.TenantID, u.ID)
		if err != nil {
			return err
		}
		return s.setPassword(ctx, tx, t, u, next, p.SessionID, "user.password_changed")
	})
	if err == nil {
		s.cache.ForgetUser(u.ID)
	}
	return err
}

// AdminSetPassword sets a user's password, or mails them a reset link.
// Either way their sessions end. Needs users.write (and, for an admin,
// admins.manage and everything they hold).
func (s *Service) AdminSetPassword(ctx context.Context, userID, pw string, sendReset bool) error {
	p, err := permission.Require(ctx, permission.UsersWrite)
	if err != nil {
		return err
	}
	if (pw == "") == !sendReset {
		return iam.Invalid("give a password or send_reset_email, not both", map[string]string{"password": "give either password or send_reset_email"})
	}
	t, st, err := s.tenantSettings(ctx)
	if err != nil {
		return err
	}
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		u, err := tx.GetUserForUpdate(ctx, p.TenantID, userID)
		if err != nil {
			return err
		}
		if err := permission.GuardAdminTarget(ctx, tx, p, userID); err != nil {
			return err
		}
		if sendReset {
			if err := tx.RevokeUserSessions(ctx, t.ID, u.ID, s.now()); err != nil {
				return err
			}
			return s.sendReset(ctx, tx, t, u)
		}
		if err := st.CheckPassword("password", pw, u.Email, u.Name); err != nil {
			return err
		}
		return s.setPassword(ctx, tx, t, u, pw, "", "user.password_set")
	})
	if err == nil {
		s.cache.ForgetUser(userID)
	}
	return err
}

// setPassword hashes and stores pw, ends the user's sessions but keep, voids
// outstanding reset links, audits and mails a notice.
func (s *Service) setPassword(ctx context.Context, tx iam.Tx, t *iam.Tenant, u *iam.User, pw, keep, action string) error {
	hash, err := s.hasher.Hash(ctx, pw)
	if err != nil {
		return iam.Internal(err)
	}
	now := s.now()
	if err := tx.PutCredential(ctx, directory.PasswordCredential(u, hash, now)); err != nil {
		return err
	}
	if keep == "" {
		err = tx.RevokeUserSessions(ctx, t.ID, u.ID, now)
	} else {
		err = tx.RevokeOtherSessions(ctx, t.ID, u.ID, keep, now)
	}
	if err != nil {
		return err
	}
	// Links sent before the change are void: a reset must also shut out
	// whoever started an email change with the old password.
	for _, kind := range []string{iam.TokenPasswordReset, iam.TokenEmailChange} {
		if err := tx.ExpireUserTokens(ctx, t.ID, u.ID, kind, now); err != nil {
			return err
		}
	}
	if err := tx.ClearLoginFailures(ctx, t.ID, u.Email); err != nil {
		return err
	}
	if err := tx.AppendAudit(ctx, audit.Event(ctx, now, t.ID, action, iam.Ref{Type: "user", ID: u.ID}, iam.ResultSuccess, nil)); err != nil {
		return err
	}
	return s.mailer.Queue(ctx, tx, t.ID, u.Email, mail.KindPasswordChanged,
		map[string]string{"Name": u.Name, "Email": u.Email, "Tenant": t.Name, "Link": s.baseURL(t) + "/forgot"})
}

// Unlock clears the failed-login counter of a user's email. Needs users.write
// (and, for an admin, admins.manage and everything they hold: lifting an
// admin's lock would allow unlimited guesses at their password).
func (s *Service) Unlock(ctx context.Context, userID string) error {
	p, err := permission.Require(ctx, permission.UsersWrite)
	if err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx iam.Tx) error {
		u, err := tx.GetUser(ctx, p.TenantID, userID)
		if err != nil {
			return err
		}
		if err := permission.GuardAdminTarget(ctx, tx, p, userID); err != nil {
			return err
		}
		if err := tx.ClearLoginFailures(ctx, p.TenantID, u.Email); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), p.TenantID, "user.unlocked", iam.Ref{Type: "user", ID: u.ID}, iam.ResultSuccess,
			map[string]any{"email": u.Email}))
	})
}
