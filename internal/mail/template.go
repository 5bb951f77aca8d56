package mail

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io"
	"net/url"
	"slices"
	"strings"
	texttemplate "text/template"
	"text/template/parse"
	"time"
	"unicode"
	"unicode/utf8"
)

// The message kinds. Each has a default template; a tenant may override it.
const (
	// KindVerifyEmail asks a new user to confirm their address. Needs Link.
	KindVerifyEmail = "verify_email"
	// KindSignupExists tells the owner of an address that someone tried to
	// sign up with it; the signup itself answers as if it were new. Link, if
	// any, is the sign-in page.
	KindSignupExists = "signup_exists"
	// KindPasswordReset carries a password-reset link. Needs Link.
	KindPasswordReset = "password_reset"
	// KindPasswordChanged tells a user their password changed. Link, if any,
	// is where to reset it.
	KindPasswordChanged = "password_changed"
	// KindEmailChangeConfirm goes to the new address with the link that
	// confirms the change. Needs Link and NewEmail.
	KindEmailChangeConfirm = "email_change_confirm"
	// KindEmailChangeNotice tells the old address that a change to NewEmail
	// was asked for. Needs NewEmail.
	KindEmailChangeNotice = "email_change_notice"
	// KindInvitation invites someone to sign up. Needs Link.
	KindInvitation = "invitation"
	// KindMFACode carries a sign-in or step-up code. Needs Code.
	KindMFACode = "mfa_code"
	// KindCredentialExpiring warns the owner of an API or service
	// credential that it expires soon. Needs Credential and ExpiresAt.
	KindCredentialExpiring = "credential_expiring"
)

// The data fields templates may read, as keys of the data map.
const (
	FieldLink         = "Link"         // the single-use link
	FieldCode         = "Code"         // a one-time sign-in code
	FieldName         = "Name"         // the recipient's name
	FieldEmail        = "Email"        // the account's address; Queue fills in the recipient when absent
	FieldNewEmail     = "NewEmail"     // the address an email change goes to
	FieldTenant       = "Tenant"       // the tenant's display name
	FieldExpiresIn    = "ExpiresIn"    // how long Link works, e.g. "30 minutes" (see ExpiresIn)
	FieldInviter      = "Inviter"      // who sent an invitation
	FieldOrganization = "Organization" // the organization an invitation is for
	FieldCredential   = "Credential"   // the name of an expiring credential
	FieldExpiresAt    = "ExpiresAt"    // when it expires, RFC 3339 UTC
)

// fields lists every data field, each with the value ValidateTemplate renders
// sample templates with.
var fields = map[string]string{
	FieldLink:         "https://gatehouse.example/link/SAMPLE-TOKEN-0123456789",
	FieldCode:         "123456",
	FieldName:         "Ada Lovelace",
	FieldEmail:        "ada@example.com",
	FieldNewEmail:     "ada.lovelace@example.org",
	FieldTenant:       "Example Inc.",
	FieldExpiresIn:    "30 minutes",
	FieldInviter:      "Charles Babbage",
	FieldOrganization: "Analytical Engines",
	FieldCredential:   "deploy-pipeline",
	FieldExpiresAt:    "2026-12-24T09:00:00Z",
}

// kinds maps every kind to the fields it cannot do without.
var kinds = map[string][]string{
	KindVerifyEmail:        {FieldLink},
	KindSignupExists:       nil,
	KindPasswordReset:      {FieldLink},
	KindPasswordChanged:    nil,
	KindEmailChangeConfirm: {FieldLink, FieldNewEmail},
	KindEmailChangeNotice:  {FieldNewEmail},
	KindInvitation:         {FieldLink},
	KindMFACode:            {FieldCode},
	KindCredentialExpiring: {FieldCredential, FieldExpiresAt},
}

