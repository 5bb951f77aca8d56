package resource

import (
	"strings"

	filter "github.com/scim2/filter-parser/v2"
)

// Project returns the part of res, a resource of type rt, that a response
// carries (RFC 7644 §3.4.2.5, §3.9). With attributes, that is the
// attributes named and the returned=always ones; without, the returned=default
// ones less those excludedAttributes names. schemas and returned=always
// attributes such as id always go out, returned=never ones such as password
// never, returned=request ones only when named. Names are case-insensitive
// attribute paths: userName, name.givenName, emails.value, an extension's
// attributes with its URN as prefix, or the URN alone for all of them. A name
// that is not an attribute is ignored, as RFC 7644 §3.4.2.5 allows, and
// attributes wins over excludedAttributes. Members of res that are not
// attributes of rt are left out; res itself is left alone.
func Project(rt ResourceType, res map[string]any, attributes, excludedAttributes []string) map[string]any {
	p := projection{only: len(attributes) > 0, include: rt.named(attributes), exclude: rt.named(excludedAttributes)}
	out := map[string]any{}
	if v := get(res, "schemas"); v != nil {
		out["schemas"] = clone(v)
	}
	for _, s := range append([]*Schema{rt.Schema}, rt.Extensions...) {
		src, dst := res, out
		if s != rt.Schema {
			src, _ = get(res, s.ID).(map[string]any)
			dst = map[string]any{}
		}
		for i := range s.Attributes {
			a := &s.Attributes[i]
			if v := p.keep(a, get(src, a.Name)); v != nil {
				dst[a.Name] = v
			}
		}
		if s != rt.Schema && len(dst) > 0 {
			out[s.ID] = dst
		}
	}
	return out
}

// named resolves attribute names to the attributes and sub-attributes they
// name, skipping those that name none.
func (rt ResourceType) named(names []string) map[*Attribute]bool {
	set := map[*Attribute]bool{}
	for _, n := range names {
		n = strings.TrimSpace(n)
		if ext := rt.extension(n); ext != nil {
			for i := range ext.Attributes {
				set[&ext.Attributes[i]] = true
			}
			continue
		}
		p, err := filter.ParseAttrPath([]byte(n))
		if err != nil {
			continue
		}
		if l, ok := rt.locate(p); ok {
			set[l.leaf()] = true
		}
	}
	return set
}

// projection is what the attributes and excludedAttributes parameters ask.
type projection struct {
	only             bool // attributes was given: only what it names goes out
	include, exclude map[*Attribute]bool
}

// keep is the part of v, the value of top-level attribute a, that goes out,
// or nil.
func (p projection) keep(a *Attribute, v any) any {
	if v == nil || a.Returned == ReturnedNever {
		return nil
	}
	switch {
	case a.Returned == ReturnedAlways || p.include[a]:
	case p.only:
		// Only sub-attributes of a may be named, as in name.givenName.
		if !p.includesSub(a) {
			return nil
		}
	case a.Returned == ReturnedRequest || p.exclude[a]:
		return nil
	}
	if a.Type != Complex {
		return clone(v)
	}
	return pick(v, a, func(s *Attribute) bool {
		switch {
		case s.Returned == ReturnedNever:
			return false
		case s.Returned == ReturnedAlways || p.include[s]:
			return true
		case p.only:
			return p.include[a]
		}
		return s.Returned == ReturnedDefault && !p.exclude[s]
	})
}

// includesSub reports whether attributes names one of a's sub-attributes.
func (p projection) includesSub(a *Attribute) bool {
	for i := range a.SubAttributes {
		if p.include[&a.SubAttributes[i]] {
			return true
		}
	}
	return false
}

// pick copies v, a value of complex attribute a, keeping the sub-attributes
// wanted in it or in each of its elements. It is nil when nothing is left.
func pick(v any, a *Attribute, wanted func(*Attribute) bool) any {
	one := func(x any) any {
		m, ok := x.(map[string]any)
		if !ok {
			return nil
		}
		out := map[string]any{}
		for i := range a.SubAttributes {
			s := &a.SubAttributes[i]
			if sv := get(m, s.Name); sv != nil && wanted(s) {
				out[s.Name] = clone(sv)
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	}
	list, ok := v.([]any)
	if !ok {
		return one(v)
	}
	var out []any
	for _, x := range list {
		if y := one(x); y != nil {
			out = append(out, y)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
