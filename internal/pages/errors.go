package pages

import (
	"errors"
	"net/http"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// errorPage is what the error page shows besides the message: where to go
// next.
type errorPage struct {
	Message string
	// Next is the message key of the advice, Link where it leads.
	Next, Link, LinkText string
}

// WriteError answers with the error page in the tenant's look: this
// surface never answers JSON. Internal causes are recorded for the log and
// never shown.
func (p *Pages) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	code := codeOf(err)
	var e *iam.Error
	if !errors.As(err, &e) || e.Err != nil || code.Class() == iam.ClassInternal {
		iam.RecordCause(r.Context(), err)
	}
	v := p.newView(w, r, classKey(code.Class())+".heading")
	v.Status = statusOf(err)
	page := errorPage{Message: v.L.errorText(err),
		Next: "error.next.home", Link: "/account", LinkText: "error.link.home"}
	switch code.Class() {
	case iam.ClassNotFound:
		page.Next = "error.next.not_found"
	case iam.ClassInternal, iam.ClassUnavailable:
		page.Next, page.Link, page.LinkText = "error.next.retry", r.URL.Path, "error.link.retry"
	case iam.ClassUnauthenticated:
		page.Next, page.Link, page.LinkText = "error.next.sign_in", "/login", "error.link.sign_in"
	case iam.ClassRateLimited:
		page.Next, page.Link, page.LinkText = "error.next.wait", r.URL.Path, "error.link.retry"
	}
	v.Data = page
	t, ok, parseErr := p.templates.lookup(v.L.Lang, "error")
	if parseErr != nil {
		iam.RecordCause(r.Context(), parseErr)
	}
	if !ok || parseErr != nil {
		http.Error(w, http.StatusText(v.Status), v.Status)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(v.Status)
	if err := t.ExecuteTemplate(w, "layout", v); err != nil {
		iam.RecordCause(r.Context(), err)
	}
}
