package iam

import (
	"slices"
	"strings"
	"time"
)

// MaxLimit is the largest page a list answers.
const MaxLimit = 100

// ListParams selects a page of a list: DESIGN.md §3. OrderBy is one of the
// list's Order names, empty for its default; Desc reverses it.
type ListParams struct {
	Page    int
	Limit   int
	Search  string
	OrderBy string
	Desc    bool
	// Start, when positive, is the number of rows before the page in place
	// of the page number's: SCIM pages start at any index.
	Start int
}

// Offset is the number of rows before the page.
func (p ListParams) Offset() int {
	if p.Start > 0 {
		return p.Start
	}
	return (p.Page - 1) * p.Limit
}

// Order is the one definition of the names a list may be sorted by, as the
// API spells them; the first is the default. Transports publish and check
// order_by against it, and the store sorts by it and refuses any other name.
type Order []string

// The orders of the lists that let the caller choose one.
var (
	UserOrder         = Order{"created_at", "email", "name"}
	AdminOrder        = Order{"created_at", "email", "name"}
	AdminRoleOrder    = Order{"created_at", "name"}
	TenantOrder       = Order{"created_at", "name"}
	PermissionOrder   = Order{"created_at", "name"}
	RoleOrder         = Order{"created_at", "name"}
	OrganizationOrder = Order{"created_at", "name", "alias"}
	MemberOrder       = Order{"created_at", "email", "name"}
	GroupOrder        = Order{"created_at", "name"}
	GroupMemberOrder  = Order{"created_at", "email", "name"}
)

// Values are the order_by values o accepts: each name ascending, and with a
// leading "-" descending.
func (o Order) Values() []string {
	values := make([]string, 0, 2*len(o))
	for _, name := range o {
		values = append(values, name, "-"+name)
	}
	return values
}

// Resolve returns the name p sorts by, the default for none. An unknown name
// is CodeInvalid naming order_by.
func (o Order) Resolve(p ListParams) (string, error) {
	if p.OrderBy == "" {
		return o[0], nil
	}
	if !slices.Contains(o, p.OrderBy) {
		return "", Invalid("unknown order", map[string]string{"order_by": "must be one of " + strings.Join(o.Values(), ", ")})
	}
	return p.OrderBy, nil
}

// ParseOrder splits an order_by value into a name and a direction: a leading
// "-" sorts descending.
func ParseOrder(value string) (name string, desc bool) {
	if name, ok := strings.CutPrefix(value, "-"); ok {
		return name, true
	}
	return value, false
}

// UserQuery filters the user list.
type UserQuery struct {
	ListParams
	Status UserStatus
	// Filter, when set, also selects by the fields of UserFilterFields.
	Filter *Filter
}

// GroupQuery filters the group list.
type GroupQuery struct {
	ListParams
	// Filter, when set, selects by the fields of GroupFilterFields.
	Filter *Filter
}

// AuditQuery filters the audit log. Zero fields do not filter.
type AuditQuery struct {
	ListParams
	ActorID string
	// ActorKind is the actor's type (a PrincipalKind, or "system").
	ActorKind string
	Action    string
	TargetID  string
	From      *time.Time
	To        *time.Time
}
