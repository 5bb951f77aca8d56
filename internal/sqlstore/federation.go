package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

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
		domains = $5, jit_provisioning = $6, link_policy = $7, settings = $8, client_secret = $9, updated_at = $10, version = version + 1
		WHERE tenant_id = $11 AND id = $12 RETURNING version`,
		nullString(p.OrganizationID), p.Name, fold(p.Name), p.Enabled, stringList(p.Domains), p.JITProvisioning, p.LinkPolicy,
		string(p.Settings), p.ClientSecret, ts(p.UpdatedAt), p.TenantID, p.ID).Scan(&p.Version)
	return storeErr(err, "federated provider", func(string) iam.Code { return iam.CodeNameTaken })
}

func (q *queries) DeleteFederatedProvider(ctx context.Context, tenantID, id string) error {
	res, err := q.w.ExecContext(ctx, `DELETE FROM federated_providers WHERE tenant_id = $1 AND id = $2`, tenantID, id)
	return affected(res, err, "federated provider")
}
