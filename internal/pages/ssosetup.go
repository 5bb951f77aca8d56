package pages

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse-iam/gatehouse/internal/federation"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// The SSO set-up pages: an organization's IT admin, with the link an
// admin gave them and no account here, registers Gatehouse with their
// identity provider, describes it, proves the company's email domains by
// DNS, and turns sign-in on.
func (p *Pages) setupRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /sso-setup/{token}", p.setupPage)
	mux.HandleFunc("POST /sso-setup/{token}/provider", p.setupProvider)
	mux.HandleFunc("POST /sso-setup/{token}/domains", p.setupDomain)
	mux.HandleFunc("POST /sso-setup/{token}/verify", p.verifySetupDomain)
	mux.HandleFunc("POST /sso-setup/{token}/complete", p.completeSetup)
}

// setupPrefix is where set-up links lead; the segment after it is the
// link's secret.
const setupPrefix = "/sso-setup/"

// LoggedPath is path as logs and audit events may keep it: a set-up
// link's secret, which is in its path, is left out.
func LoggedPath(path string) string {
	rest, ok := strings.CutPrefix(path, setupPrefix)
	if !ok {
		return path
	}
	if _, after, found := strings.Cut(rest, "/"); found {
		return setupPrefix + "…/" + after
	}
	return setupPrefix + "…"
}

// The metadata XML an IT admin may paste is up to 256 KiB.
const (
	maxSetupForm  = 320 << 10
	maxSetupField = 260 << 10
)

// setupData is the set-up page.
type setupData struct {
	Action, Organization, Expires      string
	RedirectURI, SPMetadataURL, ACSURL string
	// Kind is the provider described so far ("" before), KindChoice the
	// form's.
	Kind, KindChoice string
	Domains          []setupDomainRow
	Verified         bool
}

type setupDomainRow struct {
	Name, Record, Value string
	Verified            bool
}

// setupNotices are the texts the page shows after its forms, by ?done=.
var setupNotices = map[string]string{
	"provider": "setup.done.provider",
	"domain":   "setup.done.domain",
	"verified": "setup.done.verified",
}

func (p *Pages) setupPage(w http.ResponseWriter, r *http.Request) {
	v := p.newView(w, r, "setup.title")
	if key, ok := setupNotices[r.URL.Query().Get("done")]; ok {
		v.Notice = v.L.T(key)
	}
	p.showSetup(w, r, v)
}

// showSetup renders the set-up page of the link in the path, with what v
// holds of a form posted.
func (p *Pages) showSetup(w http.ResponseWriter, r *http.Request, v *view) {
	s, err := p.Federation.OpenSetup(r.Context(), r.PathValue("token"))
	if iam.IsCode(err, iam.CodeInvalidToken) {
		p.renderInvalidLink(w, r, err, "setup.invalid.next", "", "")
		return
	}
	if err != nil {
		p.WriteError(w, r, err)
		return
	}
	d := setupData{Action: "/sso-setup/" + url.PathEscape(r.PathValue("token")), Organization: s.OrganizationName,
		Expires: when(s.Link.ExpiresAt), RedirectURI: s.RedirectURI, SPMetadataURL: s.SPMetadataURL, ACSURL: s.ACSURL, KindChoice: "saml"}
	if s.Provider != nil {
		d.Kind, d.KindChoice = string(s.Provider.Kind), string(s.Provider.Kind)
		if v.Form == nil {
			v.Form = url.Values{"metadata_url": {s.Provider.Settings.MetadataURL}, "issuer": {s.Provider.Settings.Issuer},
				"client_id": {s.Provider.Settings.ClientID}}
		}
	}
	if k := v.Form.Get("kind"); k == "saml" || k == "oidc" {
		d.KindChoice = k
	}
	for _, dom := range s.Link.Domains {
		name, value := federation.SetupRecord(s.Link, dom.Name)
		d.Domains = append(d.Domains, setupDomainRow{Name: dom.Name, Record: name, Value: value, Verified: dom.VerifiedAt != nil})
		d.Verified = d.Verified || dom.VerifiedAt != nil
	}
	v.Data, v.Wide = d, true
	p.render(w, r, "sso_setup", v)
}

