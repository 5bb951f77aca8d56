package mfa

import (
	"context"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/settings"
)

// StepUpWindow is how recent a second factor must be for the actions that
// need one: turning a factor off, changing email or password, creating a
// token or credential, deleting one's account.
const StepUpWindow = 10 * time.Minute

// RequireRecent lets the caller on only if they have no second factor, or
// their session passed one within StepUpWindow; otherwise 403
// mfa_reauth_required naming the methods that refresh it.
func (s *Service) RequireRecent(ctx context.Context, p *iam.Principal) error {
	recent, err := s.recentlyConfirmed(ctx, p)
	if err != nil || recent {
		return err
	}
	st, err := s.StatusOf(ctx, p.TenantID, p.UserID)
	if err != nil || !st.Enabled() {
		return err
	}
	return reauthRequired("confirm with a second factor first (POST /api/v1/auth/reauth)", st.Methods())
}

// RequireReauthenticated lets the caller on only if their session confirmed
// them within StepUpWindow: with a second factor, or with the password when
// they have none. Ending one's account needs it whatever the factors.
func (s *Service) RequireReauthenticated(ctx context.Context, p *iam.Principal) error {
	recent, err := s.recentlyConfirmed(ctx, p)
	if err != nil || recent {
		return err
	}
	st, err := s.StatusOf(ctx, p.TenantID, p.UserID)
	if err != nil {
		return err
	}
	methods := st.Methods()
	if !st.Enabled() {
		methods = []string{"password"}
	}
	return reauthRequired("confirm it is you first (POST /api/v1/auth/reauth)", methods)
}

// RequireRecentProof guards what adds a way into the account (a passkey, a
// second factor, a linked sign-in, a token or key): the caller must have
// proved who they are within StepUpWindow, with a second factor as for
// RequireRecent when they have one, else by signing in or re-entering
// their password. Otherwise whoever holds an old session cookie of a user
// without a second factor could turn it into a credential that outlives
// the session and a password reset. An enrolment token passes: it is
// itself minutes old and came with the password.
func (s *Service) RequireRecentProof(ctx context.Context, p *iam.Principal) error {
	if p.Kind == iam.PrincipalEnrollment {
		return nil
	}
	sess, err := s.session(ctx, p)
	if err != nil || s.confirmed(sess) {
		return err
	}
	st, err := s.StatusOf(ctx, p.TenantID, p.UserID)
	if err != nil {
		return err
	}
	if st.Enabled() {
		return reauthRequired("confirm with a second factor first (POST /api/v1/auth/reauth)", st.Methods())
	}
	if sess != nil && s.now().Sub(sess.AuthenticatedAt()) < StepUpWindow {
		return nil
	}
	return reauthRequired("confirm it is you first (POST /api/v1/auth/reauth)", []string{"password"})
}

// recentlyConfirmed reports whether the caller's session passed a second
// factor, or a reauthentication, within StepUpWindow.
func (s *Service) recentlyConfirmed(ctx context.Context, p *iam.Principal) (bool, error) {
	sess, err := s.session(ctx, p)
	return s.confirmed(sess), err
}

// session is the caller's session, nil when they have none or it is gone.
func (s *Service) session(ctx context.Context, p *iam.Principal) (*iam.Session, error) {
	if p.SessionID == "" {
		return nil, nil
	}
	sess, err := s.store.GetSession(ctx, p.TenantID, p.SessionID)
	if iam.IsCode(err, iam.CodeNotFound) {
		return nil, nil
	}
	return sess, err
}

// confirmed reports whether sess passed a second factor, or a
// reauthentication, within StepUpWindow.
func (s *Service) confirmed(sess *iam.Session) bool {
	return sess != nil && sess.MFAAt != nil && s.now().Sub(*sess.MFAAt) < StepUpWindow
}

func reauthRequired(message string, methods []string) error {
	return &iam.Error{Code: iam.CodeMFAReauthRequired, Message: message, Details: map[string]any{"methods": methods}}
}

// Required reports whether policy makes the user have a second factor:
// the tenant's, or that of any organization they belong to, read through
// orgs (the store, or a transaction).
func (s *Service) Required(ctx context.Context, orgs MFAOrganizations, tenantID, userID string) (bool, error) {
	policy, err := s.settings.For(ctx, tenantID)
	if err != nil || policy.MFA.Policy == settings.MFARequired {
		return err == nil, err
	}
	return orgs.UserInMFAOrganization(ctx, tenantID, userID)
}

// MFAOrganizations tells whether a user belongs to an organization that
// requires a second factor.
type MFAOrganizations interface {
	UserInMFAOrganization(ctx context.Context, tenantID, userID string) (bool, error)
}

// KeepRequiredFactor refuses, in tx, a change that left the user without a
// second factor when policy (the tenant's, or an organization's of theirs)
// requires one. Call it after the change, having locked the user's row
// first, so that removals of two factors at once cannot both pass.
func (s *Service) KeepRequiredFactor(ctx context.Context, tx iam.Tx, tenantID, userID string) error {
	st, err := statusIn(ctx, tx, tenantID, userID)
	if err != nil || st.Enabled() {
		return err
	}
	required, err := s.Required(ctx, tx, tenantID, userID)
	if err != nil {
		return err
	}
	if required {
		return iam.Errorf(iam.CodeStateConflict, "policy requires a second factor: turn another on before this one off")
	}
	return nil
}
