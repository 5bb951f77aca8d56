package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

const oneTimeColumns = `id, tenant_id, user_id, kind, token_hash, email, expires_at, used_at, created_at`

func (q *queries) CreateOneTimeToken(ctx context.Context, t *iam.OneTimeToken) error {
	_, err := q.w.ExecContext(ctx, `INSERT INTO one_time_tokens (`+oneTimeColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		t.ID, t.TenantID, t.UserID, t.Kind, t.Hash, t.Email, ts(t.ExpiresAt), nullTime(t.UsedAt), ts(t.CreatedAt))
	return storeErr(err, "one-time token", nil)
}

func (q *queries) OneTimeTokenByHash(ctx context.Context, hash string) (*iam.OneTimeToken, error) {
	var (
		t    iam.OneTimeToken
		used sql.NullTime
	)
	err := q.r.QueryRowContext(ctx, `SELECT `+oneTimeColumns+` FROM one_time_tokens WHERE token_hash = $1`, hash).
		Scan(&t.ID, &t.TenantID, &t.UserID, &t.Kind, &t.Hash, &t.Email, &t.ExpiresAt, &used, &t.CreatedAt)
	if err != nil {
		return nil, storeErr(err, "one-time token", nil)
	}
	t.ExpiresAt, t.CreatedAt, t.UsedAt = t.ExpiresAt.UTC(), t.CreatedAt.UTC(), timePtr(used)
	return &t, nil
}

func (q *queries) UseOneTimeToken(ctx context.Context, id string, at time.Time) (bool, error) {
	return q.changed(ctx, "one-time token", `UPDATE one_time_tokens SET used_at = $1 WHERE id = $2 AND used_at IS NULL`, ts(at), id)
}

func (q *queries) ExpireUserTokens(ctx context.Context, tenantID, userID, kind string, at time.Time) error {
	_, err := q.w.ExecContext(ctx, `UPDATE one_time_tokens SET used_at = $1 WHERE tenant_id = $2 AND user_id = $3 AND kind = $4 AND used_at IS NULL`,
		ts(at), tenantID, userID, kind)
	return storeErr(err, "one-time tokens", nil)
}

const invitationColumns = `id, tenant_id, email, organization_id, roles, token_hash, invited_by, expires_at, accepted_at, created_at`

func scanInvitation(row scanner) (*iam.Invitation, error) {
	var (
		inv      iam.Invitation
		org      sql.NullString
		roles    string
		accepted sql.NullTime
	)
	if err := row.Scan(&inv.ID, &inv.TenantID, &inv.Email, &org, &roles, &inv.Hash, &inv.InvitedBy, &inv.ExpiresAt, &accepted, &inv.CreatedAt); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(roles), &inv.Roles); err != nil {
		return nil, fmt.Errorf("invitation %s roles: %w", inv.ID, err)
	}
	inv.OrganizationID, inv.AcceptedAt = org.String, timePtr(accepted)
	inv.ExpiresAt, inv.CreatedAt = inv.ExpiresAt.UTC(), inv.CreatedAt.UTC()
	return &inv, nil
}

func (q *queries) CreateInvitation(ctx context.Context, inv *iam.Invitation) error {
	if inv.OrganizationID != "" {
		if err := q.inTenant(ctx, "organizations", "organization", inv.TenantID, inv.OrganizationID); err != nil {
			return err
		}
	}
	_, err := q.w.ExecContext(ctx, `INSERT INTO invitations (`+invitationColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		inv.ID, inv.TenantID, inv.Email, nullString(inv.OrganizationID), marshalStrings(inv.Roles), inv.Hash, inv.InvitedBy,
		ts(inv.ExpiresAt), nullTime(inv.AcceptedAt), ts(inv.CreatedAt))
	return storeErr(err, "invitation", nil)
}

func (q *queries) InvitationByHash(ctx context.Context, hash string) (*iam.Invitation, error) {
	inv, err := scanInvitation(q.r.QueryRowContext(ctx, `SELECT `+invitationColumns+` FROM invitations WHERE token_hash = $1`, hash))
	return inv, storeErr(err, "invitation", nil)
}

