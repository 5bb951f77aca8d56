package resource

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	filter "github.com/scim2/filter-parser/v2"
)

// Operation is one operation of a PatchOp message (RFC 7644 §3.5.2).
type Operation struct {
	Op    string `json:"op"`
	Path  string `json:"path,omitempty"`
	Value any    `json:"value,omitempty"`
}

// Patch applies ops in order to res, a non-nil resource of type rt
// (RFC 7644 §3.5.2). It is all or nothing: the operations work on a copy,
// and res changes only when every one succeeds. On success res keeps the
// schema's spelling of attribute names and its schemas attribute lists the
// extensions it holds.
//
// Beyond the RFC it takes what Microsoft Entra ID and Okta send: op in any
// case, booleans as the strings "True" and "False", a remove of members
// with the members to remove as its value, the enterprise manager as a bare
// id, and an add on emails[type eq "work"].value for a user with no work
// email, which adds one.
//
// Errors are *Error: invalidSyntax for an unknown op, invalidPath for a
// malformed path or an unknown attribute, invalidFilter for a value filter
// that does not suit its attribute, invalidValue for a value of the wrong
// type, noTarget for a remove without a path or a replace whose filter
// matches nothing, and mutability for a change to a readOnly attribute or
// to an immutable one that has a value. The detail names the failing
// operation.
func Patch(rt ResourceType, res map[string]any, ops []Operation) error {
	work := clone(res).(map[string]any)
	for i, op := range ops {
		if err := rt.apply(work, op); err != nil {
			var e *Error
			if errors.As(err, &e) {
				e.Detail = fmt.Sprintf("Operations[%d]: %s", i, e.Detail)
			}
			return err
		}
	}
	ids := []any{rt.Schema.ID}
	for _, ext := range rt.Extensions {
		if !unassigned(get(work, ext.ID)) {
			ids = append(ids, ext.ID)
		}
	}
	put(work, "schemas", ids)
	clear(res)
	maps.Copy(res, work)
	return nil
}

func (rt ResourceType) apply(res map[string]any, op Operation) error {
	kind := strings.ToLower(op.Op)
	switch {
	case kind != "add" && kind != "replace" && kind != "remove":
		return errorf("invalidSyntax", "op is %q, not add, remove or replace", op.Op)
	case op.Path == "" && kind == "remove":
		// RFC 7644 §3.5.2.2.
		return errorf("noTarget", "remove needs a path")
	case op.Path == "":
		return rt.applyObject(res, kind, nil, op.Value)
	}
	// A path naming an extension targets all of its attributes.
	if ext := rt.extension(op.Path); ext != nil {
		if kind != "remove" {
			return rt.applyObject(res, kind, ext, op.Value)
		}
		for i := range ext.Attributes {
			t := target{location: location{ext: ext, attr: &ext.Attributes[i]}}
			if err := rt.applyPath(res, kind, t, nil); err != nil {
				return err
			}
		}
		return nil
	}
	t, err := rt.parsePath(op.Path)
	if err != nil {
		return err
	}
	return rt.applyPath(res, kind, t, op.Value)
}

// applyObject applies an add or replace without a path, whose value is an
// object of attributes to set (RFC 7644 §3.5.2.1, §3.5.2.3). Its members
// are paths, such as name.givenName or emails[type eq "work"].value,
// relative to ext when it is set; a member named by an extension's URN holds
// that extension's attributes.
func (rt ResourceType) applyObject(res map[string]any, kind string, ext *Schema, value any) error {
	obj, ok := value.(map[string]any)
	if !ok {
		return errorf("invalidValue", "without a path the value must be an object of attributes")
	}
	// Sorted, so that the same request fails the same way every time.
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		path := k
		switch e := rt.extension(k); {
		case ext != nil:
			path = ext.ID + ":" + k
		case e != nil:
			if err := rt.applyObject(res, kind, e, obj[k]); err != nil {
				return err
			}
			continue
		case strings.EqualFold(k, "schemas"):
			// Patch sets schemas itself from the extensions present.
			continue
		}
		t, err := rt.parsePath(path)
		if err != nil {
			return err
		}
		if err := rt.applyPath(res, kind, t, obj[k]); err != nil {
			return err
		}
	}
	return nil
}

// target is what a PATCH path names: an attribute or a sub-attribute and,
// on a multi-valued complex attribute, maybe a filter selecting elements.
type target struct {
	location
	filter filter.Expression
}

