package pages

import (
	"encoding/base64"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/mfa"
	"github.com/gatehouse-iam/gatehouse/internal/passkey"
)

func (p *Pages) securityRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /account/security", p.securityPage)
	mux.HandleFunc("POST /account/security/totp", p.beginTOTP)
	mux.HandleFunc("POST /account/security/totp/confirm", p.confirmTOTP)
	mux.HandleFunc("POST /account/security/totp/disable", p.disableTOTP)
	mux.HandleFunc("POST /account/security/email", p.enableEmail)
	mux.HandleFunc("POST /account/security/email/disable", p.disableEmail)
	mux.HandleFunc("POST /account/security/recovery-codes", p.newRecoveryCodes)
	mux.HandleFunc("POST /account/security/passkeys/begin", p.passkeyRegistrationOptions)
	mux.HandleFunc("POST /account/security/passkeys", p.registerPasskey)
	mux.HandleFunc("POST /account/security/passkeys/{id}/rename", p.renamePasskey)
	mux.HandleFunc("POST /account/security/passkeys/{id}/delete", p.deletePasskey)
	p.enrollRoutes(mux)
}

// registerCookie carries a passkey registration's token from its begin to
// its finish, for minutes.
const registerCookie = "gatehouse-register"

// securityData is the overview of the user's second factors.
type securityData struct {
	Status   *mfa.Status
	Passkeys []passkey.Passkey
	// StepUp reports that adding or removing a factor needs the user to
	// confirm it is them first. The passkey script cannot follow the
	// step-up redirect, so the page links to it instead.
	StepUp        bool
	EmailVerified bool
}

// securityNotices are the texts of ?done=, the change just made.
var securityNotices = map[string]string{
	"totp_on":         "security.done.totp_on",
	"totp_off":        "security.done.totp_off",
	"email_on":        "security.done.email_on",
	"email_off":       "security.done.email_off",
	"passkey_added":   "security.done.passkey_added",
	"passkey_renamed": "security.done.passkey_renamed",
	"passkey_deleted": "security.done.passkey_deleted",
}

// Texts of refusals that read better on this page than the general ones,
// by the service's error code.
var (
	// removalTexts: a state conflict on removing a factor is the last one
	// a policy requires.
	removalTexts     = map[iam.Code]string{iam.CodeStateConflict: "security.required_factor"}
	enableEmailTexts = map[iam.Code]string{iam.CodeEmailNotVerified: "security.email.unverified"}
	addPasskeyTexts  = map[iam.Code]string{iam.CodeInvalid: "security.passkeys.failed", iam.CodeStateConflict: "security.passkeys.too_many"}
	renameTexts      = map[iam.Code]string{iam.CodeInvalid: "security.passkeys.bad_name"}
)

func (p *Pages) securityPage(w http.ResponseWriter, r *http.Request) {
	pr, ok := p.signedIn(w, r)
	if !ok {
		return
	}
	v, err := p.securityView(w, r, pr)
	if err != nil {
		p.WriteError(w, r, err)
		return
	}
	if key, ok := securityNotices[r.URL.Query().Get("done")]; ok {
		v.Notice = v.L.T(key)
	}
	p.render(w, r, "security", v)
}

// securityView is the overview page of the user's second factors.
func (p *Pages) securityView(w http.ResponseWriter, r *http.Request, pr *iam.Principal) (*view, error) {
	st, err := p.MFA.StatusOf(r.Context(), pr.TenantID, pr.UserID)
	if err != nil {
		return nil, err
	}
	keys, err := p.Passkeys.List(r.Context())
	if err != nil {
		return nil, err
	}
	stepUp := p.MFA.RequireRecentProof(r.Context(), pr)
	if stepUp != nil && !iam.IsCode(stepUp, iam.CodeMFAReauthRequired) {
		return nil, stepUp
	}
	v := p.newView(w, r, "security.title")
	v.Data = securityData{Status: st, Passkeys: keys, StepUp: stepUp != nil, EmailVerified: pr.User != nil && pr.User.EmailVerified}
	return v, nil
}

