// Package settings owns each tenant's policies — signup, passwords, lockout,
// sessions, token lifetimes and mail templates — as one validated document:
// defaults when unset, merge patches validated as a whole, and a short cache
// for the services that read them on every request.
package settings
