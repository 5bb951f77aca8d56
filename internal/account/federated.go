package account

import (
	"context"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// amrFederated is the method of a sign-in through an external provider.
const amrFederated = "fed"

// SignInFederated opens a browser session of a user an external provider
// vouched for; the federation service has matched the provider's identity
// to them. The session records amr "fed" and the provider. The provider
// authenticated the person: no password or second factor of Gatehouse's
// is asked. A user who is not active gets CodeInvalidCredentials, audited.
func (s *Service) SignInFederated(ctx context.Context, userID, providerID string) (*BrowserSession, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	st, err := s.settings.For(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	u, err := s.store.GetUser(ctx, t.ID, userID)
	if err != nil {
		return nil, err
	}
	if u.Status != iam.UserActive {
		return nil, s.failure(ctx, t.ID, u.ID, u.Email, "user_"+string(u.Status))
	}
	tokens, err := s.openSession(ctx, st, u, u.Email, "", sessionOptions{browser: true, federatedProviderID: providerID}, []string{amrFederated})
	if err != nil {
		return nil, err
	}
	return tokens.Browser, nil
}
