// Package scimtoken is each tenant's SCIM bearer token: created or
// re-created (the old one stops working at once), shown once, described by
// its metadata, revoked; and the lookup that authenticates a SCIM client
// as its tenant.
package scimtoken
