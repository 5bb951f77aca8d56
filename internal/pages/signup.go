package pages

import (
	"net/http"

	"github.com/gatehouse-iam/gatehouse/internal/account"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/settings"
)

func (p *Pages) signupRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /signup", p.signupForm)
	mux.HandleFunc("POST /signup", p.signup)
}

// signupPage is what the signup template shows: the form, or why there is
// none.
type signupPage struct {
	// Closed and InvitationNeeded replace the form with their reason.
	Closed, InvitationNeeded bool
	// Invitation is the invitation token, carried in a hidden field;
	// InvitedEmail the address it fixes.
	Invitation, InvitedEmail string
	MinLength                int
}

// signupFields are the form's fields in order, for the focus on the first
// error.
var signupFields = []string{"name", "email", "password"}

func (p *Pages) signupForm(w http.ResponseWriter, r *http.Request) {
	st, err := p.tenantSettings(r)
	if err != nil {
		p.WriteError(w, r, err)
		return
	}
	page, err := p.signupFor(r, st, r.URL.Query().Get("invitation"))
	if err != nil {
		p.signupRefused(w, r, err)
		return
	}
	v := p.newView(w, r, "signup.title")
	v.Data = page
	p.render(w, r, "signup", v)
}

// signupFor is the signup page under the tenant's policy and the
// invitation, if any: a bad invitation is refused (CodeInvalidToken) before
// the visitor types anything.
func (p *Pages) signupFor(r *http.Request, st *settings.Settings, invitation string) (signupPage, error) {
	page := signupPage{Invitation: invitation, MinLength: st.Password.MinLength}
	switch {
	case st.Signup.Policy == settings.SignupClosed:
		page.Closed = true
	case invitation != "":
		email, err := p.Account.InvitationEmail(r.Context(), invitation)
		if err != nil {
			return page, err
		}
		page.InvitedEmail = email
	case st.Signup.Policy == settings.SignupInviteOnly:
		page.InvitationNeeded = true
	}
	return page, nil
}

// signup registers the visitor. With an invitation, the address is the
// invitation's, whatever was posted.
func (p *Pages) signup(w http.ResponseWriter, r *http.Request) {
	if err := p.readForm(w, r); err != nil {
		p.WriteError(w, r, err)
		return
	}
	st, err := p.tenantSettings(r)
	if err != nil {
		p.WriteError(w, r, err)
		return
	}
	page, err := p.signupFor(r, st, r.PostFormValue("invitation"))
	if err != nil {
		p.signupRefused(w, r, err)
		return
	}
	// The form was not offered; the service would refuse it the same way.
	switch {
	case page.Closed:
		p.signupRefused(w, r, iam.Errorf(iam.CodeSignupClosed, "signup is closed"))
		return
	case page.InvitationNeeded:
		p.signupRefused(w, r, iam.Errorf(iam.CodeInvitationRequired, "signing up needs an invitation"))
		return
	}
	in := account.RegisterInput{Name: r.PostFormValue("name"), Email: r.PostFormValue("email"),
		Password: r.PostFormValue("password"), InvitationToken: page.Invitation}
	if page.InvitedEmail != "" {
		in.Email = page.InvitedEmail
	}
	status, err := p.Account.Register(r.Context(), in)
	if err != nil {
		p.signupFailed(w, r, st, page, err)
		return
	}
	if status == account.SignupActive {
		p.renderOutcome(w, r, "signup.active.title", http.StatusOK,
			outcome{Message: "signup.active", Link: "/login", LinkText: "link.sign_in"})
		return
	}
	p.renderOutcome(w, r, "signup.sent.title", http.StatusOK,
		outcome{Message: "signup.sent", Args: []any{in.Email}, Next: "signup.sent.next", Link: "/login", LinkText: "link.sign_in"})
}

// signupFailed shows the form again with the errors the visitor can
// correct; anything else is refused.
func (p *Pages) signupFailed(w http.ResponseWriter, r *http.Request, st *settings.Settings, page signupPage, err error) {
	v := p.newView(w, r, "signup.title")
	var errs map[string]string
	switch codeOf(err) {
	case iam.CodeInvalid:
		if errs = v.L.fieldErrors(err); errs == nil {
			v.Alert = v.L.errorText(err)
		}
	case iam.CodePasswordPolicy:
		errs = map[string]string{"password": v.L.policyText(err, st)}
	case iam.CodeDomainNotAllowed:
		errs = map[string]string{"email": v.L.T("signup.domain_not_allowed")}
	default:
		p.signupRefused(w, r, err)
		return
	}
	formView(v, r.PostForm, statusOf(err), errs, signupFields...)
	v.Data = page
	p.render(w, r, "signup", v)
}

// signupRefused answers a signup the policy or the invitation does not
// admit with a page that says why, and anything else with the error page.
func (p *Pages) signupRefused(w http.ResponseWriter, r *http.Request, err error) {
	code := codeOf(err)
	switch code {
	case iam.CodeSignupClosed, iam.CodeInvitationRequired:
	case iam.CodeInvalidToken:
		p.renderOutcome(w, r, "signup.invitation_invalid.title", statusOf(err),
			outcome{Message: "signup.invitation_invalid", Next: "signup.invitation_invalid.next", Link: "/login", LinkText: "link.sign_in"})
		return
	default:
		p.WriteError(w, r, err)
		return
	}
	v := p.newView(w, r, "signup.title")
	v.Status = statusOf(err)
	v.Data = signupPage{Closed: code == iam.CodeSignupClosed, InvitationNeeded: code == iam.CodeInvitationRequired}
	p.render(w, r, "signup", v)
}
