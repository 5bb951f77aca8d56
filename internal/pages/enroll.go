package pages

import (
	"net/http"
	"strings"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// The enrolment of a second factor that the tenant's policy requires of a
// user who has none: the sign-in stops after the password, with the
// enrolment token in the step cookie, which may do nothing but enrol. Once
// a factor is on, the user signs in again with it; the enrolment opens no
// session, as the REST API's does not.
func (p *Pages) enrollRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /login/enroll", p.enrollPage)
	mux.HandleFunc("POST /login/enroll/totp", p.enrollBeginTOTP)
	mux.HandleFunc("POST /login/enroll/totp/confirm", p.enrollConfirmTOTP)
	mux.HandleFunc("POST /login/enroll/email", p.enrollEmail)
	mux.HandleFunc("GET /login/enroll/done", p.enrollDone)
}

// enrollData is the enrolment page: the methods to choose from, or the
// TOTP enrolment begun.
type enrollData struct {
	EmailVerified bool
	Setup         *totpSetup
}

const enrollConfirmPath = "/login/enroll/totp/confirm"

// enrolling authenticates the sign-in waiting for an enrolment by its step
// cookie and puts its principal, which may only enrol, in the request's
// context, as the REST API does with the enrolment token. A browser whose
// enrolment expired or is none starts over.
func (p *Pages) enrolling(w http.ResponseWriter, r *http.Request) (*http.Request, *iam.Principal) {
	token := p.step(r)
	if token == "" {
		p.startOver(w, r)
		return nil, nil
	}
	pr, err := p.Account.AuthenticateEnrollment(r.Context(), token)
	switch {
	case iam.IsCode(err, iam.CodeInvalidToken):
		p.startOver(w, r)
		return nil, nil
	case err != nil:
		p.WriteError(w, r, err)
		return nil, nil
	}
	return r.WithContext(iam.WithPrincipal(r.Context(), pr)), pr
}

// enrollForm admits a form of the enrolment: with its CSRF token, from a
// browser whose enrolment is still on.
func (p *Pages) enrollForm(w http.ResponseWriter, r *http.Request) (*http.Request, *iam.Principal) {
	if err := p.readForm(w, r); err != nil {
		p.WriteError(w, r, err)
		return nil, nil
	}
	return p.enrolling(w, r)
}

func (p *Pages) enrollPage(w http.ResponseWriter, r *http.Request) {
	r, pr := p.enrolling(w, r)
	if pr == nil {
		return
	}
	v := p.newView(w, r, "enroll.title")
	v.Data = enrollData{EmailVerified: pr.User.EmailVerified}
	p.render(w, r, "enroll", v)
}

func (p *Pages) enrollBeginTOTP(w http.ResponseWriter, r *http.Request) {
	r, pr := p.enrollForm(w, r)
	if pr == nil {
		return
	}
	v := p.newView(w, r, "enroll.title")
	d := enrollData{EmailVerified: pr.User.EmailVerified}
	if e, err := p.MFA.BeginTOTP(r.Context(), pr); err != nil {
		p.formError(r, v, err)
	} else {
		d.Setup = newTOTPSetup(e, enrollConfirmPath, "/login/enroll")
	}
	v.Data = d
	p.render(w, r, "enroll", v)
}

func (p *Pages) enrollConfirmTOTP(w http.ResponseWriter, r *http.Request) {
	r, pr := p.enrollForm(w, r)
	if pr == nil {
		return
	}
	err := p.MFA.ConfirmTOTP(r.Context(), pr, strings.TrimSpace(r.PostFormValue("code")))
	if err == nil {
		p.enrolled(w, r)
		return
	}
	v := p.newView(w, r, "enroll.title")
	d := enrollData{EmailVerified: pr.User.EmailVerified}
	// Once the enrolment expired, the user begins again from the choice
	// of methods.
	if pending, perr := p.MFA.PendingTOTP(r.Context(), pr); perr == nil {
		d.Setup = newTOTPSetup(pending, enrollConfirmPath, "/login/enroll")
	}
	p.codeRefused(r, v, err)
	v.Data = d
	p.render(w, r, "enroll", v)
}

func (p *Pages) enrollEmail(w http.ResponseWriter, r *http.Request) {
	r, pr := p.enrollForm(w, r)
	if pr == nil {
		return
	}
	err := p.MFA.EnableEmail(r.Context(), pr)
	if err == nil {
		p.enrolled(w, r)
		return
	}
	v := p.newView(w, r, "enroll.title")
	v.Data = enrollData{EmailVerified: pr.User.EmailVerified}
	if iam.IsCode(err, iam.CodeEmailNotVerified) {
		v.Status = statusOf(err)
		v.Alert = v.L.T("security.email.unverified")
	} else {
		p.formError(r, v, err)
	}
	p.render(w, r, "enroll", v)
}

// enrolled ends the enrolment: its token goes with the step cookie, and
// the user signs in again, now with their second factor.
func (p *Pages) enrolled(w http.ResponseWriter, r *http.Request) {
	p.clearCookie(w, r, stepCookie)
	http.Redirect(w, r, "/login/enroll/done", http.StatusSeeOther)
}

func (p *Pages) enrollDone(w http.ResponseWriter, r *http.Request) {
	p.render(w, r, "enroll_done", p.newView(w, r, "enroll.done.title"))
}
