package sqlstore_test

import (
	"slices"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/sqlstore"
)

// Admin roles stored before the federation permission was renamed hold
// federated.manage afterwards.
func TestMigrationRenamesFederationManage(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := t.Context()
		if err := s.MigrateUpTo(ctx, 10); err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`INSERT INTO tenants (id, name, name_folded, is_system, created_at, updated_at) VALUES ($1, $2, $3, TRUE, $4, $4)`,
				[]any{"t1", "Default", "default", now}},
			{`INSERT INTO admin_roles (id, tenant_id, name, name_folded, description, permissions, created_at, updated_at) VALUES ($1, $2, $3, $4, '', $5, $6, $6)`,
				[]any{"r1", "t1", "sso", "sso", `["federation.manage","users.read"]`, now}},
			{`INSERT INTO admin_roles (id, tenant_id, name, name_folded, description, permissions, created_at, updated_at) VALUES ($1, $2, $3, $4, '', $5, $6, $6)`,
				[]any{"r2", "t1", "sso all", "sso all", `["federation.*"]`, now}},
		} {
			if _, err := s.DB().ExecContext(ctx, q.sql, q.args...); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		for id, want := range map[string][]string{"r1": {"federated.manage", "users.read"}, "r2": {"federated.*"}} {
			r, err := s.GetAdminRole(ctx, "t1", id)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(r.Permissions, want) {
				t.Errorf("role %s holds %v, want %v", id, r.Permissions, want)
			}
		}
	})
}
