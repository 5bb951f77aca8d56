package account

import (
	"context"

	"github.com/gatehouse-iam/gatehouse/internal/password"
	"github.com/gatehouse-iam/gatehouse/internal/settings"
)

// Strength answers the password-strength endpoint: the score and whether the
// tenant's policy accepts the password.
func (s *Service) Strength(ctx context.Context, pw, email, name string) (password.Strength, error) {
	_, st, err := s.tenantSettings(ctx)
	if err != nil {
		return password.Strength{}, err
	}
	return password.Estimate(pw, settings.PersonalInfo(email, name), st.PasswordPolicy()), nil
}
