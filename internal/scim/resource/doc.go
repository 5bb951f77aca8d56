// Package resource is SCIM 2.0's resource model without storage: the User,
// enterprise User extension and Group schemas (RFC 7643), filters parsed
// within limits, validated against a schema and matched in memory
// (RFC 7644 §3.4.2.2), PATCH operations (RFC 7644 §3.5.2) and attribute
// projection (RFC 7644 §3.4.2.5, §3.9).
//
// A resource is a JSON object as encoding/json decodes it into a
// map[string]any, numbers as float64 or json.Number. The SCIM transport
// renders Gatehouse's users and groups into such maps, hands them to this
// package and maps the results back. Every error is an *Error carrying the
// status and scimType RFC 7644 §3.12 answers with.
package resource