// parsePath parses a PATCH path (RFC 7644 §3.5.2) within the filter limits.
func (rt ResourceType) parsePath(s string) (target, error) {
	if err := checkLimits(s, "invalidPath", "path"); err != nil {
		return target{}, err
	}
	p, err := filter.ParsePathNumber([]byte(s))
	if err != nil {
		return target{}, errorf("invalidPath", "the path %q is malformed", s)
	}
	l, ok := rt.locate(p.AttributePath)
	if !ok {
		return target{}, errorf("invalidPath", "no attribute %s", p.AttributePath)
	}
	t := target{location: l, filter: p.ValueExpression}
	if t.filter == nil {
		return t, nil
	}
	if l.sub != nil || l.attr.Type != Complex || !l.attr.MultiValued {
		return target{}, errorf("invalidPath", "%s is not multi-valued and complex, and takes no value filter", p.AttributePath)
	}
	if err := validate(t.filter, l.attr.locateSub); err != nil {
		return target{}, err
	}
	if err := unescape(t.filter); err != nil {
		return target{}, errorf("invalidPath", "the path %q is malformed", s)
	}
	if p.SubAttribute != nil {
		if t.sub = l.attr.sub(*p.SubAttribute); t.sub == nil {
			return target{}, errorf("invalidPath", "%s has no sub-attribute %q", l.attr.Name, *p.SubAttribute)
		}
	}
	return t, nil
}

// applyPath applies one operation to the attribute t names.
func (rt ResourceType) applyPath(res map[string]any, kind string, t target, value any) error {
	if value == nil && kind != "remove" {
		if kind == "add" {
			return errorf("invalidValue", "add needs a value")
		}
		// RFC 7643 §2.5: null is no value, so replacing with it removes.
		kind = "remove"
	}
	c := res
	if t.ext != nil {
		if c, _ = get(res, t.ext.ID).(map[string]any); c == nil {
			c = map[string]any{}
		}
	}
	a := t.attr
	old := get(c, a.Name)
	var (
		updated any
		err     error
	)
	switch {
	case a.MultiValued && t.filter == nil && t.sub == nil:
		updated, err = patchList(kind, a, slices.Clone(flatten(old)), value)
	case a.MultiValued:
		updated, err = patchElements(kind, t, slices.Clone(flatten(old)), value)
	case t.sub != nil:
		updated, err = patchSub(kind, a, t.sub, old, value)
	default:
		updated, err = patchSingle(kind, a, old, value)
	}
	if err != nil {
		return err
	}
	if err := checkChange(a.Name, a, old, updated); err != nil {
		return err
	}
	put(c, a.Name, updated)
	if t.ext != nil {
		put(res, t.ext.ID, c)
	}
	return nil
}

// patchSingle operates on a single-valued attribute as a whole.
func patchSingle(kind string, a *Attribute, old, value any) (any, error) {
	if kind == "remove" {
		return nil, nil
	}
	v, err := normalize(a.Name, a, value)
	if err != nil || a.Type != Complex {
		return v, err
	}
	// RFC 7644 §3.5.2.1, §3.5.2.3: sub-attributes the value leaves out keep
	// their values.
	om, _ := old.(map[string]any)
	merged := maps.Clone(om)
	if merged == nil {
		merged = map[string]any{}
	}
	for k, x := range v.(map[string]any) {
		put(merged, k, x)
	}
	// Refuse a change to a readOnly whole, such as meta, before settle
	// quietly keeps its readOnly parts.
	if err := checkChange(a.Name, a, om, merged); err != nil {
		return nil, err
	}
	return merged, settle(a, om, merged)
}

// patchSub operates on one sub-attribute of a single-valued complex attribute.
func patchSub(kind string, a, sub *Attribute, old, value any) (any, error) {
	om, _ := old.(map[string]any)
	name := a.Name + "." + sub.Name
	var v any
	if kind != "remove" {
		var err error
		if v, err = normalize(name, sub, value); err != nil {
			return nil, err
		}
	}
	if err := checkChange(name, sub, get(om, sub.Name), v); err != nil {
		return nil, err
	}
	m := maps.Clone(om)
	if m == nil {
		m = map[string]any{}
	}
	put(m, sub.Name, v)
	return m, nil
}

