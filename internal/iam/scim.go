package iam

import "context"

// SCIMKind is what kept SCIM attributes belong to: a user or a group.
type SCIMKind string

// The kinds of SCIM resource whose attributes are kept.
const (
	SCIMUser  SCIMKind = "user"
	SCIMGroup SCIMKind = "group"
)

// SCIMAttributeStore keeps what SCIM clients sent of users and groups that
// Gatehouse does not model, as JSON objects. They go with the user or group
// when it is deleted.
type SCIMAttributeStore interface {
	// PutSCIMAttributes replaces the attributes kept for the user or group
	// id of the tenant; empty removes them.
	PutSCIMAttributes(ctx context.Context, tenantID string, kind SCIMKind, id string, attributes []byte) error
	// SCIMAttributes returns the attributes kept for each of ids that has
	// any.
	SCIMAttributes(ctx context.Context, tenantID string, kind SCIMKind, ids []string) (map[string][]byte, error)
}
