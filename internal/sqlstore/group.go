package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

func groupUnique(constraint string) iam.Code {
	if strings.Contains(constraint, "external_id") {
		return iam.CodeExternalIDTaken
	}
	return iam.CodeNameTaken
}

const groupColumns = `id, tenant_id, name, description, external_id, created_at, updated_at, version`

func scanGroup(row scanner) (*iam.Group, error) {
	var (
		g   iam.Group
		ext sql.NullString
	)
	if err := row.Scan(&g.ID, &g.TenantID, &g.Name, &g.Description, &ext, &g.CreatedAt, &g.UpdatedAt, &g.Version); err != nil {
		return nil, err
	}
	g.ExternalID, g.CreatedAt, g.UpdatedAt = ext.String, g.CreatedAt.UTC(), g.UpdatedAt.UTC()
	return &g, nil
}

func (q *queries) CreateGroup(ctx context.Context, g *iam.Group) error {
	g.Version = 1
	_, err := q.w.ExecContext(ctx, `INSERT INTO groups (`+groupColumns+`, name_folded) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		g.ID, g.TenantID, g.Name, g.Description, nullString(g.ExternalID), ts(g.CreatedAt), ts(g.UpdatedAt), g.Version, fold(g.Name))
	return storeErr(err, "group", groupUnique)
}

func (q *queries) GetGroup(ctx context.Context, tenantID, id string) (*iam.Group, error) {
	g, err := scanGroup(q.r.QueryRowContext(ctx, `SELECT `+groupColumns+` FROM groups WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	return g, storeErr(err, "group", nil)
}

func (q *queries) GetGroupForUpdate(ctx context.Context, tenantID, id string) (*iam.Group, error) {
	if err := q.lockRow(ctx, "groups", "group", `tenant_id = $1 AND id = $2`, tenantID, id); err != nil {
		return nil, err
	}
	return q.GetGroup(ctx, tenantID, id)
}

func (q *queries) ListGroups(ctx context.Context, tenantID string, gq iam.GroupQuery) ([]iam.Group, int, error) {
	where, args := ` WHERE tenant_id = $1`, []any{tenantID}
	if gq.Search != "" {
		args = append(args, likePattern(gq.Search))
		where += ` AND name_folded LIKE $2 ESCAPE '\'`
	}
	if gq.Filter != nil {
		cond, fargs, err := q.filterCondition(gq.Filter, groupFilter, args)
		if err != nil {
			return nil, 0, err
		}
		where, args = where+` AND `+cond, fargs
	}
	return list(ctx, q.forFilter(gq.Filter), listing{what: "groups", columns: groupColumns, from: "groups", where: where, args: args,
		order: iam.GroupOrder, sortBy: foldedName}, gq.ListParams, scanGroup)
}

func (q *queries) UpdateGroup(ctx context.Context, g *iam.Group) error {
	err := q.w.QueryRowContext(ctx, `UPDATE groups SET name = $1, name_folded = $2, description = $3, external_id = $4, updated_at = $5,
		version = version + 1 WHERE tenant_id = $6 AND id = $7 RETURNING version`,
		g.Name, fold(g.Name), g.Description, nullString(g.ExternalID), ts(g.UpdatedAt), g.TenantID, g.ID).Scan(&g.Version)
	return storeErr(err, "group", groupUnique)
}

func (q *queries) DeleteGroup(ctx context.Context, tenantID, id string) error {
	res, err := q.w.ExecContext(ctx, `DELETE FROM groups WHERE tenant_id = $1 AND id = $2`, tenantID, id)
	return affected(res, err, "group")
}

func (q *queries) AddGroupMember(ctx context.Context, tenantID, groupID, userID string, at time.Time) (bool, error) {
	if err := q.inTenant(ctx, "groups", "group", tenantID, groupID); err != nil {
		return false, err
	}
	if err := q.inTenant(ctx, "users", "user", tenantID, userID); err != nil {
		return false, err
	}
	added, err := q.insertIgnore(ctx, "group member", `INSERT INTO group_members (group_id, user_id, tenant_id, created_at) VALUES ($1, $2, $3, $4)`,
		groupID, userID, tenantID, ts(at))
	if err != nil || !added {
		return added, err
	}
	return true, q.bumpGroupVersion(ctx, tenantID, groupID)
}

// bumpGroupVersion moves a group's version after a change of its members,
// so that its ETag covers them.
func (q *queries) bumpGroupVersion(ctx context.Context, tenantID, groupID string) error {
	_, err := q.w.ExecContext(ctx, `UPDATE groups SET version = version + 1 WHERE tenant_id = $1 AND id = $2`, tenantID, groupID)
	return storeErr(err, "group", nil)
}

func (q *queries) RemoveGroupMember(ctx context.Context, tenantID, groupID, userID string) (bool, error) {
	removed, err := q.changed(ctx, "group member", `DELETE FROM group_members WHERE tenant_id = $1 AND group_id = $2 AND user_id = $3`, tenantID, groupID, userID)
	if err != nil || !removed {
		return removed, err
	}
	return true, q.bumpGroupVersion(ctx, tenantID, groupID)
}

func (q *queries) GroupsOfUsers(ctx context.Context, tenantID string, userIDs []string) (map[string][]iam.Group, error) {
	out := map[string][]iam.Group{}
	if len(userIDs) == 0 {
		return out, nil
	}
	marks, args := placeholders([]any{tenantID}, userIDs)
	rows, err := q.r.QueryContext(ctx, `SELECT m.user_id, g.`+strings.ReplaceAll(groupColumns, ", ", ", g.")+`
		FROM group_members m JOIN groups g ON g.tenant_id = m.tenant_id AND g.id = m.group_id
		WHERE m.tenant_id = $1 AND m.user_id IN (`+marks+`) ORDER BY g.name_folded, g.id`, args...)
	if err != nil {
		return nil, storeErr(err, "groups", nil)
	}
	err = eachRow(rows, func(r *sql.Rows) error {
		var userID string
		g, err := scanGroup(withFirst{row: r, first: &userID})
		if err == nil {
			out[userID] = append(out[userID], *g)
		}
		return err
	})
	return out, storeErr(err, "groups", nil)
}

// withFirst scans a row's first column into first and the rest as row
// would be scanned alone.
type withFirst struct {
	row   scanner
	first any
}

func (w withFirst) Scan(dest ...any) error { return w.row.Scan(append([]any{w.first}, dest...)...) }

func (q *queries) GroupMemberIDs(ctx context.Context, tenantID, groupID string) ([]string, error) {
	rows, err := q.r.QueryContext(ctx, `SELECT user_id FROM group_members WHERE tenant_id = $1 AND group_id = $2`, tenantID, groupID)
	if err != nil {
		return nil, storeErr(err, "group members", nil)
	}
	ids := []string{}
	err = eachRow(rows, func(r *sql.Rows) error {
		var id string
		if err := r.Scan(&id); err != nil {
			return err
		}
		ids = append(ids, id)
		return nil
	})
	return ids, storeErr(err, "group members", nil)
}

func (q *queries) ListGroupMembers(ctx context.Context, tenantID, groupID string, p iam.ListParams) ([]iam.GroupMember, int, error) {
	where, args := ` WHERE m.tenant_id = $1 AND m.group_id = $2`, []any{tenantID, groupID}
	if p.Search != "" {
		args = append(args, likePattern(p.Search))
		where += ` AND (u.email LIKE $3 ESCAPE '\' OR u.name_folded LIKE $3 ESCAPE '\')`
	}
	return list(ctx, q, listing{what: "group members", columns: memberColumns, from: "group_members m JOIN users u ON u.id = m.user_id",
		where: where, args: args, order: iam.GroupMemberOrder, sortBy: memberSort, id: "u.id"}, p, func(row scanner) (*iam.GroupMember, error) {
		m, err := scanMemberRow(row)
		if err != nil {
			return nil, err
		}
		return &iam.GroupMember{User: m.User, CreatedAt: m.CreatedAt}, nil
	})
}

func (q *queries) AddGroupRole(ctx context.Context, tenantID, groupID, roleID string) (bool, error) {
	if err := q.inTenant(ctx, "groups", "group", tenantID, groupID); err != nil {
		return false, err
	}
	if err := q.inTenant(ctx, "roles", "role", tenantID, roleID); err != nil {
		return false, err
	}
	return q.insertIgnore(ctx, "group role", `INSERT INTO group_roles (group_id, role_id, tenant_id) VALUES ($1, $2, $3)`, groupID, roleID, tenantID)
}

func (q *queries) RemoveGroupRole(ctx context.Context, tenantID, groupID, roleID string) (bool, error) {
	return q.changed(ctx, "group role", `DELETE FROM group_roles WHERE tenant_id = $1 AND group_id = $2 AND role_id = $3`, tenantID, groupID, roleID)
}

func (q *queries) GroupRoles(ctx context.Context, tenantID, groupID string) ([]iam.Role, error) {
	return q.rolesWhere(ctx, `SELECT `+prefixed("r.", roleColumns)+` FROM roles r JOIN group_roles gr ON gr.role_id = r.id
		WHERE gr.tenant_id = $1 AND gr.group_id = $2 ORDER BY r.name_folded`+q.bytewise()+`, r.id`, tenantID, groupID)
}
