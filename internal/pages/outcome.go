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

// fieldErrors puts a CodeInvalid refusal of a form next to the fields it
// names, in the visitor's language; nil when it names none.
func (l *locale) fieldErrors(err error) map[string]string {
	problems := fieldProblems(err)
	if len(problems) == 0 {
		return nil
	}
	out := make(map[string]string, len(problems))
	for field := range problems {
		key := "form.invalid." + field
		if _, ok := l.fallback[key]; !ok {
			key = "error.class.invalid"
		}
		out[field] = l.T(key)
	}
	return out
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
