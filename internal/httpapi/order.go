package httpapi

import (
	"github.com/danielgtaylor/huma/v2"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// orderSchema is the schema of a list's order_by parameter: the values of the
// list's one iam.Order, in the OpenAPI document and in huma's validation,
// which answers 400 naming order_by for any other value.
func orderSchema(o iam.Order) *huma.Schema {
	values := o.Values()
	enum := make([]any, len(values))
	for i, v := range values {
		enum[i] = v
	}
	return &huma.Schema{Type: huma.TypeString, Enum: enum, Default: o[0],
		Description: "Sort field; a leading - sorts descending"}
}

// The order_by parameter of each list that offers one.
type (
	userOrder           string
	adminOrder          string
	adminRoleOrder      string
	tenantOrder         string
	permissionOrder     string
	roleOrder           string
	organizationOrder   string
	memberOrder         string
	groupOrder          string
	groupMemberOrder    string
	serviceAccountOrder string
	applicationOrder    string
)

func (userOrder) Schema(huma.Registry) *huma.Schema       { return orderSchema(iam.UserOrder) }
func (adminOrder) Schema(huma.Registry) *huma.Schema      { return orderSchema(iam.AdminOrder) }
func (adminRoleOrder) Schema(huma.Registry) *huma.Schema  { return orderSchema(iam.AdminRoleOrder) }
func (tenantOrder) Schema(huma.Registry) *huma.Schema     { return orderSchema(iam.TenantOrder) }
func (permissionOrder) Schema(huma.Registry) *huma.Schema { return orderSchema(iam.PermissionOrder) }
func (roleOrder) Schema(huma.Registry) *huma.Schema       { return orderSchema(iam.RoleOrder) }
func (organizationOrder) Schema(huma.Registry) *huma.Schema {
	return orderSchema(iam.OrganizationOrder)
}
func (memberOrder) Schema(huma.Registry) *huma.Schema      { return orderSchema(iam.MemberOrder) }
func (groupOrder) Schema(huma.Registry) *huma.Schema       { return orderSchema(iam.GroupOrder) }
func (groupMemberOrder) Schema(huma.Registry) *huma.Schema { return orderSchema(iam.GroupMemberOrder) }
func (serviceAccountOrder) Schema(huma.Registry) *huma.Schema {
	return orderSchema(iam.ServiceAccountOrder)
}
func (applicationOrder) Schema(huma.Registry) *huma.Schema { return orderSchema(iam.ApplicationOrder) }
