package access

import (
	"context"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/permission"
)

// MayReadMail reports whether the caller may read a mail, single-use links
// included: only if it could change the recipient anyway (users.write, and
// for an admin everything permission.GuardAdminTarget asks), and for an invitation,
// which may carry organization roles, could also invite (orgs.write).
func MayReadMail(ctx context.Context, store iam.Tx, p *iam.Principal, m *iam.Mail) (bool, error) {
	if !permission.Allowed(p.Permissions, permission.UsersWrite) {
		return false, nil
	}
	if m.Kind == "invitation" && !permission.Allowed(p.Permissions, permission.OrgsWrite) {
		return false, nil
	}
	u, err := store.GetUserByEmail(ctx, p.TenantID, m.To)
	if iam.IsCode(err, iam.CodeNotFound) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	err = permission.GuardAdminTarget(ctx, store, p, u.ID)
	if iam.IsCode(err, iam.CodeForbidden) {
		return false, nil
	}
	return err == nil, err
}
