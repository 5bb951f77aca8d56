package pages

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

func (p *Pages) accountRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /account", p.overviewPage)
	mux.HandleFunc("POST /account/name", p.changeName)
	mux.HandleFunc("GET /account/password", p.passwordPage)
	mux.HandleFunc("POST /account/password", p.changePassword)
	mux.HandleFunc("GET /account/email", p.emailPage)
	mux.HandleFunc("POST /account/email", p.changeEmail)
	mux.HandleFunc("GET /account/sessions", p.sessionsPage)
	mux.HandleFunc("POST /account/sessions/end-others", p.endOtherSessions)
	mux.HandleFunc("POST /account/sessions/{id}/end", p.endSessionOf)
	mux.HandleFunc("GET /account/tokens", p.tokensPage)
	mux.HandleFunc("POST /account/tokens", p.createToken)
	mux.HandleFunc("POST /account/tokens/{id}/delete", p.deleteToken)
	mux.HandleFunc("GET /account/reauth", p.reauthPage)
	mux.HandleFunc("POST /account/reauth", p.reauth)
	mux.HandleFunc("POST /account/reauth/email", p.sendReauthCode)
	mux.HandleFunc("POST /account/reauth/webauthn", p.reauthPasskeyOptions)
}

// notices are the texts a page shows after its form succeeded, by the
// value of ?done=: the query names a text and never carries one.
var notices = map[string]string{
	"name":             "account.done.name",
	"password":         "account.done.password",
	"email":            "account.done.email",
	"session":          "account.done.session",
	"others":           "account.done.others",
	"token_deleted":    "account.done.token_deleted",
	"identity_removed": "account.done.identity_removed",
}

// accountView starts the view of an /account page, with the notice its
// last form left in the query.
func (p *Pages) accountView(w http.ResponseWriter, r *http.Request, title string) *view {
	v := p.newView(w, r, title)
	if key, ok := notices[r.URL.Query().Get("done")]; ok {
		v.Notice = v.L.T(key)
	}
	return v
}

// done sends the browser back to page after its form succeeded (PRG).
func done(w http.ResponseWriter, r *http.Request, page, notice string) {
	http.Redirect(w, r, page+"?done="+url.QueryEscape(notice), http.StatusSeeOther)
}

// postedBy checks a form of the /account pages: a signed-in browser and the
// form's CSRF token. It answers false once it has answered the request.
func (p *Pages) postedBy(w http.ResponseWriter, r *http.Request) (*iam.Principal, bool) {
	pr, ok := p.signedIn(w, r)
	if !ok {
		return nil, false
	}
	if err := p.readForm(w, r); err != nil {
		p.WriteError(w, r, err)
		return nil, false
	}
	return pr, true
}

// showError shows a service's refusal of a form as formError does, in the
// page's own words where it has them: texts maps a field the service named
// to the message key to write next to it.
func (p *Pages) showError(r *http.Request, v *view, err error, texts map[string]string, fields ...string) {
	p.formError(r, v, err, fields...)
	for field, key := range texts {
		if _, ok := v.Errors[field]; ok {
			v.Errors[field] = v.L.T(key)
		}
	}
}

// wrongPassword writes a refused password next to its field, not as the
// sign-in page's "email or password" above the form.
func wrongPassword(v *view, err error, field, key string, fields ...string) bool {
	if !iam.IsCode(err, iam.CodeInvalidCredentials) {
		return false
	}
	v.Status = statusOf(err)
	v.setErrors(map[string]string{field: v.L.T(key)}, fields...)
	return true
}

// when shows a time on the pages, in UTC as everything is stored.
func when(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

func (p *Pages) overviewPage(w http.ResponseWriter, r *http.Request) {
	pr, ok := p.signedIn(w, r)
	if !ok {
		return
	}
	v := p.accountView(w, r, "account.title")
	v.Form = url.Values{"name": {pr.User.Name}}
	p.render(w, r, "account", v)
}

func (p *Pages) changeName(w http.ResponseWriter, r *http.Request) {
	if _, ok := p.postedBy(w, r); !ok {
		return
	}
	if _, err := p.Account.UpdateMyName(r.Context(), r.PostFormValue("name")); err != nil {
		v := p.newView(w, r, "account.title")
		v.Form = url.Values{"name": {r.PostFormValue("name")}}
		p.showError(r, v, err, map[string]string{"name": "account.profile.name_invalid"}, "name")
		p.render(w, r, "account", v)
		return
	}
	done(w, r, "/account", "name")
}

func (p *Pages) passwordPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := p.signedIn(w, r); !ok {
		return
	}
	p.render(w, r, "account_password", p.accountView(w, r, "account.password.title"))
}

