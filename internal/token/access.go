package token

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/google/uuid"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// AccessClaims are the claims of an access token. SessionID names the
// session or OAuth grant the token belongs to, empty for a token of a
// client's own (client credentials). The OAuth claims (RFC 9068 §2.2) are
// set on tokens issued to applications.
type AccessClaims struct {
	jwt.Claims
	TenantID  string   `json:"tid"`
	SessionID string   `json:"sid,omitempty"`
	AMR       []string `json:"amr,omitempty"`
	ClientID  string   `json:"client_id,omitempty"`
	Scope     string   `json:"scope,omitempty"`
	AuthTime  int64    `json:"auth_time,omitempty"`
	Roles     []string `json:"roles,omitempty"`
	Actor     *Actor   `json:"act,omitempty"`
}

// Actor is who acts for the subject of a token obtained by delegation
// (RFC 8693 §4.1): its own act names who acted for it before.
type Actor struct {
	Subject string `json:"sub"`
	Actor   *Actor `json:"act,omitempty"`
}

// Grant is what an access token issued to an OAuth client says (RFC 9068).
// Audience is whom it is for: the client itself unless the request named a
// resource (RFC 8707). AuthTime is zero for a token without a user.
type Grant struct {
	Issuer    string
	TenantID  string
	Subject   string
	SessionID string
	ClientID  string
	Audience  []string
	Scopes    []string
	AMR       []string
	Roles     []string
	AuthTime  time.Time
	TTL       time.Duration
	// Actor is set on a token of delegation.
	Actor *Actor
}

// accessTokenType is the JWT "typ" of access tokens (RFC 9068).
const accessTokenType = "at+jwt"

// maxCached bounds the verified-token cache.
const maxCached = 50_000

// Issuer signs and verifies access tokens. Every tenant is an issuer of its
// own, named by its base URL: that URL is the "iss" and "aud" of its tokens,
// so Issue and Verify take it. All tenants share the signing keys.
type Issuer struct {
	keys *Keys
	now  func() time.Time

	mu       sync.Mutex
	verified map[string]*AccessClaims
}

// NewIssuer returns an Issuer signing with keys.
func NewIssuer(keys *Keys, now func() time.Time) *Issuer {
	return &Issuer{keys: keys, now: now, verified: map[string]*AccessClaims{}}
}

