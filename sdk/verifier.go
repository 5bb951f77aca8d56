package sdk

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// ErrInvalidToken is wrapped by every error of [Verifier.Verify] that is the
// token's fault: a bad signature, an unknown key, a wrong issuer or audience,
// an expired token. Test with [errors.Is]; other errors (such as
// [ErrKeysUnavailable]) mean the token could not be checked.
var ErrInvalidToken = errors.New("gatehouse: invalid access token")

// ErrKeysUnavailable is wrapped by errors of [Verifier.Verify] when the key
// set was needed but could not be fetched: the token may well be valid.
var ErrKeysUnavailable = errors.New("gatehouse: the key set could not be fetched")

// Claims are the claims of a verified access token. They are shared between
// the requests that present the same token: treat them as read-only.
type Claims struct {
	Issuer    string    // "iss", the issuer URL
	Subject   string    // "sub", the user's (or service account's) id
	Audience  []string  // "aud"
	Expiry    time.Time // "exp"
	NotBefore time.Time // "nbf"; zero when absent
	IssuedAt  time.Time // "iat"; zero when absent
	ID        string    // "jti", the token's own id
	TenantID  string    // "tid"
	SessionID string    // "sid"
	AMR       []string  // "amr", how the subject authenticated (RFC 8176)

	// Raw holds every claim as decoded by encoding/json (numbers are
	// float64), including those above and any this type does not name.
	Raw map[string]any
}

// Verifier checks Gatehouse access tokens against the issuer's published
// keys. It is safe for concurrent use; build one per issuer and share it.
type Verifier struct {
	issuer   string
	audience string
	tenant   string
	algs     []jose.SignatureAlgorithm
	leeway   time.Duration
	now      func() time.Time
	keys     *keySet
	tokens   *cache[string, *Claims]
	tokenCap int
}

// VerifierOption configures [NewVerifier].
type VerifierOption interface{ applyVerifier(*Verifier) }

type verifierOption func(*Verifier)

func (f verifierOption) applyVerifier(v *Verifier) { f(v) }

// WithAudience sets the audience a token's "aud" must contain. The default is
// the issuer URL, which is what Gatehouse puts there.
func WithAudience(aud string) VerifierOption {
	return verifierOption(func(v *Verifier) { v.audience = aud })
}

// WithTenant makes the verifier accept only tokens of one tenant (their "tid"
// claim). Every tenant of a multi-tenant Gatehouse is an issuer of its own,
// its base URL, so a verifier built for that base URL already refuses other
// tenants' tokens by their "iss"; set WithTenant as well, so that a
// misconfigured issuer cannot let another tenant's tokens in. Without it,
// check Claims.TenantID.
func WithTenant(tenantID string) VerifierOption {
	return verifierOption(func(v *Verifier) { v.tenant = tenantID })
}

// WithLeeway sets how far "exp" and "nbf" may be off to allow for clocks that
// disagree; the default is 30 seconds.
func WithLeeway(d time.Duration) VerifierOption {
	return verifierOption(func(v *Verifier) { v.leeway = max(d, 0) })
}

// WithRefetchInterval sets the least time between two fetches of the key set
// caused by tokens naming unknown key ids; the default is 10 seconds. Within
// it, a token with an unknown key id is refused without asking Gatehouse, so
// made-up key ids cannot turn into a request each. 0 allows a fetch for
// every unknown key id (concurrent ones still share one fetch).
func WithRefetchInterval(d time.Duration) VerifierOption {
	return verifierOption(func(v *Verifier) { v.keys.minInterval = max(d, 0) })
}

// WithKeysMaxAge sets how long fetched keys are used before the key set is
// fetched again even though no unknown key id appeared, so that a key the
// issuer withdrew stops being trusted; the default is one hour. If that
// fetch fails, the old keys stay in use.
func WithKeysMaxAge(d time.Duration) VerifierOption {
	return verifierOption(func(v *Verifier) { v.keys.maxAge = d })
}

// WithKeysURL sets where the key set is fetched from, for when the issuer
// URL in tokens is not reachable from this service (an internal address, a
// sidecar). The default is {issuer}/oauth2/keys.
func WithKeysURL(url string) VerifierOption {
	return verifierOption(func(v *Verifier) { v.keys.url = url })
}

// AllowRS256 accepts tokens signed with RS256 as well as ES256. Gatehouse
// signs with ES256; allow RS256 only for an issuer known to use it.
func AllowRS256() VerifierOption {
	return verifierOption(func(v *Verifier) {
		for _, a := range v.algs {
			if a == jose.RS256 {
				return
			}
		}
		v.algs = append(v.algs, jose.RS256)
	})
}

// WithTokenCacheSize sets how many verified tokens are remembered, each
// until it expires, so that a token presented again costs a map look-up
// instead of a signature check (about a hundred times cheaper); the default
// is 10,000. Each entry holds a token and its claims, a few KiB. 0 turns the
// cache off.
func WithTokenCacheSize(n int) VerifierOption {
	return verifierOption(func(v *Verifier) { v.tokenCap = n })
}

// Defaults of NewVerifier.
const (
	DefaultLeeway          = 30 * time.Second
	DefaultRefetchInterval = 10 * time.Second
	DefaultKeysMaxAge      = time.Hour
	DefaultTokenCacheSize  = 10_000
)

