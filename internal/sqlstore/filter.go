package sqlstore

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// A Filter comes from a client (a SCIM filter), so its shape is bounded: the
// SQL it turns into must stay within what both databases take (SQLite parses
// an expression at most 1000 deep, PostgreSQL binds at most 65535 values),
// and a filter beyond that is invalid rather than an internal error. Its
// depth counts the terms of a not, and those of an and or an or other than
// one of the same kind (see junction).
const (
	maxFilterDepth       = 64
	maxFilterComparisons = 200
)

// filterTable is what a list may filter on: the fields iam names for its
// entity and the columns of its table that keep them.
type filterTable struct {
	fields  map[string]iam.FilterField
	columns map[string]filterColumn
}

// filterColumn is how a table keeps one field.
type filterColumn struct {
	// column is compared with the value.
	column string
	// nullable is set when the column is NULL for an unset field.
	nullable bool
	// fold, for a field compared without case, turns a value into the
	// form the column keeps.
	fold func(string) string
	// related, when set, is a subquery of the rows that refer to this one,
	// and column one of theirs: pr is that there are any, eq that one of
	// them holds the value. No other operator applies.
	related string
}

// userFilter and groupFilter are the tables ListUsers and ListGroups filter.
// Email is kept lower-cased and names also in their folded form, so that a
// comparison without case is a plain one on the column.
var (
	userFilter = filterTable{fields: iam.UserFilterFields, columns: map[string]filterColumn{
		"id":             {column: "id"},
		"email":          {column: "email", fold: fold},
		"name":           {column: "name_folded", fold: fold},
		"external_id":    {column: "external_id", nullable: true},
		"status":         {column: "status"},
		"email_verified": {column: "email_verified"},
		"created_at":     {column: "created_at"},
		"updated_at":     {column: "updated_at"},
		"organization": {column: "om.organization_id",
			related: `SELECT 1 FROM organization_members om WHERE om.tenant_id = users.tenant_id AND om.user_id = users.id`},
	}}
	groupFilter = filterTable{fields: iam.GroupFilterFields, columns: map[string]filterColumn{
		"id":          {column: "id"},
		"name":        {column: "name_folded", fold: fold},
		"external_id": {column: "external_id", nullable: true},
		"member": {column: "gm.user_id",
			related: `SELECT 1 FROM group_members gm WHERE gm.tenant_id = groups.tenant_id AND gm.group_id = groups.id`},
		"created_at": {column: "created_at"},
		"updated_at": {column: "updated_at"},
	}}
)

// filterOps are the comparisons each kind of field takes.
var filterOps = map[string][]iam.FilterOp{
	"text": {iam.FilterEq, iam.FilterNe, iam.FilterContains, iam.FilterStartsWith, iam.FilterEndsWith,
		iam.FilterGt, iam.FilterGe, iam.FilterLt, iam.FilterLe, iam.FilterPresent},
	"bool": {iam.FilterEq, iam.FilterNe, iam.FilterPresent},
	"time": {iam.FilterEq, iam.FilterNe, iam.FilterGt, iam.FilterGe, iam.FilterLt, iam.FilterLe, iam.FilterPresent},
}

// relatedOps are the comparisons a related field takes.
var relatedOps = []iam.FilterOp{iam.FilterEq, iam.FilterPresent}

var orderOps = map[iam.FilterOp]string{iam.FilterGt: ">", iam.FilterGe: ">=", iam.FilterLt: "<", iam.FilterLe: "<="}

// filterSQL builds the condition of one Filter.
type filterSQL struct {
	q           *queries
	table       filterTable
	args        []any
	comparisons int
	junctions   int
}

// filterCondition returns the condition f sets on the rows of table, in
// parentheses, with args extended by the values it compares, which it refers
// to as $n placeholders: no value is ever part of the SQL, and column names
// come only from table. A filter that names an unknown field, applies an
// operator to a field that does not take it, compares with a value of the
// wrong type or is malformed is CodeInvalid naming "filter".
func (q *queries) filterCondition(f *iam.Filter, table filterTable, args []any) (string, []any, error) {
	b := &filterSQL{q: q, table: table, args: args}
	cond, err := b.condition(f, 1)
	if err != nil {
		return "", nil, err
	}
	return cond, b.args, nil
}

