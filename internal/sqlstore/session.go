package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

const sessionColumns = `id, tenant_id, user_id, created_at, last_seen_at, expires_at, revoked_at, ip, user_agent, keep_logged_in, amr, mfa_at, browser_hash, application_id, scopes, auth_time, resources,
	federated_provider_id`

func (q *queries) CreateSession(ctx context.Context, s *iam.Session) error {
	_, err := q.w.ExecContext(ctx, `INSERT INTO sessions (`+sessionColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
		s.ID, s.TenantID, s.UserID, ts(s.CreatedAt), ts(s.LastSeenAt), ts(s.ExpiresAt), nullTime(s.RevokedAt),
		s.IP, s.UserAgent, s.KeepLoggedIn, marshalStrings(s.AMR), nullTime(s.MFAAt), nullString(s.BrowserHash),
		nullString(s.ApplicationID), marshalStrings(s.Scopes), nullTime(s.AuthTime), marshalStrings(s.Resources), nullString(s.FederatedProviderID))
	return storeErr(err, "session", conflict)
}

// conflict answers CodeConflict for any unique violation: of a session's id
// or of its cookie hash.
func conflict(string) iam.Code { return iam.CodeConflict }

func scanSession(row scanner) (*iam.Session, error) {
	var (
		s       iam.Session
		revoked sql.NullTime
		mfaAt   sql.NullTime
		amr     string
		browser sql.NullString
		app     sql.NullString
		scopes  string
		auth    sql.NullTime
		res     string
		fed     sql.NullString
	)
	if err := row.Scan(&s.ID, &s.TenantID, &s.UserID, &s.CreatedAt, &s.LastSeenAt, &s.ExpiresAt, &revoked, &s.IP, &s.UserAgent,
		&s.KeepLoggedIn, &amr, &mfaAt, &browser, &app, &scopes, &auth, &res, &fed); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(amr), &s.AMR); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(scopes), &s.Scopes); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(res), &s.Resources); err != nil {
		return nil, err
	}
	s.ApplicationID, s.AuthTime = app.String, timePtr(auth)
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt, s.RevokedAt = s.CreatedAt.UTC(), s.LastSeenAt.UTC(), s.ExpiresAt.UTC(), timePtr(revoked)
	s.MFAAt, s.BrowserHash, s.FederatedProviderID = timePtr(mfaAt), browser.String, fed.String
	return &s, nil
}

func (q *queries) GetSession(ctx context.Context, tenantID, id string) (*iam.Session, error) {
	s, err := scanSession(q.r.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	return s, storeErr(err, "session", nil)
}

func (q *queries) SessionByBrowserHash(ctx context.Context, tenantID, hash string) (*iam.Session, error) {
	s, err := scanSession(q.r.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE browser_hash = $1 AND tenant_id = $2`, hash, tenantID))
	return s, storeErr(err, "session", nil)
}

func (q *queries) RotateBrowserHash(ctx context.Context, tenantID, sessionID, oldHash, newHash string) (bool, error) {
	res, err := q.w.ExecContext(ctx, `UPDATE sessions SET browser_hash = $1 WHERE tenant_id = $2 AND id = $3 AND browser_hash = $4`,
		nullString(newHash), tenantID, sessionID, oldHash)
	if err != nil {
		return false, storeErr(err, "session", conflict)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, iam.Internal(err)
	}
	return n == 1, nil
}

func (q *queries) TouchSession(ctx context.Context, tenantID, id string, lastSeen, expires time.Time) error {
	res, err := q.w.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE tenant_id = $3 AND id = $4`,
		ts(lastSeen), ts(expires), tenantID, id)
	return affected(res, err, "session")
}

func (q *queries) RevokeSession(ctx context.Context, tenantID, id string, at time.Time) error {
	res, err := q.w.ExecContext(ctx, `UPDATE sessions SET revoked_at = COALESCE(revoked_at, $1) WHERE tenant_id = $2 AND id = $3`,
		ts(at), tenantID, id)
	return affected(res, err, "session")
}

func (q *queries) RevokeUserSessions(ctx context.Context, tenantID, userID string, at time.Time) error {
	_, err := q.w.ExecContext(ctx, `UPDATE sessions SET revoked_at = $1 WHERE tenant_id = $2 AND user_id = $3 AND revoked_at IS NULL`,
		ts(at), tenantID, userID)
	if err != nil {
		return storeErr(err, "sessions", nil)
	}
	return q.endUserSteps(ctx, tenantID, userID)
}

// endUserSteps ends what the user started that would still end in a
// session or a grant: pending MFA steps, authorization requests signed in
// to but not exchanged for tokens, and device authorizations approved but
// not redeemed (denied, so that the device hears so).
func (q *queries) endUserSteps(ctx context.Context, tenantID, userID string) error {
	for _, stmt := range []string{
		`DELETE FROM mfa_challenges WHERE tenant_id = $1 AND user_id = $2`,
		`DELETE FROM oauth_auth_requests WHERE tenant_id = $1 AND user_id = $2 AND grant_session_id IS NULL`,
		`UPDATE oauth_device_authorizations SET state = '` + string(iam.DeviceDenied) + `' WHERE tenant_id = $1 AND user_id = $2 AND state = '` + string(iam.DeviceApproved) + `'`,
	} {
		if _, err := q.w.ExecContext(ctx, stmt, tenantID, userID); err != nil {
			return storeErr(err, "sign-in steps", nil)
		}
	}
	return nil
}

func (q *queries) CreateRefreshToken(ctx context.Context, t *iam.RefreshToken) error {
	_, err := q.w.ExecContext(ctx, `INSERT INTO refresh_tokens (id, tenant_id, session_id, token_hash, created_at, expires_at, rotated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, t.ID, t.TenantID, t.SessionID, t.Hash, ts(t.CreatedAt), ts(t.ExpiresAt), nullTime(t.RotatedAt))
	return storeErr(err, "refresh token", nil)
}

func (q *queries) RefreshTokenByHash(ctx context.Context, hash string) (*iam.RefreshToken, error) {
	var (
		t       iam.RefreshToken
		rotated sql.NullTime
	)
	err := q.r.QueryRowContext(ctx, `SELECT id, tenant_id, session_id, token_hash, created_at, expires_at, rotated_at
		FROM refresh_tokens WHERE token_hash = $1`, hash).Scan(&t.ID, &t.TenantID, &t.SessionID, &t.Hash, &t.CreatedAt, &t.ExpiresAt, &rotated)
	if err != nil {
		return nil, storeErr(err, "refresh token", nil)
	}
	t.CreatedAt, t.ExpiresAt, t.RotatedAt = t.CreatedAt.UTC(), t.ExpiresAt.UTC(), timePtr(rotated)
	return &t, nil
}

func (q *queries) MarkRefreshTokenRotated(ctx context.Context, id string, at time.Time) (bool, error) {
	res, err := q.w.ExecContext(ctx, `UPDATE refresh_tokens SET rotated_at = $1 WHERE id = $2 AND rotated_at IS NULL`, ts(at), id)
	if err != nil {
		return false, storeErr(err, "refresh token", nil)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, iam.Internal(err)
	}
	return n == 1, nil
}

func (q *queries) LockSession(ctx context.Context, tenantID, id string) error {
	// SQLite transactions hold the database's one write lock already.
	lock := ""
	if q.dialect == Postgres {
		lock = " FOR NO KEY UPDATE"
	}
	var got string
	err := q.w.QueryRowContext(ctx, `SELECT id FROM sessions WHERE tenant_id = $1 AND id = $2`+lock, tenantID, id).Scan(&got)
	return storeErr(err, "session", nil)
}
