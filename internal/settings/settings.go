package settings

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse-iam/gatehouse/internal/password"
)

// Signup policies.
const (
	SignupOpen            = "open"
	SignupDomainAllowlist = "domain_allowlist"
	SignupInviteOnly      = "invite_only"
	SignupClosed          = "closed"
)

// Duration is a time.Duration written as text ("12h", "30m") in JSON.
type Duration time.Duration

// MarshalJSON writes the duration as text.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads text such as "12h".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("must be a duration such as \"12h\"")
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("must be a duration such as \"12h\"")
	}
	*d = Duration(v)
	return nil
}

// Std is the duration as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// Settings are one tenant's policies.
type Settings struct {
	Signup   Signup   `json:"signup"`
	Password Password `json:"password"`
	Lockout  Lockout  `json:"lockout"`
	Sessions Sessions `json:"sessions"`
	Tokens   Tokens   `json:"tokens"`
	Mail     Mail     `json:"mail"`
	MFA      MFA      `json:"mfa"`
	Branding Branding `json:"branding"`
	OAuth    OAuth    `json:"oauth"`
	// Version is the stored document's version: 0 before the first change,
	// one more with each. The REST API shows it as the ETag.
	Version int64 `json:"-"`
}

// MFA policies.
const (
	MFAOptional = "optional"
	MFARequired = "required"
)

// MFA is whether users must have a second factor.
type MFA struct {
	Policy string `json:"policy" enum:"optional,required" doc:"optional, or required: a user without a second factor who signs in may only enrol one"`
}

// Dynamic client registration policies.
const (
	RegistrationOff  = "off"
	RegistrationOpen = "open"
)

// OAuth is the tenant's policy for OAuth clients.
type OAuth struct {
	DynamicRegistration string `json:"dynamic_registration" enum:"off,open" doc:"off, or open: anyone may register an OAuth client at /oauth2/register (RFC 7591), as MCP clients do; such clients sign users in only with their consent"`
}

// Branding is how the hosted pages show the tenant.
type Branding struct {
	DisplayName string `json:"display_name" maxLength:"100" doc:"Name shown on the hosted pages; empty shows the tenant's name"`
	LogoURL     string `json:"logo_url" maxLength:"2048" doc:"https URL of a logo shown on the hosted pages; empty shows none"`
	AccentColor string `json:"accent_color" doc:"Colour of buttons and links on the hosted pages, #rrggbb; empty keeps the default"`
}

// Signup is who may register.
type Signup struct {
	Policy               string   `json:"policy" enum:"open,domain_allowlist,invite_only,closed" doc:"open, domain_allowlist, invite_only or closed"`
	Domains              []string `json:"domains" doc:"Email domains allowed to register under domain_allowlist"`
	RequireVerifiedEmail bool     `json:"require_verified_email" doc:"Refuse login until the email is verified"`
}

// Password is the password policy (NIST SP 800-63B).
type Password struct {
	MinLength      int  `json:"min_length"`
	MaxLength      int  `json:"max_length"`
	RejectCommon   bool `json:"reject_common" doc:"Refuse passwords on the list of common and breached passwords"`
	RejectPersonal bool `json:"reject_personal" doc:"Refuse passwords containing the email's local part or the name"`
	MinStrength    int  `json:"min_strength" doc:"Least zxcvbn score, 0 to 4"`
}

// Lockout is how failed logins are slowed and stopped.
type Lockout struct {
	MaxAttempts  int      `json:"max_attempts" doc:"Failed logins for one email before it locks"`
	BackoffAfter int      `json:"backoff_after" doc:"Failed logins after which each further attempt waits, doubling"`
	LockDuration Duration `json:"lock_duration" doc:"How long a locked email stays locked, unless an admin unlocks it"`
}

// Sessions are session lifetimes.
type Sessions struct {
	IdleTimeout      Duration `json:"idle_timeout" doc:"A session not kept logged in ends after this long without a refresh"`
	RememberFor      Duration `json:"remember_for" doc:"Lifetime of keep-logged-in sessions"`
	AbsoluteLifetime Duration `json:"absolute_lifetime" doc:"No session lives longer than this"`
}

// Tokens are token lifetimes.
type Tokens struct {
	AccessTokenTTL Duration `json:"access_token_ttl"`
	MaxPATLifetime Duration `json:"max_pat_lifetime" doc:"The longest a personal access token may live (1h to 87600h)"`
}

// DefaultMaxPATLifetime caps personal access tokens at a year.
const DefaultMaxPATLifetime = 365 * 24 * time.Hour

// Mail holds the tenant's overrides of mail templates, by message kind.
type Mail struct {
	Templates map[string]MailTemplate `json:"templates"`
}

// equal reports whether m and o hold the same templates.
func (m Mail) equal(o Mail) bool { return maps.Equal(m.Templates, o.Templates) }

// MailTemplate overrides one message kind's subject, text and HTML
// templates; empty parts keep the default.
type MailTemplate struct {
	Subject string `json:"subject,omitempty"`
	Text    string `json:"text,omitempty"`
	HTML    string `json:"html,omitempty"`
}