// setupForm reads a form of the set-up page; false when it was answered.
func (p *Pages) setupForm(w http.ResponseWriter, r *http.Request, formBytes int64, fieldBytes int) bool {
	if err := p.readFormUpTo(w, r, formBytes, fieldBytes); err != nil {
		p.WriteError(w, r, err)
		return false
	}
	return true
}

// setupDone sends the browser back to the page after a form (PRG).
func setupDone(w http.ResponseWriter, r *http.Request, notice string) {
	http.Redirect(w, r, "/sso-setup/"+url.PathEscape(r.PathValue("token"))+"?done="+notice, http.StatusSeeOther)
}

// setupError shows a refusal on the page with the form as posted.
func (p *Pages) setupError(w http.ResponseWriter, r *http.Request, err error, fields ...string) {
	if iam.IsCode(err, iam.CodeInvalidToken) {
		p.renderInvalidLink(w, r, err, "setup.invalid.next", "", "")
		return
	}
	v := p.newView(w, r, "setup.title")
	v.Form = r.PostForm
	p.formError(r, v, err, fields...)
	p.showSetup(w, r, v)
}

func (p *Pages) setupProvider(w http.ResponseWriter, r *http.Request) {
	if !p.setupForm(w, r, maxSetupForm, maxSetupField) {
		return
	}
	in := federation.SetupInput{Kind: iam.ProviderKind(r.PostFormValue("kind"))}
	if in.Kind == iam.ProviderSAML {
		in.MetadataURL, in.MetadataXML = r.PostFormValue("metadata_url"), r.PostFormValue("metadata_xml")
	} else {
		in.Issuer, in.ClientID, in.ClientSecret = r.PostFormValue("issuer"), r.PostFormValue("client_id"), r.PostFormValue("client_secret")
	}
	if err := p.Federation.SetupProvider(r.Context(), r.PathValue("token"), in); err != nil {
		p.setupError(w, r, err, "kind", "metadata_url", "metadata_xml", "issuer", "client_id", "client_secret")
		return
	}
	setupDone(w, r, "provider")
}

func (p *Pages) setupDomain(w http.ResponseWriter, r *http.Request) {
	if !p.setupForm(w, r, maxFormBytes, maxFieldBytes) {
		return
	}
	if err := p.Federation.AddSetupDomain(r.Context(), r.PathValue("token"), r.PostFormValue("domain")); err != nil {
		p.setupError(w, r, err, "domain")
		return
	}
	setupDone(w, r, "domain")
}

func (p *Pages) verifySetupDomain(w http.ResponseWriter, r *http.Request) {
	if !p.setupForm(w, r, maxFormBytes, maxFieldBytes) {
		return
	}
	err := p.Federation.VerifySetupDomain(r.Context(), r.PathValue("token"), r.PostFormValue("domain"))
	if iam.IsCode(err, iam.CodeStateConflict) {
		v := p.newView(w, r, "setup.title")
		v.Status = statusOf(err)
		v.Alert = v.L.T("setup.record_missing", r.PostFormValue("domain"))
		p.showSetup(w, r, v)
		return
	}
	if err != nil {
		p.setupError(w, r, err)
		return
	}
	setupDone(w, r, "verified")
}

func (p *Pages) completeSetup(w http.ResponseWriter, r *http.Request) {
	if !p.setupForm(w, r, maxFormBytes, maxFieldBytes) {
		return
	}
	id, err := p.Federation.CompleteSetup(r.Context(), r.PathValue("token"))
	switch {
	case iam.IsCode(err, iam.CodeStateConflict), iam.IsCode(err, iam.CodeInvalid):
		v := p.newView(w, r, "setup.title")
		v.Status = statusOf(err)
		v.Alert = v.L.T("setup.not_ready")
		if e, ok := err.(*iam.Error); ok && e.Code == iam.CodeInvalid {
			v.Alert = v.L.T("setup.domain_taken")
		}
		p.showSetup(w, r, v)
	case err != nil:
		p.setupError(w, r, err)
	default:
		p.renderOutcome(w, r, "setup.completed.title", http.StatusOK, outcome{Message: "setup.completed",
			Next: "setup.completed.next", Link: federatedStartURL(id, "/account"), LinkText: "setup.completed.try"})
	}
}
