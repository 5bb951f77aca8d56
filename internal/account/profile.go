package account

import (
	"context"

	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/directory"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/permission"
)

// UpdateMyName changes the caller's name, checked as an admin's change of
// it is. Like the rest of the account it needs a session: a personal access
// token may not rename its owner.
// Errors: CodeUnauthenticated, CodeForbidden (no session), CodeInvalid (name).
func (s *Service) UpdateMyName(ctx context.Context, name string) (*iam.User, error) {
	p, err := permission.SessionUser(ctx)
	if err != nil {
		return nil, err
	}
	name, err = directory.NormalizeName("name", name)
	if err != nil {
		return nil, err
	}
	var u *iam.User
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		// Locked: a concurrent change of the user (its email, its
		// status) must not be undone by writing back an older copy.
		if u, err = tx.GetUserForUpdate(ctx, p.TenantID, p.UserID); err != nil {
			return err
		}
		u.Name, u.UpdatedAt = name, s.now()
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), p.TenantID, "user.updated", iam.Ref{Type: "user", ID: u.ID}, iam.ResultSuccess,
			map[string]any{"name": name}))
	})
	if err != nil {
		return nil, err
	}
	s.cache.ForgetUser(u.ID)
	s.userChanged(u.ID)
	return u, nil
}
