// Package httpapi is the REST transport under /api/v1: it decodes and
// validates requests, calls one service method each, and encodes the answer or
// the error in the shape DESIGN.md §3 fixes. The OpenAPI document is generated
// from the operations registered here.
package httpapi
