package access

import (
	"context"
	"testing"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// Principals of every kind pass the same permission checks; what only a user
// has is refused to the others.
func TestPrincipalKinds(t *testing.T) {
	for _, kind := range []iam.PrincipalKind{iam.PrincipalUser, iam.PrincipalServiceAccount, iam.PrincipalApplication, iam.PrincipalDevice} {
		t.Run(string(kind), func(t *testing.T) {
			p := &iam.Principal{Kind: kind, ID: "p-1", TenantID: "t-1", Permissions: []string{UsersRead}}
			if kind == iam.PrincipalUser {
				p.UserID = p.ID
			}
			ctx := iam.WithPrincipal(context.Background(), p)
			if got, err := Require(ctx, UsersRead); err != nil || got != p {
				t.Errorf("Require(users.read) = %v, %v; want the principal", got, err)
			}
			if _, err := Require(ctx, UsersWrite); !iam.IsCode(err, iam.CodeForbidden) {
				t.Errorf("Require(users.write) = %v; want forbidden", err)
			}
			_, err := AuthenticatedUser(ctx)
			if kind == iam.PrincipalUser && err != nil {
				t.Errorf("AuthenticatedUser = %v; want the user", err)
			}
			if kind != iam.PrincipalUser && !iam.IsCode(err, iam.CodeForbidden) {
				t.Errorf("AuthenticatedUser = %v; want forbidden for a %s", err, kind)
			}
		})
	}
	if _, err := AuthenticatedUser(context.Background()); !iam.IsCode(err, iam.CodeUnauthenticated) {
		t.Errorf("AuthenticatedUser without a caller = %v; want unauthenticated", err)
	}
}

type fixedTokens struct{ p *iam.Principal }

func (f fixedTokens) Authenticate(context.Context, string) (*iam.Principal, error) { return f.p, nil }

// A token of a principal that is not a user names no user: it must not come
// out as the empty user id, which a caller of another kind also has, and so
// pass for a question about the caller itself.
func TestSubjectTokenOfAnotherKindIsNoUser(t *testing.T) {
	s := &Service{tokens: fixedTokens{&iam.Principal{Kind: iam.PrincipalServiceAccount, ID: "sa-1", TenantID: "t-1"}}}
	id, err := s.subjectUser(context.Background(), Subject{Token: "any"})
	if !iam.IsCode(err, iam.CodeNotFound) {
		t.Fatalf("subjectUser = %q, %v; want not found", id, err)
	}
	s.tokens = fixedTokens{&iam.Principal{Kind: iam.PrincipalUser, ID: "u-1", UserID: "u-1", TenantID: "t-1"}}
	if id, err := s.subjectUser(context.Background(), Subject{Token: "any"}); err != nil || id != "u-1" {
		t.Fatalf("subjectUser = %q, %v; want u-1", id, err)
	}
}
