package oauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// logoutPath is where a browser goes once signed out for an application:
// it carries the application's post-logout URI, sealed, so that only a URI
// the library checked against the client's registered ones is followed.
const logoutPath = "/oauth2/logout/continue"

// logoutTTL bounds how long a person may take on the sign-out page.
const logoutTTL = 30 * time.Minute

// sealedPurpose binds sealed post-logout URIs to this use of the key.
var sealedPurpose = []byte("oauth:post-logout-redirect")

type logoutTarget struct {
	URI     string `json:"u"`
	Tenant  string `json:"t"`
	Expires int64  `json:"e"`
}

var _ op.CanTerminateSessionFromRequest = storage{}

// TerminateSessionFromRequest ends the browser's session for RP-initiated
// logout. With an id_token_hint of the signed-in user the session ends at
// once and the browser goes to the post-logout URI, as Keycloak does;
// otherwise the person confirms on the sign-out page first, so that no
// other site can sign them out. A browser not signed in goes on at once.
func (s storage) TerminateSessionFromRequest(ctx context.Context, req *op.EndSessionRequest) (string, error) {
	t, err := tenantOf(ctx)
	if err != nil {
		return "", err
	}
	target := req.RedirectURI
	p := iam.PrincipalFrom(ctx)
	if p == nil || p.Kind != iam.PrincipalUser || p.SessionID == "" {
		return target, nil
	}
	if req.UserID != "" && req.UserID == p.UserID && isIDToken(req.IDTokenHintClaims) {
		if err := s.endBrowserSession(ctx, t.ID, p, req.ClientID); err != nil {
			return "", err
		}
		return target, nil
	}
	sealed, err := s.sealTarget(t.ID, target)
	if err != nil {
		return "", oauthError(err)
	}
	return "/logout?" + url.Values{"return_to": {logoutPath + "?r=" + sealed}}.Encode(), nil
}

// isIDToken reports whether a hint's claims are an ID token's: one issued
// to a client (azp) among its audience. The library checks only the
// hint's issuer and signature, which the user's access tokens pass too,
// and a resource server holds those.
func isIDToken(c *oidc.IDTokenClaims) bool {
	return c != nil && c.AuthorizedParty != "" && slices.Contains(c.Audience, c.AuthorizedParty)
}

func (s storage) endBrowserSession(ctx context.Context, tenantID string, p *iam.Principal, clientID string) error {
	now := s.now()
	err := s.store.InTx(ctx, func(tx iam.Tx) error {
		if err := tx.RevokeSession(ctx, tenantID, p.SessionID, now); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, now, tenantID, "auth.logout", iam.Ref{Type: "session", ID: p.SessionID},
			iam.ResultSuccess, map[string]any{"client_id": clientID, "end_session": true}))
	})
	if err != nil {
		return oauthError(err)
	}
	s.sessionsEnded(p.UserID)
	return nil
}

func (s storage) sealTarget(tenantID, uri string) (string, error) {
	plain, err := json.Marshal(logoutTarget{URI: uri, Tenant: tenantID, Expires: s.now().Add(logoutTTL).Unix()})
	if err != nil {
		return "", err
	}
	sealed, err := s.sealer.Seal(plain, sealedPurpose)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(sealed), nil
}

var errLogoutLink = iam.Errorf(iam.CodeInvalid, "the sign-out link is invalid or expired")

// openTarget opens a sealed post-logout URI of tenantID.
func (p *Provider) openTarget(raw, tenantID string) (*logoutTarget, error) {
	sealed, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return nil, errLogoutLink
	}
	plain, err := p.sealer.Open(sealed, sealedPurpose)
	if err != nil {
		return nil, errLogoutLink
	}
	var target logoutTarget
	if err := json.Unmarshal(plain, &target); err != nil || target.Tenant != tenantID || p.now().Unix() > target.Expires {
		return nil, errLogoutLink
	}
	return &target, nil
}

// ContinueLogout sends a signed-out browser on to the application's
// post-logout URI sealed in its link.
func (p *Provider) ContinueLogout(w http.ResponseWriter, r *http.Request) {
	t := iam.TenantFrom(r.Context())
	if t == nil {
		WriteError(w, r, errLogoutLink)
		return
	}
	target, err := p.openTarget(r.URL.Query().Get("r"), t.ID)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	http.Redirect(w, r, target.URI, http.StatusSeeOther)
}
