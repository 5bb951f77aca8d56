package passkey

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/token"
)

var errChallenge = iam.Errorf(iam.CodeInvalidToken, "the passkey challenge is unknown, used or expired: begin again")

// begin stores a ceremony's session as a challenge of purpose, of userID
// ("" while no user is known), and returns the challenge's token. Only the
// token's SHA-256 is stored.
func (s *Service) begin(ctx context.Context, tenantID, userID string, purpose iam.ChallengePurpose, session *webauthn.SessionData) (string, error) {
	state, err := json.Marshal(session)
	if err != nil {
		return "", iam.Internal(err)
	}
	tok := token.NewOpaque(tokenPrefix)
	now := s.now()
	c := &iam.MFAChallenge{ID: newID(), TenantID: tenantID, UserID: userID, Purpose: purpose,
		TokenHash: token.HashOpaque(tok), State: state, CreatedAt: now, ExpiresAt: now.Add(challengeTTL)}
	if err := s.store.CreateMFAChallenge(ctx, c); err != nil {
		return "", err
	}
	return tok, nil
}

// consume deletes the tenant's challenge of purpose whose token is tok and
// returns it with its session; with owner set, only a challenge of that
// user. Every finish consumes its challenge, whatever its outcome, so that
// no assertion or attestation is tried twice against one challenge. It
// audits each refusal under action, with the user that the challenge names,
// and answers refused.
func (s *Service) consume(ctx context.Context, tenantID, owner, tok string, purpose iam.ChallengePurpose, action string, refused error) (*iam.MFAChallenge, *webauthn.SessionData, error) {
	c, err := s.store.MFAChallengeByHash(ctx, tenantID, token.HashOpaque(tok))
	switch {
	case iam.IsCode(err, iam.CodeNotFound):
		return nil, nil, s.refuse(ctx, tenantID, "", action, "unknown_challenge", refused)
	case err != nil:
		return nil, nil, err
	case c.Purpose != purpose:
		// A token of another step (a login's second factor, a
		// registration) is no token of this one; it stays for its own.
		return nil, nil, s.refuse(ctx, tenantID, c.UserID, action, "challenge_of_"+string(c.Purpose), refused)
	case owner != "" && c.UserID != owner:
		// Someone else's token: refused, and left to its user.
		return nil, nil, s.refuse(ctx, tenantID, owner, action, "challenge_of_another_user", refused)
	}
	err = s.store.DeleteMFAChallenge(ctx, tenantID, c.ID)
	switch {
	case iam.IsCode(err, iam.CodeNotFound):
		// A concurrent finish took it first.
		return nil, nil, s.refuse(ctx, tenantID, c.UserID, action, "challenge_used", refused)
	case err != nil:
		return nil, nil, err
	case !s.now().Before(c.ExpiresAt):
		return nil, nil, s.refuse(ctx, tenantID, c.UserID, action, "challenge_expired", refused)
	}
	var session webauthn.SessionData
	if err := json.Unmarshal(c.State, &session); err != nil {
		return nil, nil, iam.Internal(fmt.Errorf("challenge %s: %w", c.ID, err))
	}
	return c, &session, nil
}

// refuse audits a refused ceremony step on the user (empty when unknown)
// with the real reason, and returns answer, which tells the caller less.
func (s *Service) refuse(ctx context.Context, tenantID, userID, action, reason string, answer error) error {
	e := audit.Event(ctx, s.now(), tenantID, action, iam.Ref{Type: "user", ID: userID}, iam.ResultFailure,
		map[string]any{"reason": reason})
	if err := s.store.AppendAudit(ctx, e); err != nil {
		return err
	}
	return answer
}
