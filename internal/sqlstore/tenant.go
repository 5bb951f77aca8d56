package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

func hostnameTaken(string) iam.Code { return iam.CodeHostnameTaken }

// tenantUnique names the unique constraint a tenant row can break besides
// its fresh id: its external id (or the one system tenant).
func tenantUnique(constraint string) iam.Code {
	if strings.Contains(constraint, "external_id") {
		return iam.CodeExternalIDTaken
	}
	return iam.CodeConflict
}

func (q *queries) CreateTenant(ctx context.Context, t *iam.Tenant) error {
	t.Version = 1
	_, err := q.w.ExecContext(ctx,
		`INSERT INTO tenants (id, name, name_folded, is_system, created_at, updated_at, version, external_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		t.ID, t.Name, fold(t.Name), t.System, ts(t.CreatedAt), ts(t.UpdatedAt), t.Version, nullString(t.ExternalID))
	if err != nil {
		return storeErr(err, "tenant", tenantUnique)
	}
	return q.insertHostnames(ctx, t.ID, t.Hostnames)
}

// insertHostnames stores hostnames with their positions in the list, which
// reads them back in the same order. Rows go in in sorted order, so that
// transactions inserting the same hostnames take their locks in one order.
func (q *queries) insertHostnames(ctx context.Context, tenantID string, hostnames []string) error {
	order := make([]int, len(hostnames))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return hostnames[order[a]] < hostnames[order[b]] })
	for _, i := range order {
		if _, err := q.w.ExecContext(ctx,
			`INSERT INTO tenant_hostnames (hostname, tenant_id, position) VALUES ($1, $2, $3)`, hostnames[i], tenantID, i); err != nil {
			return storeErr(err, "tenant hostname", hostnameTaken)
		}
	}
	return nil
}

const tenantColumns = `id, name, is_system, created_at, updated_at, version, external_id`

func scanTenant(row scanner) (*iam.Tenant, error) {
	var (
		t   iam.Tenant
		ext sql.NullString
	)
	if err := row.Scan(&t.ID, &t.Name, &t.System, &t.CreatedAt, &t.UpdatedAt, &t.Version, &ext); err != nil {
		return nil, err
	}
	t.CreatedAt, t.UpdatedAt, t.ExternalID = t.CreatedAt.UTC(), t.UpdatedAt.UTC(), ext.String
	return &t, nil
}

func (q *queries) tenantWhere(ctx context.Context, where string, args ...any) (*iam.Tenant, error) {
	t, err := scanTenant(q.r.QueryRowContext(ctx, `SELECT `+tenantColumns+` FROM tenants WHERE `+where, args...))
	if err != nil {
		return nil, storeErr(err, "tenant", nil)
	}
	if t.Hostnames, err = q.hostnames(ctx, t.ID); err != nil {
		return nil, err
	}
	return t, nil
}

func (q *queries) hostnames(ctx context.Context, tenantID string) ([]string, error) {
	rows, err := q.r.QueryContext(ctx, `SELECT hostname FROM tenant_hostnames WHERE tenant_id = $1 ORDER BY position, hostname`+q.bytewise(), tenantID)
	if err != nil {
		return nil, storeErr(err, "tenant hostnames", nil)
	}
	defer rows.Close()
	hosts := []string{}
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, storeErr(err, "tenant hostnames", nil)
		}
		hosts = append(hosts, h)
	}
	return hosts, storeErr(rows.Err(), "tenant hostnames", nil)
}

func (q *queries) GetTenant(ctx context.Context, id string) (*iam.Tenant, error) {
	return q.tenantWhere(ctx, `id = $1`, id)
}

func (q *queries) GetTenantForUpdate(ctx context.Context, id string) (*iam.Tenant, error) {
	if err := q.lockRow(ctx, "tenants", "tenant", `id = $1`, id); err != nil {
		return nil, err
	}
	return q.GetTenant(ctx, id)
}

func (q *queries) SystemTenant(ctx context.Context) (*iam.Tenant, error) {
	return q.tenantWhere(ctx, `is_system = $1`, true)
}

func (q *queries) TenantByHostname(ctx context.Context, hostname string) (*iam.Tenant, error) {
	return q.tenantWhere(ctx, `id = (SELECT tenant_id FROM tenant_hostnames WHERE hostname = $1)`, hostname)
}

func (q *queries) TenantByExternalID(ctx context.Context, externalID string) (*iam.Tenant, error) {
	return q.tenantWhere(ctx, `external_id = $1`, externalID)
}

func (q *queries) ListTenants(ctx context.Context, p iam.ListParams) ([]iam.Tenant, int, error) {
	where, args := ` WHERE 1 = 1`, []any{}
	if p.Search != "" {
		args = append(args, likePattern(p.Search))
		where += ` AND name_folded LIKE $1 ESCAPE '\'`
	}
	tenants, total, err := list(ctx, q, listing{what: "tenants", columns: tenantColumns, from: "tenants", where: where, args: args,
		order: iam.TenantOrder, sortBy: foldedName}, p, scanTenant)
	if err != nil {
		return nil, 0, err
	}
	ids := make([]string, len(tenants))
	index := make(map[string]int, len(tenants))
	for i := range tenants {
		ids[i], index[tenants[i].ID] = tenants[i].ID, i
		tenants[i].Hostnames = []string{}
	}
	if len(ids) > 0 {
		marks, args := placeholders(nil, ids)
		rows, err := q.r.QueryContext(ctx, `SELECT tenant_id, hostname FROM tenant_hostnames WHERE tenant_id IN (`+marks+`)
			ORDER BY position, hostname`+q.bytewise(), args...)
		if err != nil {
			return nil, 0, storeErr(err, "tenant hostnames", nil)
		}
		err = eachRow(rows, func(r *sql.Rows) error {
			var tenantID, host string
			if err := r.Scan(&tenantID, &host); err != nil {
				return err
			}
			t := &tenants[index[tenantID]]
			t.Hostnames = append(t.Hostnames, host)
			return nil
		})
		if err != nil {
			return nil, 0, storeErr(err, "tenant hostnames", nil)
		}
	}
	return tenants, total, nil
}