// patchList operates on a multi-valued attribute as a whole.
func patchList(kind string, a *Attribute, elems []any, value any) (any, error) {
	if kind == "remove" && value == nil {
		// RFC 7644 §3.5.2.2: without a filter every value goes.
		return nil, nil
	}
	v, err := normalize(a.Name, a, value)
	if err != nil {
		return nil, err
	}
	vals := v.([]any)
	switch kind {
	case "remove":
		// Microsoft Entra ID removes members by listing them as the value.
		gone, unkeyed := keyed(a, vals)
		return slices.DeleteFunc(elems, func(el any) bool {
			if k, ok := key(a, el); ok {
				return gone[k]
			}
			return slices.ContainsFunc(unkeyed, func(x any) bool { return same(a, el, x) })
		}), nil
	case "replace":
		touched := make([]int, len(vals))
		for i, x := range vals {
			if err := settleElement(a, x); err != nil {
				return nil, err
			}
			touched[i] = i
		}
		return vals, primary(a, vals, touched)
	}
	// add appends the values not there yet (RFC 7644 §3.5.2.1).
	var touched []int
	there, unkeyed := keyed(a, elems)
	for _, x := range vals {
		if k, ok := key(a, x); ok {
			if there[k] {
				continue
			}
			there[k] = true
		} else if slices.ContainsFunc(unkeyed, func(el any) bool { return same(a, el, x) }) {
			continue
		}
		if err := settleElement(a, x); err != nil {
			return nil, err
		}
		elems = append(elems, x)
		touched = append(touched, len(elems)-1)
	}
	return elems, primary(a, elems, touched)
}

// patchElements operates on the elements of a multi-valued complex
// attribute that t's filter selects, all of them without one, or on their
// sub-attribute t.sub.
func patchElements(kind string, t target, elems []any, value any) (any, error) {
	a := t.attr
	var hits []int
	for i, el := range elems {
		if m, ok := el.(map[string]any); ok && (t.filter == nil || match(t.filter, m, a.locateSub)) {
			hits = append(hits, i)
		}
	}
	if kind == "remove" {
		if t.sub == nil {
			// RFC 7644 §3.5.2.2: the values the filter matches go.
			return deleteIndices(elems, hits), nil
		}
		for _, i := range hits {
			old := elems[i].(map[string]any)
			if err := checkChange(a.Name+"."+t.sub.Name, t.sub, get(old, t.sub.Name), nil); err != nil {
				return nil, err
			}
			m := maps.Clone(old)
			put(m, t.sub.Name, nil)
			elems[i] = m
		}
		return slices.DeleteFunc(elems, unassigned), nil
	}
	if len(hits) == 0 {
		el, ok := newElement(a, t.filter)
		// RFC 7644 §3.5.2.3: a replace whose filter matches nothing fails.
		if kind == "replace" || !ok {
			return nil, errorf("noTarget", "no value of %s matches the path", a.Name)
		}
		elems = append(elems, el)
		hits = []int{len(elems) - 1}
	}
	for _, i := range hits {
		old := elems[i].(map[string]any)
		var m map[string]any
		if t.sub != nil {
			name := a.Name + "." + t.sub.Name
			v, err := normalize(name, t.sub, value)
			if err != nil {
				return nil, err
			}
			if err := checkChange(name, t.sub, get(old, t.sub.Name), v); err != nil {
				return nil, err
			}
			m = maps.Clone(old)
			put(m, t.sub.Name, v)
		} else {
			v, err := normalizeOne(a.Name, a, value)
			if err != nil {
				return nil, err
			}
			// replace puts the value in place of each matched one (RFC 7644
			// §3.5.2.3); add merges it in.
			m = v.(map[string]any)
			if kind == "add" {
				merged := maps.Clone(old)
				for k, x := range m {
					put(merged, k, x)
				}
				m = merged
			}
			if err := settle(a, old, m); err != nil {
				return nil, err
			}
		}
		elems[i] = m
	}
	return elems, primary(a, elems, hits)
}

// newElement is the element a filter of eq comparisons joined by and
// describes, such as {"type": "work"} for emails[type eq "work"]. An add
// whose filter matches nothing adds it: Microsoft Entra ID adds
// emails[type eq "work"].value to a user without a work email.
func newElement(a *Attribute, f filter.Expression) (map[string]any, bool) {
	el := map[string]any{}
	return el, f != nil && describe(a, f, el)
}

func describe(a *Attribute, e filter.Expression, el map[string]any) bool {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		return e.Operator == filter.AND && describe(a, e.Left, el) && describe(a, e.Right, el)
	case *filter.AttributeExpression:
		s := a.sub(e.AttributePath.AttributeName)
		if e.Operator != filter.EQ || s == nil || e.CompareValue == nil {
			return false
		}
		v, err := normalizeOne(s.Name, s, e.CompareValue)
		if err != nil {
			return false
		}
		el[s.Name] = v
		return true
	}
	return false
}

