package account

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/token"
)

// Prefixes of single-use link tokens, so that people and secret scanners
// recognise them, and one kind is never accepted as another.
const (
	verifyPrefix     = "ghv_"
	resetPrefix      = "ghp_"
	emailPrefix      = "ghe_"
	invitationPrefix = "ghi_"
)

// Lifetimes of single-use links.
const (
	verifyTTL     = 24 * time.Hour
	resetTTL      = 30 * time.Minute
	emailTTL      = 24 * time.Hour
	invitationTTL = 7 * 24 * time.Hour
)

var tokenPrefixes = map[string]string{
	iam.TokenVerifyEmail:   verifyPrefix,
	iam.TokenPasswordReset: resetPrefix,
	iam.TokenEmailChange:   emailPrefix,
}

var errBadLink = iam.Errorf(iam.CodeInvalidToken, "the link is invalid, expired or already used")

// issueToken stores a new single-use token for u, a user of the request's
// tenant, in tx and returns the link that carries it.
func (s *Service) issueToken(ctx context.Context, tx iam.Tx, u *iam.User, kind, email string, ttl time.Duration, path string) (string, error) {
	tenant, err := tenantOf(ctx)
	if err != nil {
		return "", err
	}
	if tenant.ID != u.TenantID {
		return "", iam.Internal(errOtherTenant)
	}
	raw := token.NewOpaque(tokenPrefixes[kind])
	now := s.now()
	t := &iam.OneTimeToken{ID: newID(), TenantID: u.TenantID, UserID: u.ID, Kind: kind,
		Hash: token.HashOpaque(raw), Email: email, ExpiresAt: now.Add(ttl), CreatedAt: now}
	if err := tx.CreateOneTimeToken(ctx, t); err != nil {
		return "", err
	}
	return s.link(tenant, path, raw), nil
}

// link is the URL a mail of tenant t points to, carrying raw: on t's own
// base URL, the only one where the request reaches t and raw is accepted.
func (s *Service) link(t *iam.Tenant, path, raw string) string {
	return s.baseURL(t) + path + "?token=" + url.QueryEscape(raw)
}

// consumeToken uses a single-use token of kind in the request's tenant: of
// two concurrent uses exactly one succeeds. Anything wrong answers the same
// CodeInvalidToken.
func (s *Service) consumeToken(ctx context.Context, tx iam.Tx, raw, kind string) (*iam.OneTimeToken, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(raw, tokenPrefixes[kind]) || len(raw) > 128 {
		return nil, errBadLink
	}
	ot, err := tx.OneTimeTokenByHash(ctx, token.HashOpaque(raw))
	if iam.IsCode(err, iam.CodeNotFound) {
		return nil, errBadLink
	}
	if err != nil {
		return nil, err
	}
	if ot.TenantID != t.ID || ot.Kind != kind || ot.UsedAt != nil || !s.now().Before(ot.ExpiresAt) {
		return nil, errBadLink
	}
	won, err := tx.UseOneTimeToken(ctx, ot.ID, s.now())
	if err != nil {
		return nil, err
	}
	if !won {
		return nil, errBadLink
	}
	return ot, nil
}