// securityForm admits a form of the security pages: from a signed-in
// browser, with its CSRF token. It answers the user, or nil after it
// answered the browser itself.
func (p *Pages) securityForm(w http.ResponseWriter, r *http.Request) *iam.Principal {
	pr := iam.PrincipalFrom(r.Context())
	if pr == nil || browserSession(r) == nil {
		// A form is posted from its page: that is where to come back to.
		http.Redirect(w, r, "/login?return_to="+url.QueryEscape(pageOf(r)), http.StatusSeeOther)
		return nil
	}
	if err := p.readForm(w, r); err != nil {
		p.WriteError(w, r, err)
		return nil
	}
	return pr
}

// changed answers a change of the user's factors: back to the overview
// with what was done, to the step-up page when the change needs it, or
// the overview with the refusal.
func (p *Pages) changed(w http.ResponseWriter, r *http.Request, pr *iam.Principal, err error, done string, texts map[iam.Code]string) {
	switch {
	case err == nil:
		http.Redirect(w, r, "/account/security?done="+done, http.StatusSeeOther)
	case p.needReauth(w, r, err):
	default:
		p.securityRefused(w, r, pr, err, texts)
	}
}

// refused answers a refused step of a change: the step-up page when it
// needs one, or the overview with the refusal.
func (p *Pages) refused(w http.ResponseWriter, r *http.Request, pr *iam.Principal, err error) {
	if !p.needReauth(w, r, err) {
		p.securityRefused(w, r, pr, err, nil)
	}
}

// securityRefused shows the overview with a refusal above it: a text of
// this page for the error's code, or the general one.
func (p *Pages) securityRefused(w http.ResponseWriter, r *http.Request, pr *iam.Principal, err error, texts map[iam.Code]string) {
	v, verr := p.securityView(w, r, pr)
	if verr != nil {
		p.WriteError(w, r, verr)
		return
	}
	if key, ok := texts[codeOf(err)]; ok {
		v.Status = statusOf(err)
		v.Alert = v.L.T(key)
	} else {
		p.formError(r, v, err)
	}
	p.render(w, r, "security", v)
}

// totpData is the page of a TOTP enrolment waiting for its code.
type totpData struct {
	Setup *totpSetup
}

// totpSetup is what the user's authenticator app needs, and where its code
// goes.
type totpSetup struct {
	Secret string
	QR     template.URL
	Action string
	Cancel string
}

