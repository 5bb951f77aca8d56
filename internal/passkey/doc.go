// Package passkey registers users' passkeys (WebAuthn credentials) and
// verifies their assertions: as a second factor of a user another step
// already named, and as a passwordless sign-in with a discoverable
// credential, which names its user itself.
//
// A passkey is a credential of type iam.CredentialWebAuthn named by the
// base64url of its credential id; its Secret is the JSON of the go-webauthn
// credential record and its display name, which is public data. The state of
// a ceremony between its begin and finish is an MFA challenge that lives five
// minutes and is deleted by the finish that uses it.
package passkey
