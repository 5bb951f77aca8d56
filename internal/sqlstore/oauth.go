package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

const authRequestColumns = `id, tenant_id, application_id, request, user_id, browser_session_id, auth_time, amr, code_hash, grant_session_id, created_at, expires_at`

func (q *queries) CreateAuthRequest(ctx context.Context, r *iam.AuthRequest) error {
	_, err := q.w.ExecContext(ctx, `INSERT INTO oauth_auth_requests (`+authRequestColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		r.ID, r.TenantID, r.ApplicationID, string(r.Request), nullString(r.UserID), nullString(r.BrowserSessionID),
		nullTime(r.AuthTime), marshalStrings(r.AMR), nullString(r.CodeHash), nullString(r.GrantSessionID), ts(r.CreatedAt), ts(r.ExpiresAt))
	return storeErr(err, "authorization request", nil)
}

func scanAuthRequest(row scanner) (*iam.AuthRequest, error) {
	var (
		r                                 iam.AuthRequest
		request, amr                      string
		user, browser, code, grantSession sql.NullString
		auth                              sql.NullTime
	)
	if err := row.Scan(&r.ID, &r.TenantID, &r.ApplicationID, &request, &user, &browser, &auth, &amr, &code, &grantSession,
		&r.CreatedAt, &r.ExpiresAt); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(amr), &r.AMR); err != nil {
		return nil, err
	}
	r.Request, r.UserID, r.BrowserSessionID, r.AuthTime = []byte(request), user.String, browser.String, timePtr(auth)
	r.CodeHash, r.GrantSessionID = code.String, grantSession.String
	r.CreatedAt, r.ExpiresAt = r.CreatedAt.UTC(), r.ExpiresAt.UTC()
	return &r, nil
}

