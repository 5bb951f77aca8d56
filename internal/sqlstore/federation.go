package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

const federatedProviderColumns = `id, tenant_id, organization_id, name, kind, enabled, domains, jit_provisioning, link_policy, settings,
	client_secret, created_at, updated_at, version`

func scanFederatedProvider(row scanner) (*iam.FederatedProvider, error) {
	var (
		p             iam.FederatedProvider
		org           sql.NullString
		kind, domains string
		settings      string
		secret        []byte
	)
	if err := row.Scan(&p.ID, &p.TenantID, &org, &p.Name, &kind, &p.Enabled, &domains, &p.JITProvisioning, &p.LinkPolicy, &settings,
		&secret, &p.CreatedAt, &p.UpdatedAt, &p.Version); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(domains), &p.Domains); err != nil {
		return nil, fmt.Errorf("federated provider %s: %w", p.ID, err)
	}
	p.OrganizationID, p.Kind, p.Settings, p.ClientSecret = org.String, iam.ProviderKind(kind), []byte(settings), secret
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	return &p, nil
}

func (q *queries) CreateFederatedProvider(ctx context.Context, p *iam.FederatedProvider) error {
	p.Version = 1
	_, err := q.w.ExecContext(ctx, `INSERT INTO federated_providers (`+federatedProviderColumns+`, name_folded)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		p.ID, p.TenantID, nullString(p.OrganizationID), p.Name, string(p.Kind), p.Enabled, stringList(p.Domains), p.JITProvisioning,
		p.LinkPolicy, string(p.Settings), p.ClientSecret, ts(p.CreatedAt), ts(p.UpdatedAt), p.Version, fold(p.Name))
	return storeErr(err, "federated provider", func(string) iam.Code { return iam.CodeNameTaken })
}

func (q *queries) GetFederatedProvider(ctx context.Context, tenantID, id string) (*iam.FederatedProvider, error) {
	p, err := scanFederatedProvider(q.r.QueryRowContext(ctx, `SELECT `+federatedProviderColumns+` FROM federated_providers
		WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	return p, storeErr(err, "federated provider", nil)
}

func (q *queries) GetFederatedProviderForUpdate(ctx context.Context, tenantID, id string) (*iam.FederatedProvider, error) {
	if err := q.lockRow(ctx, "federated_providers", "federated provider", `tenant_id = $1 AND id = $2`, tenantID, id); err != nil {
		return nil, err
	}
	return q.GetFederatedProvider(ctx, tenantID, id)
}

func (q *queries) ListFederatedProviders(ctx context.Context, tenantID string) ([]iam.FederatedProvider, error) {
	rows, err := q.r.QueryContext(ctx, `SELECT `+federatedProviderColumns+` FROM federated_providers WHERE tenant_id = $1
		ORDER BY name_folded, id`, tenantID)
	if err != nil {
		return nil, storeErr(err, "federated providers", nil)
	}
	out := []iam.FederatedProvider{}
	err = eachRow(rows, func(r *sql.Rows) error {
		p, err := scanFederatedProvider(r)
		if err == nil {
			out = append(out, *p)
		}
		return err
	})
	return out, storeErr(err, "federated providers", nil)
}

func (q *queries) UpdateFederatedProvider(ctx context.Context, p *iam.FederatedProvider) error {
	err := q.w.QueryRowContext(ctx, `UPDATE federated_providers SET organization_id = $1, name = $2, name_folded = $3, enabled = $4,
		domains = $5, jit_provisioning = $6, link_policy = $7, settings = $8, client_secret = $9, updated_at = $10, kind = $11,
		version = version + 1 WHERE tenant_id = $12 AND id = $13 RETURNING version`,
		nullString(p.OrganizationID), p.Name, fold(p.Name), p.Enabled, stringList(p.Domains), p.JITProvisioning, p.LinkPolicy,
		string(p.Settings), p.ClientSecret, ts(p.UpdatedAt), string(p.Kind), p.TenantID, p.ID).Scan(&p.Version)
	return storeErr(err, "federated provider", func(string) iam.Code { return iam.CodeNameTaken })
}

func (q *queries) DeleteFederatedProvider(ctx context.Context, tenantID, id string) error {
	res, err := q.w.ExecContext(ctx, `DELETE FROM federated_providers WHERE tenant_id = $1 AND id = $2`, tenantID, id)
	return affected(res, err, "federated provider")
}

const federatedIdentityColumns = `id, tenant_id, provider_id, user_id, subject, email, created_at, last_login_at`

func scanFederatedIdentity(row scanner) (*iam.FederatedIdentity, error) {
	var (
		i    iam.FederatedIdentity
		last sql.NullTime
	)
	if err := row.Scan(&i.ID, &i.TenantID, &i.ProviderID, &i.UserID, &i.Subject, &i.Email, &i.CreatedAt, &last); err != nil {
		return nil, err
	}
	i.CreatedAt, i.LastLoginAt = i.CreatedAt.UTC(), timePtr(last)
	return &i, nil
}

func (q *queries) CreateFederatedIdentity(ctx context.Context, i *iam.FederatedIdentity) error {
	_, err := q.w.ExecContext(ctx, `INSERT INTO federated_identities (`+federatedIdentityColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		i.ID, i.TenantID, i.ProviderID, i.UserID, i.Subject, i.Email, ts(i.CreatedAt), nullTime(i.LastLoginAt))
	return storeErr(err, "federated identity", conflict)
}

func (q *queries) GetFederatedIdentityBySubject(ctx context.Context, tenantID, providerID, subject string) (*iam.FederatedIdentity, error) {
	i, err := scanFederatedIdentity(q.r.QueryRowContext(ctx, `SELECT `+federatedIdentityColumns+` FROM federated_identities
		WHERE provider_id = $1 AND subject = $2 AND tenant_id = $3`, providerID, subject, tenantID))
	return i, storeErr(err, "federated identity", nil)
}

func (q *queries) ListFederatedIdentities(ctx context.Context, tenantID, userID string) ([]iam.FederatedIdentity, error) {
	rows, err := q.r.QueryContext(ctx, `SELECT `+federatedIdentityColumns+` FROM federated_identities WHERE tenant_id = $1 AND user_id = $2
		ORDER BY created_at, id`, tenantID, userID)
	if err != nil {
		return nil, storeErr(err, "federated identities", nil)
	}
	out := []iam.FederatedIdentity{}
	err = eachRow(rows, func(r *sql.Rows) error {
		i, err := scanFederatedIdentity(r)
		if err == nil {
			out = append(out, *i)
		}
		return err
	})
	return out, storeErr(err, "federated identities", nil)
}

func (q *queries) RecordFederatedSignIn(ctx context.Context, tenantID, id, email string, at time.Time) error {
	res, err := q.w.ExecContext(ctx, `UPDATE federated_identities SET email = $1, last_login_at = $2 WHERE tenant_id = $3 AND id = $4`,
		email, ts(at), tenantID, id)
	return affected(res, err, "federated identity")
}

func (q *queries) DeleteFederatedIdentity(ctx context.Context, tenantID, userID, id string) error {
	res, err := q.w.ExecContext(ctx, `DELETE FROM federated_identities WHERE tenant_id = $1 AND user_id = $2 AND id = $3`, tenantID, userID, id)
	return affected(res, err, "federated identity")
}

func (q *queries) DeleteProviderIdentities(ctx context.Context, tenantID, providerID string) (int64, error) {
	res, err := q.w.ExecContext(ctx, `DELETE FROM federated_identities WHERE tenant_id = $1 AND provider_id = $2`, tenantID, providerID)
	if err != nil {
		return 0, storeErr(err, "federated identities", nil)
	}
	n, err := res.RowsAffected()
	return n, storeErr(err, "federated identities", nil)
}

const federatedLoginColumns = `id, tenant_id, provider_id, browser_hash, nonce, verifier, return_to, link_user_id, created_at, expires_at, previous_session_id`

func (q *queries) CreateFederatedLogin(ctx context.Context, l *iam.FederatedLogin) error {
	if _, err := q.w.ExecContext(ctx, `DELETE FROM federated_logins WHERE expires_at < $1`, ts(l.CreatedAt)); err != nil {
		return storeErr(err, "federated login", nil)
	}
	_, err := q.w.ExecContext(ctx, `INSERT INTO federated_logins (`+federatedLoginColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		l.ID, l.TenantID, l.ProviderID, l.BrowserHash, l.Nonce, l.Verifier, l.ReturnTo, nullString(l.LinkUserID), ts(l.CreatedAt), ts(l.ExpiresAt),
		l.PreviousSessionID)
	return storeErr(err, "federated login", conflict)
}

// TakeFederatedLogin is one statement: DELETE … RETURNING answers the row
// to the one caller whose statement removed it.
func (q *queries) TakeFederatedLogin(ctx context.Context, tenantID, id string, now time.Time) (*iam.FederatedLogin, error) {
	var (
		l    iam.FederatedLogin
		link sql.NullString
	)
	err := q.w.QueryRowContext(ctx, `DELETE FROM federated_logins WHERE tenant_id = $1 AND id = $2 RETURNING `+federatedLoginColumns,
		tenantID, id).Scan(&l.ID, &l.TenantID, &l.ProviderID, &l.BrowserHash, &l.Nonce, &l.Verifier, &l.ReturnTo, &link, &l.CreatedAt, &l.ExpiresAt,
		&l.PreviousSessionID)
	if err != nil {
		return nil, storeErr(err, "federated login", nil)
	}
	l.LinkUserID, l.CreatedAt, l.ExpiresAt = link.String, l.CreatedAt.UTC(), l.ExpiresAt.UTC()
	if !l.ExpiresAt.After(now) {
		return nil, iam.Errorf(iam.CodeNotFound, "federated login not found")
	}
	return &l, nil
}

const ssoSetupLinkColumns = `id, tenant_id, organization_id, token_hash, provider_id, domains, created_at, expires_at, completed_at, version`

func scanSSOSetupLink(row scanner) (*iam.SSOSetupLink, error) {
	var (
		l         iam.SSOSetupLink
		domains   string
		completed sql.NullTime
	)
	if err := row.Scan(&l.ID, &l.TenantID, &l.OrganizationID, &l.TokenHash, &l.ProviderID, &domains, &l.CreatedAt, &l.ExpiresAt,
		&completed, &l.Version); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(domains), &l.Domains); err != nil {
		return nil, fmt.Errorf("sso setup link %s: %w", l.ID, err)
	}
	for i := range l.Domains {
		if v := l.Domains[i].VerifiedAt; v != nil {
			utc := v.UTC()
			l.Domains[i].VerifiedAt = &utc
		}
	}
	l.CreatedAt, l.ExpiresAt, l.CompletedAt = l.CreatedAt.UTC(), l.ExpiresAt.UTC(), timePtr(completed)
	return &l, nil
}