// NewVerifier returns a verifier of the access tokens of issuer, such as
// "https://iam.example.com" — exactly the "iss" of its tokens. That is
// Gatehouse's configured issuer for its default tenant; each other tenant of
// a multi-tenant Gatehouse issues its tokens as its own base URL (the
// "base_url" of the tenants API: the issuer on the tenant's first hostname).
// It fetches nothing until the first token arrives.
func NewVerifier(issuer string, opts ...VerifierOption) *Verifier {
	v := &Verifier{
		issuer:   issuer,
		audience: issuer,
		algs:     []jose.SignatureAlgorithm{jose.ES256},
		leeway:   DefaultLeeway,
		now:      time.Now,
		tokenCap: DefaultTokenCacheSize,
		keys: &keySet{
			url:         strings.TrimRight(issuer, "/") + "/oauth2/keys",
			http:        &http.Client{Timeout: fetchTimeout},
			now:         time.Now,
			minInterval: DefaultRefetchInterval,
			maxAge:      DefaultKeysMaxAge,
		},
	}
	for _, o := range opts {
		o.applyVerifier(v)
	}
	v.tokens = newCache[string, *Claims](v.tokenCap)
	return v
}

// maxTokenSize bounds what is parsed; Gatehouse's tokens are under 1 KiB.
const maxTokenSize = 16 << 10

// Verify checks rawToken — its signature with the issuer's key named by its
// "kid", its "typ" (at+jwt, RFC 9068 §4), "iss", "aud", "exp" (required) and
// "nbf" — and returns its claims.
//
// Errors wrap [ErrInvalidToken] when the token is at fault, and
// [ErrKeysUnavailable] when the key set could not be fetched to check it.
func (v *Verifier) Verify(ctx context.Context, rawToken string) (*Claims, error) {
	now := v.now()
	if c, ok := v.tokens.get(rawToken, now); ok {
		return c, nil
	}
	c, err := v.verify(ctx, rawToken, now)
	if err != nil {
		return nil, err
	}
	v.tokens.put(rawToken, c, c.Expiry.Add(v.leeway))
	return c, nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidToken}, args...)...)
}

func (v *Verifier) verify(ctx context.Context, raw string, now time.Time) (*Claims, error) {
	if v.issuer == "" {
		// go-jose skips the issuer and audience checks for empty expectations.
		return nil, invalid("the verifier has no issuer")
	}
	if len(raw) > maxTokenSize {
		return nil, invalid("token of %d bytes", len(raw))
	}
	// The allowed algorithms are fixed here, never taken from the token or
	// the key, which shuts out "none" and HS256 signed with a public key.
	tok, err := jwt.ParseSigned(raw, v.algs)
	if err != nil {
		return nil, invalid("%w", err)
	}
	if len(tok.Headers) != 1 {
		return nil, invalid("%d signatures", len(tok.Headers))
	}
	h := tok.Headers[0]
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); !isAccessTokenType(typ) {
		return nil, invalid("typ %q is not at+jwt", typ)
	}
	if h.KeyID == "" {
		return nil, invalid("no kid")
	}
	key, err := v.keys.key(ctx, h.KeyID)
	if err != nil {
		return nil, err
	}
	if key.Algorithm != "" && key.Algorithm != h.Algorithm {
		return nil, invalid("key %q is for %s, token is %s", h.KeyID, key.Algorithm, h.Algorithm)
	}
	var (
		std jwt.Claims
		ext struct {
			TenantID  string   `json:"tid"`
			SessionID string   `json:"sid"`
			AMR       []string `json:"amr"`
		}
		all map[string]any
	)
	if err := tok.Claims(key.Key, &std, &ext, &all); err != nil {
		return nil, invalid("%w", err)
	}
	if std.Expiry == nil {
		return nil, invalid("no exp")
	}
	if std.Subject == "" {
		return nil, invalid("no sub")
	}
	expected := jwt.Expected{Issuer: v.issuer, AnyAudience: jwt.Audience{v.audience}, Time: now}
	if err := std.ValidateWithLeeway(expected, v.leeway); err != nil {
		return nil, invalid("%w", err)
	}
	if v.tenant != "" && ext.TenantID != v.tenant {
		return nil, invalid("token of tenant %q, not %q", ext.TenantID, v.tenant)
	}
	return &Claims{
		Issuer:    std.Issuer,
		Subject:   std.Subject,
		Audience:  std.Audience,
		Expiry:    std.Expiry.Time().UTC(),
		NotBefore: optionalTime(std.NotBefore),
		IssuedAt:  optionalTime(std.IssuedAt),
		ID:        std.ID,
		TenantID:  ext.TenantID,
		SessionID: ext.SessionID,
		AMR:       ext.AMR,
		Raw:       all,
	}, nil
}

// isAccessTokenType reports whether a "typ" header names a JWT access token;
// RFC 9068 §2.1 allows the media type with or without its "application/".
func isAccessTokenType(typ string) bool {
	typ = strings.TrimPrefix(strings.ToLower(typ), "application/")
	return typ == "at+jwt"
}

func optionalTime(d *jwt.NumericDate) time.Time {
	if d == nil {
		return time.Time{}
	}
	return d.Time().UTC()
}
