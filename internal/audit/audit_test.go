package audit

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

func TestEventActorIsThePrincipalOfItsKind(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		name string
		p    *iam.Principal
		want iam.Ref
	}{
		{"anonymous", nil, iam.Ref{Type: ActorAnonymous}},
		{"user", &iam.Principal{Kind: iam.PrincipalUser, ID: "u-1", UserID: "u-1"}, iam.Ref{Type: "user", ID: "u-1"}},
		{"service account", &iam.Principal{Kind: iam.PrincipalServiceAccount, ID: "sa-1"}, iam.Ref{Type: "service_account", ID: "sa-1"}},
		{"application", &iam.Principal{Kind: iam.PrincipalApplication, ID: "app-1"}, iam.Ref{Type: "application", ID: "app-1"}},
		{"device", &iam.Principal{Kind: iam.PrincipalDevice, ID: "dev-1"}, iam.Ref{Type: "device", ID: "dev-1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			if tc.p != nil {
				ctx = iam.WithPrincipal(ctx, tc.p)
			}
			e := Event(ctx, now, "t-1", "user.created", iam.Ref{Type: "user", ID: "u-2"}, iam.ResultSuccess, nil)
			if e.Actor != tc.want {
				t.Errorf("actor %+v, want %+v", e.Actor, tc.want)
			}
		})
	}
}
