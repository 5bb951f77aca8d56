package resource

import (
	"strings"

	filter "github.com/scim2/filter-parser/v2"
)

// Type is an attribute's data type (RFC 7643 §2.3). The zero value is
// String, the type RFC 7643 §2.2 gives an attribute unless defined otherwise.
type Type int

const (
	String Type = iota
	Boolean
	Decimal
	Integer
	DateTime
	Reference
	Complex
	Binary
)

func (t Type) String() string {
	return [...]string{"string", "boolean", "decimal", "integer", "dateTime", "reference", "complex", "binary"}[t]
}

// Mutability says whether and when a client may change an attribute
// (RFC 7643 §7). The zero value is ReadWrite, RFC 7643 §2.2's default.
type Mutability int

const (
	ReadWrite Mutability = iota
	ReadOnly
	Immutable
	WriteOnly
)

func (m Mutability) String() string {
	return [...]string{"readWrite", "readOnly", "immutable", "writeOnly"}[m]
}

// Returned says when a response carries an attribute (RFC 7643 §7). The
// zero value is ReturnedDefault, RFC 7643 §2.2's default.
type Returned int

const (
	ReturnedDefault Returned = iota
	ReturnedAlways
	ReturnedNever
	ReturnedRequest
)

func (r Returned) String() string {
	return [...]string{"default", "always", "never", "request"}[r]
}

// Uniqueness says where an attribute's value is unique (RFC 7643 §7). The
// zero value is UniquenessNone, RFC 7643 §2.2's default.
type Uniqueness int

const (
	UniquenessNone Uniqueness = iota
	UniquenessServer
	UniquenessGlobal
)

func (u Uniqueness) String() string {
	return [...]string{"none", "server", "global"}[u]
}

// Attribute describes one attribute of a schema or one sub-attribute of a
// complex attribute, with the characteristics of RFC 7643 §7. Zero values
// are RFC 7643 §2.2's defaults. SCIM nests no deeper: sub-attributes have no
// sub-attributes (RFC 7643 §2.3.8).
type Attribute struct {
	Name            string
	Type            Type
	MultiValued     bool
	Description     string
	Required        bool
	CaseExact       bool
	Mutability      Mutability
	Returned        Returned
	Uniqueness      Uniqueness
	CanonicalValues []string
	ReferenceTypes  []string
	SubAttributes   []Attribute
}

// sub is a's sub-attribute called name, which RFC 7643 §2.1 compares
// case-insensitively, or nil.
func (a *Attribute) sub(name string) *Attribute {
	return find(a.SubAttributes, name)
}

// locateSub resolves a path inside a value filter on a, such as type in
// emails[type eq "work"]: it names one of a's sub-attributes.
func (a *Attribute) locateSub(p filter.AttributePath) (location, bool) {
	if p.URIPrefix != nil || p.SubAttribute != nil {
		return location{}, false
	}
	s := a.sub(p.AttributeName)
	return location{attr: s}, s != nil
}

func find(attrs []Attribute, name string) *Attribute {
	for i := range attrs {
		if strings.EqualFold(attrs[i].Name, name) {
			return &attrs[i]
		}
	}
	return nil
}

// Schema is a SCIM schema (RFC 7643 §7): a URN and the attributes it defines.
type Schema struct {
	ID          string
	Name        string
	Description string
	Attributes  []Attribute
}

// ResourceType pairs a resource's main schema with its extension schemas
// (RFC 7643 §6). An extension's attributes live in the resource under the
// extension's URN, as an object (RFC 7643 §3.3).
type ResourceType struct {
	Schema     *Schema
	Extensions []*Schema
}

// location is where an attribute path leads: a top-level attribute of the
// main schema (ext nil) or of an extension, and maybe one of its
// sub-attributes.
type location struct {
	ext  *Schema
	attr *Attribute
	sub  *Attribute
}

// leaf is the attribute the location names: the sub-attribute if there is one.
func (l location) leaf() *Attribute {
	if l.sub != nil {
		return l.sub
	}
	return l.attr
}

// Attribute resolves an attribute path such as userName, name.givenName or
// urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department to
// the attribute or sub-attribute it names.
func (rt ResourceType) Attribute(path filter.AttributePath) (*Attribute, bool) {
	l, ok := rt.locate(path)
	if !ok {
		return nil, false
	}
	return l.leaf(), true
}

// locate resolves an attribute path. Names are case-insensitive (RFC 7643
// §2.1). A URI prefix picks the main schema or an extension; without one the
// main schema is searched first, then the extensions, since RFC 7644 §3.10
// only asks clients to qualify extension attributes (SHOULD, not MUST).
func (rt ResourceType) locate(p filter.AttributePath) (location, bool) {
	schemas := append([]*Schema{rt.Schema}, rt.Extensions...)
	if p.URIPrefix != nil {
		s := rt.schema(*p.URIPrefix)
		if s == nil {
			return location{}, false
		}
		schemas = []*Schema{s}
	}
	for _, s := range schemas {
		a := find(s.Attributes, p.AttributeName)
		if a == nil {
			continue
		}
		l := location{attr: a}
		if s != rt.Schema {
			l.ext = s
		}
		if p.SubAttribute != nil {
			if l.sub = a.sub(*p.SubAttribute); l.sub == nil {
				return location{}, false
			}
		}
		return l, true
	}
	return location{}, false
}

