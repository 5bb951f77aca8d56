package iam

// Filter is a condition on the fields the store keeps of a listed entity: a
// comparison of Field with Value by Op, or the And or Or of two or more
// Terms, or the Not of one. SCIM filters (RFC 7644 §3.4.2.2) translate to it,
// so its operators are SCIM's. A nil *Filter selects everything.
type Filter struct {
	Op    FilterOp
	Field string
	// Value is a string for text fields, a bool for boolean ones and a
	// time.Time for times; FilterPresent has none.
	Value any
	Terms []Filter
}

// FilterOp is a comparison or a logical operator of a Filter.
type FilterOp string

// The operators of a Filter. Text comparisons follow the field's case rule
// (UserFilterFields, GroupFilterFields); gt, ge, lt and le order text by its
// bytes and times by time.
const (
	FilterEq         FilterOp = "eq"
	FilterNe         FilterOp = "ne"
	FilterContains   FilterOp = "co"
	FilterStartsWith FilterOp = "sw"
	FilterEndsWith   FilterOp = "ew"
	FilterGt         FilterOp = "gt"
	FilterGe         FilterOp = "ge"
	FilterLt         FilterOp = "lt"
	FilterLe         FilterOp = "le"
	FilterPresent    FilterOp = "pr"
	FilterAnd        FilterOp = "and"
	FilterOr         FilterOp = "or"
	FilterNot        FilterOp = "not"
)

// FilterField describes a field a Filter may compare: its kind ("text",
// "bool" or "time") and, for text, whether case matters.
type FilterField struct {
	Kind      string
	CaseExact bool
}

// UserFilterFields are the fields of users a Filter may name. Email is kept
// lower-cased and compared without case, as is name; id and external_id
// are compared exactly; status is "active" or "disabled"; organization is
// the id of an organization the user is a member of (eq and pr only).
var UserFilterFields = map[string]FilterField{
	"id":             {Kind: "text", CaseExact: true},
	"email":          {Kind: "text"},
	"name":           {Kind: "text"},
	"external_id":    {Kind: "text", CaseExact: true},
	"status":         {Kind: "text", CaseExact: true},
	"email_verified": {Kind: "bool"},
	"created_at":     {Kind: "time"},
	"updated_at":     {Kind: "time"},
	"organization":   {Kind: "text", CaseExact: true},
}

// GroupFilterFields are the fields of groups a Filter may name. member is the
// id of a user in the group: only eq and pr (the group has members) apply.
var GroupFilterFields = map[string]FilterField{
	"id":          {Kind: "text", CaseExact: true},
	"name":        {Kind: "text"},
	"external_id": {Kind: "text", CaseExact: true},
	"member":      {Kind: "text", CaseExact: true},
	"created_at":  {Kind: "time"},
	"updated_at":  {Kind: "time"},
}
