package passkey

// CredentialName is the Name of the credential of a passkey's id.
var CredentialName = credentialName