func (q *queries) GetInvitation(ctx context.Context, tenantID, id string) (*iam.Invitation, error) {
	inv, err := scanInvitation(q.r.QueryRowContext(ctx, `SELECT `+invitationColumns+` FROM invitations WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	return inv, storeErr(err, "invitation", nil)
}

func (q *queries) ListInvitations(ctx context.Context, tenantID string, p iam.ListParams) ([]iam.Invitation, int, error) {
	where, args := ` WHERE tenant_id = $1`, []any{tenantID}
	if p.Search != "" {
		args = append(args, likePattern(p.Search))
		where += ` AND email LIKE $2 ESCAPE '\'`
	}
	return list(ctx, q, listing{what: "invitations", columns: invitationColumns, from: "invitations", where: where, args: args,
		order: iam.Order{"created_at"}}, newestFirst(p), scanInvitation)
}

func (q *queries) DeleteInvitation(ctx context.Context, tenantID, id string) error {
	res, err := q.w.ExecContext(ctx, `DELETE FROM invitations WHERE tenant_id = $1 AND id = $2`, tenantID, id)
	return affected(res, err, "invitation")
}

func (q *queries) AcceptInvitation(ctx context.Context, id string, at time.Time) (bool, error) {
	return q.changed(ctx, "invitation", `UPDATE invitations SET accepted_at = $1 WHERE id = $2 AND accepted_at IS NULL`, ts(at), id)
}

func (q *queries) LoginFailures(ctx context.Context, tenantID, email string) (*iam.LoginFailures, error) {
	var (
		f      iam.LoginFailures
		locked sql.NullTime
	)
	err := q.r.QueryRowContext(ctx, `SELECT tenant_id, email, failures, locked_until, last_failure_at FROM login_failures
		WHERE tenant_id = $1 AND email = $2`, tenantID, email).Scan(&f.TenantID, &f.Email, &f.Failures, &locked, &f.LastFailureAt)
	if err != nil {
		return nil, storeErr(err, "login failures", nil)
	}
	f.LockedUntil, f.LastFailureAt = timePtr(locked), f.LastFailureAt.UTC()
	return &f, nil
}

func (q *queries) ReserveLoginAttempt(ctx context.Context, tenantID, email string, at time.Time, max int, window time.Duration) (*iam.LoginFailures, error) {
	var (
		f      = iam.LoginFailures{TenantID: tenantID, Email: email}
		locked sql.NullTime
	)
	// A lock that has ended, or failures older than window, start a fresh
	// count. RETURNING answers each caller its own count, even under a race.
	err := q.w.QueryRowContext(ctx, `INSERT INTO login_failures (tenant_id, email, failures, last_failure_at) VALUES ($1, $2, 1, $3)
		ON CONFLICT (tenant_id, email) DO UPDATE SET
		  failures = CASE WHEN (login_failures.locked_until <= excluded.last_failure_at AND login_failures.failures >= $5)
		                    OR (login_failures.last_failure_at <= $4 AND (login_failures.locked_until IS NULL
		                        OR login_failures.locked_until <= excluded.last_failure_at))
		                  THEN 1 ELSE login_failures.failures + 1 END,
		  locked_until = CASE WHEN login_failures.locked_until <= excluded.last_failure_at
		                      THEN NULL ELSE login_failures.locked_until END,
		  last_failure_at = excluded.last_failure_at
		RETURNING failures, locked_until, last_failure_at`, tenantID, email, ts(at), ts(at.Add(-window)), max).Scan(&f.Failures, &locked, &f.LastFailureAt)
	if err != nil {
		return nil, storeErr(err, "login failures", nil)
	}
	f.LockedUntil, f.LastFailureAt = timePtr(locked), f.LastFailureAt.UTC()
	return &f, nil
}

func (q *queries) LockLogin(ctx context.Context, tenantID, email string, until time.Time) error {
	res, err := q.w.ExecContext(ctx, `UPDATE login_failures SET locked_until = $1 WHERE tenant_id = $2 AND email = $3`, ts(until), tenantID, email)
	return affected(res, err, "login failures")
}

func (q *queries) ReleaseLoginAttempt(ctx context.Context, tenantID, email string) error {
	_, err := q.w.ExecContext(ctx, `UPDATE login_failures SET failures = failures - 1
		WHERE tenant_id = $1 AND email = $2 AND failures > 0`, tenantID, email)
	return storeErr(err, "login failures", nil)
}

func (q *queries) ClearLoginFailures(ctx context.Context, tenantID, email string) error {
	_, err := q.w.ExecContext(ctx, `DELETE FROM login_failures WHERE tenant_id = $1 AND email = $2`, tenantID, email)
	return storeErr(err, "login failures", nil)
}

func (q *queries) ListSessions(ctx context.Context, tenantID, userID string, now time.Time, p iam.ListParams) ([]iam.Session, int, error) {
	where := ` WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > $3 AND application_id IS NULL`
	args := []any{tenantID, userID, ts(now)}
	return list(ctx, q, listing{what: "sessions", columns: sessionColumns, from: "sessions", where: where, args: args,
		order: iam.Order{"created_at"}}, newestFirst(p), scanSession)
}

func (q *queries) RevokeOtherSessions(ctx context.Context, tenantID, userID, keep string, at time.Time) error {
	_, err := q.w.ExecContext(ctx, `UPDATE sessions SET revoked_at = $1 WHERE tenant_id = $2 AND user_id = $3 AND id <> $4 AND revoked_at IS NULL`,
		ts(at), tenantID, userID, keep)
	if err != nil {
		return storeErr(err, "sessions", nil)
	}
	return q.endUserSteps(ctx, tenantID, userID)
}