// Defaults are the settings of a tenant that never changed them. Signup is
// closed until an admin opens it.
func Defaults(accessTokenTTL time.Duration) Settings {
	return Settings{
		Signup: Signup{Policy: SignupClosed, Domains: []string{}},
		Password: Password{MinLength: password.DefaultPolicy.MinLength, MaxLength: password.DefaultPolicy.MaxLength,
			RejectCommon: password.DefaultPolicy.RejectCommon, RejectPersonal: password.DefaultPolicy.RejectPersonal,
			MinStrength: password.DefaultPolicy.MinStrength},
		Lockout:  Lockout{MaxAttempts: 10, BackoffAfter: 3, LockDuration: Duration(15 * time.Minute)},
		Sessions: Sessions{IdleTimeout: Duration(12 * time.Hour), RememberFor: Duration(30 * 24 * time.Hour), AbsoluteLifetime: Duration(30 * 24 * time.Hour)},
		Tokens:   Tokens{AccessTokenTTL: Duration(accessTokenTTL), MaxPATLifetime: Duration(DefaultMaxPATLifetime)},
		Mail:     Mail{Templates: map[string]MailTemplate{}},
		MFA:      MFA{Policy: MFAOptional},
		OAuth:    OAuth{DynamicRegistration: RegistrationOff},
	}
}

// validate returns every problem, keyed by the field's path.
func (s *Settings) validate(checkTemplate func(kind string, t MailTemplate) error) map[string]string {
	p := map[string]string{}
	switch s.Signup.Policy {
	case SignupOpen, SignupDomainAllowlist, SignupInviteOnly, SignupClosed:
	default:
		p["signup.policy"] = "must be open, domain_allowlist, invite_only or closed"
	}
	if s.MFA.Policy != MFAOptional && s.MFA.Policy != MFARequired {
		p["mfa.policy"] = "must be optional or required"
	}
	if s.OAuth.DynamicRegistration != RegistrationOff && s.OAuth.DynamicRegistration != RegistrationOpen {
		p["oauth.dynamic_registration"] = "must be off or open"
	}
	for i, d := range s.Signup.Domains {
		d = strings.ToLower(strings.TrimSpace(d))
		if d == "" || strings.ContainsAny(d, "@ /\\\r\n\t") || !strings.Contains(d, ".") || len(d) > 253 {
			p[fmt.Sprintf("signup.domains[%d]", i)] = "must be a domain such as example.com"
		}
		s.Signup.Domains[i] = d
	}
	if s.Signup.Policy == SignupDomainAllowlist && len(s.Signup.Domains) == 0 {
		p["signup.domains"] = "must name at least one domain under domain_allowlist"
	}
	if err := s.PasswordPolicy().Validate(); err != nil {
		var pe *password.PolicyError
		if errors.As(err, &pe) {
			for k, v := range pe.Fields {
				p["password."+k] = v
			}
		} else {
			p["password"] = err.Error()
		}
	}
	lo := s.Lockout
	if lo.MaxAttempts < 1 || lo.MaxAttempts > 1000 {
		p["lockout.max_attempts"] = "must be between 1 and 1000"
	}
	if lo.BackoffAfter < 1 || lo.BackoffAfter > lo.MaxAttempts {
		p["lockout.backoff_after"] = "must be between 1 and max_attempts"
	}
	if lo.LockDuration.Std() < time.Minute || lo.LockDuration.Std() > 30*24*time.Hour {
		p["lockout.lock_duration"] = "must be between 1m and 720h"
	}
	se := s.Sessions
	if se.IdleTimeout.Std() < 5*time.Minute || se.IdleTimeout.Std() > 90*24*time.Hour {
		p["sessions.idle_timeout"] = "must be between 5m and 2160h"
	}
	if se.AbsoluteLifetime.Std() < se.IdleTimeout.Std() || se.AbsoluteLifetime.Std() > 365*24*time.Hour {
		p["sessions.absolute_lifetime"] = "must be between idle_timeout and 8760h"
	}
	if se.RememberFor.Std() < time.Hour || se.RememberFor.Std() > se.AbsoluteLifetime.Std() {
		p["sessions.remember_for"] = "must be between 1h and absolute_lifetime"
	}
	if ttl := s.Tokens.AccessTokenTTL.Std(); ttl < time.Minute || ttl > 24*time.Hour {
		p["tokens.access_token_ttl"] = "must be between 1m and 24h"
	}
	if l := s.Tokens.MaxPATLifetime.Std(); l < time.Hour || l > 10*365*24*time.Hour {
		p["tokens.max_pat_lifetime"] = "must be between 1h and 87600h"
	}
	for field, problem := range s.Branding.problems() {
		p["branding."+field] = problem
	}
	for kind, t := range s.Mail.Templates {
		if err := checkTemplate(kind, t); err != nil {
			p["mail.templates."+kind] = err.Error()
		}
	}
	return p
}

// problems checks what the pages will show: a logo from an https URL (the
// pages' Content-Security-Policy admits no other) and a plain hex colour.
func (b *Branding) problems() map[string]string {
	p := map[string]string{}
	b.DisplayName = strings.TrimSpace(b.DisplayName)
	if utf8.RuneCountInString(b.DisplayName) > 100 || strings.IndexFunc(b.DisplayName, unicode.IsControl) >= 0 {
		p["display_name"] = "must be at most 100 characters, without control characters"
	}
	if b.LogoURL != "" {
		u, err := url.Parse(b.LogoURL)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || len(b.LogoURL) > 2048 {
			p["logo_url"] = "must be an https URL of at most 2048 characters"
		}
	}
	if b.AccentColor != "" && !accentColor.MatchString(b.AccentColor) {
		p["accent_color"] = "must be a colour such as #1a5fb4"
	}
	return p
}

var accentColor = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)
