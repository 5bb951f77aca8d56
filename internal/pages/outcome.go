package pages

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/password"
	"github.com/gatehouse-iam/gatehouse/internal/settings"
)

// outcome is the page a public form ends on: what happened and where to
// go next. Texts are message keys; Args fill the message's verbs.
type outcome struct {
	Message string
	Args    []any
	// Next is an optional second paragraph.
	Next           string
	Link, LinkText string
}

// outcomeText is the outcome as the template shows it: the lead message
// translated and filled in.
type outcomeText struct {
	Lead, Next, Link, LinkText string
}

// renderOutcome renders the outcome page with the title key and status.
func (p *Pages) renderOutcome(w http.ResponseWriter, r *http.Request, title string, status int, o outcome) {
	v := p.newView(w, r, title)
	v.Status = status
	v.Data = outcomeText{Lead: v.L.T(o.Message, o.Args...), Next: o.Next, Link: o.Link, LinkText: o.LinkText}
	p.render(w, r, "outcome", v)
}

// renderInvalidLink answers a link whose token is bad, expired, used or of
// another tenant: the form is not shown again, and the page leads to where
// a new link comes from.
func (p *Pages) renderInvalidLink(w http.ResponseWriter, r *http.Request, err error, next, link, linkText string) {
	p.renderOutcome(w, r, "link.invalid.title", statusOf(err),
		outcome{Message: "link.invalid", Next: next, Link: link, LinkText: linkText})
}

// tenantSettings are the settings of the request's tenant.
func (p *Pages) tenantSettings(r *http.Request) (*settings.Settings, error) {
	t := iam.TenantFrom(r.Context())
	if t == nil {
		return nil, iam.Errorf(iam.CodeTenantNotFound, "no tenant")
	}
	return p.Settings.For(r.Context(), t.ID)
}

// policyText is the translated list of the password rules a
// CodePasswordPolicy error names.
func (l *locale) policyText(err error, st *settings.Settings) string {
	var e *iam.Error
	var violations []map[string]string
	if errors.As(err, &e) {
		violations, _ = e.Details["violations"].([]map[string]string)
	}
	texts := make([]string, 0, len(violations))
	for _, v := range violations {
		switch rule := v["rule"]; rule {
		case password.RuleMinLength:
			texts = append(texts, l.T("password.rule.min_length", st.Password.MinLength))
		case password.RuleMaxLength:
			texts = append(texts, l.T("password.rule.max_length", st.Password.MaxLength))
		case password.RuleCommon, password.RulePersonal, password.RuleStrength:
			texts = append(texts, l.T("password.rule."+rule))
		}
	}
	if len(texts) == 0 {
		return l.T("password.rule.other")
	}
	return strings.Join(texts, " ")
}

// formView is a page showing a posted form again: what was typed (never a
// password, which the templates do not echo) and the errors.
func formView(v *view, form url.Values, status int, errs map[string]string, fields ...string) {
	v.Form = form
	v.Status = status
	v.setErrors(errs, fields...)
}

// formError shows a service's refusal on the form: next to the fields it
// names (the rules a password broke next to its field), or above the form.
// fields lists the form's fields in order.
func (p *Pages) formError(r *http.Request, v *view, err error, fields ...string) {
	v.Status = statusOf(err)
	if v.Status >= http.StatusInternalServerError {
		iam.RecordCause(r.Context(), err)
	}
	errs := v.L.fieldErrors(err)
	var e *iam.Error
	if errors.As(err, &e) && e.Code == iam.CodePasswordPolicy {
		if st, serr := p.tenantSettings(r); serr == nil {
			field, _ := e.Details["field"].(string)
			errs = map[string]string{field: v.L.policyText(err, st)}
		}
	}
	if len(errs) == 0 {
		v.Alert = v.L.errorText(err)
		return
	}
	v.setErrors(errs, fields...)
}
