// Package directory manages who exists: tenants, users, admin roles and the
// admins holding them. Every change checks the caller's permission and commits
// with its audit event in one transaction.
package directory
