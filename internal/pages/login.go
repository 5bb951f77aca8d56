package pages

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/account"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/mfa"
	"github.com/gatehouse-iam/gatehouse/internal/settings"
)

func (p *Pages) loginRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /login", p.loginPage)
	mux.HandleFunc("POST /login", p.login)
	mux.HandleFunc("GET /login/mfa", p.mfaPage)
	mux.HandleFunc("POST /login/mfa", p.verifyMFA)
	mux.HandleFunc("POST /login/mfa/email", p.sendMFACode)
	mux.HandleFunc("POST /login/mfa/webauthn", p.mfaPasskeyOptions)
	mux.HandleFunc("POST /login/passkey/begin", p.passkeyOptions)
	mux.HandleFunc("POST /login/passkey", p.passkeyLogin)
	mux.HandleFunc("GET /logout", p.logoutPage)
	mux.HandleFunc("POST /logout", p.logout)
}

// loginData is what the sign-in page shows besides the form.
type loginData struct {
	ReturnTo string
	// Signup shows the link to /signup, where the tenant's policy lets
	// people register.
	Signup bool
	// Providers are the external providers offered as buttons; SSOHint
	// says that an email of a domain with a provider of its own needs no
	// password here.
	Providers []providerButton
	SSOHint   bool
}

// providerButton is a provider offered on the sign-in page.
type providerButton struct{ Name, Href string }

// federatedStartURL is where a sign-in through provider id starts.
func federatedStartURL(id, returnTo string) string {
	return FederationPrefix + id + "/start?" + url.Values{"return_to": {returnTo}}.Encode()
}

func (p *Pages) loginPage(w http.ResponseWriter, r *http.Request) {
	returnTo := safeReturn(r.URL.Query().Get("return_to"), "/account")
	// prompt=login is an application asking for a sign-in made now
	// (OpenID Connect's prompt and max_age): the form is shown even to a
	// browser signed in already, whose session the new sign-in replaces.
	if browserSession(r) != nil && r.URL.Query().Get("prompt") != "login" {
		http.Redirect(w, r, returnTo, http.StatusSeeOther)
		return
	}
	v := p.newView(w, r, "login.title")
	v.Form = url.Values{"email": {r.URL.Query().Get("login_hint")}}
	p.setLoginData(r, v, returnTo)
	p.render(w, r, "login", v)
}

// setLoginData gives the sign-in page its data, and lets its form lead
// on to the providers email domains lead to.
func (p *Pages) setLoginData(r *http.Request, v *view, returnTo string) {
	d := p.loginData(r, returnTo)
	v.Data = d
	if d.SSOHint {
		v.formTargets = p.Federation.FormTargets(r.Context(), true)
	}
}

func (p *Pages) loginData(r *http.Request, returnTo string) loginData {
	d := loginData{ReturnTo: returnTo}
	t := iam.TenantFrom(r.Context())
	if t == nil {
		return d
	}
	if st, err := p.Settings.For(r.Context(), t.ID); err == nil {
		d.Signup = st.Signup.Policy != settings.SignupClosed
	}
	// Without its providers the page still signs people in with a
	// password; a failure to read them is recorded, not shown.
	choices, err := p.Federation.SignInChoices(r.Context(), "")
	if err != nil {
		iam.RecordCause(r.Context(), err)
		return d
	}
	for _, o := range choices.Options {
		d.Providers = append(d.Providers, providerButton{Name: o.Name, Href: federatedStartURL(o.ID, returnTo)})
	}
	d.SSOHint = choices.HomeRealms
	return d
}

// login checks the email and password: the browser is signed in, or goes
// on to the second step its user has, or to enrol one its tenant requires.
func (p *Pages) login(w http.ResponseWriter, r *http.Request) {
	if err := p.readForm(w, r); err != nil {
		p.WriteError(w, r, err)
		return
	}
	returnTo := safeReturn(r.PostFormValue("return_to"), "/account")
	if r.PostFormValue("password") == "" {
		// Home-realm discovery: an address whose domain has a provider of
		// its own signs in there.
		id, err := p.Federation.HomeRealm(r.Context(), r.PostFormValue("email"))
		if err != nil {
			p.WriteError(w, r, err)
			return
		}
		if id != "" {
			http.Redirect(w, r, federatedStartURL(id, returnTo), http.StatusSeeOther)
			return
		}
	}
	res, err := p.Account.Login(r.Context(), account.LoginInput{Email: r.PostFormValue("email"), Password: r.PostFormValue("password"),
		KeepLoggedIn: r.PostFormValue("keep") == "on", Browser: true})
	if err != nil {
		v := p.newView(w, r, "login.title")
		v.Form = url.Values{"email": {r.PostFormValue("email")}}
		p.setLoginData(r, v, returnTo)
		p.formError(r, v, err, "email", "password")
		p.render(w, r, "login", v)
		return
	}
	switch {
	case res.MFA != nil:
		p.setStep(w, r, res.MFA.Token, res.MFA.ExpiresIn)
		q := url.Values{"return_to": {returnTo}, "methods": {strings.Join(res.MFA.Methods, " ")}}
		http.Redirect(w, r, "/login/mfa?"+q.Encode(), http.StatusSeeOther)
	case res.EnrollmentToken != "":
		p.setStep(w, r, res.EnrollmentToken, int(enrollmentTTL.Seconds()))
		http.Redirect(w, r, "/login/enroll", http.StatusSeeOther)
	default:
		p.signIn(w, r, res.Tokens.Browser)
		http.Redirect(w, r, returnTo, http.StatusSeeOther)
	}
}

