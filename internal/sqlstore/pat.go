package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

const patColumns = `id, tenant_id, user_id, name, token_hash, display, scopes, created_at, expires_at, last_used_at, revoked_at`

func scanPAT(row scanner) (*iam.PersonalAccessToken, error) {
	var (
		t                iam.PersonalAccessToken
		scopes           sql.NullString
		lastUsed, revoke sql.NullTime
	)
	if err := row.Scan(&t.ID, &t.TenantID, &t.UserID, &t.Name, &t.Hash, &t.Display, &scopes, &t.CreatedAt, &t.ExpiresAt, &lastUsed, &revoke); err != nil {
		return nil, err
	}
	if scopes.Valid {
		if err := json.Unmarshal([]byte(scopes.String), &t.Scopes); err != nil {
			return nil, err
		}
	}
	t.CreatedAt, t.ExpiresAt = t.CreatedAt.UTC(), t.ExpiresAt.UTC()
	t.LastUsedAt, t.RevokedAt = timePtr(lastUsed), timePtr(revoke)
	return &t, nil
}

// nullStrings stores a list that may be absent: NULL for nil, JSON otherwise.
func nullStrings(s []string) sql.NullString {
	if s == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: marshalStrings(s), Valid: true}
}

// CreatePAT selects from users, as CreateCredential does, to keep a token out
// of a tenant its user is not in.
func (q *queries) CreatePAT(ctx context.Context, t *iam.PersonalAccessToken) error {
	res, err := q.w.ExecContext(ctx, `INSERT INTO personal_access_tokens (`+patColumns+`)
		SELECT $1, tenant_id, id, $4, $5, $6, $7, $8, $9, $10, $11 FROM users WHERE tenant_id = $2 AND id = $3`,
		t.ID, t.TenantID, t.UserID, t.Name, t.Hash, t.Display, nullStrings(t.Scopes), ts(t.CreatedAt), ts(t.ExpiresAt),
		nullTime(t.LastUsedAt), nullTime(t.RevokedAt))
	if err != nil {
		return storeErr(err, "personal access token", nil)
	}
	return affected(res, nil, "user")
}

func (q *queries) PATByHash(ctx context.Context, hash string) (*iam.PersonalAccessToken, error) {
	t, err := scanPAT(q.r.QueryRowContext(ctx, `SELECT `+patColumns+` FROM personal_access_tokens WHERE token_hash = $1`, hash))
	return t, storeErr(err, "personal access token", nil)
}

func (q *queries) ListPATs(ctx context.Context, tenantID, userID string, p iam.ListParams) ([]iam.PersonalAccessToken, int, error) {
	return list(ctx, q, listing{what: "personal access tokens", columns: patColumns, from: "personal_access_tokens",
		where: ` WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL`, args: []any{tenantID, userID},
		order: iam.Order{"created_at"}}, newestFirst(p), scanPAT)
}

// RevokePAT is one statement, so that of two racing revocations only one
// finds the token not yet revoked.
func (q *queries) RevokePAT(ctx context.Context, tenantID, userID, id string, at time.Time) (*iam.PersonalAccessToken, error) {
	t, err := scanPAT(q.w.QueryRowContext(ctx, `UPDATE personal_access_tokens SET revoked_at = $1
		WHERE tenant_id = $2 AND user_id = $3 AND id = $4 AND revoked_at IS NULL RETURNING `+patColumns, ts(at), tenantID, userID, id))
	return t, storeErr(err, "personal access token", nil)
}

func (q *queries) RecordPATUse(ctx context.Context, tenantID, id string, at time.Time) error {
	res, err := q.w.ExecContext(ctx, `UPDATE personal_access_tokens SET last_used_at = $1 WHERE tenant_id = $2 AND id = $3`,
		ts(at), tenantID, id)
	return affected(res, err, "personal access token")
}

const scimTokenColumns = `id, tenant_id, token_hash, display, created_by_type, created_by_id, created_at, expires_at, last_used_at, revoked_at, organization_id`

func scanSCIMToken(row scanner) (*iam.SCIMToken, error) {
	var (
		t                        iam.SCIMToken
		expires, lastUsed, revok sql.NullTime
		org                      sql.NullString
	)
	if err := row.Scan(&t.ID, &t.TenantID, &t.Hash, &t.Display, &t.CreatedBy.Type, &t.CreatedBy.ID, &t.CreatedAt, &expires, &lastUsed, &revok, &org); err != nil {
		return nil, err
	}
	t.OrganizationID = org.String
	t.CreatedAt = t.CreatedAt.UTC()
	t.ExpiresAt, t.LastUsedAt, t.RevokedAt = timePtr(expires), timePtr(lastUsed), timePtr(revok)
	return &t, nil
}

// scimTokenUnique names the unique constraint a new token can break: the
// tenant's (or organization's) one token not revoked (the hash is 256
// random bits).
func scimTokenUnique(string) iam.Code { return iam.CodeConflict }

func (q *queries) CreateSCIMToken(ctx context.Context, t *iam.SCIMToken) error {
	_, err := q.w.ExecContext(ctx, `INSERT INTO scim_tokens (`+scimTokenColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		t.ID, t.TenantID, t.Hash, t.Display, t.CreatedBy.Type, t.CreatedBy.ID, ts(t.CreatedAt), nullTime(t.ExpiresAt),
		nullTime(t.LastUsedAt), nullTime(t.RevokedAt), nullString(t.OrganizationID))
	return storeErr(err, "SCIM token", scimTokenUnique)
}

func (q *queries) ActiveSCIMToken(ctx context.Context, tenantID, orgID string) (*iam.SCIMToken, error) {
	t, err := scanSCIMToken(q.r.QueryRowContext(ctx, `SELECT `+scimTokenColumns+` FROM scim_tokens
		WHERE tenant_id = $1 AND COALESCE(organization_id, '') = $2 AND revoked_at IS NULL`, tenantID, orgID))
	return t, storeErr(err, "SCIM token", nil)
}

func (q *queries) SCIMTokenByHash(ctx context.Context, hash string) (*iam.SCIMToken, error) {
	t, err := scanSCIMToken(q.r.QueryRowContext(ctx, `SELECT `+scimTokenColumns+` FROM scim_tokens WHERE token_hash = $1`, hash))
	return t, storeErr(err, "SCIM token", nil)
}

// RevokeSCIMToken is one statement, so that of two racing revocations only
// one finds the token not yet revoked.
func (q *queries) RevokeSCIMToken(ctx context.Context, tenantID, orgID string, at time.Time) (*iam.SCIMToken, error) {
	t, err := scanSCIMToken(q.w.QueryRowContext(ctx, `UPDATE scim_tokens SET revoked_at = $1
		WHERE tenant_id = $2 AND COALESCE(organization_id, '') = $3 AND revoked_at IS NULL RETURNING `+scimTokenColumns, ts(at), tenantID, orgID))
	return t, storeErr(err, "SCIM token", nil)
}

func (q *queries) RecordSCIMTokenUse(ctx context.Context, tenantID, id string, at time.Time) error {
	res, err := q.w.ExecContext(ctx, `UPDATE scim_tokens SET last_used_at = $1 WHERE tenant_id = $2 AND id = $3`, ts(at), tenantID, id)
	return affected(res, err, "SCIM token")
}
