package authn

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// Authenticator verifies a credential presented to the tenant in ctx and
// returns its principal. Errors: CodeInvalidToken when the credential is not
// valid for that tenant (malformed, unknown, expired or revoked); anything
// else is internal.
type Authenticator interface {
	Authenticate(ctx context.Context, raw string) (*iam.Principal, error)
}

// errInvalid is what every credential that no verifier accepts gets, so that
// a caller cannot tell an unknown prefix from a wrong secret.
var errInvalid = iam.Errorf(iam.CodeInvalidToken, "the access token is invalid or expired")

// Chain is the Authenticator of every bearer credential: it hands each to the
// verifier of its form.
type Chain struct {
	jwt    Authenticator
	opaque []prefixed // longest prefix first
}

type prefixed struct {
	prefix string
	auth   Authenticator
}

// NewChain returns a chain that verifies JWTs with jwt and opaque secrets with
// the verifier of their prefix in opaque (such as "ghp_"); when prefixes
// overlap, the longest that matches wins. It panics on an empty prefix, which
// would claim every credential.
func NewChain(jwt Authenticator, opaque map[string]Authenticator) *Chain {
	c := &Chain{jwt: jwt}
	for prefix, a := range opaque {
		if prefix == "" {
			panic("authn: an opaque verifier needs a prefix")
		}
		c.opaque = append(c.opaque, prefixed{prefix: prefix, auth: a})
	}
	slices.SortFunc(c.opaque, func(a, b prefixed) int {
		return cmp.Or(cmp.Compare(len(b.prefix), len(a.prefix)), strings.Compare(a.prefix, b.prefix))
	})
	return c
}

// Authenticate verifies raw with the verifier of its form. A registered
// prefix is looked at first: product prefixes never start like a JWT, whose
// header is base64url JSON ("eyJ"), but an opaque secret may hold dots.
func (c *Chain) Authenticate(ctx context.Context, raw string) (*iam.Principal, error) {
	for _, o := range c.opaque {
		if strings.HasPrefix(raw, o.prefix) {
			return o.auth.Authenticate(ctx, raw)
		}
	}
	if isJWT(raw) {
		return c.jwt.Authenticate(ctx, raw)
	}
	return nil, &iam.Error{Code: errInvalid.Code, Message: errInvalid.Message,
		Err: errors.New("the bearer token is neither a JWT nor an opaque secret of a known prefix")}
}

// isJWT reports whether raw has the JWS compact serialization (RFC 7515
// §7.1): header, payload and signature in base64url (RFC 4648 §5), separated
// by dots. Header and payload are never empty; verification decides the rest.
func isJWT(raw string) bool {
	header, rest, ok := strings.Cut(raw, ".")
	payload, signature, ok2 := strings.Cut(rest, ".")
	return ok && ok2 && header != "" && payload != "" && base64URL(header) && base64URL(payload) && base64URL(signature)
}

func base64URL(s string) bool {
	return strings.IndexFunc(s, func(c rune) bool {
		return !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_')
	}) < 0
}

// Func adapts a function to an Authenticator.
type Func func(ctx context.Context, raw string) (*iam.Principal, error)

// Authenticate calls f.
func (f Func) Authenticate(ctx context.Context, raw string) (*iam.Principal, error) {
	return f(ctx, raw)
}
