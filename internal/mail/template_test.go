package mail_test

import (
	"html"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/mail"
)

func TestKinds(t *testing.T) {
	want := []string{"credential_expiring", "email_change_confirm", "email_change_notice", "invitation", "mfa_code", "password_changed", "password_reset", "signup_exists", "verify_email"}
	if got := mail.Kinds(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("Kinds() = %v, want %v", got, want)
	}
	for _, kind := range want {
		def, err := mail.DefaultTemplate(kind)
		if err != nil || def.Subject == "" || def.Text == "" || def.HTML == "" {
			t.Errorf("DefaultTemplate(%s) = %+v, %v; want three parts", kind, def, err)
		}
		if err := mail.ValidateTemplate(kind, def); err != nil {
			t.Errorf("the default template of %s does not pass ValidateTemplate: %v", kind, err)
		}
	}
	if _, err := mail.DefaultTemplate("newsletter"); err == nil {
		t.Error("DefaultTemplate of an unknown kind succeeded")
	}
}

// TestRenderEveryKind renders each kind through Queue and checks that the
// mail says what it must, in both bodies.
func TestRenderEveryKind(t *testing.T) {
	s := newStore(t)
	tn := newTenant(t, s, "Example")
	o := mail.NewOutbox(newClock().Now, false)
	// What each kind's subject and bodies must show.
	tests := []struct {
		kind    string
		subject string
		shows   []string
	}{
		{mail.KindVerifyEmail, "Confirm your email address for Example Inc.", []string{sampleLink, "ada@example.com", "30 minutes"}},
		{mail.KindSignupExists, "Someone tried to sign up with your address at Example Inc.", []string{"ada@example.com", "already has one", "https://id.example.com/login"}},
		{mail.KindPasswordReset, "Reset your password for Example Inc.", []string{sampleLink, "ada@example.com", "30 minutes"}},
		{mail.KindPasswordChanged, "Your password was changed at Example Inc.", []string{"ada@example.com", "https://id.example.com/login"}},
		{mail.KindEmailChangeConfirm, "Confirm your new email address for Example Inc.", []string{sampleLink, "ada.new@example.org", "1 hour"}},
		{mail.KindEmailChangeNotice, "Your email address is being changed at Example Inc.", []string{"ada@example.com", "ada.new@example.org"}},
		{mail.KindInvitation, "Charles Babbage invited you to join Analytical Engines", []string{sampleLink, "Charles Babbage", "Analytical Engines", "Example Inc.", "7 days"}},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			m := mustQueue(t, s, o, tn.ID, "ada@example.com", tt.kind, dataFor(tt.kind), nil)
			if m.Kind != tt.kind || m.To != "ada@example.com" || m.TenantID != tn.ID {
				t.Errorf("mail = kind %q to %q tenant %q", m.Kind, m.To, m.TenantID)
			}
			if m.Subject != tt.subject {
				t.Errorf("Subject = %q, want %q", m.Subject, tt.subject)
			}
			for _, want := range append(tt.shows, "Ada Lovelace") {
				if !strings.Contains(m.Text, want) {
					t.Errorf("text lacks %q:\n%s", want, m.Text)
				}
				if !strings.Contains(m.HTML, html.EscapeString(want)) {
					t.Errorf("HTML lacks %q:\n%s", want, m.HTML)
				}
			}
			if strings.Contains(m.Text, "<") || strings.Contains(m.Text, "<no value>") || strings.Contains(m.HTML, "<no value>") {
				t.Errorf("bodies hold markup in the text or missing values:\n%s\n%s", m.Text, m.HTML)
			}
			if strings.Contains(tt.shows[0], "token=") && !strings.Contains(m.HTML, `href="`+html.EscapeString(tt.shows[0])+`"`) {
				t.Errorf("HTML does not link to %s:\n%s", tt.shows[0], m.HTML)
			}
		})
	}
}

