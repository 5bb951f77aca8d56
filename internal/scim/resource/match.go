package resource

import (
	"cmp"
	"slices"
	"strings"

	filter "github.com/scim2/filter-parser/v2"
)

// Match reports whether res, a resource of type rt, meets expr, a filter as
// ParseFilter returns it (RFC 7644 §3.4.2.2). A comparison on a
// multi-valued attribute holds when any value meets it, and ne when none
// equals; a missing attribute is never equal and never present. Strings
// compare case-insensitively unless their attribute is caseExact, dateTimes
// as instants, numbers by value. Match does not validate: it takes an
// unknown attribute for a missing one and a comparison that does not suit
// the attribute's type for unmet, so call ValidateFilter first.
func Match(rt ResourceType, res map[string]any, expr filter.Expression) bool {
	return match(expr, res, rt.locate)
}

// match evaluates e against obj, a resource or, inside a value filter, one
// element of a complex attribute; locate resolves paths for it.
func match(e filter.Expression, obj map[string]any, locate func(filter.AttributePath) (location, bool)) bool {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		if e.Operator == filter.AND {
			return match(e.Left, obj, locate) && match(e.Right, obj, locate)
		}
		return match(e.Left, obj, locate) || match(e.Right, obj, locate)
	case *filter.NotExpression:
		return !match(e.Expression, obj, locate)
	case *filter.ValuePath:
		l, ok := locate(e.AttributePath)
		if !ok || l.sub != nil || l.attr.Type != Complex {
			return false
		}
		for _, el := range l.values(obj) {
			if m, ok := el.(map[string]any); ok && match(e.ValueFilter, m, l.attr.locateSub) {
				return true
			}
		}
		return false
	case *filter.AttributeExpression:
		l, ok := locate(e.AttributePath)
		if !ok {
			// An unknown attribute is a missing one.
			return compareAll(nil, nil, e.Operator, e.CompareValue)
		}
		return compareAll(l.leaf(), l.values(obj), e.Operator, e.CompareValue)
	}
	return false
}

// values are the values l selects in obj: the attribute's, one per element
// of a multi-valued one, or the named sub-attribute's of each.
func (l location) values(obj map[string]any) []any {
	if l.ext != nil {
		obj, _ = get(obj, l.ext.ID).(map[string]any)
	}
	vals := flatten(get(obj, l.attr.Name))
	if l.sub == nil {
		return vals
	}
	return subValues(vals, l.sub.Name)
}

// flatten is a value as a list: its elements if it is an array.
func flatten(v any) []any {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		return v
	}
	return []any{v}
}

// subValues are the values of the sub-attribute name in complex values.
func subValues(vals []any, name string) []any {
	var out []any
	for _, v := range vals {
		if m, ok := v.(map[string]any); ok {
			out = append(out, flatten(get(m, name))...)
		}
	}
	return out
}

// compareAll applies op to vals, the values of attribute a (nil if unknown).
func compareAll(a *Attribute, vals []any, op filter.CompareOperator, want any) bool {
	switch {
	case op == filter.PR:
		return slices.ContainsFunc(vals, present)
	case want == nil:
		// eq null asks whether the attribute is unassigned (RFC 7643 §2.5).
		return (op == filter.EQ) != slices.ContainsFunc(vals, present)
	case op == filter.NE:
		return !compareAll(a, vals, filter.EQ, want)
	case a == nil:
		return false
	case a.Type == Complex:
		if a = compared(a); a == nil {
			return false
		}
		vals = subValues(vals, a.Name)
	}
	return slices.ContainsFunc(vals, func(v any) bool { return compare(a, v, op, want) })
}

// compare applies op to one value of attribute a and the filter's value.
func compare(a *Attribute, v any, op filter.CompareOperator, want any) bool {
	switch a.Type {
	case Boolean:
		x, ok1 := boolean(v)
		y, ok2 := boolean(want)
		return ok1 && ok2 && op == filter.EQ && x == y
	case Integer, Decimal:
		x, ok1 := number(v)
		y, ok2 := number(want)
		return ok1 && ok2 && ordered(op, cmp.Compare(x, y))
	case DateTime:
		x, ok1 := dateTime(v)
		y, ok2 := dateTime(want)
		if ok1 && ok2 && !substring(op) {
			return ordered(op, x.Compare(y))
		}
	}
	x, ok1 := v.(string)
	y, ok2 := want.(string)
	if !ok1 || !ok2 {
		return false
	}
	// Binary values are base64, where case is part of the value.
	if !a.CaseExact && a.Type != Binary {
		x, y = strings.ToLower(x), strings.ToLower(y)
	}
	switch op {
	case filter.CO:
		return strings.Contains(x, y)
	case filter.SW:
		return strings.HasPrefix(x, y)
	case filter.EW:
		return strings.HasSuffix(x, y)
	}
	return ordered(op, strings.Compare(x, y))
}

func substring(op filter.CompareOperator) bool {
	return op == filter.CO || op == filter.SW || op == filter.EW
}

// ordered applies eq, gt, ge, lt or le to the result of a comparison.
func ordered(op filter.CompareOperator, c int) bool {
	switch op {
	case filter.EQ:
		return c == 0
	case filter.GT:
		return c > 0
	case filter.GE:
		return c >= 0
	case filter.LT:
		return c < 0
	case filter.LE:
		return c <= 0
	}
	return false
}
