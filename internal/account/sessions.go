package account

import (
	"context"

	"github.com/gatehouse-iam/gatehouse/internal/access"
	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/permission"
)

// MySessions lists the caller's active sessions, newest first.
func (s *Service) MySessions(ctx context.Context, lp iam.ListParams) ([]iam.Session, int, error) {
	p, err := permission.SessionUser(ctx)
	if err != nil {
		return nil, 0, err
	}
	return s.store.ListSessions(ctx, p.TenantID, p.UserID, s.now(), lp)
}

// EndMySession ends one of the caller's sessions. Errors: CodeNotFound.
func (s *Service) EndMySession(ctx context.Context, id string) error {
	p, err := permission.SessionUser(ctx)
	if err != nil {
		return err
	}
	return s.endSession(ctx, p, id, p.UserID)
}

// EndMyOtherSessions ends every session of the caller but this one.
func (s *Service) EndMyOtherSessions(ctx context.Context) error {
	p, err := permission.SessionUser(ctx)
	if err != nil {
		return err
	}
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		if err := tx.RevokeOtherSessions(ctx, p.TenantID, p.UserID, p.SessionID, s.now()); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), p.TenantID, "session.others_revoked", iam.Ref{Type: "user", ID: p.UserID}, iam.ResultSuccess, nil))
	})
	if err == nil {
		s.cache.ForgetUser(p.UserID)
	}
	return err
}

// UserSessions lists a user's active sessions. Needs sessions.read.
func (s *Service) UserSessions(ctx context.Context, userID string, lp iam.ListParams) ([]iam.Session, int, error) {
	p, err := permission.Require(ctx, permission.SessionsRead)
	if err != nil {
		return nil, 0, err
	}
	if !access.ValidID(userID) {
		return nil, 0, iam.Errorf(iam.CodeNotFound, "user not found")
	}
	if _, err := s.store.GetUser(ctx, p.TenantID, userID); err != nil {
		return nil, 0, err
	}
	if err := permission.GuardAdminTarget(ctx, s.store, p, userID); err != nil {
		return nil, 0, err
	}
	return s.store.ListSessions(ctx, p.TenantID, userID, s.now(), lp)
}

// EndSession ends any session of the tenant. Needs sessions.write.
func (s *Service) EndSession(ctx context.Context, id string) error {
	p, err := permission.Require(ctx, permission.SessionsWrite)
	if err != nil {
		return err
	}
	return s.endSession(ctx, p, id, "")
}

// EndUserSessions ends every session of a user. Needs sessions.write.
func (s *Service) EndUserSessions(ctx context.Context, userID string) error {
	p, err := permission.Require(ctx, permission.SessionsWrite)
	if err != nil {
		return err
	}
	if !access.ValidID(userID) {
		return iam.Errorf(iam.CodeNotFound, "user not found")
	}
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		if _, err := tx.GetUser(ctx, p.TenantID, userID); err != nil {
			return err
		}
		if err := permission.GuardAdminTarget(ctx, tx, p, userID); err != nil {
			return err
		}
		if err := tx.RevokeUserSessions(ctx, p.TenantID, userID, s.now()); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), p.TenantID, "session.user_revoked", iam.Ref{Type: "user", ID: userID}, iam.ResultSuccess, nil))
	})
	if err == nil {
		s.cache.ForgetUser(userID)
	}
	return err
}

// endSession revokes a session of the caller's tenant: of owner when owner
// is set, else any — an admin's only for a caller who may change that admin.
func (s *Service) endSession(ctx context.Context, p *iam.Principal, id, owner string) error {
	tenantID := p.TenantID
	if !access.ValidID(id) {
		return iam.Errorf(iam.CodeNotFound, "session not found")
	}
	err := s.store.InTx(ctx, func(tx iam.Tx) error {
		sess, err := tx.GetSession(ctx, tenantID, id)
		if err != nil {
			return err
		}
		if (owner != "" && sess.UserID != owner) || !sess.Active(s.now()) {
			return iam.Errorf(iam.CodeNotFound, "session not found")
		}
		if owner == "" {
			if err := permission.GuardAdminTarget(ctx, tx, p, sess.UserID); err != nil {
				return err
			}
		}
		if err := tx.RevokeSession(ctx, tenantID, id, s.now()); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), tenantID, "session.revoked", iam.Ref{Type: "session", ID: id}, iam.ResultSuccess,
			map[string]any{"user_id": sess.UserID}))
	})
	if err == nil {
		s.cache.Forget(id)
	}
	return err
}