// TestRenderOptionalFields leaves out every field that is not required:
// nothing shows "<no value>" or dangling words.
func TestRenderOptionalFields(t *testing.T) {
	s := newStore(t)
	tn := newTenant(t, s, "Example")
	o := mail.NewOutbox(newClock().Now, false)
	required := map[string]map[string]string{
		mail.KindVerifyEmail:        {mail.FieldLink: sampleLink},
		mail.KindSignupExists:       {},
		mail.KindPasswordReset:      {mail.FieldLink: sampleLink},
		mail.KindPasswordChanged:    nil,
		mail.KindEmailChangeConfirm: {mail.FieldLink: sampleLink, mail.FieldNewEmail: "new@example.org"},
		mail.KindEmailChangeNotice:  {mail.FieldNewEmail: "new@example.org"},
		mail.KindInvitation:         {mail.FieldLink: sampleLink},
	}
	for kind, data := range required {
		m := mustQueue(t, s, o, tn.ID, "ada@example.com", kind, data, nil)
		for _, part := range []string{m.Subject, m.Text, m.HTML} {
			if strings.Contains(part, "<no value>") || strings.Contains(part, " for .") || strings.Contains(part, "Hello ,") {
				t.Errorf("%s: rendered with missing fields badly:\n%s", kind, part)
			}
		}
		if !strings.HasPrefix(m.Text, "Hello,") {
			t.Errorf("%s: text starts %q, want a greeting without a name", kind, m.Text[:min(20, len(m.Text))])
		}
	}
	inv := mustQueue(t, s, o, tn.ID, "ada@example.com", mail.KindInvitation, map[string]string{mail.FieldLink: sampleLink}, nil)
	if inv.Subject != "You are invited to join Gatehouse" {
		t.Errorf("invitation subject without inviter, organization or tenant = %q", inv.Subject)
	}
}

// TestRenderEscapesNames puts markup and line breaks into every field a user
// controls: HTML shows them as text, and nothing reaches the subject's line.
func TestRenderEscapesNames(t *testing.T) {
	s := newStore(t)
	tn := newTenant(t, s, "Example")
	o := mail.NewOutbox(newClock().Now, false)
	evil := "<script>alert(1)</script> O'Brien & \"Co\""
	for _, kind := range mail.Kinds() {
		data := dataFor(kind)
		data[mail.FieldName] = evil
		data[mail.FieldTenant] = "Acme\r\nBcc: eve@example.com"
		data[mail.FieldInviter] = "Mallory\nX-Injected: yes"
		data[mail.FieldOrganization] = "<img src=x onerror=alert(1)>"
		m := mustQueue(t, s, o, tn.ID, "ada@example.com", kind, data, nil)
		if strings.ContainsAny(m.Subject, "\r\n") {
			t.Errorf("%s: subject %q holds a line break", kind, m.Subject)
		}
		if strings.Contains(m.HTML, "<script>") || strings.Contains(m.HTML, "<img") {
			t.Errorf("%s: HTML holds unescaped markup:\n%s", kind, m.HTML)
		}
		if !strings.Contains(m.HTML, "&lt;script&gt;alert(1)&lt;/script&gt; O&#39;Brien &amp; &#34;Co&#34;") {
			t.Errorf("%s: HTML does not show the name as text:\n%s", kind, m.HTML)
		}
		if !strings.Contains(m.Text, evil) {
			t.Errorf("%s: text does not show the name as typed:\n%s", kind, m.Text)
		}
		for _, body := range []string{m.Text, m.HTML} {
			if strings.Contains(body, "\nBcc:") || strings.Contains(body, "\nX-Injected") {
				t.Errorf("%s: a field's line break reached the body:\n%s", kind, body)
			}
		}
	}
	// An override that puts line breaks into the subject itself.
	m := mustQueue(t, s, o, tn.ID, "ada@example.com", mail.KindPasswordChanged,
		map[string]string{mail.FieldName: "Ada\r\n\r\nBcc: eve@example.com"},
		map[string]mail.Template{mail.KindPasswordChanged: {Subject: "Hello {{.Name}}\r\nX-Evil: 1\n\n"}})
	if m.Subject != "Hello Ada Bcc: eve@example.com X-Evil: 1" {
		t.Errorf("subject = %q, want one line", m.Subject)
	}
}

func TestSubjectIsCapped(t *testing.T) {
	s := newStore(t)
	tn := newTenant(t, s, "Example")
	o := mail.NewOutbox(newClock().Now, false)
	data := dataFor(mail.KindPasswordReset)
	data[mail.FieldTenant] = strings.Repeat("ü", 1000)
	m := mustQueue(t, s, o, tn.ID, "ada@example.com", mail.KindPasswordReset, data, nil)
	if n := utf8.RuneCountInString(m.Subject); n > 200 || !strings.HasSuffix(m.Subject, "…") {
		t.Errorf("subject has %d characters (%q), want at most 200 ending in …", n, m.Subject)
	}
	if !utf8.ValidString(m.Subject) {
		t.Errorf("subject %q is not valid UTF-8", m.Subject)
	}
}

