// Package credential manages the credentials a user holds (passwords,
// device and context passwords, recovery codes, second factors) for admins,
// and verifies a user's password or recovery code for back ends that hold
// credentials.verify, answering a status without signing anyone in.
package credential