// changePassword sets a new password; the service ends the user's other
// sessions and keeps this one.
func (p *Pages) changePassword(w http.ResponseWriter, r *http.Request) {
	if _, ok := p.postedBy(w, r); !ok {
		return
	}
	err := p.Account.ChangePassword(r.Context(), r.PostFormValue("current_password"), r.PostFormValue("new_password"))
	if p.needReauth(w, r, err) {
		return
	}
	if err != nil {
		v := p.newView(w, r, "account.password.title")
		fields := []string{"current_password", "new_password"}
		if !wrongPassword(v, err, "current_password", "account.password.wrong", fields...) {
			p.formError(r, v, err, fields...)
		}
		p.render(w, r, "account_password", v)
		return
	}
	done(w, r, "/account/password", "password")
}

func (p *Pages) emailPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := p.signedIn(w, r); !ok {
		return
	}
	p.render(w, r, "account_email", p.accountView(w, r, "account.email.title"))
}

// changeEmail mails the new address its confirmation link; the address
// changes when the link is opened (/confirm-email).
func (p *Pages) changeEmail(w http.ResponseWriter, r *http.Request) {
	if _, ok := p.postedBy(w, r); !ok {
		return
	}
	err := p.Account.RequestEmailChange(r.Context(), r.PostFormValue("new_email"), r.PostFormValue("password"))
	if p.needReauth(w, r, err) {
		return
	}
	if err != nil {
		v := p.newView(w, r, "account.email.title")
		v.Form = url.Values{"new_email": {r.PostFormValue("new_email")}}
		fields := []string{"new_email", "password"}
		if !wrongPassword(v, err, "password", "account.password.wrong", fields...) {
			p.showError(r, v, err, map[string]string{"new_email": "account.email.invalid"}, fields...)
		}
		p.render(w, r, "account_email", v)
		return
	}
	done(w, r, "/account/email", "email")
}

// sessionRow is one of the user's sessions as the page lists it.
type sessionRow struct {
	ID, Created, LastSeen, IP, UserAgent string
	// Current is the session of the browser looking at the page.
	Current bool
}

// sessionsData is the sessions page: the newest sessions, and how many
// there are in all.
type sessionsData struct {
	Sessions []sessionRow
	Total    int
	// Apps are the applications the user allowed, shown where the server
	// has an OAuth provider.
	Apps     []appRow
	ShowApps bool
}

// appRow is an application the user consented to.
type appRow struct{ ID, Name, Scopes string }

func (p *Pages) sessionsPage(w http.ResponseWriter, r *http.Request) {
	pr, ok := p.signedIn(w, r)
	if !ok {
		return
	}
	v := p.accountView(w, r, "account.sessions.title")
	p.showSessions(w, r, pr, v)
}

// showSessions renders the sessions page with the user's sessions.
func (p *Pages) showSessions(w http.ResponseWriter, r *http.Request, pr *iam.Principal, v *view) {
	v.Wide = true
	sessions, total, err := p.Account.MySessions(r.Context(), iam.ListParams{Page: 1, Limit: iam.MaxLimit})
	if err != nil {
		p.WriteError(w, r, err)
		return
	}
	d := sessionsData{Total: total}
	for _, s := range sessions {
		d.Sessions = append(d.Sessions, sessionRow{ID: s.ID, Created: when(s.CreatedAt), LastSeen: when(s.LastSeenAt),
			IP: s.IP, UserAgent: s.UserAgent, Current: s.ID == pr.SessionID})
	}
	if p.OAuth != nil {
		consents, err := p.OAuth.MyConsents(r.Context())
		if err != nil {
			p.WriteError(w, r, err)
			return
		}
		d.ShowApps = true
		for _, c := range consents {
			d.Apps = append(d.Apps, appRow{ID: c.ApplicationID, Name: c.ApplicationName, Scopes: strings.Join(slices.Concat(c.Scopes, c.Resources), ", ")})
		}
	}
	v.Data = d
	p.render(w, r, "account_sessions", v)
}

// endSessionOf ends another of the user's sessions; ending this one is
// signing out, which the sign-out page confirms first.
func (p *Pages) endSessionOf(w http.ResponseWriter, r *http.Request) {
	pr, ok := p.postedBy(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	if id == pr.SessionID {
		http.Redirect(w, r, "/logout", http.StatusSeeOther)
		return
	}
	err := p.Account.EndMySession(r.Context(), id)
	if iam.IsCode(err, iam.CodeNotFound) {
		v := p.newView(w, r, "account.sessions.title")
		v.Status, v.Alert = http.StatusNotFound, v.L.T("account.sessions.gone")
		p.showSessions(w, r, pr, v)
		return
	}
	if err != nil {
		p.WriteError(w, r, err)
		return
	}
	done(w, r, "/account/sessions", "session")
}

func (p *Pages) endOtherSessions(w http.ResponseWriter, r *http.Request) {
	if _, ok := p.postedBy(w, r); !ok {
		return
	}
	if err := p.Account.EndMyOtherSessions(r.Context()); err != nil {
		p.WriteError(w, r, err)
		return
	}
	done(w, r, "/account/sessions", "others")
}
