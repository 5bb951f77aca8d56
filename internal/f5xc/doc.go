// Package f5xc is the seed-compatible surface of F5 Distributed Cloud's API
// credentials API (/api/web/namespaces/...): the API and service
// credentials of package apicredential and the SCIM token of package
// scimtoken on F5's paths, with its bodies and
// its error shape, so that clients written for F5 XC work unchanged.
// Objects are keyed by name within a namespace: an organization's alias, or
// "system" for the tenant as a whole. It holds no rule: each handler
// decodes, makes its service call, encodes.
package f5xc
