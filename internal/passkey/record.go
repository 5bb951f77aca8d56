package passkey

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// record is the Secret of a passkey credential: the go-webauthn credential
// record (public key, sign count, flags) and the name its user gave it.
type record struct {
	Name       string              `json:"name"`
	Credential webauthn.Credential `json:"credential"`
}

func decodeRecord(c *iam.Credential) (*record, error) {
	var r record
	if err := json.Unmarshal([]byte(c.Secret), &r); err != nil {
		return nil, iam.Internal(fmt.Errorf("passkey %s: %w", c.ID, err))
	}
	return &r, nil
}

func (r *record) encode() string {
	b, _ := json.Marshal(r) // a record always marshals
	return string(b)
}

// credentialName is the credential's Name: the base64url of its id.
func credentialName(id []byte) string { return base64.RawURLEncoding.EncodeToString(id) }

// Passkey is one of a user's passkeys as they see it.
type Passkey struct {
	ID    string
	Name  string
	State iam.CredentialState
	// Synced reports a backup-eligible passkey, one its provider may copy
	// to the user's other devices.
	Synced     bool
	CreatedAt  time.Time
	LastUsedAt *time.Time
}

func passkeyOf(c *iam.Credential, r *record) *Passkey {
	return &Passkey{ID: c.ID, Name: r.Name, State: c.State, Synced: r.Credential.Flags.BackupEligible,
		CreatedAt: c.CreatedAt, LastUsedAt: c.LastUsedAt}
}

// maxNameLength bounds a passkey's display name, in characters.
const maxNameLength = 64

// defaultName names a passkey registered without a name.
const defaultName = "Passkey"

// cleanName trims a passkey's display name and checks it: one line of at
// most maxNameLength characters. Empty stands for defaultName when empty is
// allowed.
func cleanName(name string, allowEmpty bool) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "" && allowEmpty:
		return defaultName, nil
	case name == "":
		return "", iam.Invalid("the request has invalid fields", map[string]string{"name": "must not be empty"})
	case !utf8.ValidString(name) || strings.ContainsFunc(name, unicode.IsControl):
		return "", iam.Invalid("the request has invalid fields", map[string]string{"name": "must be one line of text"})
	case utf8.RuneCountInString(name) > maxNameLength:
		return "", iam.Invalid("the request has invalid fields", map[string]string{"name": fmt.Sprintf("must be at most %d characters", maxNameLength)})
	}
	return name, nil
}

// user is an iam.User as go-webauthn sees it. Its user handle is the
// user's id: stable, unique in the tenant, and no personal data (WebAuthn
// Level 3 §14.6.1).
type user struct {
	u     *iam.User
	creds []webauthn.Credential
}

func (w *user) WebAuthnID() []byte   { return []byte(w.u.ID) }
func (w *user) WebAuthnName() string { return w.u.Email }
func (w *user) WebAuthnDisplayName() string {
	if w.u.Name != "" {
		return w.u.Name
	}
	return w.u.Email
}
func (w *user) WebAuthnCredentials() []webauthn.Credential { return w.creds }

// records decodes the user's passkey credentials.
func records(creds []iam.Credential) ([]webauthn.Credential, error) {
	out := make([]webauthn.Credential, 0, len(creds))
	for i := range creds {
		r, err := decodeRecord(&creds[i])
		if err != nil {
			return nil, err
		}
		out = append(out, r.Credential)
	}
	return out, nil
}