// forFilter is q to list with f. On SQLite q keeps a prepared statement for
// every query it runs, for the life of the store: a single comparison takes
// one of a few forms, but their combinations take endless ones, which would
// grow that cache without bound, so lists filtered by those run unprepared.
func (q *queries) forFilter(f *iam.Filter) *queries {
	if f == nil || !slices.Contains(logicalOps, f.Op) {
		return q
	}
	u := *q
	switch r := q.r.(type) {
	case *stmtCache:
		u.r = r.db
	case txStmts:
		u.r = r.tx
	}
	return &u
}

var logicalOps = []iam.FilterOp{iam.FilterAnd, iam.FilterOr, iam.FilterNot}

func invalidFilter(format string, a ...any) error {
	return iam.Invalid("invalid filter", map[string]string{"filter": fmt.Sprintf(format, a...)})
}

func (b *filterSQL) condition(f *iam.Filter, depth int) (string, error) {
	if depth > maxFilterDepth {
		return "", invalidFilter("nests deeper than %d levels", maxFilterDepth)
	}
	if !slices.Contains(logicalOps, f.Op) {
		return b.comparison(f)
	}
	if f.Field != "" || f.Value != nil {
		return "", invalidFilter("%s takes terms, not a field or value", f.Op)
	}
	if f.Op == iam.FilterNot {
		if len(f.Terms) != 1 {
			return "", invalidFilter("not takes exactly 1 term, not %d", len(f.Terms))
		}
		cond, err := b.condition(&f.Terms[0], depth+1)
		if err != nil {
			return "", err
		}
		// A comparison with an unset (NULL) column is NULL, and so is its
		// NOT; SCIM holds the comparison false (RFC 7644 §3.4.2.2), so its
		// negation must be true.
		return "(NOT COALESCE(" + cond + ", FALSE))", nil
	}
	if len(f.Terms) < 2 {
		return "", invalidFilter("%s takes 2 or more terms, not %d", f.Op, len(f.Terms))
	}
	var conds []string
	if err := b.junction(f, depth, &conds); err != nil {
		return "", err
	}
	return "(" + strings.Join(conds, " "+strings.ToUpper(string(f.Op))+" ") + ")", nil
}

// junction appends the conditions of the terms of f, an and or an or, to
// conds. An and right inside an and (an or inside an or) adds its terms in
// its place: SCIM's "a or b or c" parses as or(a, or(b, c)), and a long
// chain of them is neither deep nesting nor should it make deep SQL.
func (b *filterSQL) junction(f *iam.Filter, depth int, conds *[]string) error {
	// Each and and or has 2 or more terms, so there are fewer of them than
	// comparisons; counting them bounds the recursion before any comparison.
	if b.junctions++; b.junctions > maxFilterComparisons {
		return invalidFilter("holds more than %d comparisons", maxFilterComparisons)
	}
	for i := range f.Terms {
		t := &f.Terms[i]
		if t.Op == f.Op && t.Field == "" && t.Value == nil && len(t.Terms) >= 2 {
			if err := b.junction(t, depth, conds); err != nil {
				return err
			}
			continue
		}
		cond, err := b.condition(t, depth+1)
		if err != nil {
			return err
		}
		*conds = append(*conds, cond)
	}
	return nil
}

func (b *filterSQL) comparison(f *iam.Filter) (string, error) {
	// Text fields take every comparison.
	if !slices.Contains(filterOps["text"], f.Op) {
		return "", invalidFilter("unknown operator %q", f.Op)
	}
	field, ok := b.table.fields[f.Field]
	col, kept := b.table.columns[f.Field]
	if !ok || !kept {
		return "", invalidFilter("unknown field %q", f.Field)
	}
	ops := filterOps[field.Kind]
	if col.related != "" {
		ops = relatedOps
	}
	if !slices.Contains(ops, f.Op) {
		return "", invalidFilter("%s does not take %s", f.Field, f.Op)
	}
	if len(f.Terms) > 0 {
		return "", invalidFilter("%s %s takes no terms", f.Field, f.Op)
	}
	if b.comparisons++; b.comparisons > maxFilterComparisons {
		return "", invalidFilter("holds more than %d comparisons", maxFilterComparisons)
	}
	if f.Op == iam.FilterPresent {
		if f.Value != nil {
			return "", invalidFilter("%s pr takes no value", f.Field)
		}
		return b.present(col, field), nil
	}
	switch field.Kind {
	case "text":
		v, ok := f.Value.(string)
		if !ok {
			return "", invalidFilter("%s %s takes a string", f.Field, f.Op)
		}
		if col.related != "" {
			return "(EXISTS (" + col.related + " AND " + col.column + " = " + b.arg(v) + "))", nil
		}
		return b.text(col, f.Op, v), nil
	case "bool":
		v, ok := f.Value.(bool)
		if !ok {
			return "", invalidFilter("%s %s takes a bool", f.Field, f.Op)
		}
		return b.equality(col, f.Op, v), nil
	case "time":
		v, ok := f.Value.(time.Time)
		if !ok {
			return "", invalidFilter("%s %s takes a time", f.Field, f.Op)
		}
		// Compared as stored: in UTC, to the microsecond (see ts).
		if sqlOp, ok := orderOps[f.Op]; ok {
			return "(" + col.column + " " + sqlOp + " " + b.arg(ts(v)) + ")", nil
		}
		return b.equality(col, f.Op, ts(v)), nil
	}
	return "", iam.Internal(fmt.Errorf("filter field %s has the unknown kind %q", f.Field, field.Kind))
}