func TestOverrides(t *testing.T) {
	s := newStore(t)
	tn := newTenant(t, s, "Example")
	o := mail.NewOutbox(newClock().Now, false)
	def := mustQueue(t, s, o, tn.ID, "ada@example.com", mail.KindVerifyEmail, dataFor(mail.KindVerifyEmail), nil)

	full := mail.Template{
		Subject: "Welcome to {{.Tenant}}, {{.Name}}",
		Text:    "Click {{.Link}} now.",
		HTML:    `<p>Hi {{.Name}}, <a href="{{.Link}}">confirm</a>.</p>`,
	}
	tests := []struct {
		name     string
		override mail.Template
		want     rendered
	}{
		{"all parts", full, rendered{"Welcome to Example Inc., Ada Lovelace", "Click " + sampleLink + " now.",
			`<p>Hi Ada Lovelace, <a href="` + html.EscapeString(sampleLink) + `">confirm</a>.</p>`}},
		{"subject only keeps the default bodies", mail.Template{Subject: full.Subject},
			rendered{"Welcome to Example Inc., Ada Lovelace", def.Text, def.HTML}},
		{"blank parts keep the default", mail.Template{Subject: "  \n", Text: "", HTML: " "},
			rendered{def.Subject, def.Text, def.HTML}},
		{"a part failing at send time gives way to the default", mail.Template{Subject: "{{slice .Name 0 500}}", Text: "{{.Link}} {{index .Name 99}}"},
			rendered{def.Subject, def.Text, def.HTML}},
		{"a subject rendering nothing gives way to the default", mail.Template{Subject: "{{.Organization}}"},
			rendered{def.Subject, def.Text, def.HTML}},
		{"a part that does not parse gives way to the default", mail.Template{HTML: "{{.Name"},
			rendered{def.Subject, def.Text, def.HTML}},
		{"a part stored with a function no longer allowed gives way to the default, unrun", mail.Template{
			Text: `{{with printf "%0999999d" 0}}{{with printf "%s%s%s%s" . . . .}}{{len .}}{{end}}{{end}} {{.Link}}`},
			rendered{def.Subject, def.Text, def.HTML}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			overrides := map[string]mail.Template{mail.KindVerifyEmail: tt.override, mail.KindPasswordReset: {Subject: "not this one"}}
			m := mustQueue(t, s, o, tn.ID, "ada@example.com", mail.KindVerifyEmail, dataFor(mail.KindVerifyEmail), overrides)
			if got := (rendered{m.Subject, m.Text, m.HTML}); got != tt.want {
				t.Errorf("rendered\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

type rendered struct{ subject, text, html string }

func TestValidateTemplate(t *testing.T) {
	tests := []struct {
		name    string
		kind    string
		tmpl    mail.Template
		problem string // "" when valid; else a substring of the error
	}{
		{"empty override", mail.KindVerifyEmail, mail.Template{}, ""},
		{"all parts", mail.KindVerifyEmail, mail.Template{Subject: "Hi {{.Name}}", Text: "{{.Link}}", HTML: `<a href="{{.Link}}">go</a>`}, ""},
		{"if, with, else and functions", mail.KindInvitation, mail.Template{
			Subject: `{{if .Inviter}}{{.Inviter}}{{else}}Someone{{end}} invites you{{with .Organization}} to {{.}}{{end}}`,
			Text:    `{{.Link}} {{len .Name}} {{if and .Name (ne .Name "x") (not (eq (len .Name) 0))}}{{.Name}}{{end}}`}, ""},
		{"no link needed for a notice", mail.KindPasswordChanged, mail.Template{Text: "Your password changed."}, ""},
		{"unknown kind", "newsletter", mail.Template{Subject: "x"}, `unknown message kind "newsletter"`},
		{"syntax error", mail.KindVerifyEmail, mail.Template{Subject: "Hi {{.Name"}, "subject: line 1"},
		{"unknown field", mail.KindVerifyEmail, mail.Template{Text: "{{.Link}} {{.Password}}"}, `text: `},
		{"unknown function", mail.KindVerifyEmail, mail.Template{Text: "{{.Link}} {{exec .Name}}"}, `function "exec" not defined`},
		{"range", mail.KindVerifyEmail, mail.Template{Text: "{{.Link}}{{range 1000000000}}x{{end}}"}, "text: range is not allowed"},
		{"define", mail.KindVerifyEmail, mail.Template{Text: `{{.Link}}{{define "x"}}y{{end}}`}, "text: define and block are not allowed"},
		{"template", mail.KindVerifyEmail, mail.Template{Subject: `{{template "subject" .}}`}, "subject: "},
		{"nested range", mail.KindVerifyEmail, mail.Template{HTML: `{{.Link}}{{if .Name}}{{range .Name}}{{end}}{{end}}`}, "html: range is not allowed"},
		{"subject renders nothing", mail.KindVerifyEmail, mail.Template{Subject: "{{if false}}x{{end}} \n "}, "subject: renders no text"},
		{"text without the link", mail.KindPasswordReset, mail.Template{Text: "Reset your password."}, "text: must show {{.Link}}"},
		{"html without the link", mail.KindInvitation, mail.Template{HTML: "<p>Welcome</p>"}, "html: must show {{.Link}}"},
		{"html in a broken context", mail.KindVerifyEmail, mail.Template{HTML: `<a href="{{.Link}}`}, "html: "},
		{"renders too much", mail.KindVerifyEmail, mail.Template{Text: strings.Repeat("{{.Link}}", 7000)}, "renders more than"},
		// Functions that build a value of any size before it is written
		// (a few hundred bytes of template took gigabytes per mail).
		{"printf", mail.KindVerifyEmail, mail.Template{Text: `{{.Link}}{{printf "%0999999d" 1}}`}, "text: function printf is not allowed"},
		{"printf in with", mail.KindVerifyEmail, mail.Template{Text: `{{.Link}}{{with printf "%s%s" .Name .Name}}{{len .}}{{end}}`},
			"text: function printf is not allowed"},
		{"print in an argument", mail.KindVerifyEmail, mail.Template{Subject: `{{if eq (len (print .Name .Name)) 3}}x{{end}}`},
			"subject: function print is not allowed"},
		{"println in if", mail.KindVerifyEmail, mail.Template{HTML: `{{.Link}}{{if println .Name}}x{{end}}`}, "html: function println is not allowed"},
		{"chained escapers", mail.KindVerifyEmail, mail.Template{Text: `{{.Link}}{{.Name | html | js | urlquery}}`}, "text: function html is not allowed"},
		{"slice", mail.KindVerifyEmail, mail.Template{Text: `{{.Link}}{{slice .Name 1}}`}, "text: function slice is not allowed"},
		{"call", mail.KindVerifyEmail, mail.Template{Text: `{{.Link}}{{call .Name}}`}, "text: function call is not allowed"},
		{"too long", mail.KindVerifyEmail, mail.Template{Text: "{{.Link}}" + strings.Repeat("x", 70000)}, "text: longer than"},
		{"not UTF-8", mail.KindVerifyEmail, mail.Template{Subject: "\xff"}, "subject: not valid UTF-8"},
		{"every bad part named", mail.KindVerifyEmail, mail.Template{Subject: "{{", Text: "no link", HTML: "{{range .Name}}{{end}}"}, "subject: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := mail.ValidateTemplate(tt.kind, tt.tmpl)
			switch {
			case tt.problem == "" && err != nil:
				t.Errorf("ValidateTemplate = %v, want nil", err)
			case tt.problem != "" && err == nil:
				t.Errorf("ValidateTemplate = nil, want an error with %q", tt.problem)
			case tt.problem != "" && !strings.Contains(err.Error(), tt.problem):
				t.Errorf("ValidateTemplate = %q, want it to contain %q", err, tt.problem)
			}
			if err != nil && strings.ContainsAny(err.Error(), "\r\n") {
				t.Errorf("error %q is not one line", err)
			}
		})
	}
	err := mail.ValidateTemplate(mail.KindVerifyEmail, mail.Template{Subject: "{{", Text: "no link", HTML: "{{range .Name}}{{end}}"})
	for _, part := range []string{"subject: ", "text: ", "html: "} {
		if err == nil || !strings.Contains(err.Error(), part) {
			t.Errorf("ValidateTemplate = %v, want it to name %q", err, part)
		}
	}
}

func TestCheckAddress(t *testing.T) {
	good := []string{"ada@example.com", "a.b+tag@sub.example.co.uk", "x@localhost", "jörg@bücher.example"}
	bad := []string{
		"", "ada", "@example.com", "ada@", "Ada <ada@example.com>", "<ada@example.com>", "ada@example.com, eve@example.com",
		"ada@example.com;eve@example.com", "ada@example.com\r\nBcc: eve@example.com", "ada@example.com\n", " ada@example.com",
		"ada @example.com", "\"ada\"@example.com", "ada@example.com (Ada)", "ada@[127.0.0.1]", "ada\x00@example.com",
		strings.Repeat("a", 250) + "@example.com",
	}
	for _, a := range good {
		if err := mail.CheckAddress(a); err != nil {
			t.Errorf("CheckAddress(%q) = %v, want nil", a, err)
		}
	}
	for _, a := range bad {
		if err := mail.CheckAddress(a); err == nil {
			t.Errorf("CheckAddress(%q) = nil, want an error", a)
		}
	}
}

func TestQueueRejects(t *testing.T) {
	s := newStore(t)
	tn := newTenant(t, s, "Example")
	o := mail.NewOutbox(newClock().Now, true)
	link := map[string]string{mail.FieldLink: sampleLink}
	tests := []struct {
		name string
		to   string
		kind string
		data map[string]string
		code iam.Code
	}{
		{"two recipients", "ada@example.com, eve@example.com", mail.KindVerifyEmail, link, iam.CodeInvalid},
		{"display name", "Ada <ada@example.com>", mail.KindVerifyEmail, link, iam.CodeInvalid},
		{"angle brackets", "<ada@example.com>", mail.KindVerifyEmail, link, iam.CodeInvalid},
		{"header injection", "ada@example.com\r\nBcc: eve@example.com", mail.KindVerifyEmail, link, iam.CodeInvalid},
		{"line feed", "ada@example.com\nBcc: eve@example.com", mail.KindVerifyEmail, link, iam.CodeInvalid},
		{"empty", "", mail.KindVerifyEmail, link, iam.CodeInvalid},
		{"unknown kind", "ada@example.com", "newsletter", link, iam.CodeInternal},
		{"unknown data field", "ada@example.com", mail.KindVerifyEmail, map[string]string{mail.FieldLink: sampleLink, "Password": "hunter2"}, iam.CodeInternal},
		{"missing link", "ada@example.com", mail.KindPasswordReset, map[string]string{mail.FieldName: "Ada"}, iam.CodeInternal},
		{"missing new email", "ada@example.com", mail.KindEmailChangeNotice, nil, iam.CodeInternal},
		{"javascript link", "ada@example.com", mail.KindVerifyEmail, map[string]string{mail.FieldLink: "javascript:alert(1)"}, iam.CodeInternal},
		{"relative link", "ada@example.com", mail.KindVerifyEmail, map[string]string{mail.FieldLink: "/verify?token=x"}, iam.CodeInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := queue(t, s, o, tn.ID, tt.to, tt.kind, tt.data, nil)
			if !iam.IsCode(err, tt.code) {
				t.Errorf("Queue = %v (code %q), want code %q", err, iam.ErrorCode(err), tt.code)
			}
		})
	}
	if got := outbox(t, s, tn.ID); len(got) != 0 {
		t.Errorf("outbox holds %d mails after refused Queue calls, want none", len(got))
	}
}

func TestExpiresIn(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * time.Minute:              "30 minutes",
		time.Minute:                   "1 minute",
		90 * time.Second:              "2 minutes",
		time.Hour:                     "1 hour",
		24 * time.Hour:                "24 hours",
		48 * time.Hour:                "2 days",
		7 * 24 * time.Hour:            "7 days",
		90 * time.Minute:              "90 minutes",
		45 * time.Second:              "45 seconds",
		time.Millisecond:              "1 second",
		36 * time.Hour:                "36 hours",
		30 * 24 * time.Hour:           "30 days",
		time.Second:                   "1 second",
		2*time.Hour + time.Nanosecond: "121 minutes",
	} {
		if got := mail.ExpiresIn(d); got != want {
			t.Errorf("ExpiresIn(%s) = %q, want %q", d, got, want)
		}
	}
}
