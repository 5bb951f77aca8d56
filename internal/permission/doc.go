// Package permission names the system permissions that admin roles hold and
// answers whether a caller holds one. It imports only iam, so that every
// capability, and the small services they share (audit, mail, settings), can
// require a permission without importing the authorization service.
package permission
