// Package access decides what a principal may do with the tenant's own
// application permissions: roles, organizations, groups, memberships and the
// check API. The system permissions of admin roles and the checks every
// capability makes before acting live in the leaf package permission.
package access
