package mfa

import (
	"context"
	"strings"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/token"
)

const (
	recoveryCodeCount = 10
	// recoveryAlphabet gives each code 16 × log2(36) ≈ 82 bits: a SHA-256
	// of it is as good as a slow hash.
	recoveryAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	recoveryLen      = 16
)

// NewRecoveryCodes replaces the caller's recovery codes with ten new ones,
// returned once in the shape abcd-efgh-1234-5678. It needs a recent second
// factor.
func (s *Service) NewRecoveryCodes(ctx context.Context, p *iam.Principal) ([]string, error) {
	if err := s.RequireRecent(ctx, p); err != nil {
		return nil, err
	}
	now := s.now()
	codes := make([]string, recoveryCodeCount)
	err := s.store.InTx(ctx, func(tx iam.Tx) error {
		voided, err := tx.DeleteCredentials(ctx, p.TenantID, p.UserID, iam.CredentialRecoveryCode)
		if err != nil {
			return err
		}
		for i := range codes {
			raw := randomCode()
			codes[i] = raw[0:4] + "-" + raw[4:8] + "-" + raw[8:12] + "-" + raw[12:16]
			c := &iam.Credential{ID: newID(), TenantID: p.TenantID, UserID: p.UserID, Type: iam.CredentialRecoveryCode,
				Name: newID(), State: iam.CredentialActive, Secret: token.HashOpaque(raw), CreatedAt: now, UpdatedAt: now}
			if err := tx.PutCredential(ctx, c); err != nil {
				return err
			}
		}
		return tx.AppendAudit(ctx, s.event(ctx, p.TenantID, p.UserID, "mfa.recovery_codes.created", iam.ResultSuccess,
			map[string]any{"count": recoveryCodeCount, "voided": voided}))
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

func randomCode() string {
	b := make([]byte, recoveryLen)
	for i := range b {
		b[i] = recoveryAlphabet[randIndex(len(recoveryAlphabet))]
	}
	return string(b)
}

// NormalizeRecoveryCode returns the code in its stored spelling (lower case,
// without its dashes), or an error naming field if it cannot be one.
func NormalizeRecoveryCode(field, code string) (string, error) {
	norm := strings.ToLower(strings.ReplaceAll(code, "-", ""))
	if len(norm) != recoveryLen || strings.Trim(norm, recoveryAlphabet) != "" {
		return "", invalidCode(field, "must be a recovery code such as abcd-efgh-1234-5678")
	}
	return norm, nil
}

// UseRecoveryCode spends one of the user's recovery codes, in tx:
// CodeInvalidCredentials when it is not one of theirs or was used.
func (s *Service) UseRecoveryCode(ctx context.Context, tx iam.Tx, tenantID, userID, code string) error {
	norm, err := NormalizeRecoveryCode("code", code)
	if err != nil {
		return err
	}
	err = tx.ConsumeRecoveryCode(ctx, tenantID, userID, token.HashOpaque(norm))
	if iam.IsCode(err, iam.CodeNotFound) {
		return errWrongCode
	}
	return err
}
