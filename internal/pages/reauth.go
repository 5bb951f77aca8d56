package pages

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gatehouse-iam/gatehouse/internal/account"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/mfa"
)

// needReauth answers a service's demand for a recent step-up
// (CodeMFAReauthRequired) with the step-up page, which comes back to the
// current page after; it reports whether it did. The form's input is not
// kept: the user sends it again once confirmed.
func (p *Pages) needReauth(w http.ResponseWriter, r *http.Request, err error) bool {
	if !iam.IsCode(err, iam.CodeMFAReauthRequired) {
		return false
	}
	http.Redirect(w, r, "/account/reauth?return_to="+url.QueryEscape(pageOf(r)), http.StatusSeeOther)
	return true
}

// pageOf is the page a request came from: itself for a GET, and for a
// form the page that holds it, the first two segments of its path
// (/account/security/totp is posted from /account/security).
func pageOf(r *http.Request) string {
	if r.Method == http.MethodGet {
		return r.URL.RequestURI()
	}
	segments := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 3)
	if len(segments) > 2 {
		segments = segments[:2]
	}
	return "/" + strings.Join(segments, "/")
}

// methodPassword confirms a user without a second factor.
const methodPassword = "password"

// reauthData is the step-up page: the methods the user can confirm with,
// the one shown and links to the others.
type reauthData struct {
	ReturnTo string
	Methods  []string
	Method   string
	Others   []methodLink
	// Sent reports an email code on its way.
	Sent bool
}

// reauthStep reads the step-up page's query against the user's methods:
// their second factors, or the password when they have none.
func (p *Pages) reauthStep(r *http.Request, pr *iam.Principal, q url.Values) (reauthData, error) {
	d := reauthData{ReturnTo: safeReturn(q.Get("return_to"), "/account"), Sent: q.Get("sent") == "1"}
	status, err := p.MFA.StatusOf(r.Context(), pr.TenantID, pr.UserID)
	if err != nil {
		return d, err
	}
	if status.Enabled() {
		for _, m := range mfaMethods {
			if slices.Contains(status.Methods(), m) {
				d.Methods = append(d.Methods, m)
			}
		}
	} else {
		d.Methods = []string{methodPassword}
	}
	d.Method = d.Methods[0]
	if m := q.Get("method"); slices.Contains(d.Methods, m) {
		d.Method = m
	}
	for _, m := range d.Methods {
		if m != d.Method {
			q := url.Values{"return_to": {d.ReturnTo}, "method": {m}}
			d.Others = append(d.Others, methodLink{Method: m, Href: "/account/reauth?" + q.Encode()})
		}
	}
	return d, nil
}

func (p *Pages) reauthPage(w http.ResponseWriter, r *http.Request) {
	pr, ok := p.signedIn(w, r)
	if !ok {
		return
	}
	d, err := p.reauthStep(r, pr, r.URL.Query())
	if err != nil {
		p.WriteError(w, r, err)
		return
	}
	v := p.newView(w, r, "reauth.title")
	v.Data = d
	p.render(w, r, "reauth", v)
}

// reauth confirms the user, then gives the browser a new session cookie:
// a confirmed session is worth more, so the secret that was carried before
// it stops working.
func (p *Pages) reauth(w http.ResponseWriter, r *http.Request) {
	pr, ok := p.postedBy(w, r)
	if !ok {
		return
	}
	q := url.Values{"return_to": {r.PostFormValue("return_to")}, "method": {r.PostFormValue("method")}}
	d, err := p.reauthStep(r, pr, q)
	if err != nil {
		p.WriteError(w, r, err)
		return
	}
	in := account.ReauthInput{Method: d.Method, Code: strings.TrimSpace(r.PostFormValue("code")), Password: r.PostFormValue("password")}
	if a := r.PostFormValue("assertion"); a != "" {
		in.Assertion = []byte(a)
	}
	if err := p.Account.Reauth(r.Context(), in); err != nil {
		v := p.newView(w, r, "reauth.title")
		v.Data = d
		field, key := "code", "reauth.wrong_code"
		if d.Method == methodPassword {
			field, key = "password", "account.password.wrong"
		}
		if !wrongPassword(v, err, field, key, field) {
			p.formError(r, v, err, field)
		}
		p.render(w, r, "reauth", v)
		return
	}
	bs, err := p.Account.RotateBrowserSession(r.Context(), browserSession(r).Secret)
	if err != nil {
		p.WriteError(w, r, err)
		return
	}
	p.setSession(w, r, bs)
	http.Redirect(w, r, d.ReturnTo, http.StatusSeeOther)
}

func (p *Pages) sendReauthCode(w http.ResponseWriter, r *http.Request) {
	pr, ok := p.postedBy(w, r)
	if !ok {
		return
	}
	q := url.Values{"return_to": {safeReturn(r.PostFormValue("return_to"), "/account")}, "method": {mfa.MethodEmail}}
	if err := p.Account.SendReauthCode(r.Context()); err != nil {
		d, derr := p.reauthStep(r, pr, q)
		if derr != nil {
			p.WriteError(w, r, derr)
			return
		}
		v := p.newView(w, r, "reauth.title")
		v.Data = d
		p.formError(r, v, err)
		p.render(w, r, "reauth", v)
		return
	}
	q.Set("sent", "1")
	http.Redirect(w, r, "/account/reauth?"+q.Encode(), http.StatusSeeOther)
}

// reauthPasskeyOptions asks the user's passkeys for an assertion that
// confirms this session, for the page's script.
func (p *Pages) reauthPasskeyOptions(w http.ResponseWriter, r *http.Request) {
	if browserSession(r) == nil {
		p.WriteError(w, r, iam.Errorf(iam.CodeUnauthenticated, "sign in first"))
		return
	}
	if !p.checkCSRF(w, r) {
		p.WriteError(w, r, errCSRF)
		return
	}
	options, err := p.Account.BeginReauthPasskey(r.Context())
	if err != nil {
		p.WriteError(w, r, err)
		return
	}
	writeOptions(w, options)
}