// enrollmentTTL bounds the step cookie of an enrolment; the token itself
// carries its own, shorter or not.
const enrollmentTTL = 15 * time.Minute

// setStep keeps a sign-in's pending step in a cookie for its lifetime.
func (p *Pages) setStep(w http.ResponseWriter, r *http.Request, token string, seconds int) {
	c := p.cookie(r, stepCookie, token, time.Time{})
	c.MaxAge = seconds
	http.SetCookie(w, c)
}

// step is the pending step's token, "" when there is none.
func (p *Pages) step(r *http.Request) string {
	c, err := r.Cookie(p.cookieName(r, stepCookie))
	if err != nil {
		return ""
	}
	return c.Value
}

// mfaData is the second step's page: the methods the user has, the one
// shown, and the others to switch to.
type mfaData struct {
	ReturnTo string
	Methods  []string
	Method   string
	// Others are links to the page with another method.
	Others []methodLink
	// Sent reports an email code on its way.
	Sent bool
}

type methodLink struct{ Method, Href string }

// mfaMethods are the second factors a page can ask for, in the order the
// page prefers them.
var mfaMethods = []string{mfa.MethodTOTP, mfa.MethodWebAuthn, mfa.MethodEmail, mfa.MethodRecoveryCode}

func (p *Pages) mfaPage(w http.ResponseWriter, r *http.Request) {
	if p.step(r) == "" {
		p.startOver(w, r)
		return
	}
	v := p.newView(w, r, "mfa.title")
	v.Data = mfaStepData(r.URL.Query())
	p.render(w, r, "mfa", v)
}

// mfaStepData reads the step's page from its query: the methods listed
// there only choose what the page shows; the service checks the answer
// against the user's own.
func mfaStepData(q url.Values) mfaData {
	d := mfaData{ReturnTo: safeReturn(q.Get("return_to"), "/account"), Sent: q.Get("sent") == "1"}
	listed := strings.Fields(q.Get("methods"))
	for _, m := range mfaMethods {
		if slices.Contains(listed, m) {
			d.Methods = append(d.Methods, m)
		}
	}
	if len(d.Methods) == 0 {
		d.Methods = []string{mfa.MethodTOTP, mfa.MethodRecoveryCode}
	}
	d.Method = d.Methods[0]
	if m := q.Get("method"); slices.Contains(d.Methods, m) {
		d.Method = m
	}
	for _, m := range d.Methods {
		if m == d.Method {
			continue
		}
		q := url.Values{"return_to": {d.ReturnTo}, "methods": {strings.Join(d.Methods, " ")}, "method": {m}}
		d.Others = append(d.Others, methodLink{Method: m, Href: "/login/mfa?" + q.Encode()})
	}
	return d
}

// startOver sends a browser whose sign-in step is gone back to the start.
func (p *Pages) startOver(w http.ResponseWriter, r *http.Request) {
	p.clearCookie(w, r, stepCookie)
	v := p.newView(w, r, "login.title")
	v.Alert = v.L.T("login.expired")
	v.Status = http.StatusUnauthorized
	p.setLoginData(r, v, safeReturn(r.URL.Query().Get("return_to"), "/account"))
	p.render(w, r, "login", v)
}

// stepForm reads a form of the second step, and answers the step's token;
// "" when the form was answered or the step is gone.
func (p *Pages) stepForm(w http.ResponseWriter, r *http.Request) string {
	if err := p.readForm(w, r); err != nil {
		p.WriteError(w, r, err)
		return ""
	}
	token := p.step(r)
	if token == "" {
		p.startOver(w, r)
	}
	return token
}

func (p *Pages) verifyMFA(w http.ResponseWriter, r *http.Request) {
	token := p.stepForm(w, r)
	if token == "" {
		return
	}
	in := account.MFAVerifyInput{Token: token, Method: r.PostFormValue("method"), Code: strings.TrimSpace(r.PostFormValue("code")), Browser: true}
	if a := r.PostFormValue("assertion"); a != "" {
		in.Assertion = []byte(a)
	}
	tokens, err := p.Account.VerifyMFA(r.Context(), in)
	q := url.Values{"return_to": {r.PostFormValue("return_to")}, "methods": {r.PostFormValue("methods")}, "method": {in.Method}}
	d := mfaStepData(q)
	switch {
	case iam.IsCode(err, iam.CodeInvalidToken):
		p.startOver(w, r)
	case err != nil:
		v := p.newView(w, r, "mfa.title")
		v.Data = d
		p.formError(r, v, err, "code")
		if iam.IsCode(err, iam.CodeInvalidCredentials) {
			// At this step the only credential asked for is the code.
			v.Alert = ""
			v.setErrors(map[string]string{"code": v.L.T("mfa.wrong_code")}, "code")
		}
		p.render(w, r, "mfa", v)
	default:
		p.signIn(w, r, tokens.Browser)
		http.Redirect(w, r, d.ReturnTo, http.StatusSeeOther)
	}
}

