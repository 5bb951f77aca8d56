package iam

import "time"

// MaxLimit is the largest page a list answers.
const MaxLimit = 100

// ListParams selects a page of a list: DESIGN.md §3. OrderBy is a column name
// the store knows for that list; Desc reverses it.
type ListParams struct {
	Page    int
	Limit   int
	Search  string
	OrderBy string
	Desc    bool
}

// Offset is the number of rows before the page.
func (p ListParams) Offset() int { return (p.Page - 1) * p.Limit }

// UserQuery filters the user list.
type UserQuery struct {
	ListParams
	Status UserStatus
}

// AuditQuery filters the audit log. Zero fields do not filter.
type AuditQuery struct {
	ListParams
	ActorID  string
	Action   string
	TargetID string
	From     *time.Time
	To       *time.Time
}
