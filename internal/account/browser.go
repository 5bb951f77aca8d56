package account

import (
	"context"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/secret"
)

// BrowserSession is a browser's sign-in: the cookie's secret, shown once.
// It is a session like one of API tokens (listed with the user's sessions,
// ended the same ways) without a refresh token: the store keeps only the
// secret's SHA-256.
type BrowserSession struct {
	Secret    string // the cookie value (gtses_…)
	SessionID string
	ExpiresAt time.Time
	// Persistent is keep-me-signed-in: the cookie gets Expires; otherwise it
	// is a browser-session cookie.
	Persistent bool
}

// browserTouchEvery is how often a browser session's use is written: its
// idle expiry slides at most this often, not on every page view.
const browserTouchEvery = time.Minute

var errInvalidBrowser = iam.Errorf(iam.CodeInvalidToken, "the browser session is invalid or expired")

func browserSessionOf(sess *iam.Session, raw string) *BrowserSession {
	return &BrowserSession{Secret: raw, SessionID: sess.ID, ExpiresAt: sess.ExpiresAt, Persistent: sess.KeepLoggedIn}
}

// AuthenticateBrowser turns a browser session's cookie secret presented to
// the tenant in ctx into the caller, as Authenticate does for an access
// token of that session, with the session's methods and expiry. The
// session's idle expiry slides as a refresh would slide it, at most once
// every browserTouchEvery. A malformed or unknown secret, another tenant's,
// an ended session and an inactive user all answer the same
// CodeInvalidToken.
func (s *Service) AuthenticateBrowser(ctx context.Context, raw string) (*iam.Principal, *BrowserSession, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, nil, err
	}
	sess, base, err := s.liveBrowserSession(ctx, t.ID, raw)
	if err != nil {
		return nil, nil, err
	}
	if s.now().Sub(sess.LastSeenAt) >= browserTouchEvery {
		if sess, err = s.touchBrowserSession(ctx, sess); err != nil {
			return nil, nil, err
		}
	}
	p := *base
	p.AMR, p.ExpiresAt = sess.AMR, sess.ExpiresAt
	return &p, browserSessionOf(sess, raw), nil
}

// RotateBrowserSession gives the live browser session whose cookie secret
// is raw a new secret and answers it; the old one stops working. Of two
// concurrent rotations of one secret only one wins: the other answers
// CodeInvalidToken, and the session lives on with the winner's secret.
// Errors: CodeInvalidToken, as AuthenticateBrowser.
func (s *Service) RotateBrowserSession(ctx context.Context, raw string) (*BrowserSession, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	sess, _, err := s.liveBrowserSession(ctx, t.ID, raw)
	if err != nil {
		return nil, err
	}
	next := secret.New(secret.BrowserSession)
	now := s.now()
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		won, err := tx.RotateBrowserHash(ctx, t.ID, sess.ID, sess.BrowserHash, secret.Hash(next))
		if err != nil {
			return err
		}
		if !won {
			return errInvalidBrowser
		}
		// The swap holds the row: a revocation either committed before it
		// and shows here, or waits for this transaction.
		cur, err := tx.GetSession(ctx, t.ID, sess.ID)
		if err != nil {
			return err
		}
		if !cur.Active(now) {
			return errInvalidBrowser
		}
		sess = cur
		e := audit.Event(ctx, now, t.ID, "auth.session.rotated", iam.Ref{Type: "session", ID: sess.ID}, iam.ResultSuccess, nil)
		e.Actor = iam.Ref{Type: audit.ActorUser, ID: sess.UserID}
		return tx.AppendAudit(ctx, e)
	})
	if err != nil {
		return nil, err
	}
	return browserSessionOf(sess, next), nil
}

// liveBrowserSession returns the active session of the tenant whose cookie
// secret is raw, and the principal of its active user, or errInvalidBrowser.
func (s *Service) liveBrowserSession(ctx context.Context, tenantID, raw string) (*iam.Session, *iam.Principal, error) {
	if k, ok := secret.Parse(raw); !ok || k != secret.BrowserSession {
		return nil, nil, errInvalidBrowser
	}
	sess, err := s.store.SessionByBrowserHash(ctx, tenantID, secret.Hash(raw))
	if iam.IsCode(err, iam.CodeNotFound) {
		return nil, nil, errInvalidBrowser
	}
	if err != nil {
		return nil, nil, err
	}
	// The row read just now decides whether the session still lives; the
	// cached state only carries its user's standing.
	if !sess.Active(s.now()) {
		return nil, nil, errInvalidBrowser
	}
	base, err := s.sessionState(ctx, tenantID, sess.ID)
	if err != nil {
		return nil, nil, err
	}
	if base == nil || base.UserID != sess.UserID {
		return nil, nil, errInvalidBrowser
	}
	return sess, base, nil
}

// touchBrowserSession records the use of sess now and slides its expiry,
// under the session's lock, unless a concurrent request did within
// browserTouchEvery. It answers the session as it now stands, or
// errInvalidBrowser when it ended or its secret was rotated meanwhile.
func (s *Service) touchBrowserSession(ctx context.Context, sess *iam.Session) (*iam.Session, error) {
	st, err := s.settings.For(ctx, sess.TenantID)
	if err != nil {
		return nil, err
	}
	var cur *iam.Session
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		if err := tx.LockSession(ctx, sess.TenantID, sess.ID); err != nil {
			return err
		}
		var err error
		if cur, err = tx.GetSession(ctx, sess.TenantID, sess.ID); err != nil {
			return err
		}
		now := s.now()
		if !cur.Active(now) || cur.BrowserHash != sess.BrowserHash {
			return errInvalidBrowser
		}
		if now.Sub(cur.LastSeenAt) < browserTouchEvery {
			return nil
		}
		cur.LastSeenAt, cur.ExpiresAt = now, expiry(st, cur.CreatedAt, now, cur.KeepLoggedIn)
		return tx.TouchSession(ctx, cur.TenantID, cur.ID, cur.LastSeenAt, cur.ExpiresAt)
	})
	if iam.IsCode(err, iam.CodeNotFound) {
		return nil, errInvalidBrowser
	}
	return cur, err
}
