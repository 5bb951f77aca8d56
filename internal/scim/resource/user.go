package resource

// UserSchema is the core User schema (RFC 7643 §4.1, §8.7.1), with the
// common attributes of RFC 7643 §3.1.
var UserSchema = Schema{
	ID:          "urn:ietf:params:scim:schemas:core:2.0:User",
	Name:        "User",
	Description: "User Account",
	Attributes: append(commonAttributes(),
		Attribute{Name: "userName", Required: true, Uniqueness: UniquenessServer,
			Description: "Unique identifier for the User, typically used by the user to directly authenticate to the service provider."},
		Attribute{Name: "name", Type: Complex, Description: "The components of the user's real name.", SubAttributes: []Attribute{
			{Name: "formatted", Description: "The full name, formatted for display."},
			{Name: "familyName", Description: "The family name of the User, or last name in most Western languages."},
			{Name: "givenName", Description: "The given name of the User, or first name in most Western languages."},
			{Name: "middleName", Description: "The middle name(s) of the User."},
			{Name: "honorificPrefix", Description: "The honorific prefix(es) of the User, or title in most Western languages."},
			{Name: "honorificSuffix", Description: "The honorific suffix(es) of the User, or suffix in most Western languages."},
		}},
		Attribute{Name: "displayName", Description: "The name of the User, suitable for display to end-users."},
		Attribute{Name: "nickName", Description: "The casual way to address the user in real life."},
		Attribute{Name: "profileUrl", Type: Reference, ReferenceTypes: []string{"external"},
			Description: "A fully qualified URL pointing to a page representing the User's online profile."},
		Attribute{Name: "title", Description: "The user's title, such as \"Vice President\"."},
		Attribute{Name: "userType", Description: "Used to identify the relationship between the organization and the user."},
		Attribute{Name: "preferredLanguage", Description: "The User's preferred written or spoken language."},
		Attribute{Name: "locale", Description: "The User's default location for localizing currency, dates and numbers."},
		Attribute{Name: "timezone", Description: "The User's time zone in the IANA time zone database format, e.g. \"America/Los_Angeles\"."},
		Attribute{Name: "active", Type: Boolean, Description: "The User's administrative status."},
		Attribute{Name: "password", Mutability: WriteOnly, Returned: ReturnedNever,
			Description: "The User's cleartext password, to set an initial password or reset it."},
		plural("emails", "Email addresses for the user.", Attribute{Description: "Email address for the user."},
			"work", "home", "other"),
		plural("phoneNumbers", "Phone numbers for the User.", Attribute{Description: "Phone number of the User."},
			"work", "home", "mobile", "fax", "pager", "other"),
		plural("ims", "Instant messaging addresses for the User.", Attribute{Description: "Instant messaging address for the User."},
			"aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"),
		plural("photos", "URLs of photos of the User.",
			Attribute{Type: Reference, ReferenceTypes: []string{"external"}, Description: "URL of a photo of the User."},
			"photo", "thumbnail"),
		// RFC 7643 §8.7.1 gives addresses no value or display; §4.1.2 and
		// the example of §8.2 give them primary.
		Attribute{Name: "addresses", Type: Complex, MultiValued: true, Description: "Physical mailing addresses for this User.",
			SubAttributes: []Attribute{
				{Name: "formatted", Description: "The full mailing address, formatted for display or use with a mailing label."},
				{Name: "streetAddress", Description: "The full street address component."},
				{Name: "locality", Description: "The city or locality component."},
				{Name: "region", Description: "The state or region component."},
				{Name: "postalCode", Description: "The zip code or postal code component."},
				{Name: "country", Description: "The country name component."},
				{Name: "type", Description: "A label indicating the attribute's function.", CanonicalValues: []string{"work", "home", "other"}},
				{Name: "primary", Type: Boolean, Description: "Whether this is the primary or preferred value; true appears at most once."},
			}},
		Attribute{Name: "groups", Type: Complex, MultiValued: true, Mutability: ReadOnly,
			Description: "The groups the user belongs to, directly or through nested groups.",
			SubAttributes: []Attribute{
				{Name: "value", Mutability: ReadOnly, Description: "The identifier of the User's group."},
				{Name: "$ref", Type: Reference, ReferenceTypes: []string{"User", "Group"}, Mutability: ReadOnly,
					Description: "The URI of the corresponding Group resource."},
				{Name: "display", Mutability: ReadOnly, Description: "A human-readable name, primarily used for display purposes."},
				{Name: "type", Mutability: ReadOnly, CanonicalValues: []string{"direct", "indirect"},
					Description: "A label indicating the attribute's function, e.g. direct or indirect."},
			}},
		plural("entitlements", "A list of entitlements for the User that represent a thing the User has.",
			Attribute{Description: "The value of an entitlement."}),
		plural("roles", "A list of roles for the User that collectively represent who the User is.",
			Attribute{Description: "The value of a role."}),
		plural("x509Certificates", "A list of certificates issued to the User.",
			Attribute{Type: Binary, Description: "The value of an X.509 certificate."}),
	),
}

// EnterpriseUserSchema is the enterprise User extension (RFC 7643 §4.3, §8.7.1).
var EnterpriseUserSchema = Schema{
	ID:          "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
	Name:        "EnterpriseUser",
	Description: "Enterprise User",
	Attributes: []Attribute{
		{Name: "employeeNumber", Description: "Numeric or alphanumeric identifier assigned to a person by the organization."},
		{Name: "costCenter", Description: "Identifies the name of a cost center."},
		{Name: "organization", Description: "Identifies the name of an organization."},
		{Name: "division", Description: "Identifies the name of a division."},
		{Name: "department", Description: "Identifies the name of a department."},
		{Name: "manager", Type: Complex, Description: "The User's manager.", SubAttributes: []Attribute{
			{Name: "value", Description: "The id of the SCIM resource representing the User's manager."},
			{Name: "$ref", Type: Reference, ReferenceTypes: []string{"User"}, Description: "The URI of the SCIM resource representing the User's manager."},
			{Name: "displayName", Mutability: ReadOnly, Description: "The displayName of the User's manager."},
		}},
	},
}

// User is the User resource type with the enterprise extension (RFC 7643 §6).
var User = ResourceType{Schema: &UserSchema, Extensions: []*Schema{&EnterpriseUserSchema}}
