package mfa

import (
	"context"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// StepUpWindow is how recent a second factor must be for the actions that
// need one: turning a factor off, changing email or password, creating a
// token or credential, deleting one's account.
const StepUpWindow = 10 * time.Minute

// RequireRecent lets the caller on only if they have no second factor, or
// their session passed one within StepUpWindow; otherwise 403
// mfa_reauth_required naming the methods that refresh it.
func (s *Service) RequireRecent(ctx context.Context, p *iam.Principal) error {
	st, err := s.StatusOf(ctx, p.TenantID, p.UserID)
	if err != nil {
		return err
	}
	if !st.Enabled() {
		return nil
	}
	if p.SessionID != "" {
		sess, err := s.store.GetSession(ctx, p.TenantID, p.SessionID)
		if err != nil && !iam.IsCode(err, iam.CodeNotFound) {
			return err
		}
		if err == nil && sess.MFAAt != nil && s.now().Sub(*sess.MFAAt) < StepUpWindow {
			return nil
		}
	}
	return &iam.Error{Code: iam.CodeMFAReauthRequired,
		Message: "confirm with a second factor first (POST /api/v1/auth/reauth)",
		Details: map[string]any{"methods": st.Methods()}}
}
