package token

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// TestVerifyRequiresAccessTokenType: a JWT signed by a trusted key but not
// typed at+jwt (an ID token, say) is not an access token.
func TestVerifyRequiresAccessTokenType(t *testing.T) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	keys := &Keys{now: func() time.Time { return now }, lastReload: now, keys: []*key{{
		info:   KeyInfo{ID: "k1", Algorithm: jose.ES256, ActivatesAt: now},
		public: jose.JSONWebKey{Key: &priv.PublicKey, KeyID: "k1", Algorithm: "ES256"}}}}
	iss := NewIssuer(keys, keys.now)
	claims := AccessClaims{Claims: jwt.Claims{Issuer: "https://id", Subject: "u", Audience: jwt.Audience{"https://id"},
		Expiry: jwt.NewNumericDate(now.Add(time.Hour))}, TenantID: "t", SessionID: "s"}
	payload, _ := json.Marshal(claims)
	for typ, wantOK := range map[string]bool{"at+jwt": true, "JWT": false, "": false} {
		opts := &jose.SignerOptions{}
		if typ != "" {
			opts = opts.WithType(jose.ContentType(typ))
		}
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: priv, KeyID: "k1"}}, opts)
		if err != nil {
			t.Fatal(err)
		}
		jws, err := signer.Sign(payload)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := jws.CompactSerialize()
		if _, err := iss.Verify(context.Background(), raw, "https://id"); (err == nil) != wantOK {
			t.Errorf("typ %q: Verify error %v, want ok=%v", typ, err, wantOK)
		}
	}
}
