package resource

import (
	"encoding/json"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// get is m's value for the attribute name, found case-insensitively
// (RFC 7643 §2.1), or nil.
func get(m map[string]any, name string) any {
	if v, ok := m[name]; ok {
		return v
	}
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

// put sets m's value for the attribute name under its canonical spelling,
// dropping any other spelling, or removes it when v is unassigned.
func put(m map[string]any, name string, v any) {
	for k := range m {
		if strings.EqualFold(k, name) {
			delete(m, k)
		}
	}
	if !unassigned(v) {
		m[name] = v
	}
}

// unassigned reports whether v is what RFC 7643 §2.5 counts as no value:
// null, or an empty array. An empty object counts too, for a complex value
// whose sub-attributes were all removed.
func unassigned(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case []any:
		return len(v) == 0
	case map[string]any:
		return len(v) == 0
	}
	return false
}

// present is the pr operator (RFC 7644 §3.4.2.2): a non-empty value, or a
// complex value with a non-empty node.
func present(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case string:
		return v != ""
	case []any:
		return slices.ContainsFunc(v, present)
	case map[string]any:
		for _, x := range v {
			if present(x) {
				return true
			}
		}
		return false
	}
	return true
}

// equal reports whether two JSON values are the same: numbers by value,
// objects whatever the order of their members, and unassigned values alike.
func equal(x, y any) bool {
	if unassigned(x) || unassigned(y) {
		return unassigned(x) && unassigned(y)
	}
	switch xv := x.(type) {
	case map[string]any:
		yv, ok := y.(map[string]any)
		if !ok {
			return false
		}
		for k := range keys(xv, yv) {
			if !equal(xv[k], yv[k]) {
				return false
			}
		}
		return true
	case []any:
		yv, ok := y.([]any)
		return ok && slices.EqualFunc(xv, yv, equal)
	}
	if fx, ok := number(x); ok {
		fy, ok := number(y)
		return ok && fx == fy
	}
	return reflect.DeepEqual(x, y)
}

func keys(a, b map[string]any) map[string]bool {
	all := make(map[string]bool, len(a)+len(b))
	for k := range a {
		all[k] = true
	}
	for k := range b {
		all[k] = true
	}
	return all
}

// clone is a deep copy of a JSON value, so that a change to it leaves the
// original alone.
func clone(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[k] = clone(x)
		}
		return m
	case []any:
		s := make([]any, len(v))
		for i, x := range v {
			s[i] = clone(x)
		}
		return s
	}
	return v
}

// number is a JSON number's value.
func number(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case json.Number:
		f, err := v.Float64()
		return f, err == nil
	}
	return 0, false
}

// boolean is a boolean's value. A string "true" or "false" in any case
// counts, since Microsoft Entra ID sends "True" and "False".
func boolean(v any) (bool, bool) {
	switch v := v.(type) {
	case bool:
		return v, true
	case string:
		switch {
		case strings.EqualFold(v, "true"):
			return true, true
		case strings.EqualFold(v, "false"):
			return false, true
		}
	}
	return false, false
}

// dateTime parses an xsd:dateTime (RFC 7643 §2.3.5), as RFC 3339 writes it.
func dateTime(v any) (time.Time, bool) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, s)
	return t, err == nil
}

// integer reports whether v is a JSON number without a fraction.
func integer(v any) bool {
	switch v := v.(type) {
	case float64:
		return v == math.Trunc(v)
	case json.Number:
		_, err := strconv.ParseInt(string(v), 10, 64)
		return err == nil
	}
	return false
}

// normalize checks that v suits attribute a, called name in errors, and
// returns it in canonical form: an array for a multi-valued attribute,
// sub-attribute names in the schema's spelling, null sub-attributes left out
// (RFC 7643 §2.5) and booleans sent as strings made booleans.
func normalize(name string, a *Attribute, v any) (any, error) {
	if !a.MultiValued {
		return normalizeOne(name, a, v)
	}
	list, ok := v.([]any)
	if !ok {
		// A single value for a multi-valued attribute is taken as a list of one.
		list = []any{v}
	}
	out := make([]any, 0, len(list))
	for _, x := range list {
		if x == nil {
			continue
		}
		nx, err := normalizeOne(name, a, x)
		if err != nil {
			return nil, err
		}
		out = append(out, nx)
	}
	return out, nil
}

// normalizeOne is normalize for one value of a, single-valued or an element.
func normalizeOne(name string, a *Attribute, v any) (any, error) {
	switch a.Type {
	case Boolean:
		if b, ok := boolean(v); ok {
			return b, nil
		}
	case Integer:
		if integer(v) {
			return v, nil
		}
	case Decimal:
		if _, ok := number(v); ok {
			return v, nil
		}
	case DateTime:
		if _, ok := dateTime(v); ok {
			return v, nil
		}
	case Complex:
		return normalizeComplex(name, a, v)
	default:
		if _, ok := v.(string); ok {
			return v, nil
		}
	}
	return nil, errorf("invalidValue", "%s must be a %s", name, a.Type)
}

func normalizeComplex(name string, a *Attribute, v any) (any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		_, isList := v.([]any)
		if a.sub("value") == nil || isList {
			return nil, errorf("invalidValue", "%s must be an object", name)
		}
		// Microsoft Entra ID sends the enterprise manager as its bare id;
		// a bare value stands for the value sub-attribute.
		m = map[string]any{"value": v}
	}
	out := make(map[string]any, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		s := a.sub(k)
		if s == nil {
			return nil, errorf("invalidPath", "%s has no sub-attribute %q", name, k)
		}
		if _, dup := out[s.Name]; dup {
			return nil, errorf("invalidValue", "%s.%s is given twice", name, s.Name)
		}
		if m[k] == nil {
			continue
		}
		x, err := normalize(name+"."+s.Name, s, m[k])
		if err != nil {
			return nil, err
		}
		if !unassigned(x) {
			out[s.Name] = x
		}
	}
	return out, nil
}
