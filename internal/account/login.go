package account

import (
	"context"
	"slices"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/password"
	"github.com/gatehouse-iam/gatehouse/internal/secret"
	"github.com/gatehouse-iam/gatehouse/internal/settings"
)

// LoginInput is what a password login takes.
type LoginInput struct {
	Email        string
	Password     string
	KeepLoggedIn bool
	// Browser opens a browser session instead of API tokens.
	Browser bool
}

// sessionOptions is how a sign-in wants its session: kept for the tenant's
// remember-me period instead of an idle timeout, and carried by a
// browser's cookie instead of API tokens.
type sessionOptions struct {
	keep    bool
	browser bool
	// federatedProviderID is the external provider the user signed in
	// through, if any.
	federatedProviderID string
}

var errInvalidCredentials = iam.Errorf(iam.CodeInvalidCredentials, "the email or password is wrong")

// Login checks an email and password and opens a session. An unknown email, a
// wrong password, a disabled user and a locked email all answer the same
// CodeInvalidCredentials; the first three after the same hashing work, the
// last without hashing at all. The audit log records the real reason.
func (s *Service) Login(ctx context.Context, in LoginInput) (*LoginResult, error) {
	t, email, err := tenantAndEmail(ctx, in.Email)
	if err != nil {
		return nil, err
	}
	st, err := s.settings.For(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	f, locked, err := s.admit(ctx, st, t.ID, email)
	if err != nil {
		return nil, err
	}
	if locked {
		return nil, s.failure(ctx, t.ID, "", email, "locked")
	}
	if password.TooLong(in.Password, password.LongestPassword) {
		// Longer than any password a policy accepts; do not spend a hash on it.
		return nil, s.loginFailed(ctx, st, t.ID, "", email, f, "password_too_long")
	}
	u, err := s.store.GetUserByEmail(ctx, t.ID, email)
	if iam.IsCode(err, iam.CodeNotFound) {
		s.hasher.VerifyDummy(ctx, in.Password)
		return nil, s.loginFailed(ctx, st, t.ID, "", email, f, "unknown_email")
	}
	if err != nil {
		return nil, err
	}
	pw, match, err := s.verifyPassword(ctx, u, in.Password)
	if err != nil {
		return nil, err
	}
	switch {
	case pw == nil:
		return nil, s.loginFailed(ctx, st, t.ID, u.ID, email, f, "no_password")
	case !match:
		return nil, s.loginFailed(ctx, st, t.ID, u.ID, email, f, "wrong_password")
	case !pw.Usable(s.now()):
		return nil, s.loginFailed(ctx, st, t.ID, u.ID, email, f, "password_"+pw.Unusable())
	case u.Status != iam.UserActive:
		return nil, s.loginFailed(ctx, st, t.ID, u.ID, email, f, "user_"+string(u.Status))
	case (st.Signup.RequireVerifiedEmail || st.Signup.Policy == settings.SignupDomainAllowlist) && !u.EmailVerified:
		// Under a domain allow-list the domain is the credential: an address
		// nobody proved to own must not sign in.
		if err := s.failure(ctx, t.ID, u.ID, email, "email_not_verified"); !iam.IsCode(err, iam.CodeInvalidCredentials) {
			return nil, err
		}
		return nil, iam.Errorf(iam.CodeEmailNotVerified, "verify your email address before signing in")
	}
	return s.secondStep(ctx, st, u, email, pw.ID, sessionOptions{keep: in.KeepLoggedIn, browser: in.Browser})
}

// verifyPassword checks pw against the user's password credential, which is
// nil when they have none. Either way it costs one hash (Verify of an empty
// hash), so that a user without a password answers as slowly as one with.
func (s *Service) verifyPassword(ctx context.Context, u *iam.User, pw string) (*iam.Credential, bool, error) {
	c, err := s.store.GetCredential(ctx, u.TenantID, u.ID, iam.CredentialPassword, "")
	hash := ""
	switch {
	case err == nil:
		hash = c.Secret
	case !iam.IsCode(err, iam.CodeNotFound):
		return nil, false, err
	}
	match, err := s.hasher.Verify(ctx, pw, hash)
	if err != nil && ctx.Err() != nil {
		return nil, false, iam.Internal(err)
	}
	return c, match, nil
}

// admit decides whether a password check for email may run: not during a
// back-off or a lock (locked), and only as many as the lock allows. It counts
// the attempt before the check, so of many attempts racing at once only the
// lock's budget reaches the hash; f is the count with this attempt.
func (s *Service) admit(ctx context.Context, st *settings.Settings, tenantID, email string) (f *iam.LoginFailures, locked bool, err error) {
	if locked, err := s.locked(ctx, tenantID, email); err != nil || locked {
		return nil, locked, err
	}
	f, err = s.store.ReserveLoginAttempt(ctx, tenantID, email, s.now(), st.Lockout.MaxAttempts, st.Lockout.LockDuration.Std())
	if err != nil {
		return nil, false, err
	}
	if f.Failures > st.Lockout.MaxAttempts {
		return f, true, s.store.InTx(ctx, func(tx iam.Tx) error { return s.lock(ctx, tx, st, tenantID, email, f) })
	}
	return f, false, nil
}

// locked reports whether logins for email wait out a back-off or a lock.
func (s *Service) locked(ctx context.Context, tenantID, email string) (bool, error) {
	f, err := s.store.LoginFailures(ctx, tenantID, email)
	if iam.IsCode(err, iam.CodeNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return f.LockedUntil != nil && s.now().Before(*f.LockedUntil), nil
}

// loginFailed backs off or locks the email after a failed attempt counted
// as f, audits the real reason in the same transaction, and returns the one
// answer for all reasons.
func (s *Service) loginFailed(ctx context.Context, st *settings.Settings, tenantID, userID, email string, f *iam.LoginFailures, reason string) error {
	lo := st.Lockout
	err := s.store.InTx(ctx, func(tx iam.Tx) error {
		switch {
		case f.Failures >= lo.MaxAttempts:
			if err := s.lock(ctx, tx, st, tenantID, email, f); err != nil {
				return err
			}
		case f.Failures >= lo.BackoffAfter:
			delay := time.Second << min(f.Failures-lo.BackoffAfter, 20)
			if err := tx.LockLogin(ctx, tenantID, email, s.now().Add(min(delay, lo.LockDuration.Std()))); err != nil {
				return err
			}
		}
		return tx.AppendAudit(ctx, failureEvent(ctx, s.now(), tenantID, userID, email, reason))
	})
	if err != nil {
		return err
	}
	return errInvalidCredentials
}

// lock locks the email for the lock duration and audits it in tx, unless a
// lock set by a concurrent attempt already holds.
func (s *Service) lock(ctx context.Context, tx iam.Tx, st *settings.Settings, tenantID, email string, f *iam.LoginFailures) error {
	now := s.now()
	if f.LockedUntil != nil && f.LockedUntil.After(now.Add(st.Lockout.LockDuration.Std()/2)) {
		return nil
	}
	until := now.Add(st.Lockout.LockDuration.Std())
	if err := tx.LockLogin(ctx, tenantID, email, until); err != nil {
		return err
	}
	return tx.AppendAudit(ctx, audit.Event(ctx, now, tenantID, "auth.login.locked", iam.Ref{Type: "user"}, iam.ResultFailure,
		map[string]any{"email": email, "failures": f.Failures, "until": until}))
}

// failure records a failed login that changes nothing else, and returns the
// one answer for all reasons.
func (s *Service) failure(ctx context.Context, tenantID, userID, email, reason string) error {
	if err := s.store.AppendAudit(ctx, failureEvent(ctx, s.now(), tenantID, userID, email, reason)); err != nil {
		return err
	}
	return errInvalidCredentials
}

func failureEvent(ctx context.Context, now time.Time, tenantID, userID, email, reason string) *iam.AuditEvent {
	return audit.Event(ctx, now, tenantID, "auth.login.failed", iam.Ref{Type: "user", ID: userID}, iam.ResultFailure,
		map[string]any{"email": email, "reason": reason})
}

// openSession opens a session of u as startSession does, in a transaction
// of its own, and answers it.
func (s *Service) openSession(ctx context.Context, st *settings.Settings, u *iam.User, email, credentialID string, opts sessionOptions, amr []string) (*Tokens, error) {
	var (
		sess *iam.Session
		raw  string
	)
	err := s.store.InTx(ctx, func(tx iam.Tx) error {
		var err error
		sess, raw, err = s.startSession(ctx, tx, st, u, email, credentialID, opts, amr)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.answer(ctx, st, sess, raw)
}

// startSession clears the failed logins of email, records the use of the
// credential that signed in, and opens a session of u with its audit event,
// in tx. A session whose amr holds "mfa" passed its second factor now. It
// returns the session's secret, shown once: a browser's cookie secret, or
// the refresh token of a session of API tokens.
func (s *Service) startSession(ctx context.Context, tx iam.Tx, st *settings.Settings, u *iam.User, email, credentialID string, opts sessionOptions, amr []string) (*iam.Session, string, error) {
	now := s.now()
	meta := iam.RequestMetaFrom(ctx)
	sess := &iam.Session{ID: newID(), TenantID: u.TenantID, UserID: u.ID, CreatedAt: now, LastSeenAt: now,
		IP: meta.IP, UserAgent: meta.UserAgent, KeepLoggedIn: opts.keep, AMR: amr, FederatedProviderID: opts.federatedProviderID}
	if slices.Contains(amr, amrMFA) {
		sess.MFAAt = &now
	}
	sess.ExpiresAt = expiry(st, sess.CreatedAt, now, opts.keep)
	var (
		raw string
		rt  *iam.RefreshToken
	)
	if opts.browser {
		raw = secret.New(secret.BrowserSession)
		sess.BrowserHash = secret.Hash(raw)
	} else {
		raw, rt = s.newRefreshToken(sess, now)
	}
	if err := tx.ClearLoginFailures(ctx, u.TenantID, email); err != nil {
		return nil, "", err
	}
	// A sign-in through an external provider used no credential of ours.
	if credentialID != "" {
		if err := tx.RecordCredentialUse(ctx, u.TenantID, credentialID, now); err != nil {
			return nil, "", err
		}
	}
	if err := tx.CreateSession(ctx, sess); err != nil {
		return nil, "", err
	}
	if rt != nil {
		if err := tx.CreateRefreshToken(ctx, rt); err != nil {
			return nil, "", err
		}
	}
	e := audit.Event(ctx, now, u.TenantID, "auth.login.succeeded", iam.Ref{Type: "user", ID: u.ID}, iam.ResultSuccess,
		map[string]any{"session_id": sess.ID, "amr": amr, "browser": opts.browser})
	if opts.federatedProviderID != "" {
		e.Details["federated_provider_id"] = opts.federatedProviderID
	}
	e.Actor = iam.Ref{Type: audit.ActorUser, ID: u.ID}
	if err := tx.AppendAudit(ctx, e); err != nil {
		return nil, "", err
	}
	return sess, raw, nil
}

// answer is what a sign-in answers for its new session sess, whose secret
// raw is: the cookie of a browser's session, else tokens with raw as their
// refresh token.
func (s *Service) answer(ctx context.Context, st *settings.Settings, sess *iam.Session, raw string) (*Tokens, error) {
	if sess.BrowserHash != "" {
		return &Tokens{Browser: browserSessionOf(sess, raw)}, nil
	}
	return s.tokens(ctx, st, sess, raw)
}

// expiry is when a session last seen at lastSeen ends: an idle timeout that
// slides, or a fixed life for keep-logged-in sessions; never beyond the
// absolute lifetime.
func expiry(st *settings.Settings, created, lastSeen time.Time, keep bool) time.Time {
	end := lastSeen.Add(st.Sessions.IdleTimeout.Std())
	if keep {
		end = created.Add(st.Sessions.RememberFor.Std())
	}
	if limit := created.Add(st.Sessions.AbsoluteLifetime.Std()); end.After(limit) {
		end = limit
	}
	return end
}

func (s *Service) newRefreshToken(sess *iam.Session, now time.Time) (string, *iam.RefreshToken) {
	raw := secret.New(secret.RefreshToken)
	return raw, &iam.RefreshToken{ID: newID(), TenantID: sess.TenantID, SessionID: sess.ID,
		Hash: secret.Hash(raw), CreatedAt: now, ExpiresAt: sess.ExpiresAt}
}

// tokens answers a session's new access token, issued by the base URL of the
// request's tenant, whose session it is.
func (s *Service) tokens(ctx context.Context, st *settings.Settings, sess *iam.Session, refresh string) (*Tokens, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	if t.ID != sess.TenantID {
		return nil, iam.Internal(errOtherTenant)
	}
	ttl := st.Tokens.AccessTokenTTL.Std()
	access, err := s.issuer.Issue(s.baseURL(t), sess.TenantID, sess.UserID, sess.ID, sess.AMR, ttl)
	if err != nil {
		return nil, iam.Internal(err)
	}
	return &Tokens{AccessToken: access, ExpiresIn: int(ttl.Seconds()), RefreshToken: refresh}, nil
}
