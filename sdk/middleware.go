package sdk

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

type authKey struct{}

// auth is what Authenticate leaves in a request's context.
type auth struct {
	claims *Claims
	token  string
}

// ClaimsFrom returns the claims [Authenticate] verified for the request whose
// context is ctx, or nil when it did not run.
func ClaimsFrom(ctx context.Context) *Claims {
	if a, ok := ctx.Value(authKey{}).(*auth); ok {
		return a.claims
	}
	return nil
}

// TokenFrom returns the raw access token [Authenticate] verified for the
// request whose context is ctx, or "" when it did not run. Pass it on to call
// other services (or Gatehouse) as the caller.
func TokenFrom(ctx context.Context) string {
	if a, ok := ctx.Value(authKey{}).(*auth); ok {
		return a.token
	}
	return ""
}

// Authenticate is middleware that lets through only requests with a valid
// Gatehouse access token in "Authorization: Bearer" (RFC 6750 §2.1), and puts
// its claims and the token in the request's context for [ClaimsFrom] and
// [TokenFrom]. It answers, in Gatehouse's error shape:
//
//   - 401 unauthenticated when there is no bearer token,
//   - 401 invalid_token when the token is not valid (with the RFC 6750 §3.1
//     error attribute in WWW-Authenticate),
//   - 400 invalid_request for more than one Authorization header,
//   - 503 unavailable when the keys to check it cannot be fetched.
func Authenticate(v *Verifier) func(http.Handler) http.Handler {
	if v == nil {
		panic("sdk: Authenticate needs a Verifier")
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			values := r.Header.Values("Authorization")
			if len(values) > 1 {
				writeError(w, http.StatusBadRequest, CodeInvalidRequest, "more than one Authorization header")
				return
			}
			token := ""
			if len(values) == 1 {
				token = bearerToken(values[0])
			}
			if token == "" {
				writeError(w, http.StatusUnauthorized, CodeUnauthenticated, "a bearer access token is required")
				return
			}
			claims, err := v.Verify(r.Context(), token)
			switch {
			case errors.Is(err, ErrInvalidToken):
				writeError(w, http.StatusUnauthorized, CodeInvalidToken, "the access token is invalid or expired")
				return
			case err != nil:
				writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "the access token cannot be checked now; try again later")
				return
			}
			ctx := context.WithValue(r.Context(), authKey{}, &auth{claims: claims, token: token})
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

// bearerToken returns the token of an Authorization header value of the
// Bearer scheme (case-insensitive, RFC 9110 §11.1), or "".
func bearerToken(h string) string {
	const scheme = "bearer "
	if len(h) <= len(scheme) || !strings.EqualFold(h[:len(scheme)], scheme) {
		return ""
	}
	return strings.TrimSpace(h[len(scheme):])
}

// guard is one RequirePermission middleware.
type guard struct {
	client       *Client
	permission   string
	organization func(*http.Request) string
	ttl          time.Duration
	size         int
	serviceToken bool
	onError      func(*http.Request, error)
	now          func() time.Time
	decisions    *cache[decisionKey, bool]
}

// decisionKey is what a cached decision is about; the permission is the
// guard's own.
type decisionKey struct {
	tenant, subject, organization string
}

// PermissionOption configures [RequirePermission].
type PermissionOption interface{ applyPermission(*guard) }

type permissionOption func(*guard)

func (f permissionOption) applyPermission(g *guard) { f(g) }

// WithOrganization makes RequirePermission ask about the organization (an id
// or alias) that fn finds in the request, such as r.PathValue("org"). When
// fn returns "", the tenant-wide roles alone decide.
func WithOrganization(fn func(*http.Request) string) PermissionOption {
	return permissionOption(func(g *guard) { g.organization = fn })
}

// WithCacheTTL sets how long a decision is reused for the same subject and
// organization; the default is 5 seconds. This is how long a removed role
// may still grant access. 0 turns the cache off: every request asks
// Gatehouse.
func WithCacheTTL(d time.Duration) PermissionOption {
	return permissionOption(func(g *guard) { g.ttl = d })
}

// WithCacheSize sets how many decisions are cached at most; the default is
// 10,000. Past it, the least recently used half is dropped. 0 turns the
// cache off.
func WithCacheSize(n int) PermissionOption {
	return permissionOption(func(g *guard) { g.size = n })
}

// WithServiceToken makes RequirePermission ask Gatehouse with the Client's
// own token (which must hold authz.check) instead of the caller's. By default
// it uses the caller's token to ask about the caller itself, which needs no
// service credentials and also catches sessions that have ended.
func WithServiceToken() PermissionOption {
	return permissionOption(func(g *guard) { g.serviceToken = true })
}

// OnCheckError makes RequirePermission call fn with every error of a check
// it could not complete (after which the request was refused), for logs and
// metrics.
func OnCheckError(fn func(r *http.Request, err error)) PermissionOption {
	return permissionOption(func(g *guard) { g.onError = fn })
}

// Defaults of RequirePermission.
const (
	DefaultCacheTTL  = 5 * time.Second
	DefaultCacheSize = 10_000
)

// RequirePermission is middleware, placed after [Authenticate], that lets a
// request through only when Gatehouse says its caller holds permission. It
// asks POST /api/v1/authz/check about the caller itself — subject
// {"type":"user","id":<the token's sub>} — with the caller's own token, and
// caches the answer (see [WithCacheTTL]). It answers, in Gatehouse's error
// shape:
//
//   - 403 forbidden when the caller does not hold the permission, or
//     Gatehouse refuses to answer with 400, 403 or 404 (an unknown
//     organization, say),
//   - 401 unauthenticated when Authenticate did not run before it,
//   - 401 invalid_token when Gatehouse refuses the caller's token (the
//     session ended),
//   - 503 unavailable when Gatehouse cannot be reached, limits the rate
//     (429) or fails (5xx): it fails closed.
//
// It panics if c is nil.
func RequirePermission(c *Client, permission string, opts ...PermissionOption) func(http.Handler) http.Handler {
	if c == nil {
		panic("sdk: RequirePermission needs a Client")
	}
	g := &guard{client: c, permission: permission, ttl: DefaultCacheTTL, size: DefaultCacheSize, now: time.Now}
	for _, o := range opts {
		o.applyPermission(g)
	}
	if g.ttl > 0 {
		g.decisions = newCache[decisionKey, bool](g.size)
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if g.allow(w, r) {
				next.ServeHTTP(w, r)
			}
		})
	}
}

