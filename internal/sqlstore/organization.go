package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

func orgUnique(constraint string) iam.Code {
	if strings.Contains(constraint, "external_id") {
		return iam.CodeExternalIDTaken
	}
	return iam.CodeAliasTaken
}

const orgColumns = `id, tenant_id, name, alias, external_id, metadata, mfa, created_at, updated_at, version`

func scanOrganization(row scanner) (*iam.Organization, error) {
	var (
		o    iam.Organization
		ext  sql.NullString
		meta string
	)
	if err := row.Scan(&o.ID, &o.TenantID, &o.Name, &o.Alias, &ext, &meta, &o.MFA, &o.CreatedAt, &o.UpdatedAt, &o.Version); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(meta), &o.Metadata); err != nil {
		return nil, fmt.Errorf("organization %s metadata: %w", o.ID, err)
	}
	o.ExternalID, o.CreatedAt, o.UpdatedAt = ext.String, o.CreatedAt.UTC(), o.UpdatedAt.UTC()
	return &o, nil
}

func marshalMetadata(m map[string]any) (string, error) {
	if m == nil {
		m = map[string]any{}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", iam.Internal(fmt.Errorf("metadata: %w", err))
	}
	return string(b), nil
}

func (q *queries) CreateOrganization(ctx context.Context, o *iam.Organization) error {
	meta, err := marshalMetadata(o.Metadata)
	if err != nil {
		return err
	}
	o.Version = 1
	_, err = q.w.ExecContext(ctx, `INSERT INTO organizations (`+orgColumns+`, name_folded) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		o.ID, o.TenantID, o.Name, o.Alias, nullString(o.ExternalID), meta, o.MFA, ts(o.CreatedAt), ts(o.UpdatedAt), o.Version, fold(o.Name))
	return storeErr(err, "organization", orgUnique)
}

func (q *queries) GetOrganization(ctx context.Context, tenantID, id string) (*iam.Organization, error) {
	o, err := scanOrganization(q.r.QueryRowContext(ctx, `SELECT `+orgColumns+` FROM organizations WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	return o, storeErr(err, "organization", nil)
}

func (q *queries) GetOrganizationForUpdate(ctx context.Context, tenantID, id string) (*iam.Organization, error) {
	if err := q.lockRow(ctx, "organizations", "organization", `tenant_id = $1 AND id = $2`, tenantID, id); err != nil {
		return nil, err
	}
	return q.GetOrganization(ctx, tenantID, id)
}

func (q *queries) GetOrganizationByAlias(ctx context.Context, tenantID, alias string) (*iam.Organization, error) {
	o, err := scanOrganization(q.r.QueryRowContext(ctx, `SELECT `+orgColumns+` FROM organizations WHERE tenant_id = $1 AND alias = $2`, tenantID, alias))
	return o, storeErr(err, "organization", nil)
}

func (q *queries) ListOrganizations(ctx context.Context, tenantID string, p iam.ListParams) ([]iam.Organization, int, error) {
	where, args := ` WHERE tenant_id = $1`, []any{tenantID}
	if p.Search != "" {
		args = append(args, likePattern(p.Search))
		where += ` AND (name_folded LIKE $2 ESCAPE '\' OR alias LIKE $2 ESCAPE '\')`
	}
	return list(ctx, q, listing{what: "organizations", columns: orgColumns, from: "organizations", where: where, args: args,
		order: iam.OrganizationOrder, sortBy: foldedName}, p, scanOrganization)
}

func (q *queries) UpdateOrganization(ctx context.Context, o *iam.Organization) error {
	meta, err := marshalMetadata(o.Metadata)
	if err != nil {
		return err
	}
	err = q.w.QueryRowContext(ctx, `UPDATE organizations SET name = $1, name_folded = $2, alias = $3, external_id = $4, metadata = $5,
		mfa = $6, updated_at = $7, version = version + 1 WHERE tenant_id = $8 AND id = $9 RETURNING version`,
		o.Name, fold(o.Name), o.Alias, nullString(o.ExternalID), meta, o.MFA, ts(o.UpdatedAt), o.TenantID, o.ID).Scan(&o.Version)
	return storeErr(err, "organization", orgUnique)
}

func (q *queries) DeleteOrganization(ctx context.Context, tenantID, id string) error {
	res, err := q.w.ExecContext(ctx, `DELETE FROM organizations WHERE tenant_id = $1 AND id = $2`, tenantID, id)
	return affected(res, err, "organization")
}

func (q *queries) SetMember(ctx context.Context, tenantID, orgID, userID string, roleIDs []string, at time.Time) (bool, error) {
	if err := q.inTenant(ctx, "organizations", "organization", tenantID, orgID); err != nil {
		return false, err
	}
	if err := q.inTenant(ctx, "users", "user", tenantID, userID); err != nil {
		return false, err
	}
	for _, id := range roleIDs {
		if err := q.inTenant(ctx, "roles", "role", tenantID, id); err != nil {
			return false, err
		}
	}
	created, err := q.insertIgnore(ctx, "organization member", `INSERT INTO organization_members (organization_id, user_id, tenant_id, created_at)
		VALUES ($1, $2, $3, $4)`, orgID, userID, tenantID, ts(at))
	if err != nil {
		return false, err
	}
	if _, err := q.w.ExecContext(ctx, `DELETE FROM organization_member_roles WHERE tenant_id = $1 AND organization_id = $2 AND user_id = $3`, tenantID, orgID, userID); err != nil {
		return false, storeErr(err, "member roles", nil)
	}
	for _, id := range roleIDs {
		if _, err := q.insertIgnore(ctx, "member role", `INSERT INTO organization_member_roles (organization_id, user_id, role_id, tenant_id)
			VALUES ($1, $2, $3, $4)`, orgID, userID, id, tenantID); err != nil {
			return false, err
		}
	}
	return created, nil
}

func (q *queries) RemoveMember(ctx context.Context, tenantID, orgID, userID string) (bool, error) {
	return q.changed(ctx, "organization member", `DELETE FROM organization_members WHERE tenant_id = $1 AND organization_id = $2 AND user_id = $3`,
		tenantID, orgID, userID)
}

// memberRoles loads the roles users hold in an organization.
func (q *queries) memberRoles(ctx context.Context, tenantID, orgID string, userIDs []string) (map[string][]iam.Role, error) {
	if len(userIDs) == 0 {
		return map[string][]iam.Role{}, nil
	}
	marks, args := placeholders([]any{tenantID, orgID}, userIDs)
	held, err := q.heldRoles(ctx, userMembers, `mr.tenant_id = $1 AND mr.organization_id = $2 AND mr.user_id IN (`+marks+`)`, args)
	if err != nil {
		return nil, err
	}
	out := map[string][]iam.Role{}
	for _, h := range held {
		out[h.userID] = append(out[h.userID], h.role)
	}
	return out, nil
}

// heldRole is a role a user or service account (userID) holds as a member
// of an organization.
type heldRole struct {
	orgID, userID string
	role          iam.Role
}

// memberKind names the tables of one kind of organization member: users,
// or service accounts, whose memberships live in tables of their own.
type memberKind struct {
	members, roles, subject string
}

var (
	userMembers    = memberKind{members: "organization_members", roles: "organization_member_roles", subject: "user_id"}
	accountMembers = memberKind{members: "organization_service_accounts", roles: "organization_service_account_roles", subject: "service_account_id"}
)

// heldRoles reads the member roles of kind k matching cond (on its roles
// table, as mr, whose subject column cond names), with their permissions, in
// role-name order.
func (q *queries) heldRoles(ctx context.Context, k memberKind, cond string, args []any) ([]heldRole, error) {
	rows, err := q.r.QueryContext(ctx, `SELECT mr.organization_id, mr.`+k.subject+`, `+prefixed("r.", roleColumns)+` FROM `+k.roles+` mr
		JOIN roles r ON r.id = mr.role_id WHERE `+cond+` ORDER BY r.name_folded`+q.bytewise()+`, r.id`, args...)
	if err != nil {
		return nil, storeErr(err, "member roles", nil)
	}
	var held []heldRole
	err = eachRow(rows, func(r *sql.Rows) error {
		var h heldRole
		role, err := scanRole(prefixedScan{r, []any{&h.orgID, &h.userID}})
		if err != nil {
			return err
		}
		h.role = *role
		held = append(held, h)
		return nil
	})
	if err != nil {
		return nil, storeErr(err, "member roles", nil)
	}
	roles := make([]iam.Role, len(held))
	for i := range held {
		roles[i] = held[i].role
	}
	if err := q.fillPermissions(ctx, roles); err != nil {
		return nil, err
	}
	for i := range held {
		held[i].role = roles[i]
	}
	return held, nil
}

// A member is a row of memberFrom read as memberColumns.
var (
	memberColumns = `m.created_at, ` + userColumnsU
	memberFrom    = `organization_members m JOIN users u ON u.id = m.user_id`
)

// userColumnsU is userColumns qualified by the alias u.
var userColumnsU = prefixed("u.", userColumns)

func scanMemberRow(row scanner) (*iam.Member, error) {
	var created time.Time
	var u iam.User
	var ext sql.NullString
	var status string
	if err := row.Scan(&created, &u.ID, &u.TenantID, &u.Email, &u.Name, &u.EmailVerified, &status, &ext, &u.CreatedAt, &u.UpdatedAt, &u.Version); err != nil {
		return nil, err
	}
	u.ExternalID, u.Status = ext.String, iam.UserStatus(status)
	u.CreatedAt, u.UpdatedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC()
	return &iam.Member{User: u, CreatedAt: created.UTC(), Roles: []iam.Role{}}, nil
}

func (q *queries) GetMember(ctx context.Context, tenantID, orgID, userID string) (*iam.Member, error) {
	m, err := scanMemberRow(q.r.QueryRowContext(ctx, `SELECT `+memberColumns+` FROM `+memberFrom+` WHERE m.tenant_id = $1 AND m.organization_id = $2 AND m.user_id = $3`,
		tenantID, orgID, userID))
	if err != nil {
		return nil, storeErr(err, "member", nil)
	}
	m.OrganizationID = orgID
	roles, err := q.memberRoles(ctx, tenantID, orgID, []string{userID})
	if err != nil {
		return nil, err
	}
	if r := roles[userID]; r != nil {
		m.Roles = r
	}
	return m, nil
}

// memberSort maps member lists' names to the membership's and the user's columns.
var memberSort = map[string]string{"created_at": "m.created_at", "email": "u.email", "name": "u.name_folded"}

func (q *queries) ListMembers(ctx context.Context, tenantID, orgID string, p iam.ListParams) ([]iam.Member, int, error) {
	where, args := ` WHERE m.tenant_id = $1 AND m.organization_id = $2`, []any{tenantID, orgID}
	if p.Search != "" {
		args = append(args, likePattern(p.Search))
		where += ` AND (u.email LIKE $3 ESCAPE '\' OR u.name_folded LIKE $3 ESCAPE '\')`
	}
	members, total, err := list(ctx, q, listing{what: "members", columns: memberColumns, from: memberFrom, where: where, args: args,
		order: iam.MemberOrder, sortBy: memberSort, id: "u.id"}, p, func(row scanner) (*iam.Member, error) {
		m, err := scanMemberRow(row)
		if err == nil {
			m.OrganizationID = orgID
		}
		return m, err
	})
	if err != nil {
		return nil, 0, err
	}
	ids := make([]string, len(members))
	for i := range members {
		ids[i] = members[i].User.ID
	}
	roles, err := q.memberRoles(ctx, tenantID, orgID, ids)
	if err != nil {
		return nil, 0, err
	}
	for i := range members {
		if r := roles[members[i].User.ID]; r != nil {
			members[i].Roles = r
		}
	}
	return members, total, nil
}

func (q *queries) UserMemberships(ctx context.Context, tenantID, userID string) ([]iam.Membership, error) {
	return q.memberships(ctx, userMembers, tenantID, userID)
}

// memberships lists the organizations a member of kind k belongs to, by
// name, with the roles it holds in each.
func (q *queries) memberships(ctx context.Context, k memberKind, tenantID, subjectID string) ([]iam.Membership, error) {
	rows, err := q.r.QueryContext(ctx, `SELECT m.created_at, `+prefixed("o.", orgColumns)+` FROM `+k.members+` m
		JOIN organizations o ON o.id = m.organization_id WHERE m.tenant_id = $1 AND m.`+k.subject+` = $2 ORDER BY o.name_folded`+q.bytewise()+`, o.id`,
		tenantID, subjectID)
	if err != nil {
		return nil, storeErr(err, "memberships", nil)
	}
	out := []iam.Membership{}
	err = eachRow(rows, func(r *sql.Rows) error {
		var created time.Time
		o, err := scanOrganization(prefixedScan{r, []any{&created}})
		if err != nil {
			return err
		}
		out = append(out, iam.Membership{Organization: *o, CreatedAt: created.UTC(), Roles: []iam.Role{}})
		return nil
	})
	if err != nil {
		return nil, storeErr(err, "memberships", nil)
	}
	held, err := q.heldRoles(ctx, k, `mr.tenant_id = $1 AND mr.`+k.subject+` = $2`, []any{tenantID, subjectID})
	if err != nil {
		return nil, err
	}
	byOrg := map[string][]iam.Role{}
	for _, h := range held {
		byOrg[h.orgID] = append(byOrg[h.orgID], h.role)
	}
	for i := range out {
		if r := byOrg[out[i].Organization.ID]; r != nil {
			out[i].Roles = r
		}
	}
	return out, nil
}

func (q *queries) UserInMFAOrganization(ctx context.Context, tenantID, userID string) (bool, error) {
	var in bool
	err := q.r.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM organization_members m JOIN organizations o ON o.id = m.organization_id
		WHERE m.tenant_id = $1 AND m.user_id = $2 AND o.mfa = 'required')`, tenantID, userID).Scan(&in)
	return in, storeErr(err, "memberships", nil)
}