func deleteIndices(elems []any, drop []int) []any {
	out := elems[:0]
	for i, el := range elems {
		if !slices.Contains(drop, i) {
			out = append(out, el)
		}
	}
	return out
}

// same reports whether x and y are the same value of multi-valued a: by
// their value sub-attribute when both have one, whole otherwise.
// key is what same compares x by when that is a string (the value of a
// complex element, or a string value), folded unless case matters, so that
// long lists compare through a map: adding a member to a group of
// thousands is not a scan of them all for each value. ok is false for the
// values same compares otherwise, which match no keyed value.
func key(a *Attribute, x any) (string, bool) {
	attr, v := a, x
	if a.Type == Complex {
		m, _ := x.(map[string]any)
		if attr = a.sub("value"); attr == nil || !present(get(m, "value")) {
			return "", false
		}
		v = get(m, "value")
	}
	s, ok := v.(string)
	if !ok || (attr.Type != String && attr.Type != Reference) {
		return "", false
	}
	if !attr.CaseExact {
		s = strings.ToLower(s)
	}
	return s, true
}

// keyed is the set of keys of list, and the values of it without one.
func keyed(a *Attribute, list []any) (map[string]bool, []any) {
	set := make(map[string]bool, len(list))
	var unkeyed []any
	for _, x := range list {
		if k, ok := key(a, x); ok {
			set[k] = true
		} else {
			unkeyed = append(unkeyed, x)
		}
	}
	return set, unkeyed
}

func same(a *Attribute, x, y any) bool {
	if a.Type != Complex {
		return compare(a, x, filter.EQ, y)
	}
	xm, _ := x.(map[string]any)
	ym, _ := y.(map[string]any)
	if vs := a.sub("value"); vs != nil && present(get(xm, "value")) && present(get(ym, "value")) {
		return compare(vs, get(xm, "value"), filter.EQ, get(ym, "value"))
	}
	return equal(x, y)
}

// checkChange refuses a change to name, a readOnly attribute, or to an immutable
// one that has a value (RFC 7643 §7, RFC 7644 §3.5.2). Setting one to the
// value it has is no change: Okta sends a group's id back in its replace.
func checkChange(name string, a *Attribute, old, new any) error {
	if equal(old, new) {
		return nil
	}
	switch {
	case a.Mutability == ReadOnly:
		return errorf("mutability", "%s is readOnly", name)
	case a.Mutability == Immutable && present(old):
		return errorf("mutability", "%s is immutable", name)
	}
	return nil
}

// settle reconciles new, a complex value a client wrote, with old, the one
// it replaces: readOnly sub-attributes keep the server's value whatever the
// client sent, as in a PUT (RFC 7644 §3.5.1), and immutable ones may not
// change once set.
func settle(a *Attribute, old, new map[string]any) error {
	for i := range a.SubAttributes {
		s := &a.SubAttributes[i]
		switch s.Mutability {
		case ReadOnly:
			put(new, s.Name, get(old, s.Name))
		case Immutable:
			if err := checkChange(a.Name+"."+s.Name, s, get(old, s.Name), get(new, s.Name)); err != nil {
				return err
			}
		}
	}
	return nil
}

// settleElement settles a new element of multi-valued a.
func settleElement(a *Attribute, el any) error {
	if m, ok := el.(map[string]any); ok {
		return settle(a, nil, m)
	}
	return nil
}

// primary keeps RFC 7643 §2.4's rule that at most one value is primary: a
// value this operation wrote as primary takes the flag from the others
// (RFC 7644 §3.5.2), and two written as primary are refused.
func primary(a *Attribute, elems []any, touched []int) error {
	p := a.sub("primary")
	if p == nil {
		return nil
	}
	chosen := -1
	for _, i := range touched {
		if isPrimary(elems[i]) {
			if chosen >= 0 {
				return errorf("invalidValue", "only one value of %s can be primary", a.Name)
			}
			chosen = i
		}
	}
	if chosen < 0 {
		return nil
	}
	for i, el := range elems {
		if i != chosen && isPrimary(el) {
			m := maps.Clone(el.(map[string]any))
			put(m, p.Name, false)
			elems[i] = m
		}
	}
	return nil
}

func isPrimary(v any) bool {
	m, _ := v.(map[string]any)
	b, _ := get(m, "primary").(bool)
	return b
}
