package sqlstore

import (
	"context"
	"database/sql"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// scimTables are the tables and key columns of kept SCIM attributes, and
// the tables of their owners.
var scimTables = map[iam.SCIMKind][3]string{
	iam.SCIMUser:  {"scim_user_attributes", "user_id", "users"},
	iam.SCIMGroup: {"scim_group_attributes", "group_id", "groups"},
}

func (q *queries) PutSCIMAttributes(ctx context.Context, tenantID string, kind iam.SCIMKind, id string, attributes []byte) error {
	t, ok := scimTables[kind]
	if !ok {
		return iam.Errorf(iam.CodeInternal, "unknown SCIM kind %q", kind)
	}
	if len(attributes) == 0 {
		_, err := q.w.ExecContext(ctx, `DELETE FROM `+t[0]+` WHERE tenant_id = $1 AND `+t[1]+` = $2`, tenantID, id)
		return storeErr(err, "SCIM attributes", nil)
	}
	// Rows exist only for an owner of their own tenant, so the update of a
	// conflict never reaches another tenant's.
	res, err := q.w.ExecContext(ctx, `INSERT INTO `+t[0]+` (`+t[1]+`, tenant_id, attributes)
		SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM `+t[2]+` WHERE tenant_id = $2 AND id = $1)
		ON CONFLICT (`+t[1]+`) DO UPDATE SET attributes = excluded.attributes`,
		id, tenantID, string(attributes))
	return affected(res, err, string(kind))
}

func (q *queries) SCIMAttributes(ctx context.Context, tenantID string, kind iam.SCIMKind, ids []string) (map[string][]byte, error) {
	t, ok := scimTables[kind]
	if !ok {
		return nil, iam.Errorf(iam.CodeInternal, "unknown SCIM kind %q", kind)
	}
	out := map[string][]byte{}
	if len(ids) == 0 {
		return out, nil
	}
	marks, args := placeholders([]any{tenantID}, ids)
	rows, err := q.r.QueryContext(ctx, `SELECT `+t[1]+`, attributes FROM `+t[0]+` WHERE tenant_id = $1 AND `+t[1]+` IN (`+marks+`)`, args...)
	if err != nil {
		return nil, storeErr(err, "SCIM attributes", nil)
	}
	err = eachRow(rows, func(r *sql.Rows) error {
		var id, attrs string
		if err := r.Scan(&id, &attrs); err != nil {
			return err
		}
		out[id] = []byte(attrs)
		return nil
	})
	return out, storeErr(err, "SCIM attributes", nil)
}
