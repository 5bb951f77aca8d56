package authn

import (
	"context"
	"encoding/base64"
	"errors"
	"testing"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// verifier is a stand-in for one kind of credential: it accepts only secret
// and answers a principal of its kind, and counts what it was shown.
type verifier struct {
	kind   iam.PrincipalKind
	secret string
	shown  []string
}

func (v *verifier) Authenticate(_ context.Context, raw string) (*iam.Principal, error) {
	v.shown = append(v.shown, raw)
	if raw != v.secret {
		return nil, iam.Errorf(iam.CodeInvalidToken, "no")
	}
	return &iam.Principal{Kind: v.kind, ID: string(v.kind) + "-1"}, nil
}

func TestChainPicksTheVerifierByTheTokenForm(t *testing.T) {
	b64 := base64.RawURLEncoding.EncodeToString
	jwt := b64([]byte(`{"alg":"ES256","typ":"at+jwt"}`)) + "." + b64([]byte(`{"sub":"u"}`)) + "." + b64([]byte("sig"))
	unsigned := b64([]byte(`{"alg":"none"}`)) + "." + b64([]byte(`{"sub":"u"}`)) + "."
	const (
		pat     = "ghp_Zm9vYmFyLmJhei1xdXV4X3h5eg"
		service = "ghps_c2VydmljZQ"
		dotted  = "ghp_a.b.c"
	)
	tests := []struct {
		name, raw string
		want      iam.PrincipalKind // "" when refused
		shownTo   string            // which verifier saw it: jwt, pat, service or none
	}{
		{"a JWT goes to the access-token verifier", jwt, iam.PrincipalUser, "jwt"},
		{"an unsigned JWT still goes there, to be refused", unsigned, "", "jwt"},
		{"an opaque secret goes to its prefix's verifier", pat, iam.PrincipalServiceAccount, "pat"},
		{"the longest matching prefix wins", service, iam.PrincipalApplication, "service"},
		{"a wrong secret of a known prefix is refused by its verifier", "ghp_wrong", "", "pat"},
		{"a prefixed secret with dots is no JWT", dotted, "", "pat"},
		{"an unknown prefix reaches no verifier", "ghr_cmVmcmVzaA", "", "none"},
		{"garbage reaches no verifier", "not-a-token", "", "none"},
		{"two dots alone are no JWT", "..", "", "none"},
		{"an empty header is no JWT", ".e30.sig", "", "none"},
		{"four parts are no JWT", jwt + ".x", "", "none"},
		{"a blank is not base64url", jwt + " " + jwt, "", "none"},
		{"padding is not base64url", "eyJ=.e30.sig", "", "none"},
		{"empty", "", "", "none"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			verifiers := map[string]*verifier{
				"jwt":     {kind: iam.PrincipalUser, secret: jwt},
				"pat":     {kind: iam.PrincipalServiceAccount, secret: pat},
				"service": {kind: iam.PrincipalApplication, secret: service},
			}
			c := NewChain(verifiers["jwt"], map[string]Authenticator{"ghp_": verifiers["pat"], "ghps_": verifiers["service"]})
			p, err := c.Authenticate(context.Background(), tc.raw)
			switch {
			case tc.want == "" && !iam.IsCode(err, iam.CodeInvalidToken):
				t.Errorf("got %+v, %v; want invalid_token", p, err)
			case tc.want != "" && (err != nil || p.Kind != tc.want):
				t.Errorf("got %+v, %v; want a %s", p, err, tc.want)
			}
			for name, v := range verifiers {
				if saw := len(v.shown) > 0; saw != (name == tc.shownTo) {
					t.Errorf("verifier %s was shown %q", name, v.shown)
				}
			}
		})
	}
}

// With no opaque verifier registered, as today, every opaque secret gets the
// answer of an invalid access token.
func TestChainWithoutOpaqueVerifiers(t *testing.T) {
	c := NewChain(&verifier{kind: iam.PrincipalUser, secret: "x"}, nil)
	_, err := c.Authenticate(context.Background(), "ghp_c2VjcmV0")
	var e *iam.Error
	if !errors.As(err, &e) || e.Code != iam.CodeInvalidToken || e.Message != errInvalid.Message {
		t.Fatalf("got %v; want %q", err, errInvalid.Message)
	}
}

func TestChainRefusesAnEmptyPrefix(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("an empty prefix was accepted")
		}
	}()
	NewChain(&verifier{}, map[string]Authenticator{"": &verifier{}})
}
