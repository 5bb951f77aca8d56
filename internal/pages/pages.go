package pages

import (
	"bytes"
	"context"
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/account"
	"github.com/gatehouse-iam/gatehouse/internal/federation"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/mfa"
	"github.com/gatehouse-iam/gatehouse/internal/passkey"
	"github.com/gatehouse-iam/gatehouse/internal/pat"
	"github.com/gatehouse-iam/gatehouse/internal/settings"
)

//go:embed templates assets messages
var files embed.FS

// Auditor records the security-relevant refusals of this surface.
type Auditor interface {
	AppendAudit(ctx context.Context, e *iam.AuditEvent) error
}

// Deps are the services the pages call: the same ones as the REST API.
type Deps struct {
	Account  *account.Service
	MFA      *mfa.Service
	Passkeys *passkey.Service
	PATs     *pat.Service
	Settings *settings.Service
	Audit    Auditor
	// BaseURL is a tenant's public base URL; an https one makes every
	// cookie Secure and __Host- prefixed.
	BaseURL func(*iam.Tenant) string
	// OAuth answers the pages of authorization requests (consent) and
	// lists the user's consents; nil serves neither.
	OAuth Authorizations
	// Federation signs people in through external providers.
	Federation *federation.Service
	Now        func() time.Time
}

// Authorizations are the OAuth provider's answers the pages need.
type Authorizations interface {
	// ConsentPrompt names the application of a request waiting for the
	// signed-in user's consent, the scopes it asks for, and the resource
	// servers it wants to call for the user.
	ConsentPrompt(ctx context.Context, requestID string) (application string, scopes, resources []string, err error)
	// Consent records the answer and returns where the browser goes next.
	Consent(ctx context.Context, requestID string, allow bool) (string, error)
	// DevicePrompt names the application of a device's user code, the
	// scopes it asks for and the resource servers it wants to call;
	// DecideDevice records the answer.
	DevicePrompt(ctx context.Context, userCode string) (application string, scopes, resources []string, err error)
	DecideDevice(ctx context.Context, userCode string, allow bool) error
	MyConsents(ctx context.Context) ([]iam.Consent, error)
	RevokeMyConsent(ctx context.Context, applicationID string) error
	// FormTargets are the origins a form's redirects may end at when it
	// returns to returnTo: an application's, for the pages of its sign-in.
	FormTargets(ctx context.Context, returnTo string) []string
}

// Pages serves the hosted pages.
type Pages struct {
	Deps
	templates templateSets
	catalog   catalog
}

// New reads the embedded templates and message catalog; each page's
// templates are parsed when it is first rendered.
func New(d Deps) (*Pages, error) {
	cat, err := loadCatalog(files)
	if err != nil {
		return nil, err
	}
	tmpl, err := newTemplateSets(files, cat)
	if err != nil {
		return nil, err
	}
	return &Pages{Deps: d, templates: tmpl, catalog: cat}, nil
}

// Prefixes are the paths the pages own, for the server's router.
var Prefixes = []string{
	"/login", "/login/", "/signup", "/forgot", "/reset-password", "/verify-email", "/confirm-email",
	"/logout", "/consent", "/device", "/device/", "/account", "/account/", "/assets/", FederationPrefix, "/saml/", "/sso-setup/",
}

// Routes registers every page on mux. Handlers of forms answer POST;
// everything else is GET.
func (p *Pages) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /assets/theme.css", p.theme)
	mux.HandleFunc("GET /assets/{file}", p.asset)
	p.loginRoutes(mux)
	p.securityRoutes(mux)
	p.accountRoutes(mux)
	p.consentRoutes(mux)
	p.deviceRoutes(mux)
	p.federationRoutes(mux)
	p.setupRoutes(mux)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/account", http.StatusSeeOther)
	})
	p.signupRoutes(mux)
	p.passwordRoutes(mux)
	p.emailRoutes(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		p.WriteError(w, r, iam.Errorf(iam.CodeNotFound, "no such page"))
	})
}

// asset serves one of the embedded files, which browsers may keep for a
// day: they change only with the binary. Anything else is the 404 page.
func (p *Pages) asset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	b, err := fs.ReadFile(files, path.Join("assets", name))
	if err != nil || strings.HasPrefix(name, ".") {
		p.WriteError(w, r, iam.Errorf(iam.CodeNotFound, "no such file"))
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=86400")
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(b))
}

// contentSecurityPolicy admits no inline script or style: the pages' only
// script and stylesheets are files of this origin; logos may come from any
// https origin (branding.logo_url), QR codes are data: images.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// policyWithFormTargets is the policy of a page whose form leads on to an
// application: browsers apply form-action to each redirect after the form
// is sent, up to the application's redirect URI.
func policyWithFormTargets(targets []string) string {
	return strings.Replace(contentSecurityPolicy, "form-action 'self'", "form-action 'self' "+strings.Join(targets, " "), 1)
}

// Headers sets the headers every answer of this surface carries. Pages
// are never cached: they hold CSRF tokens, and some show secrets once; links
// carry tokens, so no page sends a Referer.
func Headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// CrossOrigin refuses a form posted from another origin, as browsers tell
// with Sec-Fetch-Site and Origin, before any handler reads it; the CSRF
// token then covers browsers that send neither.
func (p *Pages) CrossOrigin(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	// Identity providers post their SAML responses from their own sites.
	cop.AddInsecureBypassPattern("POST /saml/{id}/acs")
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.auditRefusal(r, "cross_origin")
		p.WriteError(w, r, errCSRF)
	}))
	return cop.Handler(next)
}

// secure reports whether the request's tenant is served over https.
func (p *Pages) secure(r *http.Request) bool {
	t := iam.TenantFrom(r.Context())
	return t != nil && strings.HasPrefix(p.BaseURL(t), "https://")
}
