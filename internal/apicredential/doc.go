// Package apicredential runs the life cycle of API credentials (owned by
// users) and service credentials (owned by service accounts): create, list,
// get, replace, activate, deactivate, renew, revoke and bulk revoke, their
// use as bearer tokens, and the warnings mailed to owners before they
// expire. One implementation serves both kinds; a Kind says which.
package apicredential
