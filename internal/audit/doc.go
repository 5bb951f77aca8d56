// Package audit builds audit events from a request's context and answers the
// audit log. Events are written by the service making the change, in the same
// transaction as the change.
package audit
