package mfa

import (
	"context"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// CheckFormat refuses a code that cannot be an answer to method, before
// anything counts it as a guess.
func CheckFormat(method, code string) error {
	switch method {
	case MethodTOTP, MethodEmail:
		return checkDigits("code", code)
	case MethodRecoveryCode:
		_, err := NormalizeRecoveryCode("code", code)
		return err
	}
	return iam.Invalid("unknown method", map[string]string{"method": "must be totp, email, recovery_code or webauthn"})
}

// Check verifies the user's answer code to method in tx and returns the
// RFC 8176 method reference it earns. A TOTP code is spent (its time step
// recorded), a recovery code consumed; ec is the mailed code the waiting
// step holds for method email, whose tries it counts. A wrong answer is
// CodeInvalidCredentials, the same for every method and reason.
func (s *Service) Check(ctx context.Context, tx iam.Tx, u *iam.User, method, code string, ec *EmailCode) (string, error) {
	if err := CheckFormat(method, code); err != nil {
		return "", err
	}
	switch method {
	case MethodTOTP:
		return "otp", s.checkTOTP(ctx, tx, u.TenantID, u.ID, code)
	case MethodEmail:
		c, err := tx.GetCredential(ctx, u.TenantID, u.ID, iam.CredentialEmailOTP, "")
		if iam.IsCode(err, iam.CodeNotFound) || (err == nil && !c.Usable(s.now())) {
			return "", errWrongCode
		}
		if err != nil {
			return "", err
		}
		if err := s.checkEmailCode(ec, code); err != nil {
			return "", err
		}
		return "otp", tx.RecordCredentialUse(ctx, u.TenantID, c.ID, s.now())
	default:
		return "otp", s.UseRecoveryCode(ctx, tx, u.TenantID, u.ID, code)
	}
}
