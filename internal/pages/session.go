package pages

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/account"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// browserKey holds the request's browser session in its context.
type browserKey struct{}

// Session attaches the user of the browser's session cookie to the request,
// as the REST API's bearer authentication does; a cookie that no longer
// signs in (ended, expired, tampered, another tenant's) is removed and the
// request goes on as a visitor's.
func (p *Pages) Session(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(p.cookieName(r, sessionCookie))
		if err != nil || c.Value == "" {
			next.ServeHTTP(w, r)
			return
		}
		pr, bs, err := p.Account.AuthenticateBrowser(r.Context(), c.Value)
		switch {
		case iam.IsCode(err, iam.CodeInvalidToken):
			p.clearCookie(w, r, sessionCookie)
			next.ServeHTTP(w, r)
		case err != nil:
			p.WriteError(w, r, err)
		default:
			ctx := context.WithValue(iam.WithPrincipal(r.Context(), pr), browserKey{}, bs)
			next.ServeHTTP(w, r.WithContext(ctx))
		}
	})
}

// browserSession is the request's browser session, nil for a visitor.
func browserSession(r *http.Request) *account.BrowserSession {
	bs, _ := r.Context().Value(browserKey{}).(*account.BrowserSession)
	return bs
}

// signedIn is the signed-in user of the request; a visitor is sent to the
// sign-in page, to come back here after.
func (p *Pages) signedIn(w http.ResponseWriter, r *http.Request) (*iam.Principal, bool) {
	pr := iam.PrincipalFrom(r.Context())
	if pr != nil && browserSession(r) != nil {
		return pr, true
	}
	back := r.URL.Path
	if r.Method == http.MethodGet && r.URL.RawQuery != "" {
		back += "?" + r.URL.RawQuery
	}
	http.Redirect(w, r, "/login?return_to="+url.QueryEscape(back), http.StatusSeeOther)
	return nil, false
}

// setSession hands the browser its session cookie: until the browser
// closes, or until the session's end when the user asked to stay signed
// in. The CSRF token is replaced with it, so that no form from before the
// sign-in passes after it.
func (p *Pages) setSession(w http.ResponseWriter, r *http.Request, bs *account.BrowserSession) {
	var expires time.Time
	if bs.Persistent {
		expires = bs.ExpiresAt
	}
	http.SetCookie(w, p.cookie(r, sessionCookie, bs.Secret, expires))
	p.newCSRF(w, r)
}

// signIn hands the browser the session it just signed in to. A session
// the browser held before ends, so that a sign-in on a shared computer
// leaves no earlier one alive and out of reach.
func (p *Pages) signIn(w http.ResponseWriter, r *http.Request, bs *account.BrowserSession) {
	if browserSession(r) != nil {
		if err := p.Account.Logout(r.Context(), false); err != nil {
			iam.RecordCause(r.Context(), err)
		}
	}
	p.clearCookie(w, r, stepCookie)
	p.setSession(w, r, bs)
}

// endSession removes the session cookie and the CSRF token after sign-out.
func (p *Pages) endSession(w http.ResponseWriter, r *http.Request) {
	p.clearCookie(w, r, sessionCookie)
	p.clearCookie(w, r, stepCookie)
	p.newCSRF(w, r)
}