// arg adds v to the arguments and returns its placeholder.
func (b *filterSQL) arg(v any) string {
	b.args = append(b.args, v)
	return "$" + strconv.Itoa(len(b.args))
}

// present is the condition that the field is set: a text not empty.
func (b *filterSQL) present(col filterColumn, field iam.FilterField) string {
	switch {
	case col.related != "":
		return "(EXISTS (" + col.related + "))"
	case field.Kind == "text":
		return "(" + col.column + " IS NOT NULL AND " + col.column + " <> '')"
	}
	return "(" + col.column + " IS NOT NULL)"
}

// equality is eq or ne. A field that is unset does not equal any value
// (RFC 7644 §3.4.2.2), so ne holds for it.
func (b *filterSQL) equality(col filterColumn, op iam.FilterOp, v any) string {
	if op == iam.FilterEq {
		// Kept a plain comparison, so that it uses an index of the column
		// (email and external_id have unique ones).
		return "(" + col.column + " = " + b.arg(v) + ")"
	}
	if col.nullable {
		return "(" + col.column + " IS NULL OR " + col.column + " <> " + b.arg(v) + ")"
	}
	return "(" + col.column + " <> " + b.arg(v) + ")"
}

func (b *filterSQL) text(col filterColumn, op iam.FilterOp, v string) string {
	if col.fold != nil {
		v = col.fold(v)
	}
	switch op {
	case iam.FilterEq, iam.FilterNe:
		return b.equality(col, op, v)
	case iam.FilterGt, iam.FilterGe, iam.FilterLt, iam.FilterLe:
		// By bytes, as lists sort, whatever PostgreSQL's collation.
		return "(" + col.column + b.q.bytewise() + " " + orderOps[op] + " " + b.arg(v) + ")"
	}
	if v == "" {
		// Every text contains, starts and ends with the empty one.
		return "(" + col.column + " IS NOT NULL)"
	}
	if col.fold != nil {
		// Column and value are both folded, so LIKE's own case rule (SQLite
		// ignores the case of ASCII letters, PostgreSQL does not) does not
		// matter.
		return "(" + col.column + " LIKE " + b.arg(likeAffix(op, v)) + ` ESCAPE '\')`
	}
	// Case matters, so no LIKE, which ignores it on SQLite.
	c, m := col.column, b.arg(v)
	switch {
	case op == iam.FilterContains && b.q.dialect == Postgres:
		return "(strpos(" + c + ", " + m + ") > 0)"
	case op == iam.FilterContains:
		return "(instr(" + c + ", " + m + ") > 0)"
	case op == iam.FilterStartsWith && b.q.dialect == Postgres:
		return "(left(" + c + ", length(" + m + ")) = " + m + ")"
	case op == iam.FilterStartsWith:
		return "(substr(" + c + ", 1, length(" + m + ")) = " + m + ")"
	case b.q.dialect == Postgres:
		return "(right(" + c + ", length(" + m + ")) = " + m + ")"
	}
	return "(substr(" + c + ", -length(" + m + ")) = " + m + ")"
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// likeAffix is the LIKE pattern, escaped with \, of the texts containing v
// (co), starting (sw) or ending (ew) with it.
func likeAffix(op iam.FilterOp, v string) string {
	v = likeEscaper.Replace(v)
	switch op {
	case iam.FilterStartsWith:
		return v + "%"
	case iam.FilterEndsWith:
		return "%" + v
	}
	return "%" + v + "%"
}
