package pages

import (
	"net/http"
	"time"
)

// The cookies of the pages. Over https each gets the __Host- prefix: the
// browser then holds it to this host, path / and Secure, so a sibling
// subdomain cannot plant one.
const (
	sessionCookie = "gatehouse"
	csrfCookie    = "gatehouse-csrf"
	// stepCookie carries a sign-in between its password and its second
	// step (the mfa or enrolment token), for minutes.
	stepCookie = "gatehouse-step"
)

func (p *Pages) cookieName(r *http.Request, name string) string {
	if p.secure(r) {
		return "__Host-" + name
	}
	return name
}

// cookie is one of the pages' cookies: HttpOnly, SameSite=Lax, path /;
// a zero expires makes it last until the browser closes.
func (p *Pages) cookie(r *http.Request, name, value string, expires time.Time) *http.Cookie {
	return &http.Cookie{Name: p.cookieName(r, name), Value: value, Path: "/", Expires: expires,
		HttpOnly: true, Secure: p.secure(r), SameSite: http.SameSiteLaxMode}
}

// clearCookie removes one of the pages' cookies.
func (p *Pages) clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	c := p.cookie(r, name, "", time.Time{})
	c.MaxAge = -1
	http.SetCookie(w, c)
}
