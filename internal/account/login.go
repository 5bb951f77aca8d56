package account

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/directory"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/token"
)

// LoginInput is what a password login takes.
type LoginInput struct {
	Email        string
	Password     string
	KeepLoggedIn bool
}

var errInvalidCredentials = iam.Errorf(iam.CodeInvalidCredentials, "the email or password is wrong")

// Login checks an email and password and opens a session. An unknown email, a
// wrong password and a disabled user answer the same CodeInvalidCredentials
// after the same work; the audit log records the real reason.
func (s *Service) Login(ctx context.Context, in LoginInput) (*Tokens, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	email, ok := directory.NormalizeEmail(in.Email)
	if !ok {
		return nil, iam.Invalid("the request has invalid fields", map[string]string{"email": "must be a valid email address"})
	}
	if len(in.Password) > 4*directory.MaxPasswordLen {
		// Longer than any password we accept; do not spend a hash on it.
		return nil, s.loginFailed(ctx, t.ID, "", email, "password_too_long")
	}
	u, err := s.store.GetUserByEmail(ctx, t.ID, email)
	if iam.IsCode(err, iam.CodeNotFound) {
		s.hasher.VerifyDummy(ctx, in.Password)
		return nil, s.loginFailed(ctx, t.ID, "", email, "unknown_email")
	}
	if err != nil {
		return nil, err
	}
	match, err := s.hasher.Verify(ctx, in.Password, u.PasswordHash)
	if err != nil && ctx.Err() != nil {
		return nil, iam.Internal(err)
	}
	switch {
	case !match:
		reason := "wrong_password"
		if u.PasswordHash == "" {
			reason = "no_password"
		}
		return nil, s.loginFailed(ctx, t.ID, u.ID, email, reason)
	case u.Status != iam.UserActive:
		return nil, s.loginFailed(ctx, t.ID, u.ID, email, "user_"+string(u.Status))
	}
	return s.openSession(ctx, u, in.KeepLoggedIn, []string{"pwd"})
}

// loginFailed audits a failed login and returns the one answer for all reasons.
func (s *Service) loginFailed(ctx context.Context, tenantID, userID, email, reason string) error {
	e := audit.Event(ctx, s.now(), tenantID, "auth.login.failed", iam.Ref{Type: "user", ID: userID}, iam.ResultFailure,
		map[string]any{"email": email, "reason": reason})
	if err := s.store.AppendAudit(ctx, e); err != nil {
		return err
	}
	return errInvalidCredentials
}

func (s *Service) openSession(ctx context.Context, u *iam.User, keep bool, amr []string) (*Tokens, error) {
	now := s.now()
	meta := iam.RequestMetaFrom(ctx)
	sess := &iam.Session{ID: uuid.Must(uuid.NewV7()).String(), TenantID: u.TenantID, UserID: u.ID, CreatedAt: now, LastSeenAt: now,
		ExpiresAt: s.expiry(now, now, keep), IP: meta.IP, UserAgent: meta.UserAgent, KeepLoggedIn: keep, AMR: amr}
	refresh, rt := s.newRefreshToken(sess, now)
	err := s.store.InTx(ctx, func(tx iam.Tx) error {
		if err := tx.CreateSession(ctx, sess); err != nil {
			return err
		}
		if err := tx.CreateRefreshToken(ctx, rt); err != nil {
			return err
		}
		e := audit.Event(ctx, now, u.TenantID, "auth.login.succeeded", iam.Ref{Type: "user", ID: u.ID}, iam.ResultSuccess,
			map[string]any{"session_id": sess.ID, "amr": amr})
		e.Actor = iam.Ref{Type: audit.ActorUser, ID: u.ID}
		return tx.AppendAudit(ctx, e)
	})
	if err != nil {
		return nil, err
	}
	return s.tokens(sess, refresh)
}

// expiry is when a session last seen at lastSeen ends: an idle timeout that
// slides, or a fixed life for keep-logged-in sessions.
func (s *Service) expiry(created, lastSeen time.Time, keep bool) time.Time {
	if keep {
		return created.Add(s.lifetimes.Remembered)
	}
	return lastSeen.Add(s.lifetimes.Idle)
}

func (s *Service) newRefreshToken(sess *iam.Session, now time.Time) (string, *iam.RefreshToken) {
	raw := token.NewOpaque(token.RefreshPrefix)
	return raw, &iam.RefreshToken{ID: uuid.Must(uuid.NewV7()).String(), TenantID: sess.TenantID, SessionID: sess.ID,
		Hash: token.HashOpaque(raw), CreatedAt: now, ExpiresAt: sess.ExpiresAt}
}

func (s *Service) tokens(sess *iam.Session, refresh string) (*Tokens, error) {
	access, err := s.issuer.Issue(sess.TenantID, sess.UserID, sess.ID, sess.AMR)
	if err != nil {
		return nil, iam.Internal(err)
	}
	return &Tokens{AccessToken: access, ExpiresIn: int(s.issuer.TTL().Seconds()), RefreshToken: refresh}, nil
}
