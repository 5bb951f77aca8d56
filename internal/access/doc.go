// Package access decides what a principal may do: the system permissions of
// admin roles, wildcard matching, and the checks services make before acting.
package access
