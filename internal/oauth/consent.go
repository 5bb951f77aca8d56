package oauth

import (
	"context"
	"net/url"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/permission"
)

// consentPath is the page where a person grants an application the scopes
// it asks for.
const consentPath = "/consent"

// needsConsent reports whether userID must consent before the application
// gets the request's scopes and resources: always for prompt=consent, and
// where the application requires consent to scopes or resource servers not
// granted yet. Consent to scopes alone would let the application get, for
// any API of the tenant, tokens carrying the user's roles there.
func (p *Provider) needsConsent(ctx context.Context, app *iam.Application, userID string, req *authRequest) (bool, error) {
	if slices.Contains(req.Prompt, oidc.PromptConsent) {
		return true, nil
	}
	if !app.RequireConsent {
		return false, nil
	}
	granted, err := p.store.ConsentedScopes(ctx, app.TenantID, userID, app.ID)
	if err != nil {
		return false, err
	}
	if !allIn(req.Scopes, granted) {
		return true, nil
	}
	if len(req.Resources) == 0 {
		return false, nil
	}
	servers, err := p.store.ConsentedResources(ctx, app.TenantID, userID, app.ID)
	if err != nil {
		return false, err
	}
	return !allIn(req.Resources, servers), nil
}

// allIn reports whether every one of asked is among granted.
func allIn(asked, granted []string) bool {
	for _, a := range asked {
		if !slices.Contains(granted, a) {
			return false
		}
	}
	return true
}

// pending is an authorization request waiting for the signed-in user's
// consent: it must be the caller's own, signed in already.
func (p *Provider) pending(ctx context.Context, id string) (*iam.Principal, *authRequest, *iam.Application, error) {
	pr, err := permission.SessionUser(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	errGone := iam.Errorf(iam.CodeNotFound, "the authorization request is invalid or expired: start again from the application")
	if uuid.Validate(id) != nil {
		return nil, nil, nil, errGone
	}
	stored, err := p.store.GetAuthRequest(ctx, pr.TenantID, id)
	if iam.IsCode(err, iam.CodeNotFound) || (err == nil && (stored.UserID != pr.UserID || stored.CodeHash != "" || !p.now().Before(stored.ExpiresAt))) {
		return nil, nil, nil, errGone
	}
	if err != nil {
		return nil, nil, nil, err
	}
	req, err := decodeAuthRequest(stored)
	if err != nil {
		return nil, nil, nil, err
	}
	app, err := p.store.GetApplication(ctx, pr.TenantID, stored.ApplicationID)
	if err != nil {
		return nil, nil, nil, err
	}
	return pr, req, app, nil
}

// ConsentPrompt is what the consent page asks about request id: the
// application's name, the scopes it wants, and the names of the resource
// servers it wants to call for the user.
func (p *Provider) ConsentPrompt(ctx context.Context, id string) (string, []string, []string, error) {
	pr, req, app, err := p.pending(ctx, id)
	if err != nil {
		return "", nil, nil, err
	}
	servers, err := p.resourceNames(ctx, pr.TenantID, req.Resources)
	return app.Name, req.Scopes, servers, err
}

// resourceNames names the resource servers of uris by their applications'
// names, or by the URI where none has it any more.
func (p *Provider) resourceNames(ctx context.Context, tenantID string, uris []string) ([]string, error) {
	names := make([]string, 0, len(uris))
	for _, uri := range uris {
		a, err := p.store.GetApplicationByResource(ctx, tenantID, uri)
		switch {
		case err == nil:
			names = append(names, a.Name)
		case iam.IsCode(err, iam.CodeNotFound):
			names = append(names, uri)
		default:
			return nil, err
		}
	}
	return names, nil
}

// Consent records the signed-in user's answer to request id and returns
// where the browser goes next: on through the authorization, or back to
// the application with access_denied.
func (p *Provider) Consent(ctx context.Context, id string, allow bool) (string, error) {
	pr, req, app, err := p.pending(ctx, id)
	if err != nil {
		return "", err
	}
	now := p.now()
	action, result := "oauth.consent.granted", iam.ResultSuccess
	if !allow {
		action, result = "oauth.consent.denied", iam.ResultFailure
	}
	err = p.store.InTx(ctx, func(tx iam.Tx) error {
		if allow {
			if err := tx.GrantConsent(ctx, pr.TenantID, pr.UserID, app.ID, req.Scopes, req.Resources, now); err != nil {
				return err
			}
		} else if err := tx.DeleteAuthRequest(ctx, pr.TenantID, id); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, now, pr.TenantID, action, iam.Ref{Type: string(iam.PrincipalApplication), ID: app.ID},
			result, map[string]any{"client_id": app.ClientID, "scopes": req.Scopes, "resources": req.Resources}))
	})
	if err != nil {
		return "", err
	}
	if allow {
		ctx = context.WithValue(op.ContextWithIssuer(ctx, p.issuerOf(ctx)), stateKey{}, &requestState{app: app})
		return op.BuildAuthResponseCallbackURL(ctx, req, p.op)
	}
	denied := oidc.ErrAccessDenied().WithDescription("the user declined")
	denied.State = req.State
	return op.AuthResponseURL(req.RedirectURI, req.ResponseType, req.ResponseMode, denied, p.op.Encoder())
}

