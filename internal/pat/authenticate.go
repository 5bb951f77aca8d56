package pat

import (
	"context"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/permission"
	"github.com/gatehouse-iam/gatehouse/internal/secret"
)

// errInvalid is the one answer to every refused token, whatever the reason,
// which only the audit log tells.
var errInvalid = iam.Errorf(iam.CodeInvalidToken, "the access token is invalid or expired")

// Reasons a known token is refused, as the audit log names them.
const (
	refusedRevoked       = "revoked"
	refusedExpired       = "expired"
	refusedOwnerDisabled = "owner_disabled"
	refusedOtherTenant   = "other_tenant"
)

// state is what authenticating a token needs from the store: the token, and
// the principal it stands for, or why it is refused whatever the time.
type state struct {
	token     *iam.PersonalAccessToken
	principal *iam.Principal
	refused   string
}

// Authenticate turns a personal access token presented to the tenant in ctx
// into its owner, with the owner's system permissions narrowed to the
// token's scopes and no session. A well-formed token that is revoked,
// expired, of another tenant or of an owner no longer active is audited with
// the reason; every refusal answers CodeInvalidToken alike.
func (s *Service) Authenticate(ctx context.Context, raw string) (*iam.Principal, error) {
	t := iam.TenantFrom(ctx)
	if t == nil {
		return nil, iam.Internal(errNoTenant)
	}
	if k, ok := secret.Parse(raw); !ok || k != secret.PersonalAccessToken {
		return nil, errInvalid
	}
	hash, now := secret.Hash(raw), s.now()
	st, ok := s.states.Get(hash, now)
	if !ok {
		gen := s.states.Generation()
		var err error
		if st, err = s.load(ctx, hash); err != nil {
			return nil, err
		}
		s.states.Put(gen, hash, st.token.UserID, st, now)
	}
	if reason := st.refusal(t.ID, now); reason != "" {
		return nil, s.refuse(ctx, st.token, reason, now)
	}
	if s.uses.Due(st.token.ID, now) {
		// A failed write of the last use costs the caller nothing.
		if err := s.store.RecordPATUse(ctx, st.token.TenantID, st.token.ID, now); err != nil {
			iam.RecordCause(ctx, err)
		}
	}
	p := *st.principal
	return &p, nil
}

// refusal is why the token is refused to tenantID at now, or "".
func (st *state) refusal(tenantID string, now time.Time) string {
	switch {
	case st.token.TenantID != tenantID:
		return refusedOtherTenant
	case st.refused != "":
		return st.refused
	case !now.Before(st.token.ExpiresAt):
		return refusedExpired
	}
	return ""
}

// load reads the state of the token whose hash is hash: errInvalid when
// there is none, unaudited, as for any secret never issued.
func (s *Service) load(ctx context.Context, hash string) (*state, error) {
	tk, err := s.store.PATByHash(ctx, hash)
	if iam.IsCode(err, iam.CodeNotFound) {
		return nil, errInvalid
	}
	if err != nil {
		return nil, err
	}
	if tk.RevokedAt != nil {
		return &state{token: tk, refused: refusedRevoked}, nil
	}
	u, err := s.store.GetUser(ctx, tk.TenantID, tk.UserID)
	if iam.IsCode(err, iam.CodeNotFound) {
		return nil, errInvalid
	}
	if err != nil {
		return nil, err
	}
	if u.Status != iam.UserActive {
		return &state{token: tk, refused: refusedOwnerDisabled}, nil
	}
	roles, err := s.store.UserAdminRoles(ctx, tk.TenantID, u.ID)
	if err != nil {
		return nil, err
	}
	held := []string{}
	for _, r := range roles {
		held = append(held, r.Permissions...)
	}
	return &state{token: tk, principal: &iam.Principal{Kind: iam.PrincipalUser, ID: u.ID, TenantID: tk.TenantID, UserID: u.ID,
		TokenID: tk.ID, User: u, Permissions: narrow(held, tk.Scopes), ExpiresAt: tk.ExpiresAt}}, nil
}

// narrow is the permissions of held that scopes keep: all of them when
// scopes is nil, otherwise each scope that held covers.
func narrow(held, scopes []string) []string {
	if scopes == nil {
		return held
	}
	out := []string{}
	for _, sc := range scopes {
		if permission.Allowed(held, sc) {
			out = append(out, sc)
		}
	}
	return out
}

// refuse audits the refusal of a known token, in the token's tenant, and
// returns the answer every refusal gets.
func (s *Service) refuse(ctx context.Context, tk *iam.PersonalAccessToken, reason string, now time.Time) error {
	details := map[string]any{"reason": reason, "user_id": tk.UserID}
	if t := iam.TenantFrom(ctx); t != nil && t.ID != tk.TenantID {
		details["presented_to_tenant"] = t.ID
	}
	if err := s.store.AppendAudit(ctx, audit.Event(ctx, now, tk.TenantID, "pat.refused", tokenRef(tk.ID), iam.ResultFailure, details)); err != nil {
		return err
	}
	return errInvalid
}
