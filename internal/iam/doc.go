// Package iam is Gatehouse's vocabulary: the entity types, the one Error type and
// its codes, the store contracts, and the tenant, principal and request facts that
// travel in a context. It imports nothing but the standard library so that every
// other package can depend on it.
package iam