// MyConsents lists the signed-in user's consents.
func (p *Provider) MyConsents(ctx context.Context) ([]iam.Consent, error) {
	pr, err := permission.SessionUser(ctx)
	if err != nil {
		return nil, err
	}
	return p.store.ListConsents(ctx, pr.TenantID, pr.UserID)
}

// RevokeMyConsent withdraws the signed-in user's consent to an
// application and ends their grants to it, refresh tokens and all: the
// application must ask again.
func (p *Provider) RevokeMyConsent(ctx context.Context, applicationID string) error {
	pr, err := permission.SessionUser(ctx)
	if err != nil {
		return err
	}
	now := p.now()
	defer p.sessionsEnded(pr.UserID)
	return p.store.InTx(ctx, func(tx iam.Tx) error {
		found, err := tx.RevokeConsent(ctx, pr.TenantID, pr.UserID, applicationID)
		if err != nil {
			return err
		}
		if !found {
			return iam.Errorf(iam.CodeNotFound, "no consent to that application")
		}
		if err := tx.RevokeApplicationGrants(ctx, pr.TenantID, pr.UserID, applicationID, now); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, now, pr.TenantID, "oauth.consent.revoked",
			iam.Ref{Type: string(iam.PrincipalApplication), ID: applicationID}, iam.ResultSuccess, nil))
	})
}

// FormTargets are the origins where the redirects after a form that
// returns to returnTo may end: the client's, when returnTo goes on with an
// authorization request or a sign-out for an application. The pages allow
// them in their form-action, which browsers apply to every redirect after
// a form is sent.
func (p *Provider) FormTargets(ctx context.Context, returnTo string) []string {
	u, err := url.Parse(returnTo)
	if err != nil {
		return nil
	}
	t := iam.TenantFrom(ctx)
	if t == nil {
		return nil
	}
	var target string
	switch u.Path {
	case loginPath:
		id := u.Query().Get("id")
		if uuid.Validate(id) != nil {
			return nil
		}
		stored, err := p.store.GetAuthRequest(ctx, t.ID, id)
		if err != nil {
			return nil
		}
		req, err := decodeAuthRequest(stored)
		if err != nil {
			return nil
		}
		target = req.RedirectURI
	case logoutPath:
		lt, err := p.openTarget(u.Query().Get("r"), t.ID)
		if err != nil {
			return nil
		}
		target = lt.URI
	default:
		return nil
	}
	return origin(target)
}

// origin is a CSP source for where uri leads: its scheme and host, or its
// scheme alone for an application's own scheme (RFC 8252 §7.1).
func origin(uri string) []string {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme == "" || strings.ContainsAny(uri, " ;,'") {
		return nil
	}
	if u.Host == "" {
		return []string{u.Scheme + ":"}
	}
	return []string{u.Scheme + "://" + u.Host}
}