func (q *queries) UpdateTenant(ctx context.Context, t *iam.Tenant) error {
	err := q.w.QueryRowContext(ctx, `UPDATE tenants SET name = $1, name_folded = $2, updated_at = $3, external_id = $4, version = version + 1
		WHERE id = $5 RETURNING version`, t.Name, fold(t.Name), ts(t.UpdatedAt), nullString(t.ExternalID), t.ID).Scan(&t.Version)
	if err != nil {
		return storeErr(err, "tenant", tenantUnique)
	}
	if _, err := q.w.ExecContext(ctx, `DELETE FROM tenant_hostnames WHERE tenant_id = $1`, t.ID); err != nil {
		return storeErr(err, "tenant hostnames", nil)
	}
	return q.insertHostnames(ctx, t.ID, t.Hostnames)
}

func (q *queries) DeleteTenant(ctx context.Context, id string) error {
	res, err := q.w.ExecContext(ctx, `DELETE FROM tenants WHERE id = $1`, id)
	return affected(res, err, "tenant")
}

func (q *queries) LockTenant(ctx context.Context, id string) error {
	if q.dialect == SQLite {
		// SQLite transactions begin IMMEDIATE: the writer lock is already held.
		return nil
	}
	// An advisory lock, not a row lock: a row lock would conflict with the
	// KEY SHARE locks that every insert referring to the tenant takes.
	_, err := q.w.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('tenant:' || $1, 0))`, id)
	return storeErr(err, "tenant lock", nil)
}

// limitClause appends LIMIT and OFFSET placeholders after n other arguments.
func limitClause(n int) string {
	return fmt.Sprintf(" LIMIT $%d OFFSET $%d", n+1, n+2)
}

// eachRow calls fn for every row and closes rows.
func eachRow(rows *sql.Rows, fn func(*sql.Rows) error) error {
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
