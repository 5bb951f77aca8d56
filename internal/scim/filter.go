package scim

import (
	"net/http"
	"strings"
	"time"

	filter "github.com/scim2/filter-parser/v2"

	"github.com/gatehouse-iam/gatehouse/internal/emailaddr"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/scim/resource"
)

// The store fields of the attributes whose rendered value is the stored
// one, by lower-cased attribute path. A filter on anything else is applied
// to the rendered resources: a user's displayName, name and emails are kept
// as sent and may differ from the one name and address Gatehouse stores.
var (
	userFields = map[string]string{
		"id": "id", "externalid": "external_id", "username": "email", "active": "status",
		"meta.created": "created_at", "meta.lastmodified": "updated_at",
	}
	groupFields = map[string]string{
		"id": "id", "externalid": "external_id", "displayname": "name", "members": "member", "members.value": "member",
		"meta.created": "created_at", "meta.lastmodified": "updated_at",
	}
)

// everything is a filter every row meets; nothing one none meets.
var (
	everything = iam.Filter{Op: iam.FilterPresent, Field: "id"}
	nothing    = iam.Filter{Op: iam.FilterNot, Terms: []iam.Filter{everything}}
)

// storeFilter translates a SCIM filter into the store's. exact is false when
// part of it names attributes the store does not hold: the filter returned
// then selects a superset (an unknown comparison counts as met, or as not
// met under a not), which the caller narrows with resource.Match.
type storeFilter struct {
	fields  map[string]string
	primary string
}

func (sf storeFilter) translate(expr filter.Expression, positive bool) (iam.Filter, bool, error) {
	switch e := expr.(type) {
	case *filter.LogicalExpression:
		return sf.logical(e.Operator, e.Left, e.Right, positive)
	case *filter.NotExpression:
		return sf.not(e.Expression, positive)
	case *filter.AttributeExpression:
		return sf.compare(*e, positive)
	case *filter.ValuePath:
		return sf.valuePath(*e, positive)
	}
	return iam.Filter{}, false, invalidFilter("unsupported filter expression")
}

func (sf storeFilter) logical(op filter.LogicalOperator, left, right filter.Expression, positive bool) (iam.Filter, bool, error) {
	l, lExact, err := sf.translate(left, positive)
	if err != nil {
		return l, false, err
	}
	r, rExact, err := sf.translate(right, positive)
	if err != nil {
		return r, false, err
	}
	fop := iam.FilterAnd
	if strings.EqualFold(string(op), string(filter.OR)) {
		fop = iam.FilterOr
	}
	return iam.Filter{Op: fop, Terms: []iam.Filter{l, r}}, lExact && rExact, nil
}

func (sf storeFilter) not(inner filter.Expression, positive bool) (iam.Filter, bool, error) {
	f, exact, err := sf.translate(inner, !positive)
	return iam.Filter{Op: iam.FilterNot, Terms: []iam.Filter{f}}, exact, err
}

// valuePath translates attr[sub-filter]: its comparisons name attr's
// sub-attributes. Only one comparison translates exactly: the store would
// let several be met by different elements, where SCIM wants one element
// to meet them all, so anything more is matched on the resources.
func (sf storeFilter) valuePath(vp filter.ValuePath, positive bool) (iam.Filter, bool, error) {
	if _, single := vp.ValueFilter.(*filter.AttributeExpression); !single {
		if positive {
			return everything, false, nil
		}
		return nothing, false, nil
	}
	scoped := storeFilter{fields: sf.fields, primary: strings.ToLower(vp.AttributePath.AttributeName)}
	return scoped.translate(vp.ValueFilter, positive)
}

// compare translates one comparison. An attribute the store does not hold
// makes the filter inexact.
func (sf storeFilter) compare(e filter.AttributeExpression, positive bool) (iam.Filter, bool, error) {
	path := strings.ToLower(e.AttributePath.AttributeName)
	if sub := e.AttributePath.SubAttributeName(); sub != "" {
		path += "." + strings.ToLower(sub)
	}
	if sf.primary != "" {
		path = sf.primary + "." + path
	}
	uri := e.AttributePath.URI()
	field, ok := sf.fields[path]
	if !ok || (uri != "" && uri != userSchema && uri != groupSchema) {
		if positive {
			return everything, false, nil
		}
		return nothing, false, nil
	}
	op := iam.FilterOp(strings.ToLower(string(e.Operator)))
	if op == iam.FilterPresent {
		return iam.Filter{Op: op, Field: field}, true, nil
	}
	switch field {
	case "status":
		active, ok := boolValue(e.CompareValue)
		if !ok || (op != iam.FilterEq && op != iam.FilterNe) {
			return iam.Filter{}, false, invalidFilter("active compares with eq or ne to true or false")
		}
		status := string(iam.UserDisabled)
		if active {
			status = string(iam.UserActive)
		}
		return iam.Filter{Op: op, Field: field, Value: status}, true, nil
	case "created_at", "updated_at":
		s, _ := e.CompareValue.(string)
		at, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return iam.Filter{}, false, invalidFilter(e.AttributePath.String() + " compares with a date and time (RFC 3339)")
		}
		return iam.Filter{Op: op, Field: field, Value: at}, true, nil
	}
	s, ok := e.CompareValue.(string)
	if !ok {
		return iam.Filter{}, false, invalidFilter(e.AttributePath.String() + " compares with a string")
	}
	if field == "email" && (op == iam.FilterEq || op == iam.FilterNe) {
		// Emails are kept normalised (IDNA domains among others).
		if n, err := emailaddr.Normalize(strings.TrimSpace(s)); err == nil {
			s = n
		}
	}
	return iam.Filter{Op: op, Field: field, Value: s}, true, nil
}

func invalidFilter(detail string) error {
	return &resource.Error{Status: http.StatusBadRequest, ScimType: "invalidFilter", Detail: detail}
}
