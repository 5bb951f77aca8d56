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
	"path/filepath"
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
// it does not exist. created reports whether it was created. A key file that
// others may read is refused. The new key reaches the disk before it is
// used, and of two processes creating it at once both end up with the same.
func LoadOrCreateMasterKey(path string) (key *MasterKey, created bool, err error) {
	key, err = readMasterKey(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return key, false, err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, false, err
	}
	encoded := base64.StdEncoding.EncodeToString(raw)
	tmp, err := os.CreateTemp(filepath.Dir(path), ".gatehouse-key-*")
	if err != nil {
		return nil, false, err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return nil, false, err
	}
	if _, err := tmp.WriteString(encoded + "\n"); err != nil {
		tmp.Close()
		return nil, false, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, false, err
	}
	if err := tmp.Close(); err != nil {
		return nil, false, err
	}
	// Link fails if the file appeared meanwhile: then the other process's
	// key wins and is read.
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		key, err := readMasterKey(path)
		return key, false, err
	} else if err != nil {
		return nil, false, err
	}
	if dir, err := os.Open(filepath.Dir(path)); err == nil {
		_ = dir.Sync()
		dir.Close()
	}
	key, err = ParseMasterKey(encoded)
	return key, true, err
}

func readMasterKey(path string) (*MasterKey, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s: others may read it (mode %#o); run chmod 600 on it", path, info.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	key, err := ParseMasterKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return key, nil
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
