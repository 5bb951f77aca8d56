package resource

// GroupSchema is the core Group schema (RFC 7643 §4.2, §8.7.1), with the
// common attributes of RFC 7643 §3.1.
var GroupSchema = Schema{
	ID:          "urn:ietf:params:scim:schemas:core:2.0:Group",
	Name:        "Group",
	Description: "Group",
	Attributes: append(commonAttributes(),
		// RFC 7643 §4.2 makes displayName REQUIRED; the false of §8.7.1 is
		// an erratum.
		Attribute{Name: "displayName", Required: true, Description: "A human-readable name for the Group."},
		Attribute{Name: "members", Type: Complex, MultiValued: true, Description: "A list of members of the Group.",
			SubAttributes: []Attribute{
				{Name: "value", Mutability: Immutable, Description: "Identifier of the member of this Group."},
				{Name: "$ref", Type: Reference, ReferenceTypes: []string{"User", "Group"}, Mutability: Immutable,
					Description: "The URI corresponding to a SCIM resource that is a member of this Group."},
				// Not in RFC 7643 §8.7.1, but §2.4 gives it to every
				// multi-valued attribute and Okta sends it with members.
				{Name: "display", Description: "A human-readable name, primarily used for display purposes."},
				{Name: "type", Mutability: Immutable, CanonicalValues: []string{"User", "Group"},
					Description: "A label indicating the type of resource, e.g. User or Group."},
			}},
	),
}

// Group is the Group resource type (RFC 7643 §6).
var Group = ResourceType{Schema: &GroupSchema}
