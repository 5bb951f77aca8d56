package access

import (
	"context"
	"testing"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

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