// schema is rt's schema whose URN is id, or nil.
func (rt ResourceType) schema(id string) *Schema {
	if strings.EqualFold(id, rt.Schema.ID) {
		return rt.Schema
	}
	return rt.extension(id)
}

// extension is rt's extension whose URN is id, or nil.
func (rt ResourceType) extension(id string) *Schema {
	for _, s := range rt.Extensions {
		if strings.EqualFold(id, s.ID) {
			return s
		}
	}
	return nil
}

// SchemaResource renders s as the /Schemas endpoint serves it (RFC 7643 §7,
// §8.7), its meta.location under baseURL, the service's SCIM root such as
// https://example.com/scim/v2.
func SchemaResource(s *Schema, baseURL string) map[string]any {
	attrs := make([]any, len(s.Attributes))
	for i := range s.Attributes {
		attrs[i] = s.Attributes[i].resource()
	}
	return map[string]any{
		"schemas":     []any{"urn:ietf:params:scim:schemas:core:2.0:Schema"},
		"id":          s.ID,
		"name":        s.Name,
		"description": s.Description,
		"attributes":  attrs,
		"meta": map[string]any{
			"resourceType": "Schema",
			"location":     strings.TrimSuffix(baseURL, "/") + "/Schemas/" + s.ID,
		},
	}
}

func (a *Attribute) resource() map[string]any {
	m := map[string]any{
		"name":        a.Name,
		"type":        a.Type.String(),
		"multiValued": a.MultiValued,
		"description": a.Description,
		"required":    a.Required,
		"caseExact":   a.CaseExact,
		"mutability":  a.Mutability.String(),
		"returned":    a.Returned.String(),
		"uniqueness":  a.Uniqueness.String(),
	}
	if len(a.CanonicalValues) > 0 {
		m["canonicalValues"] = strings2any(a.CanonicalValues)
	}
	if len(a.ReferenceTypes) > 0 {
		m["referenceTypes"] = strings2any(a.ReferenceTypes)
	}
	if a.Type == Complex {
		subs := make([]any, len(a.SubAttributes))
		for i := range a.SubAttributes {
			subs[i] = a.SubAttributes[i].resource()
		}
		m["subAttributes"] = subs
	}
	return m
}

// strings2any converts for the []any a decoded JSON array is, so that a
// rendered schema compares equal to one read back.
func strings2any(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// commonAttributes are id, externalId and meta, which every resource carries
// (RFC 7643 §3.1). RFC 7643 §3 lets a schema list them; Gatehouse does, so
// that filters, PATCH and projection treat them like any other attribute.
func commonAttributes() []Attribute {
	return []Attribute{
		{Name: "id", Description: "Unique identifier for the resource, assigned by the service provider.",
			CaseExact: true, Mutability: ReadOnly, Returned: ReturnedAlways, Uniqueness: UniquenessServer},
		{Name: "externalId", Description: "Identifier for the resource as defined by the provisioning client.",
			CaseExact: true},
		{Name: "meta", Type: Complex, Description: "Resource metadata.", Mutability: ReadOnly, SubAttributes: []Attribute{
			{Name: "resourceType", Description: "The name of the resource type of the resource.", CaseExact: true, Mutability: ReadOnly},
			{Name: "created", Type: DateTime, Description: "The time the resource was added to the service provider.", Mutability: ReadOnly},
			{Name: "lastModified", Type: DateTime, Description: "The most recent time the resource was modified.", Mutability: ReadOnly},
			{Name: "location", Type: Reference, ReferenceTypes: []string{"uri"}, Description: "The URI of the resource.",
				CaseExact: true, Mutability: ReadOnly},
			{Name: "version", Description: "The version of the resource, as an entity tag.", CaseExact: true, Mutability: ReadOnly},
		}},
	}
}

// plural is a multi-valued complex attribute with the sub-attributes RFC 7643
// §2.4 gives multi-valued attributes: value, display, type (with its
// canonical values) and primary.
func plural(name, description string, value Attribute, types ...string) Attribute {
	value.Name = "value"
	return Attribute{Name: name, Type: Complex, MultiValued: true, Description: description, SubAttributes: []Attribute{
		value,
		{Name: "display", Description: "A human-readable name, primarily used for display purposes."},
		{Name: "type", Description: "A label indicating the attribute's function.", CanonicalValues: types},
		{Name: "primary", Type: Boolean, Description: "Whether this is the primary or preferred value; true appears at most once."},
	}}
}
