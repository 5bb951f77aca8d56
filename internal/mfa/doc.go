// Package mfa manages a user's second factors: TOTP seeds, email codes and
// recovery codes (passkeys live in package passkey), checks a code against
// them, and decides when an action needs a second factor done recently
// (step-up).
package mfa
