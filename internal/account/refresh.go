package account

import (
	"context"
	"strings"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/permission"
	"github.com/gatehouse-iam/gatehouse/internal/secret"
	"github.com/gatehouse-iam/gatehouse/internal/token"
)

var errInvalidRefresh = iam.Errorf(iam.CodeInvalidToken, "the refresh token is invalid or expired")

// Refresh exchanges a refresh token for new tokens, rotating it. A token that
// was already rotated is a sign of theft: the whole session is revoked. Of two
// concurrent uses of one fresh token exactly one succeeds, and the others are
// reuse too (RFC 9700 §4.14.2): the session ends, the winner's tokens with it.
// wellFormedRefresh reports whether raw can be a refresh token: of the one
// secret format, or of the form issued before it (token.RefreshPrefix),
// which sessions already open still hold.
func wellFormedRefresh(raw string) bool {
	if k, ok := secret.Parse(raw); ok {
		return k == secret.RefreshToken
	}
	return strings.HasPrefix(raw, token.RefreshPrefix) && len(raw) == len(token.RefreshPrefix)+43
}

func (s *Service) Refresh(ctx context.Context, raw string) (*Tokens, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	if !wellFormedRefresh(raw) {
		return nil, errInvalidRefresh
	}
	st, err := s.settings.For(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	rt, err := s.store.RefreshTokenByHash(ctx, token.HashOpaque(raw))
	if iam.IsCode(err, iam.CodeNotFound) || (err == nil && rt.TenantID != t.ID) {
		return nil, errInvalidRefresh
	}
	if err != nil {
		return nil, err
	}
	if rt.RotatedAt != nil {
		return nil, s.reuseDetected(ctx, rt)
	}
	now := s.now()
	if !now.Before(rt.ExpiresAt) {
		return nil, errInvalidRefresh
	}
	var (
		sess    *iam.Session
		refresh string
		reused  bool
	)
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		if err := tx.LockSession(ctx, t.ID, rt.SessionID); err != nil {
			return err
		}
		won, err := tx.MarkRefreshTokenRotated(ctx, rt.ID, now)
		if err != nil {
			return err
		}
		if !won {
			reused = true
			return revokeReused(ctx, tx, rt, now)
		}
		if sess, err = tx.GetSession(ctx, t.ID, rt.SessionID); err != nil {
			return err
		}
		if !sess.Active(now) {
			return errInvalidRefresh
		}
		u, err := tx.GetUser(ctx, t.ID, sess.UserID)
		if err != nil {
			return err
		}
		if u.Status != iam.UserActive {
			return errInvalidRefresh
		}
		sess.LastSeenAt, sess.ExpiresAt = now, expiry(st, sess.CreatedAt, now, sess.KeepLoggedIn)
		if err := tx.TouchSession(ctx, t.ID, sess.ID, sess.LastSeenAt, sess.ExpiresAt); err != nil {
			return err
		}
		var next *iam.RefreshToken
		refresh, next = s.newRefreshToken(sess, now)
		if err := tx.CreateRefreshToken(ctx, next); err != nil {
			return err
		}
		e := audit.Event(ctx, now, t.ID, "auth.refresh", iam.Ref{Type: "session", ID: sess.ID}, iam.ResultSuccess, nil)
		e.Actor = iam.Ref{Type: audit.ActorUser, ID: u.ID}
		return tx.AppendAudit(ctx, e)
	})
	if err != nil {
		return nil, err
	}
	if reused {
		s.cache.Forget(rt.SessionID)
		return nil, errInvalidRefresh
	}
	return s.tokens(ctx, st, sess, refresh)
}

func (s *Service) reuseDetected(ctx context.Context, rt *iam.RefreshToken) error {
	now := s.now()
	err := s.store.InTx(ctx, func(tx iam.Tx) error { return revokeReused(ctx, tx, rt, now) })
	if err != nil {
		return err
	}
	s.cache.Forget(rt.SessionID)
	return errInvalidRefresh
}

// revokeReused ends the session of a refresh token presented after its
// rotation, and audits it in the same transaction.
func revokeReused(ctx context.Context, tx iam.Tx, rt *iam.RefreshToken, now time.Time) error {
	if err := tx.RevokeSession(ctx, rt.TenantID, rt.SessionID, now); err != nil {
		return err
	}
	return tx.AppendAudit(ctx, audit.Event(ctx, now, rt.TenantID, "auth.refresh.reuse_detected",
		iam.Ref{Type: "session", ID: rt.SessionID}, iam.ResultFailure, map[string]any{"refresh_token_id": rt.ID}))
}

// Logout revokes the caller's session, or all of the caller's sessions; their
// access tokens stop working at once on this replica and within a second on
// the others.
func (s *Service) Logout(ctx context.Context, allSessions bool) error {
	p, err := permission.SessionUser(ctx)
	if err != nil {
		return err
	}
	now := s.now()
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		if allSessions {
			if err := tx.RevokeUserSessions(ctx, p.TenantID, p.UserID, now); err != nil {
				return err
			}
		} else if err := tx.RevokeSession(ctx, p.TenantID, p.SessionID, now); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, now, p.TenantID, "auth.logout", iam.Ref{Type: "session", ID: p.SessionID}, iam.ResultSuccess,
			map[string]any{"all_sessions": allSessions}))
	})
	if err != nil {
		return err
	}
	if allSessions {
		s.cache.ForgetUser(p.UserID)
	} else {
		s.cache.Forget(p.SessionID)
	}
	return nil
}

// EndReplacedSession ends session id of the tenant in ctx, which a new
// sign-in of the same browser replaces although the request that finished
// it brought no session cookie (a SAML response is a cross-site POST). id
// comes from the server's own record of where the sign-in began, never
// from the request. A session that is gone or ended already is left as it
// is.
func (s *Service) EndReplacedSession(ctx context.Context, id string) error {
	t, err := tenantOf(ctx)
	if err != nil {
		return err
	}
	sess, err := s.store.GetSession(ctx, t.ID, id)
	if iam.IsCode(err, iam.CodeNotFound) || (err == nil && sess.RevokedAt != nil) {
		return nil
	}
	if err != nil {
		return err
	}
	now := s.now()
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		if err := tx.RevokeSession(ctx, t.ID, id, now); err != nil {
			return err
		}
		e := audit.Event(ctx, now, t.ID, "auth.logout", iam.Ref{Type: "session", ID: id}, iam.ResultSuccess, map[string]any{"replaced": true})
		e.Actor = iam.Ref{Type: string(iam.PrincipalUser), ID: sess.UserID}
		return tx.AppendAudit(ctx, e)
	})
	if err == nil {
		s.cache.Forget(id)
	}
	return err
}

// Me returns the caller's user, as checked when the request was authenticated.
func (s *Service) Me(ctx context.Context) (*iam.User, error) {
	p, err := permission.AuthenticatedUser(ctx)
	if err != nil {
		return nil, err
	}
	return p.User, nil
}