// allow decides r, answering the refusal itself.
func (g *guard) allow(w http.ResponseWriter, r *http.Request) bool {
	a, _ := r.Context().Value(authKey{}).(*auth)
	if a == nil {
		writeError(w, http.StatusUnauthorized, CodeUnauthenticated, "a bearer access token is required")
		return false
	}
	key := decisionKey{tenant: a.claims.TenantID, subject: a.claims.Subject}
	if g.organization != nil {
		key.organization = g.organization(r)
	}
	now := g.now()
	allowed, ok := g.decisions.get(key, now)
	if !ok {
		d, err := g.check(r, a, key.organization)
		if err != nil {
			g.fail(w, r, err)
			return false
		}
		allowed = d.Allowed
		g.decisions.put(key, allowed, now.Add(g.ttl))
	}
	if !allowed {
		msg := fmt.Sprintf("permission %q is required", g.permission)
		if key.organization != "" {
			msg += fmt.Sprintf(" in organization %q", key.organization)
		}
		writeError(w, http.StatusForbidden, CodeForbidden, msg)
		return false
	}
	return true
}

func (g *guard) check(r *http.Request, a *auth, organization string) (Decision, error) {
	token := a.token
	if g.serviceToken {
		var err error
		if token, err = g.client.bearer(r.Context()); err != nil {
			return Decision{}, err
		}
	}
	return g.client.check(r.Context(), token, CheckRequest{
		Subject:      UserSubject(a.claims.Subject),
		Permission:   g.permission,
		Organization: organization,
	})
}

// fail answers a check that could not be completed. Gatehouse's verdicts on
// the request become 401 or 403; anything else (the network, 429, 5xx)
// becomes 503, never access.
func (g *guard) fail(w http.ResponseWriter, r *http.Request, err error) {
	if g.onError != nil {
		g.onError(r, err)
	}
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{}
	}
	switch {
	case e.Status == http.StatusUnauthorized && !g.serviceToken:
		writeError(w, http.StatusUnauthorized, CodeInvalidToken, "the access token is no longer valid")
	case e.Status == http.StatusBadRequest || e.Status == http.StatusForbidden || e.Status == http.StatusNotFound:
		// An organization that does not exist, a subject Gatehouse will not
		// answer about: the caller is refused as if denied.
		writeError(w, http.StatusForbidden, CodeForbidden, fmt.Sprintf("permission %q is required", g.permission))
	default:
		writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "the permission cannot be checked now; try again later")
	}
}
