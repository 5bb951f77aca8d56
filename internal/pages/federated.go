package pages

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/federation"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// federationCookie binds a sign-in through an external provider to the
// browser that started it, until the provider sends it back.
const federationCookie = "gatehouse-federation"

// FederationPrefix holds the browser's end of sign-ins through external
// providers: they set the pages' cookies and answer with pages.
const FederationPrefix = "/api/v1/auth/federated/"

func (p *Pages) federationRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+FederationPrefix+"{id}/start", p.federatedStart)
	mux.HandleFunc("GET "+FederationPrefix+"{id}/callback", p.federatedCallback)
	mux.HandleFunc("GET /saml/{id}/metadata", p.samlMetadata)
	mux.HandleFunc("POST /saml/{id}/acs", p.samlACS)
	mux.HandleFunc("GET /account/identities", p.identitiesPage)
	mux.HandleFunc("POST /account/identities/link", p.linkIdentity)
	mux.HandleFunc("POST /account/identities/{id}/remove", p.removeIdentity)
}

// federatedStart sends the browser to the provider, to come back to
// return_to, a page of this tenant.
func (p *Pages) federatedStart(w http.ResponseWriter, r *http.Request) {
	returnTo := "/account"
	if raw := r.URL.Query().Get("return_to"); raw != "" {
		if safeReturn(raw, "") == "" {
			p.auditFederated(r, "return_to")
			p.renderFederatedRefusal(w, r, http.StatusBadRequest, "return_to")
			return
		}
		returnTo = raw
	}
	p.beginFederated(w, r, r.PathValue("id"), returnTo, "")
}

// linkIdentity links an identity of a provider to the signed-in user: they
// proved the account by signing in to it.
func (p *Pages) linkIdentity(w http.ResponseWriter, r *http.Request) {
	pr, ok := p.signedIn(w, r)
	if !ok {
		return
	}
	if err := p.readForm(w, r); err != nil {
		p.WriteError(w, r, err)
		return
	}
	// A linked identity signs in without the password or second factor:
	// adding one needs a recent proof, as adding a passkey does.
	if err := p.MFA.RequireRecentProof(r.Context(), pr); err != nil {
		if !p.needReauth(w, r, err) {
			p.WriteError(w, r, err)
		}
		return
	}
	p.beginFederated(w, r, r.PostFormValue("provider_id"), "/account/identities", pr.UserID)
}

func (p *Pages) beginFederated(w http.ResponseWriter, r *http.Request, id, returnTo, linkUserID string) {
	previous := ""
	if bs := browserSession(r); bs != nil && linkUserID == "" {
		previous = bs.SessionID
	}
	started, err := p.Federation.Begin(r.Context(), id, returnTo, linkUserID, previous)
	if err != nil {
		p.WriteError(w, r, err)
		return
	}
	c := p.cookie(r, federationCookie, started.BrowserSecret, started.ExpiresAt)
	if c.Secure {
		// A SAML identity provider posts the browser back from its own
		// site, a request Lax cookies do not go with.
		c.SameSite = http.SameSiteNoneMode
	}
	http.SetCookie(w, c)
	http.Redirect(w, r, started.URL, http.StatusFound)
}

// federatedCallback finishes the sign-in the provider sent back: the
// browser is signed in (or the identity linked) and goes on to where the
// sign-in started; a refusal is a page that says what to do.
func (p *Pages) federatedCallback(w http.ResponseWriter, r *http.Request) {
	p.finishFederated(w, r, r.URL.Query())
}

// maxSAMLResponse bounds the form an identity provider posts.
const maxSAMLResponse = 2 << 20

// samlACS is the assertion consumer service: the identity provider posts
// the browser here with its response and the sign-in's state (RelayState).
// It is exempt from the cross-origin check, as it must be; the state bound
// to the browser's cookie stands in for the CSRF token.
func (p *Pages) samlACS(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxSAMLResponse)
	if err := r.ParseForm(); err != nil {
		p.WriteError(w, r, iam.Errorf(iam.CodeInvalid, "the identity provider's answer could not be read"))
		return
	}
	p.finishFederated(w, r, url.Values{"state": {r.PostFormValue("RelayState")}, "SAMLResponse": {r.PostFormValue("SAMLResponse")}})
}

