package pages

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/gatehouse-iam/gatehouse/internal/httpapi"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// templateSets holds one template set per language and page: the layout
// and shared parts, and the page's own file, which defines "content" (and
// may define "head"). Each text a template names without arguments
// ({{.L.T "key"}}) is written into that language's set as it is parsed, so
// that rendering does not look it up for every page.
//
// A set is parsed on its first render, not at start: all of them hold
// about 3 MB and take 5 MB of allocations to build, which a server that
// is only restarted, or serves only the API, would carry for nothing.
// TestTemplatesParse parses every set, so a broken template still fails
// the build's tests rather than a visitor's request.
type templateSets map[string]map[string]func() (*template.Template, error)

// lookup returns the set of page name in language lang, parsing it on
// first use; ok is false when there is no such page.
func (s templateSets) lookup(lang, name string) (t *template.Template, ok bool, err error) {
	parse, ok := s[lang][name]
	if !ok {
		return nil, false, nil
	}
	t, err = parse()
	return t, true, err
}

func newTemplateSets(fsys fs.FS, cat catalog) (templateSets, error) {
	all, err := fs.Glob(fsys, "templates/*.html")
	if err != nil {
		return nil, err
	}
	sources := map[string]string{}
	for _, f := range all {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		sources[path.Base(f)] = string(b)
	}
	// Shared are the layout and the files of parts, parts*.html.
	shared := []string{"layout.html"}
	var own []string
	for _, f := range all {
		switch base := path.Base(f); {
		case base == "layout.html":
		case strings.HasPrefix(base, "parts"):
			shared = append(shared, base)
		default:
			own = append(own, base)
		}
	}
	out := templateSets{}
	for lang, texts := range cat {
		out[lang] = map[string]func() (*template.Template, error){}
		for _, f := range own {
			name := strings.TrimSuffix(f, ".html")
			out[lang][name] = sync.OnceValues(func() (*template.Template, error) {
				t := template.New(name).Funcs(funcs)
				for _, src := range append(slices.Clone(shared), f) {
					if _, err := t.New(src).Parse(fixedTexts(sources[src], texts)); err != nil {
						return nil, fmt.Errorf("template %s: %w", src, err)
					}
				}
				return t, nil
			})
		}
	}
	return out, nil
}

// fixedText is a text without arguments that a template names.
var fixedText = regexp.MustCompile(`\{\{\$?\.L\.T "([^"]+)"\}\}`)

// fixedTexts writes the catalog's texts into a template's source, escaped
// for HTML; a key the catalog lacks stays a call, which shows the key.
func fixedTexts(src string, texts map[string]string) string {
	return fixedText.ReplaceAllStringFunc(src, func(call string) string {
		text, ok := texts[fixedText.FindStringSubmatch(call)[1]]
		if !ok {
			return call
		}
		return html.EscapeString(text)
	})
}

// funcs are the helpers every template may call.
var funcs = template.FuncMap{
	// field builds the arguments of the "field" template.
	"join": func(s []string) string { return strings.Join(s, " ") },
	"field": func(v *view, name, typ, label, autocomplete string) fieldArgs {
		return fieldArgs{V: v, Name: name, Type: typ, Label: label, Autocomplete: autocomplete}
	},
}

// fieldArgs are one form control with its label and error.
type fieldArgs struct {
	V                               *view
	Name, Type, Label, Autocomplete string
}

// Value is what the visitor typed, shown again; never a password.
func (f fieldArgs) Value() string {
	if f.Type == "password" || f.V.Form == nil {
		return ""
	}
	return f.V.Form.Get(f.Name)
}

// Error is the field's error, translated.
func (f fieldArgs) Error() string { return f.V.Errors[f.Name] }

// First reports whether the field holds the page's first error, which
// takes the focus.
func (f fieldArgs) First() bool { return f.V.firstError == f.Name }

// brand is how the tenant shows on its pages.
type brand struct {
	Name    string
	LogoURL string
}

// view is what every page template gets.
type view struct {
	L     *locale
	Brand brand
	// Title is the message key of the page's title.
	Title string
	CSRF  string
	// User is the signed-in user, nil for a visitor.
	User *iam.User
	// Alert is an error about the whole form, Notice a success; both
	// translated.
	Alert, Notice string
	// Errors are the translated errors of fields, by field name.
	Errors     map[string]string
	firstError string
	// Form is what was posted, shown again when the page has errors.
	Form   url.Values
	Langs  []langLink
	Status int
	// Wide pages hold tables.
	Wide bool
	// Data is the page's own.
	Data any
	// formReturn is where the page's form goes on to, when that is not its
	// return_to.
	formReturn string
	// formTargets are other origins the page's forms lead to: external
	// providers' sign-in.
	formTargets []string
}

