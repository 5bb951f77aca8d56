package pages

import (
	"net/http"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

func (p *Pages) emailRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /verify-email", p.verifyForm)
	mux.HandleFunc("POST /verify-email", p.verify)
	mux.HandleFunc("GET /confirm-email", p.confirmForm)
	mux.HandleFunc("POST /confirm-email", p.confirm)
}

// linkPage is a page that acts on a mailed link with one button: opening
// the link changes nothing, since mail scanners open links too; the
// visitor's POST does.
type linkPage struct {
	// Token is the link's token, carried in a hidden field.
	Token string
}

// verifyForm shows the button that verifies the address of a verification
// link; without a link, the form that mails a new one.
func (p *Pages) verifyForm(w http.ResponseWriter, r *http.Request) {
	v := p.newView(w, r, "verify.title")
	if token := r.URL.Query().Get("token"); token != "" {
		v.Data = linkPage{Token: token}
		p.render(w, r, "verify-email", v)
		return
	}
	v.Title = "verify.resend.title"
	p.render(w, r, "verify-resend", v)
}

// verify verifies the address of a link, or mails a new link when the form
// is the resend form (it has no token field).
func (p *Pages) verify(w http.ResponseWriter, r *http.Request) {
	if err := p.readForm(w, r); err != nil {
		p.WriteError(w, r, err)
		return
	}
	if _, ok := r.PostForm["token"]; !ok {
		p.resendVerification(w, r)
		return
	}
	err := p.Account.VerifyEmail(r.Context(), r.PostFormValue("token"))
	if codeOf(err) == iam.CodeInvalidToken {
		p.renderInvalidLink(w, r, err, "verify.invalid.next", "/verify-email", "verify.invalid.link")
		return
	}
	if err != nil {
		p.WriteError(w, r, err)
		return
	}
	link, text := onward(r)
	p.renderOutcome(w, r, "verify.done.title", http.StatusOK, outcome{Message: "verify.done", Link: link, LinkText: text})
}

// resendVerification mails a new verification link; the answer is the same
// whatever the address.
func (p *Pages) resendVerification(w http.ResponseWriter, r *http.Request) {
	email := r.PostFormValue("email")
	err := p.Account.ResendVerification(r.Context(), email)
	if codeOf(err) == iam.CodeInvalid {
		v := p.newView(w, r, "verify.resend.title")
		formView(v, r.PostForm, statusOf(err), v.L.fieldErrors(err), "email")
		p.render(w, r, "verify-resend", v)
		return
	}
	if err != nil {
		p.WriteError(w, r, err)
		return
	}
	p.renderOutcome(w, r, "verify.resent.title", http.StatusOK,
		outcome{Message: "verify.resent", Args: []any{email}, Link: "/login", LinkText: "link.sign_in"})
}

// confirmForm shows the button that confirms an email change. Without a
// token there is nothing to confirm.
func (p *Pages) confirmForm(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	if token == "" {
		p.confirmLinkInvalid(w, r, iam.Errorf(iam.CodeInvalidToken, "the link has no token"))
		return
	}
	v := p.newView(w, r, "confirm.title")
	v.Data = linkPage{Token: token}
	p.render(w, r, "confirm-email", v)
}

// confirm switches the user to the address the link was sent to.
func (p *Pages) confirm(w http.ResponseWriter, r *http.Request) {
	if err := p.readForm(w, r); err != nil {
		p.WriteError(w, r, err)
		return
	}
	err := p.Account.ConfirmEmailChange(r.Context(), r.PostFormValue("token"))
	switch codeOf(err) {
	case iam.CodeInvalidToken:
		p.confirmLinkInvalid(w, r, err)
		return
	case iam.CodeEmailTaken:
		p.renderOutcome(w, r, "confirm.taken.title", statusOf(err),
			outcome{Message: "confirm.taken", Next: "confirm.taken.next", Link: "/account", LinkText: "link.account"})
		return
	}
	if err != nil {
		p.WriteError(w, r, err)
		return
	}
	link, text := onward(r)
	p.renderOutcome(w, r, "confirm.done.title", http.StatusOK, outcome{Message: "confirm.done", Link: link, LinkText: text})
}

func (p *Pages) confirmLinkInvalid(w http.ResponseWriter, r *http.Request, err error) {
	p.renderInvalidLink(w, r, err, "confirm.invalid.next", "/account", "link.account")
}

// onward is where a finished link leads: the account of a signed-in
// visitor, the sign-in page for anyone else.
func onward(r *http.Request) (link, text string) {
	if pr := iam.PrincipalFrom(r.Context()); pr != nil && pr.User != nil {
		return "/account", "link.account"
	}
	return "/login", "link.sign_in"
}