// samlMetadata is Gatehouse's service-provider metadata for a SAML
// provider, for its identity provider's admin.
func (p *Pages) samlMetadata(w http.ResponseWriter, r *http.Request) {
	md, err := p.Federation.SPMetadata(r.Context(), r.PathValue("id"))
	if err != nil {
		p.WriteError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	_, _ = w.Write(md)
}

func (p *Pages) finishFederated(w http.ResponseWriter, r *http.Request, q url.Values) {
	bound := ""
	if c, err := r.Cookie(p.cookieName(r, federationCookie)); err == nil {
		bound = c.Value
	}
	p.clearCookie(w, r, federationCookie)
	out, err := p.Federation.Complete(r.Context(), r.PathValue("id"), q, bound)
	if err != nil {
		p.federatedError(w, r, err)
		return
	}
	if out.Linked {
		http.Redirect(w, r, safeReturn(out.ReturnTo, "/account"), http.StatusSeeOther)
		return
	}
	bs, err := p.Account.SignInFederated(r.Context(), out.UserID, out.ProviderID)
	if err != nil {
		p.federatedError(w, r, err)
		return
	}
	// A SAML response is a cross-site POST: the browser's earlier session
	// comes without its cookie, and is ended by what the sign-in recorded.
	if browserSession(r) == nil && out.PreviousSessionID != "" {
		if err := p.Account.EndReplacedSession(r.Context(), out.PreviousSessionID); err != nil {
			iam.RecordCause(r.Context(), err)
		}
	}
	p.signIn(w, r, bs)
	http.Redirect(w, r, safeReturn(out.ReturnTo, "/account"), http.StatusSeeOther)
}

// federatedError answers a refused sign-in with the page of its reason;
// other errors with the error page.
func (p *Pages) federatedError(w http.ResponseWriter, r *http.Request, err error) {
	var e *iam.Error
	if !errors.As(err, &e) {
		p.WriteError(w, r, err)
		return
	}
	reason, _ := e.Details["reason"].(string)
	switch {
	case reason != "":
	case e.Code == iam.CodeInvalidCredentials:
		reason = "account_inactive"
	default:
		p.WriteError(w, r, err)
		return
	}
	p.renderFederatedRefusal(w, r, statusOf(err), reason)
}

// renderFederatedRefusal is the page of a refused sign-in: what happened,
// and a way back to the sign-in page.
func (p *Pages) renderFederatedRefusal(w http.ResponseWriter, r *http.Request, status int, reason string) {
	o := outcome{Message: "federated.refused." + reason, Link: "/login", LinkText: "federated.back"}
	switch reason {
	case federation.ReasonLinkRequired:
		o.Next = "federated.next.link"
	case federation.ReasonLinkedOther:
		o.Link = "/account/identities"
		o.LinkText = "federated.identities"
	}
	p.renderOutcome(w, r, "federated.refused.title", status, o)
}

// auditFederated records a sign-in refused before it reached a provider.
func (p *Pages) auditFederated(r *http.Request, reason string) {
	t := iam.TenantFrom(r.Context())
	if t == nil {
		return
	}
	id := r.PathValue("id")
	if len(id) > 64 {
		id = id[:64]
	}
	e := audit.Event(r.Context(), p.Now(), t.ID, "federated.login.refused", iam.Ref{Type: "federated_provider", ID: strings.ToValidUTF8(id, "")},
		iam.ResultFailure, map[string]any{"reason": reason})
	if err := p.Audit.AppendAudit(r.Context(), e); err != nil {
		iam.RecordCause(r.Context(), err)
	}
}

// identityRow is one of the user's linked identities as the page lists it.
type identityRow struct {
	ID, Provider, Email, Linked, LastUsed string
}

// identitiesData is the linked sign-ins page: the identities, and the
// providers the user may link one of.
type identitiesData struct {
	Identities []identityRow
	Providers  []federation.SignInOption
}

func (p *Pages) identitiesPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := p.signedIn(w, r); !ok {
		return
	}
	p.showIdentities(w, r, p.accountView(w, r, "account.identities.title"))
}

func (p *Pages) showIdentities(w http.ResponseWriter, r *http.Request, v *view) {
	list, err := p.Federation.MyIdentities(r.Context())
	if err != nil {
		p.WriteError(w, r, err)
		return
	}
	choices, err := p.Federation.SignInChoices(r.Context(), "")
	if err != nil {
		p.WriteError(w, r, err)
		return
	}
	providers := choices.Options
	v.Wide = true
	d := identitiesData{Providers: providers}
	if len(providers) > 0 {
		v.formTargets = p.Federation.FormTargets(r.Context(), false)
	}
	for _, i := range list {
		row := identityRow{ID: i.ID, Provider: i.ProviderName, Email: i.Email, Linked: when(i.CreatedAt)}
		if i.LastLoginAt != nil {
			row.LastUsed = when(*i.LastLoginAt)
		}
		d.Identities = append(d.Identities, row)
	}
	v.Data = d
	p.render(w, r, "account_identities", v)
}

func (p *Pages) removeIdentity(w http.ResponseWriter, r *http.Request) {
	if _, ok := p.postedBy(w, r); !ok {
		return
	}
	err := p.Federation.UnlinkMine(r.Context(), r.PathValue("id"))
	switch {
	case iam.IsCode(err, iam.CodeStateConflict):
		v := p.accountView(w, r, "account.identities.title")
		v.Status = http.StatusConflict
		v.Alert = v.L.T("account.identities.last")
		p.showIdentities(w, r, v)
	case err != nil:
		p.WriteError(w, r, err)
	default:
		done(w, r, "/account/identities", "identity_removed")
	}
}
