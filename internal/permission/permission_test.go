package permission

import (
	"context"
	"testing"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

func TestCovers(t *testing.T) {
	tests := []struct {
		granted, wanted string
		want            bool
	}{
		{"users.read", "users.read", true},
		{"users.read", "users.write", false},
		{"users.*", "users.read", true},
		{"users.*", "usersx.read", false},
		{"users.*", "admins.manage", false},
		{"*", "tenants.manage", true},
		{"users*", "users.read", false},
		{"", "users.read", false},
	}
	for _, tt := range tests {
		if got := Covers(tt.granted, tt.wanted); got != tt.want {
			t.Errorf("Covers(%q, %q) = %v, want %v", tt.granted, tt.wanted, got, tt.want)
		}
	}
}

func TestValidPattern(t *testing.T) {
	for p, want := range map[string]bool{
		"users.read": true, "users.*": true, "*": true, "admin_roles.*": true,
		"invoices.read": false, "invoices.*": false, "users": false, "Users.read": false, "users.read ": false,
	} {
		if got := ValidPattern(p); got != want {
			t.Errorf("ValidPattern(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestRequire(t *testing.T) {
	if _, err := Require(context.Background(), UsersRead); !iam.IsCode(err, iam.CodeUnauthenticated) {
		t.Fatalf("no principal: got %v", err)
	}
	ctx := iam.WithPrincipal(context.Background(), &iam.Principal{Permissions: []string{"users.*"}})
	if _, err := Require(ctx, UsersWrite); err != nil {
		t.Fatalf("users.* should allow users.write: %v", err)
	}
	if _, err := Require(ctx, AuditView); !iam.IsCode(err, iam.CodeForbidden) {
		t.Fatalf("users.* should not allow audit.view: %v", err)
	}
}

func TestCoversPattern(t *testing.T) {
	tests := []struct {
		granted []string
		pattern string
		want    bool
	}{
		{[]string{"*"}, "*", true},
		{[]string{"users.*"}, "*", false},
		{[]string{"users.*"}, "users.*", true},
		{[]string{"users.read"}, "users.*", false},
		{[]string{"users.*"}, "users.read", true},
		{[]string{"admin_roles.manage"}, "*", false},
		{[]string{"admin_roles.manage"}, "admin_roles.manage", true},
		{[]string{"admins.manage"}, "admin_roles.manage", false},
		{[]string{"billing.*"}, "billing.invoices.*", true},
		{[]string{"billing.invoices.*"}, "billing.*", false},
		{[]string{"bill.*"}, "billing.*", false},
		{nil, "users.read", false},
	}
	for _, tt := range tests {
		if got := CoversPattern(tt.granted, tt.pattern); got != tt.want {
			t.Errorf("CoversPattern(%v, %q) = %v, want %v", tt.granted, tt.pattern, got, tt.want)
		}
	}
	if !CoversAll([]string{"users.*", "audit.view"}, []string{"users.read", "users.write", "audit.view"}) {
		t.Error("CoversAll refused a covered set")
	}
	if CoversAll([]string{"users.*"}, []string{"users.read", "audit.view"}) {
		t.Error("CoversAll accepted an uncovered permission")
	}
}

func TestFederatedProvidersPermission(t *testing.T) {
	// Named like its REST path, /api/v1/federated/providers.
	for p, want := range map[string]bool{"federated.manage": true, "federated.*": true, "federation.manage": false} {
		if got := ValidPattern(p); got != want {
			t.Errorf("ValidPattern(%q) = %v, want %v", p, got, want)
		}
	}
}

// Principals of every kind pass the same permission checks; what only a user
// has is refused to the others.
func TestPrincipalKinds(t *testing.T) {
	for _, kind := range []iam.PrincipalKind{iam.PrincipalUser, iam.PrincipalServiceAccount, iam.PrincipalApplication, iam.PrincipalDevice, iam.PrincipalSCIM} {
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
