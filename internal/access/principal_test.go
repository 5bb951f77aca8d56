package access

import (
	"context"
	"testing"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

type fixedTokens struct{ p *iam.Principal }

func (f fixedTokens) Authenticate(context.Context, string) (*iam.Principal, error) { return f.p, nil }

// A token names a subject of its principal's kind, and is the caller only
// for a caller of that kind and id: a service account is never taken for a
// user with an empty id, nor the other way round.
func TestSubjectTokenKeepsItsKind(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		principal *iam.Principal
		want      subjectRef
		code      iam.Code
	}{
		{&iam.Principal{Kind: iam.PrincipalServiceAccount, ID: "sa-1", TenantID: "t-1"}, subjectRef{kind: SubjectServiceAccount, id: "sa-1"}, ""},
		{&iam.Principal{Kind: iam.PrincipalUser, ID: "u-1", UserID: "u-1", TenantID: "t-1"}, subjectRef{kind: SubjectUser, id: "u-1"}, ""},
		{&iam.Principal{Kind: iam.PrincipalDevice, ID: "d-1", TenantID: "t-1"}, subjectRef{}, iam.CodeNotFound},
	} {
		s := &Service{tokens: fixedTokens{tc.principal}}
		got, err := s.subject(ctx, Subject{Token: "any"})
		if got != tc.want || iam.ErrorCode(err) != tc.code {
			t.Errorf("subject of a %s token = %+v, %v; want %+v, code %q", tc.principal.Kind, got, err, tc.want, tc.code)
		}
	}
	account := subjectRef{kind: SubjectServiceAccount, id: "sa-1"}
	if account.is(&iam.Principal{Kind: iam.PrincipalUser, ID: "sa-1", UserID: "sa-1"}) {
		t.Error("a service account subject is a user caller of the same id")
	}
	if (subjectRef{kind: SubjectUser, id: ""}).is(&iam.Principal{Kind: iam.PrincipalServiceAccount, ID: "sa-1"}) {
		t.Error("a user subject with no id is a service account caller")
	}
	if !account.is(&iam.Principal{Kind: iam.PrincipalServiceAccount, ID: "sa-1"}) {
		t.Error("a service account subject is not the service account calling")
	}
}