// setupDomains is the JSON of a link's domains, their times kept to the
// microsecond as every stored time is.
func setupDomains(d []iam.SetupDomain) (string, error) {
	out := make([]iam.SetupDomain, len(d))
	for i, sd := range d {
		out[i] = iam.SetupDomain{Name: sd.Name}
		if sd.VerifiedAt != nil {
			v := sd.VerifiedAt.UTC().Truncate(time.Microsecond)
			out[i].VerifiedAt = &v
		}
	}
	b, err := json.Marshal(out)
	return string(b), err
}

func (q *queries) CreateSSOSetupLink(ctx context.Context, l *iam.SSOSetupLink) error {
	domains, err := setupDomains(l.Domains)
	if err != nil {
		return iam.Internal(err)
	}
	l.Version = 1
	_, err = q.w.ExecContext(ctx, `INSERT INTO sso_setup_links (`+ssoSetupLinkColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		l.ID, l.TenantID, l.OrganizationID, l.TokenHash, l.ProviderID, domains, ts(l.CreatedAt), ts(l.ExpiresAt), nullTime(l.CompletedAt), l.Version)
	return storeErr(err, "sso setup link", conflict)
}

func (q *queries) GetSSOSetupLinkByHash(ctx context.Context, tenantID, hash string) (*iam.SSOSetupLink, error) {
	l, err := scanSSOSetupLink(q.r.QueryRowContext(ctx, `SELECT `+ssoSetupLinkColumns+` FROM sso_setup_links
		WHERE token_hash = $1 AND tenant_id = $2`, hash, tenantID))
	return l, storeErr(err, "sso setup link", nil)
}