// setErrors records field errors; fields lists the form's fields in
// order, so that the first error in the form takes the focus.
func (v *view) setErrors(errs map[string]string, fields ...string) {
	v.Errors = errs
	v.firstError = ""
	for _, f := range fields {
		if _, ok := errs[f]; ok {
			v.firstError = f
			return
		}
	}
	names := make([]string, 0, len(errs))
	for n := range errs {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) > 0 {
		v.firstError = names[0]
	}
}

// newView starts the view of a page: the tenant's look, the visitor's
// language and the CSRF token every form carries.
func (p *Pages) newView(w http.ResponseWriter, r *http.Request, title string) *view {
	l := p.locale(w, r)
	v := &view{L: l, Title: title, Brand: p.brand(r), Langs: p.langLinks(r, l.Lang), Status: http.StatusOK}
	if pr := iam.PrincipalFrom(r.Context()); pr != nil {
		v.User = pr.User
	}
	v.CSRF = p.csrfToken(w, r)
	return v
}

// brand reads the tenant's branding settings; a tenant that set none shows
// its name.
func (p *Pages) brand(r *http.Request) brand {
	t := iam.TenantFrom(r.Context())
	if t == nil {
		return brand{Name: "Gatehouse"}
	}
	b := brand{Name: t.Name}
	if st, err := p.Settings.For(r.Context(), t.ID); err == nil {
		if st.Branding.DisplayName != "" {
			b.Name = st.Branding.DisplayName
		}
		b.LogoURL = st.Branding.LogoURL
	}
	return b
}

// render writes the page, or the error page if it cannot be rendered.
// Rendering into a buffer first means a template error never leaves half
// a page.
func (p *Pages) render(w http.ResponseWriter, r *http.Request, name string, v *view) {
	t, ok, err := p.templates.lookup(v.L.Lang, name)
	if !ok {
		err = fmt.Errorf("no template %q", name)
	}
	if err != nil {
		p.WriteError(w, r, iam.Internal(err))
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		p.WriteError(w, r, iam.Internal(err))
		return
	}
	p.allowFormTargets(w, r, v)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(v.Status)
	_, _ = buf.WriteTo(w)
}

// allowFormTargets widens the page's form-action to the providers its
// form may lead to and the application it leads on to, if any.
func (p *Pages) allowFormTargets(w http.ResponseWriter, r *http.Request, v *view) {
	targets := v.formTargets
	next := v.formReturn
	if next == "" {
		next = r.URL.Query().Get("return_to")
	}
	if next == "" && r.PostForm != nil {
		next = r.PostForm.Get("return_to")
	}
	if next = safeReturn(next, ""); next != "" && p.OAuth != nil {
		targets = append(targets, p.OAuth.FormTargets(r.Context(), next)...)
	}
	if len(targets) > 0 {
		w.Header().Set("Content-Security-Policy", policyWithFormTargets(targets))
	}
}

// statusOf is the HTTP status of a service error, as the REST API answers.
func statusOf(err error) int { return httpapi.StatusOf(codeOf(err).Class()) }

// codeOf is the service error's code, internal for anything else.
func codeOf(err error) iam.Code {
	var e *iam.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return iam.CodeInternal
}

// fieldErrors are the translated errors of the fields a validation error
// names; a field without a text of its own in the catalog gets the general
// one, so that no service text in English shows on a German page.
func (l *locale) fieldErrors(err error) map[string]string {
	var e *iam.Error
	if !errors.As(err, &e) || e.Details == nil {
		return nil
	}
	var names []string
	switch f := e.Details["fields"].(type) {
	case map[string]string:
		for k := range f {
			names = append(names, k)
		}
	case map[string]any:
		for k := range f {
			names = append(names, k)
		}
	}
	if len(names) == 0 {
		return nil
	}
	out := make(map[string]string, len(names))
	for _, name := range names {
		out[name] = l.orElse("field."+name, l.T("error.class.invalid"))
	}
	return out
}

// orElse is the text of key, or text when the catalog has none.
func (l *locale) orElse(key, text string) string {
	if _, ok := l.fallback[key]; ok {
		return l.T(key)
	}
	return text
}

// errorText is the translated message of a service error: a text of the
// catalog by the error's code, or by its class when the code has none.
func (l *locale) errorText(err error) string {
	if errors.Is(err, errCSRF) {
		return l.T("error.csrf")
	}
	code := codeOf(err)
	return l.orElse("error."+string(code), l.T(classKey(code.Class())))
}

func classKey(c iam.Class) string {
	switch c {
	case iam.ClassInvalid:
		return "error.class.invalid"
	case iam.ClassUnauthenticated:
		return "error.class.unauthenticated"
	case iam.ClassForbidden:
		return "error.class.forbidden"
	case iam.ClassNotFound:
		return "error.class.not_found"
	case iam.ClassConflict, iam.ClassStateConflict:
		return "error.class.conflict"
	case iam.ClassRateLimited:
		return "error.class.rate_limited"
	case iam.ClassUnavailable:
		return "error.class.unavailable"
	case iam.ClassTooLarge:
		return "error.class.too_large"
	}
	return "error.class.internal"
}