// Grouped is the secret in groups of four, for typing it in.
func (s *totpSetup) Grouped() string {
	var b strings.Builder
	for i, c := range s.Secret {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// newTOTPSetup is the page of an enrolment: its QR code, a PNG the page
// holds as a data: URL, and its secret for typing in.
func newTOTPSetup(e *mfa.TOTPEnrollment, action, cancel string) *totpSetup {
	// The URL is built here from the PNG's bytes, which the service drew.
	qr := template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(e.QRPNG))
	return &totpSetup{Secret: e.Secret, QR: qr, Action: action, Cancel: cancel}
}

// codeRefused shows on a TOTP enrolment's page why its code was refused:
// next to the field when it is wrong, above the form when the enrolment
// expired.
func (p *Pages) codeRefused(r *http.Request, v *view, err error) {
	switch {
	case iam.IsCode(err, iam.CodeInvalid):
		v.Status = statusOf(err)
		v.setErrors(map[string]string{"code": v.L.T("security.totp.wrong")}, "code")
	case iam.IsCode(err, iam.CodeStateConflict):
		v.Status = statusOf(err)
		v.Alert = v.L.T("security.totp.expired")
	default:
		p.formError(r, v, err)
	}
}

const (
	totpConfirmPath = "/account/security/totp/confirm"
	securityPath    = "/account/security"
)

func (p *Pages) beginTOTP(w http.ResponseWriter, r *http.Request) {
	pr := p.securityForm(w, r)
	if pr == nil {
		return
	}
	e, err := p.MFA.BeginTOTP(r.Context(), pr)
	if err != nil {
		p.refused(w, r, pr, err)
		return
	}
	setup := newTOTPSetup(e, totpConfirmPath, securityPath)
	if err != nil {
		p.WriteError(w, r, err)
		return
	}
	v := p.newView(w, r, "security.totp.title")
	v.Data = totpData{Setup: setup}
	p.render(w, r, "security_totp", v)
}

func (p *Pages) confirmTOTP(w http.ResponseWriter, r *http.Request) {
	pr := p.securityForm(w, r)
	if pr == nil {
		return
	}
	err := p.MFA.ConfirmTOTP(r.Context(), pr, strings.TrimSpace(r.PostFormValue("code")))
	if err == nil {
		http.Redirect(w, r, "/account/security?done=totp_on", http.StatusSeeOther)
		return
	}
	pending, perr := p.MFA.PendingTOTP(r.Context(), pr)
	if perr != nil {
		p.securityRefused(w, r, pr, err, map[iam.Code]string{iam.CodeInvalid: "security.totp.wrong", iam.CodeStateConflict: "security.totp.expired"})
		return
	}
	v := p.newView(w, r, "security.totp.title")
	v.Data = totpData{Setup: newTOTPSetup(pending, totpConfirmPath, securityPath)}
	p.codeRefused(r, v, err)
	p.render(w, r, "security_totp", v)
}

func (p *Pages) disableTOTP(w http.ResponseWriter, r *http.Request) {
	if pr := p.securityForm(w, r); pr != nil {
		p.changed(w, r, pr, p.MFA.DisableTOTP(r.Context(), pr), "totp_off", removalTexts)
	}
}

func (p *Pages) enableEmail(w http.ResponseWriter, r *http.Request) {
	if pr := p.securityForm(w, r); pr != nil {
		p.changed(w, r, pr, p.MFA.EnableEmail(r.Context(), pr), "email_on", enableEmailTexts)
	}
}

func (p *Pages) disableEmail(w http.ResponseWriter, r *http.Request) {
	if pr := p.securityForm(w, r); pr != nil {
		p.changed(w, r, pr, p.MFA.DisableEmail(r.Context(), pr), "email_off", removalTexts)
	}
}

// newRecoveryCodes replaces the user's recovery codes and shows the new
// ones in this answer, the only time they are shown.
func (p *Pages) newRecoveryCodes(w http.ResponseWriter, r *http.Request) {
	pr := p.securityForm(w, r)
	if pr == nil {
		return
	}
	codes, err := p.MFA.NewRecoveryCodes(r.Context(), pr)
	if err != nil {
		p.refused(w, r, pr, err)
		return
	}
	v := p.newView(w, r, "security.codes.title")
	v.Data = codes
	p.render(w, r, "security_codes", v)
}

// passkeyRegistrationOptions starts registering a passkey for the page's
// script; the ceremony's token waits in a cookie of its own.
func (p *Pages) passkeyRegistrationOptions(w http.ResponseWriter, r *http.Request) {
	if iam.PrincipalFrom(r.Context()) == nil || browserSession(r) == nil {
		p.WriteError(w, r, iam.Errorf(iam.CodeUnauthenticated, "sign in first"))
		return
	}
	if !p.checkCSRF(w, r) {
		p.WriteError(w, r, errCSRF)
		return
	}
	token, options, err := p.Passkeys.BeginRegistration(r.Context())
	if err != nil {
		p.WriteError(w, r, err)
		return
	}
	c := p.cookie(r, registerCookie, token, time.Time{})
	c.MaxAge = int(passkeyTTL.Seconds())
	http.SetCookie(w, c)
	writeOptions(w, options)
}

func (p *Pages) registerPasskey(w http.ResponseWriter, r *http.Request) {
	pr := p.securityForm(w, r)
	if pr == nil {
		return
	}
	var token string
	if c, err := r.Cookie(p.cookieName(r, registerCookie)); err == nil {
		token = c.Value
	}
	p.clearCookie(w, r, registerCookie)
	_, err := p.Passkeys.FinishRegistration(r.Context(), token, r.PostFormValue("name"), json.RawMessage(r.PostFormValue("credential")))
	p.changed(w, r, pr, err, "passkey_added", addPasskeyTexts)
}

func (p *Pages) renamePasskey(w http.ResponseWriter, r *http.Request) {
	if pr := p.securityForm(w, r); pr != nil {
		_, err := p.Passkeys.Rename(r.Context(), r.PathValue("id"), r.PostFormValue("name"))
		p.changed(w, r, pr, err, "passkey_renamed", renameTexts)
	}
}

func (p *Pages) deletePasskey(w http.ResponseWriter, r *http.Request) {
	if pr := p.securityForm(w, r); pr != nil {
		p.changed(w, r, pr, p.Passkeys.Delete(r.Context(), r.PathValue("id")), "passkey_deleted", removalTexts)
	}
}
