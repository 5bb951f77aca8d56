// Package authn turns a bearer credential into the principal it stands for.
// One chain picks the verifier by the credential's form: a JWT goes to the
// access-token verifier, an opaque secret to the verifier registered for its
// product prefix (personal access tokens, API and service credentials, SCIM
// tokens). Each verifier answers an iam.Principal of its kind, so the rest of
// the server never learns which one ran.
package authn
