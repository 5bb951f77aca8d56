package pages

import (
	"net/http"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

func (p *Pages) passwordRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /forgot", p.forgotForm)
	mux.HandleFunc("POST /forgot", p.forgot)
	mux.HandleFunc("GET /reset-password", p.resetForm)
	mux.HandleFunc("POST /reset-password", p.reset)
}

func (p *Pages) forgotForm(w http.ResponseWriter, r *http.Request) {
	p.render(w, r, "forgot", p.newView(w, r, "forgot.title"))
}

// forgot mails a reset link. The answer is the same whether or not the
// address has an account; only an address that is not one is refused.
func (p *Pages) forgot(w http.ResponseWriter, r *http.Request) {
	if err := p.readForm(w, r); err != nil {
		p.WriteError(w, r, err)
		return
	}
	email := r.PostFormValue("email")
	err := p.Account.ForgotPassword(r.Context(), email)
	if codeOf(err) == iam.CodeInvalid {
		v := p.newView(w, r, "forgot.title")
		formView(v, r.PostForm, statusOf(err), v.L.fieldErrors(err), "email")
		p.render(w, r, "forgot", v)
		return
	}
	if err != nil {
		p.WriteError(w, r, err)
		return
	}
	p.renderOutcome(w, r, "forgot.sent.title", http.StatusOK,
		outcome{Message: "forgot.sent", Args: []any{email}, Next: "forgot.sent.next", Link: "/login", LinkText: "link.sign_in"})
}

// resetPage is what the reset form shows besides the password field.
type resetPage struct {
	// Token is the reset link's token, carried in a hidden field.
	Token     string
	MinLength int
}

// resetForm shows the new-password form of a reset link. Whether the token
// is good shows on posting: looking it up here would tell a link scanner.
func (p *Pages) resetForm(w http.ResponseWriter, r *http.Request) {
	p.showReset(w, r, r.URL.Query().Get("token"), nil)
}

// showReset renders the reset form for token, with the password policy's
// refusal of a posted new password if there is one.
func (p *Pages) showReset(w http.ResponseWriter, r *http.Request, token string, policyErr error) {
	if token == "" {
		p.resetLinkInvalid(w, r, iam.Errorf(iam.CodeInvalidToken, "the link has no token"))
		return
	}
	st, err := p.tenantSettings(r)
	if err != nil {
		p.WriteError(w, r, err)
		return
	}
	v := p.newView(w, r, "reset.title")
	if policyErr != nil {
		formView(v, nil, statusOf(policyErr), map[string]string{"password": v.L.policyText(policyErr, st)}, "password")
	}
	v.Data = resetPage{Token: token, MinLength: st.Password.MinLength}
	p.render(w, r, "reset-password", v)
}

// reset sets the new password; the service ends every session of the
// user. A refused password shows the form again (the link stays good); a
// bad link shows the invalid-link page instead of the form.
func (p *Pages) reset(w http.ResponseWriter, r *http.Request) {
	if err := p.readForm(w, r); err != nil {
		p.WriteError(w, r, err)
		return
	}
	token := r.PostFormValue("token")
	err := p.Account.ResetPassword(r.Context(), token, r.PostFormValue("password"))
	switch codeOf(err) {
	case iam.CodePasswordPolicy:
		p.showReset(w, r, token, err)
		return
	case iam.CodeInvalidToken:
		p.resetLinkInvalid(w, r, err)
		return
	}
	if err != nil {
		p.WriteError(w, r, err)
		return
	}
	p.renderOutcome(w, r, "reset.done.title", http.StatusOK,
		outcome{Message: "reset.done", Link: "/login", LinkText: "link.sign_in"})
}

func (p *Pages) resetLinkInvalid(w http.ResponseWriter, r *http.Request, err error) {
	p.renderInvalidLink(w, r, err, "reset.invalid.next", "/forgot", "reset.invalid.link")
}