func (p *Pages) sendMFACode(w http.ResponseWriter, r *http.Request) {
	token := p.stepForm(w, r)
	if token == "" {
		return
	}
	q := url.Values{"return_to": {r.PostFormValue("return_to")}, "methods": {r.PostFormValue("methods")}, "method": {mfa.MethodEmail}}
	err := p.Account.SendMFACode(r.Context(), token)
	switch {
	case iam.IsCode(err, iam.CodeInvalidToken):
		p.startOver(w, r)
	case err != nil:
		v := p.newView(w, r, "mfa.title")
		v.Data = mfaStepData(q)
		p.formError(r, v, err)
		p.render(w, r, "mfa", v)
	default:
		q.Set("sent", "1")
		http.Redirect(w, r, "/login/mfa?"+q.Encode(), http.StatusSeeOther)
	}
}

// passkeyOptions starts a passwordless sign-in for the page's script; the
// ceremony's token waits in the step cookie.
func (p *Pages) passkeyOptions(w http.ResponseWriter, r *http.Request) {
	if !p.checkCSRF(w, r) {
		p.WriteError(w, r, errCSRF)
		return
	}
	token, options, err := p.Passkeys.BeginLogin(r.Context())
	if err != nil {
		p.WriteError(w, r, err)
		return
	}
	p.setStep(w, r, token, int(passkeyTTL.Seconds()))
	writeOptions(w, options)
}

// passkeyTTL bounds the step cookie of a passkey ceremony; the ceremony
// has its own limit.
const passkeyTTL = 5 * time.Minute

func (p *Pages) passkeyLogin(w http.ResponseWriter, r *http.Request) {
	if err := p.readForm(w, r); err != nil {
		p.WriteError(w, r, err)
		return
	}
	returnTo := safeReturn(r.PostFormValue("return_to"), "/account")
	tokens, err := p.Account.PasskeyLogin(r.Context(), account.PasskeyLoginInput{Token: p.step(r),
		Assertion: []byte(r.PostFormValue("assertion")), Browser: true})
	p.clearCookie(w, r, stepCookie)
	if err != nil {
		v := p.newView(w, r, "login.title")
		p.setLoginData(r, v, returnTo)
		p.formError(r, v, err)
		p.render(w, r, "login", v)
		return
	}
	p.signIn(w, r, tokens.Browser)
	http.Redirect(w, r, returnTo, http.StatusSeeOther)
}

// mfaPasskeyOptions asks the passkeys of the user in the second step for
// an assertion, for the page's script.
func (p *Pages) mfaPasskeyOptions(w http.ResponseWriter, r *http.Request) {
	if !p.checkCSRF(w, r) {
		p.WriteError(w, r, errCSRF)
		return
	}
	options, err := p.Account.BeginMFAPasskey(r.Context(), p.step(r))
	if err != nil {
		p.WriteError(w, r, err)
		return
	}
	writeOptions(w, options)
}

// writeOptions answers a WebAuthn ceremony's options to the page's script:
// the one JSON this surface writes.
func writeOptions(w http.ResponseWriter, options []byte) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(options)
}

// logoutData is the sign-out page's: where to go once signed out (an
// application's post-logout page, through the OAuth surface), "" to stay.
type logoutData struct{ ReturnTo string }

func (p *Pages) logoutPage(w http.ResponseWriter, r *http.Request) {
	returnTo := safeReturn(r.URL.Query().Get("return_to"), "")
	if returnTo != "" && browserSession(r) == nil {
		http.Redirect(w, r, returnTo, http.StatusSeeOther)
		return
	}
	v := p.newView(w, r, "logout.title")
	v.Data = logoutData{ReturnTo: returnTo}
	p.render(w, r, "logout", v)
}

// logout ends the browser's session, or every session of its user.
func (p *Pages) logout(w http.ResponseWriter, r *http.Request) {
	if err := p.readForm(w, r); err != nil {
		p.WriteError(w, r, err)
		return
	}
	if browserSession(r) != nil {
		if err := p.Account.Logout(r.Context(), r.PostFormValue("everywhere") == "on"); err != nil {
			p.WriteError(w, r, err)
			return
		}
	}
	p.endSession(w, r)
	http.Redirect(w, r, safeReturn(r.PostFormValue("return_to"), "/logout"), http.StatusSeeOther)
}