// Kinds lists the message kinds, sorted.
func Kinds() []string {
	out := make([]string, 0, len(kinds))
	for k := range kinds {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Template is one message kind's templates: the subject and plain-text body
// in text/template syntax, the HTML body in html/template syntax. In a
// tenant's override an empty part keeps the default.
type Template struct {
	Subject string
	Text    string
	HTML    string
}

// Limits on templates and what they render.
const (
	maxTemplateBytes = 64 << 10  // each part of an override
	maxRenderBytes   = 256 << 10 // each rendered part
	maxSubjectRunes  = 200       // the rendered subject, after cleaning
)

//go:embed templates
var defaultFiles embed.FS

// compiled is a kind's parsed templates.
type compiled struct {
	subject *texttemplate.Template
	text    *texttemplate.Template
	html    *htmltemplate.Template
}

// defaults holds every kind's embedded templates, parsed once.
var defaults = func() map[string]*compiled {
	out := map[string]*compiled{}
	for kind := range kinds {
		t, err := DefaultTemplate(kind)
		if err == nil {
			var c *compiled
			if c, err = compile(t); err == nil {
				out[kind] = c
				continue
			}
		}
		panic(fmt.Sprintf("mail: default template %s: %v", kind, err))
	}
	return out
}()

// DefaultTemplate returns the embedded templates of kind, e.g. to show them
// to an admin who writes an override.
func DefaultTemplate(kind string) (Template, error) {
	if _, ok := kinds[kind]; !ok {
		return Template{}, fmt.Errorf("unknown message kind %q", kind)
	}
	read := func(name string) (string, error) {
		b, err := defaultFiles.ReadFile("templates/" + kind + "/" + name)
		return string(b), err
	}
	var t Template
	var errs [3]error
	t.Subject, errs[0] = read("subject.tmpl")
	t.Text, errs[1] = read("text.tmpl")
	t.HTML, errs[2] = read("html.tmpl")
	return t, errors.Join(errs[:]...)
}

// compile parses the three parts of t; every part must be set.
func compile(t Template) (*compiled, error) {
	var (
		c    compiled
		err  error
		errs []error
	)
	if c.subject, err = parseText("subject", t.Subject); err != nil {
		errs = append(errs, err)
	}
	if c.text, err = parseText("text", t.Text); err != nil {
		errs = append(errs, err)
	}
	if c.html, err = parseHTML(t.HTML); err != nil {
		errs = append(errs, err)
	}
	return &c, errors.Join(errs...)
}

func parseText(part, src string) (*texttemplate.Template, error) {
	if err := checkSource(part, src); err != nil {
		return nil, err
	}
	t, err := texttemplate.New(part).Option("missingkey=zero").Parse(src)
	if err != nil {
		return nil, partError(part, err)
	}
	return t, nil
}

func parseHTML(src string) (*htmltemplate.Template, error) {
	if err := checkSource("html", src); err != nil {
		return nil, err
	}
	t, err := htmltemplate.New("html").Option("missingkey=zero").Parse(src)
	if err != nil {
		return nil, partError("html", err)
	}
	return t, nil
}

// checkSource bounds a template's size and allows only what a mail needs:
// text, {{.Field}} actions with the functions of allowedFuncs, if, with and
// else.
// range (which loops up to any number), define, template and block (which
// recurse) are refused, so no template can run for long.
func checkSource(part, src string) error {
	if len(src) > maxTemplateBytes {
		return fmt.Errorf("%s: longer than %d bytes", part, maxTemplateBytes)
	}
	if !utf8.ValidString(src) {
		return fmt.Errorf("%s: not valid UTF-8", part)
	}
	trees, err := parse.Parse(part, src, "", "", builtinFuncs)
	if err != nil {
		return partError(part, err)
	}
	if len(trees) > 1 {
		return fmt.Errorf("%s: define and block are not allowed", part)
	}
	for _, tree := range trees {
		if err := checkNode(tree.Root); err != nil {
			return fmt.Errorf("%s: %w", part, err)
		}
	}
	return nil
}

// builtinFuncs names the functions text/template and html/template define,
// so that parse accepts them; their use is checked again when executed.
var builtinFuncs = func() map[string]any {
	m := map[string]any{}
	for _, name := range []string{"and", "or", "not", "len", "index", "slice", "print", "printf", "println",
		"html", "js", "urlquery", "eq", "ne", "lt", "le", "gt", "ge", "call"} {
		m[name] = true // parse only asks whether a name is defined
	}
	return m
}()

// allowedFuncs are the functions a template may call. The others could
// build a value of any size before anything is written, out of reach of
// maxRenderBytes: printf "%0999999d", nested printf "%s%s…" or chained
// escapers multiply a value at each step (a few hundred bytes of template
// took gigabytes). html/template escapes the HTML part by itself.
var allowedFuncs = map[string]bool{"and": true, "or": true, "not": true, "len": true, "index": true,
	"eq": true, "ne": true, "lt": true, "le": true, "gt": true, "ge": true}

func checkNode(n parse.Node) error {
	switch n := n.(type) {
	case nil:
		return nil
	case *parse.ListNode:
		if n == nil {
			return nil
		}
		for _, c := range n.Nodes {
			if err := checkNode(c); err != nil {
				return err
			}
		}
	case *parse.ActionNode:
		return checkPipe(n.Pipe)
	case *parse.IfNode:
		return errors.Join(checkPipe(n.Pipe), checkNode(n.List), checkNode(n.ElseList))
	case *parse.WithNode:
		return errors.Join(checkPipe(n.Pipe), checkNode(n.List), checkNode(n.ElseList))
	case *parse.RangeNode:
		return errors.New("range is not allowed")
	case *parse.TemplateNode:
		return errors.New("template and block are not allowed")
	}
	return nil
}

// checkPipe refuses a call of a function not in allowedFuncs anywhere in
// pipe, its parenthesised arguments included.
func checkPipe(pipe *parse.PipeNode) error {
	if pipe == nil {
		return nil
	}
	for _, cmd := range pipe.Cmds {
		for _, arg := range cmd.Args {
			switch a := arg.(type) {
			case *parse.IdentifierNode:
				if !allowedFuncs[a.Ident] {
					return fmt.Errorf("function %s is not allowed (only and, or, not, len, index, eq, ne, lt, le, gt, ge)", a.Ident)
				}
			case *parse.PipeNode:
				if err := checkPipe(a); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// partError names the part in a parse or execution error, dropping the
// template name text/template puts first.
func partError(part string, err error) error {
	msg := err.Error()
	for _, prefix := range []string{"template: ", "html/template:", part + ":"} {
		msg = strings.TrimPrefix(msg, prefix)
	}
	if msg != "" && msg[0] >= '0' && msg[0] <= '9' {
		msg = "line " + msg
	}
	return fmt.Errorf("%s: %s", part, strings.TrimSpace(msg))
}

// rendered is a mail's subject and bodies.
type rendered struct {
	subject, text, html string
}

type executor interface {
	Execute(w io.Writer, data any) error
}

// execute runs t on data into at most maxRenderBytes.
func execute(part string, t executor, data map[string]string) (string, error) {
	var w limitWriter
	if err := t.Execute(&w, data); err != nil {
		return "", partError(part, err)
	}
	return w.String(), nil
}

// limitWriter fails once more than maxRenderBytes are written, which stops
// template execution.
type limitWriter struct{ bytes.Buffer }

func (w *limitWriter) Write(p []byte) (int, error) {
	if w.Len()+len(p) > maxRenderBytes {
		return 0, fmt.Errorf("renders more than %d bytes", maxRenderBytes)
	}
	return w.Buffer.Write(p)
}

func (w *limitWriter) WriteString(s string) (int, error) { return w.Write([]byte(s)) }

// render renders kind with data, taking each part from override when it
// sets that part and it renders, and from the default otherwise: a broken
// override never stops a mail.
func render(kind string, data map[string]string, override Template) (rendered, error) {
	def := defaults[kind]
	var (
		r   rendered
		err error
	)
	r.subject = cleanSubject(renderPart("subject", override.Subject, data, parseTextPart))
	if r.subject == "" {
		if r.subject, err = execute("subject", def.subject, data); err != nil {
			return r, err
		}
		r.subject = cleanSubject(r.subject)
	}
	if r.text = renderPart("text", override.Text, data, parseTextPart); r.text == "" {
		if r.text, err = execute("text", def.text, data); err != nil {
			return r, err
		}
	}
	if r.html = renderPart("html", override.HTML, data, parseHTMLPart); r.html == "" {
		if r.html, err = execute("html", def.html, data); err != nil {
			return r, err
		}
	}
	return r, nil
}

func parseTextPart(part, src string) (executor, error) { return parseText(part, src) }
func parseHTMLPart(_, src string) (executor, error)    { return parseHTML(src) }

// renderPart renders an override part, or returns "" when it is unset or
// fails.
func renderPart(part, src string, data map[string]string, parse func(part, src string) (executor, error)) string {
	if strings.TrimSpace(src) == "" {
		return ""
	}
	t, err := parse(part, src)
	if err != nil {
		return ""
	}
	out, err := execute(part, t, data)
	if err != nil {
		return ""
	}
	return out
}

// ValidateTemplate checks a tenant's override of kind: every part that is
// set must parse, use only the allowed actions, name only known data fields,
// and render with sample data; a subject must render to some text; text and
// HTML bodies of kinds that carry a link must show it. The error names each
// bad part ("subject: …; html: …") and is fit to show the admin.
func ValidateTemplate(kind string, t Template) error {
	required, ok := kinds[kind]
	if !ok {
		return fmt.Errorf("unknown message kind %q; known kinds: %s", kind, strings.Join(Kinds(), ", "))
	}
	needsLink := slices.Contains(required, FieldLink)
	var problems []string
	check := func(part, src string, parse func(part, src string) (executor, error)) {
		if src == "" {
			return
		}
		tmpl, err := parse(part, src)
		if err != nil {
			problems = append(problems, err.Error())
			return
		}
		out, err := execute(part, strict(tmpl), fields)
		switch {
		case err != nil:
			problems = append(problems, err.Error())
		case part == "subject" && cleanSubject(out) == "":
			problems = append(problems, "subject: renders no text")
		case part == "subject" && strings.Contains(out, fields[FieldLink]):
			// Subjects show in mail lists and logs: the link never goes there.
			problems = append(problems, "subject: must not show {{.Link}}")
		case part != "subject" && needsLink && !strings.Contains(out, fields[FieldLink]):
			problems = append(problems, part+": must show {{.Link}}")
		}
	}
	check("subject", t.Subject, parseTextPart)
	check("text", t.Text, parseTextPart)
	check("html", t.HTML, parseHTMLPart)
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// strict makes a parsed template fail on data fields it does not know.
func strict(t executor) executor {
	switch t := t.(type) {
	case *texttemplate.Template:
		return t.Option("missingkey=error")
	case *htmltemplate.Template:
		return t.Option("missingkey=error")
	}
	return t
}

// cleanData checks data against kind and returns a copy whose values are
// single lines of text. Unknown keys and missing required fields are the
// caller's mistake; a Link must be an absolute http(s) URL.
func cleanData(kind, to string, data map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(fields))
	for k, v := range data {
		if _, ok := fields[k]; !ok {
			return nil, fmt.Errorf("mail %s: unknown data field %q", kind, k)
		}
		out[k] = cleanValue(v)
	}
	if out[FieldEmail] == "" {
		out[FieldEmail] = to
	}
	for _, k := range kinds[kind] {
		if out[k] == "" {
			return nil, fmt.Errorf("mail %s: data field %s is required", kind, k)
		}
	}
	if link := out[FieldLink]; link != "" {
		u, err := url.Parse(link)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("mail %s: Link must be an absolute http(s) URL", kind)
		}
	}
	return out, nil
}

// cleanValue turns every control character (line breaks included) into a
// space, so that a value is one line of text wherever a template puts it.
func cleanValue(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
}

// cleanSubject makes a rendered subject one line: control characters become
// spaces, runs of white space one space, and it is cut to maxSubjectRunes.
// No CR or LF ever reaches the Subject header.
func cleanSubject(s string) string {
	s = strings.Join(strings.Fields(cleanValue(s)), " ")
	if utf8.RuneCountInString(s) > maxSubjectRunes {
		runes := []rune(s)
		s = strings.TrimSpace(string(runes[:maxSubjectRunes-1])) + "…"
	}
	return s
}

// ExpiresIn writes d for the ExpiresIn field: "30 minutes", "1 hour",
// "7 days".
func ExpiresIn(d time.Duration) string {
	unit := func(n int64, name string) string {
		if n == 1 {
			return "1 " + name
		}
		return fmt.Sprintf("%d %ss", n, name)
	}
	switch {
	case d >= 48*time.Hour && d%(24*time.Hour) == 0:
		return unit(int64(d/(24*time.Hour)), "day")
	case d >= time.Hour && d%time.Hour == 0:
		return unit(int64(d/time.Hour), "hour")
	case d >= time.Minute:
		return unit(int64((d+time.Minute-1)/time.Minute), "minute")
	default:
		return unit(max(1, int64((d+time.Second-1)/time.Second)), "second")
	}
}