// Issue signs an access token for a user's session, lasting ttl (the
// tenant's setting). issuer is the tenant's base URL, the token's "iss" and
// "aud".
func (i *Issuer) Issue(issuer, tenantID, userID, sessionID string, amr []string, ttl time.Duration) (string, error) {
	if issuer == "" {
		return "", errors.New("token: no issuer")
	}
	now := i.now()
	claims := AccessClaims{
		Claims: jwt.Claims{
			Issuer:   issuer,
			Subject:  userID,
			Audience: jwt.Audience{issuer},
			Expiry:   jwt.NewNumericDate(now.Add(ttl)),
			IssuedAt: jwt.NewNumericDate(now),
			ID:       uuid.Must(uuid.NewV7()).String(),
		},
		TenantID:  tenantID,
		SessionID: sessionID,
		AMR:       amr,
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	return i.keys.sign(payload)
}

// IssueGrant signs an access token for an OAuth client and returns it with
// its expiry.
func (i *Issuer) IssueGrant(g Grant) (string, time.Time, error) {
	payload, exp, err := i.grantPayload(g)
	if err != nil {
		return "", time.Time{}, err
	}
	raw, err := i.keys.sign(payload)
	return raw, exp, err
}

// OpaquePrefix starts an opaque access token: its claims sealed with the
// master key, readable by Gatehouse alone (introspection), for
// applications whose access_token_format is opaque.
const OpaquePrefix = "gtat_"

// Sealer seals and opens with the master key.
type Sealer interface {
	Seal(plaintext, associated []byte) ([]byte, error)
	Open(sealed, associated []byte) ([]byte, error)
}

var opaquePurpose = []byte("access-token")

// SealGrant issues g as an opaque access token sealed by s.
func (i *Issuer) SealGrant(g Grant, s Sealer) (string, time.Time, error) {
	payload, exp, err := i.grantPayload(g)
	if err != nil {
		return "", time.Time{}, err
	}
	sealed, err := s.Seal(payload, opaquePurpose)
	if err != nil {
		return "", time.Time{}, err
	}
	return OpaquePrefix + base64.RawURLEncoding.EncodeToString(sealed), exp, nil
}

// OpenSealed reads an opaque access token sealed by s and checks its
// lifetime and that issuer issued it, like VerifyIssued.
func (i *Issuer) OpenSealed(raw, issuer string, s Sealer) (*AccessClaims, error) {
	b64, ok := strings.CutPrefix(raw, OpaquePrefix)
	if !ok || len(b64) > 8192 {
		return nil, errInvalid
	}
	sealed, err := base64.RawURLEncoding.DecodeString(b64)
	if err != nil {
		return nil, errInvalid
	}
	payload, err := s.Open(sealed, opaquePurpose)
	if err != nil {
		return nil, errInvalid
	}
	var c AccessClaims
	if err := json.Unmarshal(payload, &c); err != nil || c.Expiry == nil || c.TenantID == "" || c.Subject == "" {
		return nil, errInvalid
	}
	if c.Issuer != issuer || validTimes(&c, i.now()) != nil {
		return nil, errInvalid
	}
	return &c, nil
}

// clockSkew is how far ahead of this replica's clock another's may have
// issued a token: its iat and nbf may be that far in the future here.
// Expiry is exact.
const clockSkew = 30 * time.Second

// validTimes checks c's times at now: not expired, and issued and valid
// from no later than clockSkew ahead, so that replicas whose clocks differ
// by seconds take each other's new tokens.
func validTimes(c *AccessClaims, now time.Time) error {
	if err := c.ValidateWithLeeway(jwt.Expected{Time: now}, clockSkew); err != nil {
		return err
	}
	if !now.Before(c.Expiry.Time()) {
		return jwt.ErrExpired
	}
	return nil
}

// grantPayload is the JSON claims of an access token for g, and its
// expiry.
func (i *Issuer) grantPayload(g Grant) ([]byte, time.Time, error) {
	if g.Issuer == "" || g.ClientID == "" || g.Subject == "" || len(g.Audience) == 0 {
		return nil, time.Time{}, errors.New("token: incomplete grant")
	}
	now := i.now()
	exp := now.Add(g.TTL)
	claims := AccessClaims{
		Claims: jwt.Claims{
			Issuer:   g.Issuer,
			Subject:  g.Subject,
			Audience: jwt.Audience(g.Audience),
			Expiry:   jwt.NewNumericDate(exp),
			IssuedAt: jwt.NewNumericDate(now),
			ID:       uuid.Must(uuid.NewV7()).String(),
		},
		TenantID:  g.TenantID,
		SessionID: g.SessionID,
		AMR:       g.AMR,
		ClientID:  g.ClientID,
		Scope:     strings.Join(g.Scopes, " "),
		Roles:     g.Roles,
		Actor:     g.Actor,
	}
	if !g.AuthTime.IsZero() {
		claims.AuthTime = g.AuthTime.Unix()
	}
	payload, err := json.Marshal(claims)
	return payload, exp, err
}

var errInvalid = &iam.Error{Code: iam.CodeInvalidToken, Message: "the access token is invalid or expired"}

// Verify checks an access token's signature (ES256 only), lifetime, and that
// issuer — the base URL of the tenant the request came to — is its issuer
// and audience. Signatures already checked are answered from memory until
// the token expires; the issuer is checked on every use.
func (i *Issuer) Verify(ctx context.Context, raw, issuer string) (*AccessClaims, error) {
	c, err := i.VerifyIssued(ctx, raw, issuer)
	if err != nil {
		return nil, err
	}
	if !c.Audience.Contains(issuer) {
		return nil, &iam.Error{Code: errInvalid.Code, Message: errInvalid.Message,
			Err: fmt.Errorf("issued for %q, presented to %q", c.Audience, issuer)}
	}
	return c, nil
}

// VerifyIssued checks an access token like Verify but for its audience: a
// token issued by issuer to any audience passes, as introspection and the
// userinfo endpoint of that issuer need.
func (i *Issuer) VerifyIssued(ctx context.Context, raw, issuer string) (*AccessClaims, error) {
	c, err := i.signed(ctx, raw)
	if err != nil {
		return nil, err
	}
	// RFC 9068 §4: the issuer must be the one expected, and the token meant
	// for it. The cache is shared by every tenant, so this is checked after
	// it: a token of one tenant is refused at another's base URL.
	if issuer == "" || c.Issuer != issuer {
		return nil, &iam.Error{Code: errInvalid.Code, Message: errInvalid.Message,
			Err: fmt.Errorf("issued by %q, presented to %q", c.Issuer, issuer)}
	}
	return c, nil
}

// signed returns the claims of a token whose signature, type and lifetime
// hold, from memory when it was checked before.
func (i *Issuer) signed(ctx context.Context, raw string) (*AccessClaims, error) {
	now := i.now()
	i.mu.Lock()
	c, ok := i.verified[raw]
	i.mu.Unlock()
	if ok {
		if now.Before(c.Expiry.Time()) {
			return c, nil
		}
		i.mu.Lock()
		delete(i.verified, raw)
		i.mu.Unlock()
		return nil, errInvalid
	}
	c, err := i.verify(ctx, raw, now)
	if err != nil {
		return nil, &iam.Error{Code: errInvalid.Code, Message: errInvalid.Message, Err: err}
	}
	i.remember(raw, c, now)
	return c, nil
}

func (i *Issuer) verify(ctx context.Context, raw string, now time.Time) (*AccessClaims, error) {
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return nil, err
	}
	if len(tok.Headers) != 1 {
		return nil, errors.New("expected one signature")
	}
	// RFC 9068 §2.1: access tokens say so, and no other token signed with the
	// same keys (such as an ID token) passes for one.
	if typ, _ := tok.Headers[0].ExtraHeaders[jose.HeaderType].(string); typ != accessTokenType {
		return nil, errors.New("not an access token (typ)")
	}
	jwk, ok := i.keys.publicKey(ctx, tok.Headers[0].KeyID)
	if !ok {
		return nil, errors.New("unknown key id")
	}
	var c AccessClaims
	if err := tok.Claims(jwk.Key, &c); err != nil {
		return nil, err
	}
	if c.Expiry == nil || c.TenantID == "" || c.Subject == "" {
		return nil, errors.New("missing claims")
	}
	if err := validTimes(&c, now); err != nil {
		return nil, err
	}
	return &c, nil
}

func (i *Issuer) remember(raw string, c *AccessClaims, now time.Time) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if len(i.verified) >= maxCached {
		for k, v := range i.verified {
			if !now.Before(v.Expiry.Time()) {
				delete(i.verified, k)
			}
		}
		if len(i.verified) >= maxCached {
			clear(i.verified)
		}
	}
	i.verified[raw] = c
}
