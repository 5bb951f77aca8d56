package pages

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// csrfField is the hidden field of every form, and the header the passkey
// script sends.
const (
	csrfField  = "csrf"
	csrfHeader = "X-CSRF-Token"
)

// csrfToken is the browser's CSRF token, a random value kept in a cookie of
// its own and repeated in every form (double submit). It is replaced at
// sign-in and sign-out, so a form of one session never passes in another.
func (p *Pages) csrfToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(p.cookieName(r, csrfCookie)); err == nil && wellFormedCSRF(c.Value) {
		return c.Value
	}
	return p.newCSRF(w, r)
}

// newCSRF sets a new CSRF cookie and answers its value.
func (p *Pages) newCSRF(w http.ResponseWriter, r *http.Request) string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	tok := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, p.cookie(r, csrfCookie, tok, time.Time{}))
	return tok
}

func wellFormedCSRF(v string) bool {
	b, err := base64.RawURLEncoding.DecodeString(v)
	return err == nil && len(b) == 32
}

// checkCSRF reports whether a posted form carries the browser's token. A
// refusal is audited: it is a forged request, or a form left open across a
// sign-out.
func (p *Pages) checkCSRF(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	c, err := r.Cookie(p.cookieName(r, csrfCookie))
	sent := r.PostFormValue(csrfField)
	if sent == "" {
		sent = r.Header.Get(csrfHeader)
	}
	if err == nil && wellFormedCSRF(c.Value) && subtle.ConstantTimeCompare([]byte(c.Value), []byte(sent)) == 1 {
		return true
	}
	p.auditRefusal(r, "csrf")
	return false
}

// auditRefusal records a form refused as forged: without the browser's
// token, or from another origin.
func (p *Pages) auditRefusal(r *http.Request, reason string) {
	t := iam.TenantFrom(r.Context())
	if t == nil {
		return
	}
	path := LoggedPath(r.URL.Path)
	if len(path) > 128 {
		path = path[:128]
	}
	e := audit.Event(r.Context(), p.Now(), t.ID, "pages.form_refused", iam.Ref{Type: "page", ID: strings.ToValidUTF8(path, "")}, iam.ResultFailure,
		map[string]any{"reason": reason})
	if pr := iam.PrincipalFrom(r.Context()); pr != nil {
		e.Actor = pr.Ref()
	}
	if err := p.Audit.AppendAudit(r.Context(), e); err != nil {
		iam.RecordCause(r.Context(), err)
	}
}

// errCSRF is the answer to a form without the browser's token.
var errCSRF = &iam.Error{Code: iam.CodeForbidden, Message: "the form expired", Details: map[string]any{"reason": "csrf"}}
