package token

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/google/uuid"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// AccessClaims are the claims of an access token.
type AccessClaims struct {
	jwt.Claims
	TenantID  string   `json:"tid"`
	SessionID string   `json:"sid"`
	AMR       []string `json:"amr,omitempty"`
}

// accessTokenType is the JWT "typ" of access tokens (RFC 9068).
const accessTokenType = "at+jwt"

// maxCached bounds the verified-token cache.
const maxCached = 50_000

// Issuer signs and verifies access tokens for one issuer URL.
type Issuer struct {
	keys     *Keys
	issuer   string
	audience string
	now      func() time.Time

	mu       sync.Mutex
	verified map[string]*AccessClaims
}

// NewIssuer returns an Issuer for one issuer URL.
func NewIssuer(keys *Keys, issuer string, now func() time.Time) *Issuer {
	return &Issuer{keys: keys, issuer: issuer, audience: issuer, now: now, verified: map[string]*AccessClaims{}}
}

// Issue signs an access token for a user's session, lasting ttl (the
// tenant's setting).
func (i *Issuer) Issue(tenantID, userID, sessionID string, amr []string, ttl time.Duration) (string, error) {
	now := i.now()
	claims := AccessClaims{
		Claims: jwt.Claims{
			Issuer:   i.issuer,
			Subject:  userID,
			Audience: jwt.Audience{i.audience},
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

var errInvalid = &iam.Error{Code: iam.CodeInvalidToken, Message: "the access token is invalid or expired"}

// Verify checks an access token's signature (ES256 only), issuer, audience and
// lifetime. Tokens already verified are answered from memory until they expire.
func (i *Issuer) Verify(ctx context.Context, raw string) (*AccessClaims, error) {
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
	if c.Expiry == nil || c.TenantID == "" || c.SessionID == "" || c.Subject == "" {
		return nil, errors.New("missing claims")
	}
	if err := c.ValidateWithLeeway(jwt.Expected{Issuer: i.issuer, AnyAudience: jwt.Audience{i.audience}, Time: now}, 0); err != nil {
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