func (q *queries) GetSSOSetupLinkForUpdate(ctx context.Context, tenantID, id string) (*iam.SSOSetupLink, error) {
	if err := q.lockRow(ctx, "sso_setup_links", "sso setup link", `tenant_id = $1 AND id = $2`, tenantID, id); err != nil {
		return nil, err
	}
	l, err := scanSSOSetupLink(q.r.QueryRowContext(ctx, `SELECT `+ssoSetupLinkColumns+` FROM sso_setup_links
		WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	return l, storeErr(err, "sso setup link", nil)
}

func (q *queries) UpdateSSOSetupLink(ctx context.Context, l *iam.SSOSetupLink) error {
	domains, err := setupDomains(l.Domains)
	if err != nil {
		return iam.Internal(err)
	}
	err = q.w.QueryRowContext(ctx, `UPDATE sso_setup_links SET domains = $1, completed_at = $2, version = version + 1
		WHERE tenant_id = $3 AND id = $4 RETURNING version`, domains, nullTime(l.CompletedAt), l.TenantID, l.ID).Scan(&l.Version)
	return storeErr(err, "sso setup link", nil)
}

func (q *queries) ListSSOSetupLinks(ctx context.Context, tenantID, orgID string) ([]iam.SSOSetupLink, error) {
	rows, err := q.r.QueryContext(ctx, `SELECT `+ssoSetupLinkColumns+` FROM sso_setup_links WHERE tenant_id = $1 AND organization_id = $2
		ORDER BY created_at DESC, id DESC`, tenantID, orgID)
	if err != nil {
		return nil, storeErr(err, "sso setup links", nil)
	}
	out := []iam.SSOSetupLink{}
	err = eachRow(rows, func(r *sql.Rows) error {
		l, err := scanSSOSetupLink(r)
		if err == nil {
			out = append(out, *l)
		}
		return err
	})
	return out, storeErr(err, "sso setup links", nil)
}

func (q *queries) DeleteSSOSetupLink(ctx context.Context, tenantID, orgID, id string) error {
	res, err := q.w.ExecContext(ctx, `DELETE FROM sso_setup_links WHERE tenant_id = $1 AND organization_id = $2 AND id = $3`, tenantID, orgID, id)
	return affected(res, err, "sso setup link")
}

func (q *queries) EndSSOSetupLinks(ctx context.Context, tenantID, providerID string, at time.Time) error {
	_, err := q.w.ExecContext(ctx, `UPDATE sso_setup_links SET completed_at = $1, version = version + 1
		WHERE tenant_id = $2 AND provider_id = $3 AND completed_at IS NULL`, ts(at), tenantID, providerID)
	return storeErr(err, "sso setup links", nil)
}
