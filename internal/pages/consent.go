package pages

import (
	"net/http"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

func (p *Pages) consentRoutes(mux *http.ServeMux) {
	if p.OAuth == nil {
		return
	}
	mux.HandleFunc("GET /consent", p.consentPage)
	mux.HandleFunc("POST /consent", p.consent)
	mux.HandleFunc("POST /account/apps/{id}/revoke", p.revokeConsent)
}

// scopeRow is one scope an application asks for, in plain words.
type scopeRow struct{ Name, Text string }

// consentData is the consent page: whose request, and what it asks.
type consentData struct {
	ID          string
	Application string
	Scopes      []scopeRow
}

// scopeTexts name the standard scopes' message keys; other scopes show
// by name.
var scopeTexts = map[string]string{
	"openid": "consent.scope.openid", "profile": "consent.scope.profile",
	"email": "consent.scope.email", "offline_access": "consent.scope.offline_access",
}

// scopeText is a scope in plain words.
func (l *locale) scopeText(scope string) string {
	if key, ok := scopeTexts[scope]; ok {
		return l.T(key)
	}
	return l.T("consent.scope.other", scope)
}

// asked is what an application asks for, in plain words: its scopes, then
// each resource server (named) it wants to call for the person.
func (l *locale) asked(scopes, resources []string) []scopeRow {
	rows := make([]scopeRow, 0, len(scopes)+len(resources))
	for _, sc := range scopes {
		rows = append(rows, scopeRow{Name: sc, Text: l.scopeText(sc)})
	}
	for _, name := range resources {
		rows = append(rows, scopeRow{Name: name, Text: l.T("consent.resource", name)})
	}
	return rows
}

func (p *Pages) consentPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := p.signedIn(w, r); !ok {
		return
	}
	id := r.URL.Query().Get("id")
	app, scopes, resources, err := p.OAuth.ConsentPrompt(r.Context(), id)
	if err != nil {
		p.WriteError(w, r, err)
		return
	}
	v := p.newView(w, r, "consent.title")
	d := consentData{ID: id, Application: app, Scopes: v.L.asked(scopes, resources)}
	v.Data = d
	v.formReturn = "/oauth2/login?id=" + id
	p.render(w, r, "consent", v)
}

// consent records the person's answer and sends the browser on: to the
// application with a code, or back to it with access_denied.
func (p *Pages) consent(w http.ResponseWriter, r *http.Request) {
	if _, ok := p.postedBy(w, r); !ok {
		return
	}
	next, err := p.OAuth.Consent(r.Context(), r.PostFormValue("id"), r.PostFormValue("decision") == "allow")
	if err != nil {
		p.WriteError(w, r, err)
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// revokeConsent withdraws the user's consent to an application.
func (p *Pages) revokeConsent(w http.ResponseWriter, r *http.Request) {
	if _, ok := p.postedBy(w, r); !ok {
		return
	}
	err := p.OAuth.RevokeMyConsent(r.Context(), r.PathValue("id"))
	if err != nil && !iam.IsCode(err, iam.CodeNotFound) {
		p.WriteError(w, r, err)
		return
	}
	done(w, r, "/account/sessions", "consent_revoked")
}
