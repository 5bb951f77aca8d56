package token

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// MasterKeyFile is the master key's file name inside the data directory.
const MasterKeyFile = "gatehouse.key"

// MasterKey seals secrets at rest with AES-256-GCM.
type MasterKey struct {
	aead cipher.AEAD
}

// ParseMasterKey decodes a base64 (standard or URL, padded or not) 32-byte key.
func ParseMasterKey(encoded string) (*MasterKey, error) {
	encoded = strings.TrimSpace(encoded)
	var raw []byte
	var err error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if raw, err = enc.DecodeString(encoded); err == nil {
			break
		}
	}
	if err != nil || len(raw) != 32 {
		return nil, errors.New("master key must be 32 bytes, base64-encoded")
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &MasterKey{aead: aead}, nil
}

// LoadOrCreateMasterKey reads the key at path, creating it with mode 0600 when
// it does not exist. created reports whether it was created.
func LoadOrCreateMasterKey(path string) (key *MasterKey, created bool, err error) {
	b, err := os.ReadFile(path)
	if err == nil {
		key, err := ParseMasterKey(string(b))
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", path, err)
		}
		return key, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, false, err
	}
	encoded := base64.StdEncoding.EncodeToString(raw)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, false, err
	}
	if _, err := f.WriteString(encoded + "\n"); err != nil {
		f.Close()
		return nil, false, err
	}
	if err := f.Close(); err != nil {
		return nil, false, err
	}
	key, err = ParseMasterKey(encoded)
	return key, true, err
}

// Seal encrypts plaintext; associated binds the ciphertext to its purpose so
// that a sealed value cannot be replayed in another field.
func (m *MasterKey) Seal(plaintext, associated []byte) ([]byte, error) {
	nonce := make([]byte, m.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return m.aead.Seal(nonce, nonce, plaintext, associated), nil
}

// Open decrypts what Seal produced with the same associated data.
func (m *MasterKey) Open(sealed, associated []byte) ([]byte, error) {
	n := m.aead.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("sealed value too short")
	}
	return m.aead.Open(nil, sealed[:n], sealed[n:], associated)
}
