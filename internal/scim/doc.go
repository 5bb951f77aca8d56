// Package scim is the SCIM 2.0 surface (RFC 7643, RFC 7644) at /scim/v2: a
// provisioning client holding the tenant's SCIM token creates, updates,
// deactivates and deletes the tenant's users and groups. It is a transport
// over the directory service, which keeps the rules and writes the audit
// log; this package renders users and groups as SCIM resources, applies
// SCIM's filters and PATCH operations through package resource, and
// answers errors in RFC 7644 §3.12's shape.
package scim
