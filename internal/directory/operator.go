package directory

import (
	"context"
	"strings"

	"github.com/gatehouse-iam/gatehouse/internal/access"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// The operator's calls: they act without a caller, on the store alone, for
// the command line of whoever holds the database, e.g. to bring back the admins of a tenant that
// lost them all.

// OperatorTenant finds a tenant by its id or one of its hostnames; an empty
// ref is the system tenant. Errors: CodeTenantNotFound.
func OperatorTenant(ctx context.Context, store iam.TenantStore, ref string) (*iam.Tenant, error) {
	if ref == "" {
		return store.SystemTenant(ctx)
	}
	if access.ValidID(ref) {
		t, err := store.GetTenant(ctx, strings.ToLower(ref))
		if !iam.IsCode(err, iam.CodeNotFound) {
			return t, err
		}
	}
	t, err := store.TenantByHostname(ctx, strings.ToLower(ref))
	if iam.IsCode(err, iam.CodeNotFound) {
		return nil, iam.Errorf(iam.CodeTenantNotFound, "no tenant has the id or hostname %q", ref)
	}
	return t, err
}

// OperatorAdmins lists every admin of the tenant, by email.
func OperatorAdmins(ctx context.Context, store iam.AdminStore, tenantID string) ([]iam.Admin, error) {
	all := []iam.Admin{}
	for page := 1; ; page++ {
		admins, total, err := store.ListAdmins(ctx, tenantID, iam.ListParams{Page: page, Limit: iam.MaxLimit, OrderBy: "email"})
		if err != nil {
			return nil, err
		}
		all = append(all, admins...)
		if len(admins) == 0 || len(all) >= total {
			return all, nil
		}
	}
}