func (q *queries) GetAuthRequest(ctx context.Context, tenantID, id string) (*iam.AuthRequest, error) {
	r, err := scanAuthRequest(q.r.QueryRowContext(ctx, `SELECT `+authRequestColumns+` FROM oauth_auth_requests
		WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	return r, storeErr(err, "authorization request", nil)
}

func (q *queries) AuthRequestByCodeHash(ctx context.Context, hash string) (*iam.AuthRequest, error) {
	r, err := scanAuthRequest(q.r.QueryRowContext(ctx, `SELECT `+authRequestColumns+` FROM oauth_auth_requests
		WHERE code_hash = $1`, hash))
	return r, storeErr(err, "authorization request", nil)
}

func (q *queries) CompleteAuthRequest(ctx context.Context, tenantID, id, userID, browserSessionID string, authTime time.Time, amr []string) (bool, error) {
	res, err := q.w.ExecContext(ctx, `UPDATE oauth_auth_requests SET user_id = $1, browser_session_id = $2, auth_time = $3, amr = $4
		WHERE tenant_id = $5 AND id = $6 AND user_id IS NULL`, userID, browserSessionID, ts(authTime), marshalStrings(amr), tenantID, id)
	return changedOne(res, err, "authorization request")
}

func (q *queries) SetAuthRequestCode(ctx context.Context, tenantID, id, codeHash string, expires time.Time) (bool, error) {
	res, err := q.w.ExecContext(ctx, `UPDATE oauth_auth_requests SET code_hash = $1, expires_at = $2
		WHERE tenant_id = $3 AND id = $4 AND code_hash IS NULL AND user_id IS NOT NULL`, codeHash, ts(expires), tenantID, id)
	return changedOne(res, err, "authorization request")
}

func (q *queries) ClaimAuthRequest(ctx context.Context, tenantID, id, grantSessionID string) (bool, error) {
	res, err := q.w.ExecContext(ctx, `UPDATE oauth_auth_requests SET grant_session_id = $1
		WHERE tenant_id = $2 AND id = $3 AND grant_session_id IS NULL AND code_hash IS NOT NULL`, grantSessionID, tenantID, id)
	return changedOne(res, err, "authorization request")
}

func (q *queries) DeleteAuthRequest(ctx context.Context, tenantID, id string) error {
	res, err := q.w.ExecContext(ctx, `DELETE FROM oauth_auth_requests WHERE tenant_id = $1 AND id = $2`, tenantID, id)
	return affected(res, err, "authorization request")
}

func (q *queries) DeleteExpiredAuthRequests(ctx context.Context, t time.Time) (int, error) {
	total := 0
	for _, table := range []string{"oauth_auth_requests", "oauth_device_authorizations", "oauth_used_assertions"} {
		res, err := q.w.ExecContext(ctx, `DELETE FROM `+table+` WHERE expires_at < $1`, ts(t))
		if err != nil {
			return 0, storeErr(err, table, nil)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, iam.Internal(err)
		}
		total += int(n)
	}
	return total, nil
}

func (q *queries) UseAssertion(ctx context.Context, tenantID, clientID, jti string, expires time.Time) (bool, error) {
	res, err := q.w.ExecContext(ctx, `INSERT INTO oauth_used_assertions (tenant_id, client_id, jti, expires_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (tenant_id, client_id, jti) DO NOTHING`, tenantID, clientID, jti, ts(expires))
	return changedOne(res, err, "assertion")
}

// changedOne reports whether an update guarded by its WHERE clause changed
// its row.
func changedOne(res sql.Result, err error, what string) (bool, error) {
	if err != nil {
		return false, storeErr(err, what, nil)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, iam.Internal(err)
	}
	return n == 1, nil
}

// consentInserts add one granted scope, or one resource, to a consent.
var consentInserts = [2]string{consentInsert("oauth_consents", "scope"), consentInsert("oauth_consent_resources", "resource")}

func consentInsert(table, column string) string {
	return `INSERT INTO ` + table + ` (tenant_id, user_id, application_id, ` + column + `, created_at)
		SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM applications WHERE id = $3 AND tenant_id = $1)
		ON CONFLICT (user_id, application_id, ` + column + `) DO NOTHING`
}

func (q *queries) GrantConsent(ctx context.Context, tenantID, userID, applicationID string, scopes, resources []string, at time.Time) error {
	for i, granted := range [2][]string{scopes, resources} {
		for _, v := range granted {
			if _, err := q.w.ExecContext(ctx, consentInserts[i], tenantID, userID, applicationID, v, ts(at)); err != nil {
				return storeErr(err, "consent", nil)
			}
		}
	}
	return nil
}

func (q *queries) ConsentedScopes(ctx context.Context, tenantID, userID, applicationID string) ([]string, error) {
	return q.consented(ctx, `SELECT scope FROM oauth_consents WHERE tenant_id = $1 AND user_id = $2 AND application_id = $3
		ORDER BY scope`, tenantID, userID, applicationID)
}

func (q *queries) ConsentedResources(ctx context.Context, tenantID, userID, applicationID string) ([]string, error) {
	return q.consented(ctx, `SELECT resource FROM oauth_consent_resources WHERE tenant_id = $1 AND user_id = $2 AND application_id = $3
		ORDER BY resource`, tenantID, userID, applicationID)
}

// consented runs query, which selects one text column, and returns its
// values; none when there are none.
func (q *queries) consented(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := q.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, storeErr(err, "consent", nil)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, storeErr(err, "consent", nil)
		}
		out = append(out, v)
	}
	return out, storeErr(rows.Err(), "consent", nil)
}

func (q *queries) ListConsents(ctx context.Context, tenantID, userID string) ([]iam.Consent, error) {
	rows, err := q.r.QueryContext(ctx, `SELECT c.application_id, a.name, c.scope, c.created_at
		FROM oauth_consents c JOIN applications a ON a.id = c.application_id
		WHERE c.tenant_id = $1 AND c.user_id = $2 ORDER BY a.name, c.application_id, c.scope`, tenantID, userID)
	if err != nil {
		return nil, storeErr(err, "consents", nil)
	}
	defer rows.Close()
	out := []iam.Consent{}
	for rows.Next() {
		var (
			appID, name, scope string
			created            time.Time
		)
		if err := rows.Scan(&appID, &name, &scope, &created); err != nil {
			return nil, storeErr(err, "consents", nil)
		}
		created = created.UTC()
		if n := len(out); n > 0 && out[n-1].ApplicationID == appID {
			c := &out[n-1]
			c.Scopes = append(c.Scopes, scope)
			if created.Before(c.CreatedAt) {
				c.CreatedAt = created
			}
			continue
		}
		out = append(out, iam.Consent{TenantID: tenantID, UserID: userID, ApplicationID: appID, ApplicationName: name,
			Scopes: []string{scope}, Resources: []string{}, CreatedAt: created})
	}
	if err := rows.Err(); err != nil {
		return nil, storeErr(err, "consents", nil)
	}
	for i := range out {
		if out[i].Resources, err = q.ConsentedResources(ctx, tenantID, userID, out[i].ApplicationID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (q *queries) RevokeConsent(ctx context.Context, tenantID, userID, applicationID string) (bool, error) {
	if _, err := q.w.ExecContext(ctx, `DELETE FROM oauth_consent_resources WHERE tenant_id = $1 AND user_id = $2 AND application_id = $3`,
		tenantID, userID, applicationID); err != nil {
		return false, storeErr(err, "consent", nil)
	}
	res, err := q.w.ExecContext(ctx, `DELETE FROM oauth_consents WHERE tenant_id = $1 AND user_id = $2 AND application_id = $3`,
		tenantID, userID, applicationID)
	if err != nil {
		return false, storeErr(err, "consent", nil)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, iam.Internal(err)
	}
	return n > 0, nil
}

func (q *queries) RevokeApplicationGrants(ctx context.Context, tenantID, userID, applicationID string, at time.Time) error {
	_, err := q.w.ExecContext(ctx, `UPDATE sessions SET revoked_at = $1
		WHERE tenant_id = $2 AND user_id = $3 AND application_id = $4 AND revoked_at IS NULL`, ts(at), tenantID, userID, applicationID)
	return storeErr(err, "sessions", nil)
}

const deviceColumns = `device_code_hash, tenant_id, application_id, user_code, scopes, state, user_id, auth_time, amr, created_at, expires_at, resources`

func (q *queries) CreateDeviceAuthorization(ctx context.Context, d *iam.DeviceAuthorization) error {
	_, err := q.w.ExecContext(ctx, `INSERT INTO oauth_device_authorizations (`+deviceColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		d.CodeHash, d.TenantID, d.ApplicationID, d.UserCode, marshalStrings(d.Scopes), string(d.State), nullString(d.UserID),
		nullTime(d.AuthTime), marshalStrings(d.AMR), ts(d.CreatedAt), ts(d.ExpiresAt), marshalStrings(d.Resources))
	return storeErr(err, "device authorization", conflict)
}

func scanDevice(row scanner) (*iam.DeviceAuthorization, error) {
	var (
		d                          iam.DeviceAuthorization
		scopes, amr, st, resources string
		user                       sql.NullString
		auth                       sql.NullTime
	)
	if err := row.Scan(&d.CodeHash, &d.TenantID, &d.ApplicationID, &d.UserCode, &scopes, &st, &user, &auth, &amr,
		&d.CreatedAt, &d.ExpiresAt, &resources); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(resources), &d.Resources); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(scopes), &d.Scopes); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(amr), &d.AMR); err != nil {
		return nil, err
	}
	d.State, d.UserID, d.AuthTime = iam.DeviceState(st), user.String, timePtr(auth)
	d.CreatedAt, d.ExpiresAt = d.CreatedAt.UTC(), d.ExpiresAt.UTC()
	return &d, nil
}

func (q *queries) DeviceAuthorizationByCodeHash(ctx context.Context, hash string) (*iam.DeviceAuthorization, error) {
	d, err := scanDevice(q.r.QueryRowContext(ctx, `SELECT `+deviceColumns+` FROM oauth_device_authorizations WHERE device_code_hash = $1`, hash))
	return d, storeErr(err, "device authorization", nil)
}

func (q *queries) DeviceAuthorizationByUserCode(ctx context.Context, tenantID, userCode string) (*iam.DeviceAuthorization, error) {
	d, err := scanDevice(q.r.QueryRowContext(ctx, `SELECT `+deviceColumns+` FROM oauth_device_authorizations
		WHERE tenant_id = $1 AND user_code = $2`, tenantID, userCode))
	return d, storeErr(err, "device authorization", nil)
}

func (q *queries) DecideDeviceAuthorization(ctx context.Context, tenantID, hash, userID string, authTime time.Time, amr []string, approve bool) (bool, error) {
	state := iam.DeviceDenied
	if approve {
		state = iam.DeviceApproved
	}
	res, err := q.w.ExecContext(ctx, `UPDATE oauth_device_authorizations SET state = $1, user_id = $2, auth_time = $3, amr = $4
		WHERE tenant_id = $5 AND device_code_hash = $6 AND state = $7`,
		string(state), userID, ts(authTime), marshalStrings(amr), tenantID, hash, string(iam.DevicePending))
	return changedOne(res, err, "device authorization")
}

func (q *queries) UseDeviceAuthorization(ctx context.Context, hash string) (bool, error) {
	res, err := q.w.ExecContext(ctx, `UPDATE oauth_device_authorizations SET state = $1 WHERE device_code_hash = $2 AND state = $3`,
		string(iam.DeviceUsed), hash, string(iam.DeviceApproved))
	return changedOne(res, err, "device authorization")
}
