package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's cost parameters. The defaults are OWASP's minimum.
type Params struct {
	Time      uint32
	MemoryKiB uint32
	Threads   uint8
}

// DefaultParams is OWASP's argon2id minimum: t=2, m=19 MiB, p=1.
var DefaultParams = Params{Time: 2, MemoryKiB: 19 * 1024, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
)

// Hasher hashes and verifies passwords, running at most a fixed number of
// hashes at once.
type Hasher struct {
	params   Params
	slots    chan struct{}
	dummy    string
	computed atomic.Int64
}

// NewHasher returns a Hasher running at most concurrency hashes at once.
func NewHasher(p Params, concurrency int) (*Hasher, error) {
	if p.Time < 1 || p.MemoryKiB < 8*uint32(p.Threads) || p.Threads < 1 {
		return nil, fmt.Errorf("invalid argon2id parameters %+v", p)
	}
	// The dummy needs the parameters, not a real hash: verifying against it
	// costs a full hash and never matches, and start-up spends nothing.
	b64 := base64.RawStdEncoding
	dummy := fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Time, p.Threads,
		b64.EncodeToString(make([]byte, saltLen)), b64.EncodeToString(make([]byte, keyLen)))
	return &Hasher{params: p, slots: make(chan struct{}, max(1, concurrency)), dummy: dummy}, nil
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() { <-h.slots }

// Computed counts the hashes computed or verified since start.
func (h *Hasher) Computed() int64 { return h.computed.Load() }

// Hash returns the PHC-formatted argon2id hash of password, normalised
// with NFKC first (Normalize).
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	h.computed.Add(1)
	return h.encode([]byte(Normalize(password)))
}

func (h *Hasher) encode(password []byte) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey(password, salt, h.params.Time, h.params.MemoryKiB, h.params.Threads, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		h.params.MemoryKiB, h.params.Time, h.params.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify reports whether password, normalised with NFKC, matches encoded. An
// empty encoded hash (a user without a password) is checked against a dummy
// hash so that it costs the same time and never matches. A password longer
// than LongestPassword never matches and is not hashed.
func (h *Hasher) Verify(ctx context.Context, password, encoded string) (bool, error) {
	if TooLong(password, LongestPassword) {
		return false, nil
	}
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer h.release()
	h.computed.Add(1)
	pw := []byte(Normalize(password))
	if encoded == "" {
		_, _ = verify(pw, h.dummy)
		return false, nil
	}
	return verify(pw, encoded)
}

// VerifyDummy spends the time of one verification and returns nothing, so
// that an unknown account answers as slowly as a known one.
func (h *Hasher) VerifyDummy(ctx context.Context, password string) {
	_, _ = h.Verify(ctx, password, "")
}

var errMalformed = errors.New("malformed argon2id hash")

func verify(password []byte, encoded string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errMalformed
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errMalformed
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil {
		return false, errMalformed
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, errMalformed
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, errMalformed
	}
	got := argon2.IDKey(password, salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
