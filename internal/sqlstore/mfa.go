package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

const challengeColumns = `id, tenant_id, user_id, purpose, token_hash, state, failures, created_at, expires_at`

func (q *queries) CreateMFAChallenge(ctx context.Context, c *iam.MFAChallenge) error {
	_, err := q.w.ExecContext(ctx, `INSERT INTO mfa_challenges (`+challengeColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		c.ID, c.TenantID, nullString(c.UserID), string(c.Purpose), c.TokenHash, string(c.State), c.Failures, ts(c.CreatedAt), ts(c.ExpiresAt))
	return storeErr(err, "user", nil)
}

func scanChallenge(row scanner) (*iam.MFAChallenge, error) {
	var (
		c              iam.MFAChallenge
		user           sql.NullString
		purpose, state string
	)
	if err := row.Scan(&c.ID, &c.TenantID, &user, &purpose, &c.TokenHash, &state, &c.Failures, &c.CreatedAt, &c.ExpiresAt); err != nil {
		return nil, err
	}
	c.UserID, c.Purpose, c.State = user.String, iam.ChallengePurpose(purpose), []byte(state)
	c.CreatedAt, c.ExpiresAt = c.CreatedAt.UTC(), c.ExpiresAt.UTC()
	return &c, nil
}

func (q *queries) MFAChallengeByHash(ctx context.Context, tenantID, hash string) (*iam.MFAChallenge, error) {
	c, err := scanChallenge(q.r.QueryRowContext(ctx, `SELECT `+challengeColumns+` FROM mfa_challenges
		WHERE tenant_id = $1 AND token_hash = $2`, tenantID, hash))
	return c, storeErr(err, "challenge", nil)
}

func (q *queries) GetMFAChallengeForUpdate(ctx context.Context, tenantID, id string) (*iam.MFAChallenge, error) {
	if err := q.lockRow(ctx, "mfa_challenges", "challenge", `tenant_id = $1 AND id = $2`, tenantID, id); err != nil {
		return nil, err
	}
	c, err := scanChallenge(q.r.QueryRowContext(ctx, `SELECT `+challengeColumns+` FROM mfa_challenges
		WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	return c, storeErr(err, "challenge", nil)
}

func (q *queries) UpdateMFAChallenge(ctx context.Context, c *iam.MFAChallenge) error {
	res, err := q.w.ExecContext(ctx, `UPDATE mfa_challenges SET user_id = $1, state = $2, failures = $3 WHERE tenant_id = $4 AND id = $5`,
		nullString(c.UserID), string(c.State), c.Failures, c.TenantID, c.ID)
	return affected(res, err, "challenge")
}

func (q *queries) DeleteMFAChallenge(ctx context.Context, tenantID, id string) error {
	res, err := q.w.ExecContext(ctx, `DELETE FROM mfa_challenges WHERE tenant_id = $1 AND id = $2`, tenantID, id)
	return affected(res, err, "challenge")
}

func (q *queries) SetSessionMFA(ctx context.Context, tenantID, sessionID string, at time.Time) error {
	res, err := q.w.ExecContext(ctx, `UPDATE sessions SET mfa_at = $1 WHERE tenant_id = $2 AND id = $3`, ts(at), tenantID, sessionID)
	return affected(res, err, "session")
}
