// Package nevisidm is the seed-compatible surface of nevisIDM's
// Authentication REST API (/nevisidm/api/auth/v1): the credential
// verification of package credential on nevisIDM's paths, with its bodies
// and its error shape, so that clients written for nevisIDM work unchanged.
// It holds no rule: each handler decodes, makes one service call, encodes.
package nevisidm
