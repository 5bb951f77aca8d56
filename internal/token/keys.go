package token

import (
	"cmp"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// Algorithms are the algorithms Gatehouse signs with, each with keys of its
// own: ES256 for access tokens (RFC 9068), RS256 for ID tokens, the one
// algorithm every OpenID Connect client must accept (OIDC Core §15.1).
var Algorithms = []jose.SignatureAlgorithm{jose.ES256, jose.RS256}

// rsaBits is the size of RS256 keys: NIST SP 800-57 deems 2048 bits
// enough until 2030, and larger keys slow every signature.
const rsaBits = 2048

// reloadInterval bounds how often an unknown key id makes Keys reread the
// store, so that garbage kids cannot turn into a query per request.
const reloadInterval = time.Second

const (
	// DefaultLead is how long a new key is published before it signs:
	// longer than clients cache a JWKS (Gatehouse says 60 seconds; client
	// libraries keep one for minutes), so none meets a token whose key it
	// has not fetched.
	DefaultLead = time.Hour
	// DefaultRetention is how long a key keeps verifying after the next one
	// took over: the longest access token lifetime a tenant may set (24h),
	// plus an hour for clock skew and replicas that have not reloaded yet.
	DefaultRetention = 25 * time.Hour
)

// Timing is a key's lifecycle: published for Lead before it signs, then
// signing until the next key does, then verifying for Retention more.
type Timing struct {
	Lead      time.Duration
	Retention time.Duration
}

// KeyState is where a key is in its lifecycle.
type KeyState string

// Key states. A next key is published but does not sign; the active key
// signs; a retiring key verifies what it signed until that has expired; a
// retired key does neither.
const (
	KeyNext     KeyState = "next"
	KeyActive   KeyState = "active"
	KeyRetiring KeyState = "retiring"
	KeyRetired  KeyState = "retired"
)

// KeyInfo describes a signing key to operators. RetiresAt is zero while no
// later key of its algorithm is scheduled.
type KeyInfo struct {
	ID          string
	Algorithm   jose.SignatureAlgorithm
	State       KeyState
	CreatedAt   time.Time
	ActivatesAt time.Time
	RetiresAt   time.Time
}

// KeyStore is what Keys needs of the store: the keys, and a lease so that
// one replica at a time rotates them on schedule.
type KeyStore interface {
	iam.KeyStore
	iam.LeaseStore
}

// Keys holds the signing keys of every algorithm. Each algorithm's keys take
// turns: a key signs from its activation until the next key's, so replicas
// that share a clock switch together without telling each other; a replica
// only has to have loaded the next key before then, and the lead gives it
// time to.
type Keys struct {
	store  KeyStore
	master *MasterKey
	now    func() time.Time
	timing Timing

	// reloading makes reloads take turns, so that a slow one cannot put
	// back what a later one replaced.
	reloading  sync.Mutex
	mu         sync.RWMutex
	keys       []*key // by algorithm, then activation
	lastReload time.Time
}

// key is a loaded signing key. replaced is when the next key of its
// algorithm activates, zero while there is none. signer is nil for a key
// replaced before it was loaded: it never signs again.
type key struct {
	info     KeyInfo
	replaced time.Time
	public   jose.JSONWebKey
	signer   crypto.Signer
	// access signs access tokens with the "typ" RFC 9068 asks for; ES256
	// keys only.
	access jose.Signer
}

// state is where k is at t.
func (k *key) state(t time.Time) KeyState {
	switch {
	case t.Before(k.info.ActivatesAt):
		return KeyNext
	case k.replaced.IsZero() || t.Before(k.replaced):
		return KeyActive
	case t.Before(k.info.RetiresAt):
		return KeyRetiring
	}
	return KeyRetired
}

// LoadKeys reads the signing keys from store, creating the first ES256 key
// when the store has none. A zero duration of timing takes its default.
func LoadKeys(ctx context.Context, store KeyStore, master *MasterKey, now func() time.Time, timing Timing) (*Keys, error) {
	if timing.Lead <= 0 {
		timing.Lead = DefaultLead
	}
	if timing.Retention <= 0 {
		timing.Retention = DefaultRetention
	}
	k := &Keys{store: store, master: master, now: now, timing: timing}
	if err := k.reload(ctx); err != nil {
		return nil, err
	}
	if _, err := k.ensure(ctx, jose.ES256); err != nil {
		return nil, err
	}
	return k, nil
}

// Rotate creates alg's next key, published at once and signing after the
// lead time; the key it replaces keeps verifying for the retention time
// after that. With immediately the new key signs at once — or, when a next
// key is published already, that one does — so clients that cached the JWKS
// in the last lead time refuse its tokens until they fetch it again. The
// first key of an algorithm signs at once: no token of it exists yet.
//
// Without immediately, a published next key is CodeConflict; so is a
// rotation of alg by another replica that came first.
func (k *Keys) Rotate(ctx context.Context, alg jose.SignatureAlgorithm, immediately bool) (KeyInfo, error) {
	if !slices.Contains(Algorithms, alg) {
		return KeyInfo{}, iam.Errorf(iam.CodeInvalid, "cannot sign with %q: the algorithms are ES256 and RS256", alg)
	}
	if err := k.reload(ctx); err != nil {
		return KeyInfo{}, err
	}
	now := k.now()
	tip := k.tip(alg)
	raced := iam.Errorf(iam.CodeConflict, "another rotation of the %s keys came first", alg)
	var id string
	switch {
	case tip == nil:
		sk, err := k.create(ctx, alg, "", now)
		if iam.IsCode(err, iam.CodeConflict) {
			return KeyInfo{}, raced
		}
		if err != nil {
			return KeyInfo{}, err
		}
		id = sk.ID
	case tip.state(now) == KeyNext && !immediately:
		return KeyInfo{}, iam.Errorf(iam.CodeConflict, "the next %s key %s is published already; it signs from %s",
			alg, tip.info.ID, tip.info.ActivatesAt.Format(time.RFC3339))
	case tip.state(now) == KeyNext:
		ok, err := k.store.ActivateSigningKey(ctx, tip.info.ID, now)
		if err != nil {
			return KeyInfo{}, err
		}
		if !ok {
			return KeyInfo{}, raced
		}
		id = tip.info.ID
	default:
		activates := now.Add(k.timing.Lead)
		if immediately {
			activates = now
		}
		sk, err := k.create(ctx, alg, tip.info.ID, activates)
		if iam.IsCode(err, iam.CodeConflict) {
			return KeyInfo{}, raced
		}
		if err != nil {
			return KeyInfo{}, err
		}
		id = sk.ID
	}
	if err := k.reload(ctx); err != nil {
		return KeyInfo{}, err
	}
	for _, info := range k.infos(now) {
		if info.ID == id {
			return info, nil
		}
	}
	return KeyInfo{}, fmt.Errorf("signing key %s: gone after its rotation", id)
}

// create generates a key of alg following succeeds, signing from activates,
// and stores it sealed with the master key.
func (k *Keys) create(ctx context.Context, alg jose.SignatureAlgorithm, succeeds string, activates time.Time) (*iam.SigningKey, error) {
	var (
		priv crypto.Signer
		err  error
	)
	switch alg {
	case jose.ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case jose.RS256:
		priv, err = rsa.GenerateKey(rand.Reader, rsaBits)
	default:
		err = fmt.Errorf("no key generator for %s", alg)
	}
	if err != nil {
		return nil, err
	}
	kid := uuid.Must(uuid.NewV7()).String()
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	sealed, err := k.master.Seal(der, sealPurpose(kid))
	if err != nil {
		return nil, err
	}
	pub, err := json.Marshal(jose.JSONWebKey{Key: priv.Public(), KeyID: kid, Algorithm: string(alg), Use: "sig"})
	if err != nil {
		return nil, err
	}
	sk := &iam.SigningKey{ID: kid, Algorithm: string(alg), PrivateKey: sealed, PublicJWK: pub, Succeeds: succeeds,
		CreatedAt: k.now(), ActivatesAt: activates}
	if err := k.store.CreateSigningKey(ctx, sk); err != nil {
		return nil, err
	}
	return sk, nil
}

func sealPurpose(kid string) []byte { return []byte("signing-key:" + kid) }

// ensure returns alg's active key, creating alg's first key when it has
// none; when another replica creates it first, that one is used.
func (k *Keys) ensure(ctx context.Context, alg jose.SignatureAlgorithm) (*key, error) {
	if active := k.active(alg); active != nil {
		return active, nil
	}
	if k.tip(alg) == nil {
		if _, err := k.create(ctx, alg, "", k.now()); err != nil && !iam.IsCode(err, iam.CodeConflict) {
			return nil, err
		}
		if err := k.reload(ctx); err != nil {
			return nil, err
		}
	}
	if active := k.active(alg); active != nil {
		return active, nil
	}
	return nil, fmt.Errorf("no %s signing key is active", alg)
}

// tip is alg's latest key, nil when it has none.
func (k *Keys) tip(alg jose.SignatureAlgorithm) *key {
	k.mu.RLock()
	defer k.mu.RUnlock()
	var tip *key
	for _, c := range k.keys {
		if c.info.Algorithm == alg {
			tip = c
		}
	}
	return tip
}

// active is the key that signs alg's tokens now, nil when there is none.
func (k *Keys) active(alg jose.SignatureAlgorithm) *key {
	now := k.now()
	k.mu.RLock()
	defer k.mu.RUnlock()
	for _, c := range k.keys {
		if c.info.Algorithm == alg && c.signer != nil && c.state(now) == KeyActive {
			return c
		}
	}
	return nil
}

// reload reads the keys not retired from the store. Private keys are opened
// only for keys that may still sign, once per key.
func (k *Keys) reload(ctx context.Context) error {
	k.reloading.Lock()
	defer k.reloading.Unlock()
	stored, err := k.store.ListSigningKeys(ctx)
	if err != nil {
		return err
	}
	slices.SortFunc(stored, func(a, b iam.SigningKey) int {
		return cmp.Or(cmp.Compare(a.Algorithm, b.Algorithm), a.ActivatesAt.Compare(b.ActivatesAt), cmp.Compare(a.ID, b.ID))
	})
	k.mu.RLock()
	opened := make(map[string]*key, len(k.keys))
	for _, c := range k.keys {
		opened[c.info.ID] = c
	}
	k.mu.RUnlock()
	now := k.now()
	keys := make([]*key, 0, len(stored))
	for i, sk := range stored {
		c := &key{info: KeyInfo{ID: sk.ID, Algorithm: jose.SignatureAlgorithm(sk.Algorithm), CreatedAt: sk.CreatedAt, ActivatesAt: sk.ActivatesAt}}
		if i+1 < len(stored) && stored[i+1].Algorithm == sk.Algorithm {
			c.replaced = stored[i+1].ActivatesAt
			c.info.RetiresAt = c.replaced.Add(k.timing.Retention)
		}
		if err := json.Unmarshal(sk.PublicJWK, &c.public); err != nil {
			return fmt.Errorf("signing key %s: %w", sk.ID, err)
		}
		keys = append(keys, c)
		if !slices.Contains(Algorithms, c.info.Algorithm) || (!c.replaced.IsZero() && !now.Before(c.replaced)) {
			continue // it will never sign
		}
		if prev := opened[sk.ID]; prev != nil && prev.signer != nil {
			c.signer, c.access = prev.signer, prev.access
			continue
		}
		if err := k.open(c, sk.PrivateKey); err != nil {
			return err
		}
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.keys, k.lastReload = keys, now
	return nil
}

// open decrypts c's private key.
func (k *Keys) open(c *key, sealed []byte) error {
	der, err := k.master.Open(sealed, sealPurpose(c.info.ID))
	if err != nil {
		return fmt.Errorf("signing key %s: cannot decrypt with this master key: %w", c.info.ID, err)
	}
	priv, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return fmt.Errorf("signing key %s: %w", c.info.ID, err)
	}
	signer, ok := priv.(crypto.Signer)
	if !ok {
		return fmt.Errorf("signing key %s: %T cannot sign", c.info.ID, priv)
	}
	c.signer = signer
	if c.info.Algorithm == jose.ES256 {
		c.access, err = jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: priv, KeyID: c.info.ID}},
			(&jose.SignerOptions{}).WithType(accessTokenType))
	}
	return err
}

// infos describes the loaded keys at now.
func (k *Keys) infos(now time.Time) []KeyInfo {
	k.mu.RLock()
	defer k.mu.RUnlock()
	out := make([]KeyInfo, len(k.keys))
	for i, c := range k.keys {
		out[i] = c.info
		out[i].State = c.state(now)
	}
	return out
}

// List rereads the keys not yet marked retired and describes them, by
// algorithm, then activation.
func (k *Keys) List(ctx context.Context) ([]KeyInfo, error) {
	if err := k.reload(ctx); err != nil {
		return nil, err
	}
	return k.infos(k.now()), nil
}

// JWKS returns the public keys that verify tokens now: next, active and
// retiring keys of every algorithm.
func (k *Keys) JWKS() jose.JSONWebKeySet {
	now := k.now()
	k.mu.RLock()
	defer k.mu.RUnlock()
	set := jose.JSONWebKeySet{Keys: make([]jose.JSONWebKey, 0, len(k.keys))}
	for _, c := range k.keys {
		if c.state(now) != KeyRetired {
			set.Keys = append(set.Keys, c.public)
		}
	}
	return set
}

// SigningKey is the key that signs an algorithm's tokens now. Its methods are
// those of zitadel/oidc's op.SigningKey.
type SigningKey struct {
	id  string
	alg jose.SignatureAlgorithm
	key crypto.Signer
}

// ID is the key id, the "kid" of what it signs.
func (s SigningKey) ID() string { return s.id }

// SignatureAlgorithm is the key's algorithm.
func (s SigningKey) SignatureAlgorithm() jose.SignatureAlgorithm { return s.alg }

// Key is the private key, a *ecdsa.PrivateKey or *rsa.PrivateKey.
func (s SigningKey) Key() any { return s.key }

// SigningKey returns the key that signs alg's tokens now, creating alg's
// first key when it has none.
func (k *Keys) SigningKey(ctx context.Context, alg jose.SignatureAlgorithm) (SigningKey, error) {
	if !slices.Contains(Algorithms, alg) {
		return SigningKey{}, fmt.Errorf("token: no %s keys", alg)
	}
	c, err := k.ensure(ctx, alg)
	if err != nil {
		return SigningKey{}, err
	}
	return SigningKey{id: c.info.ID, alg: alg, key: c.signer}, nil
}

// sign signs an access token with the active ES256 key.
func (k *Keys) sign(payload []byte) (string, error) {
	c := k.active(jose.ES256)
	if c == nil {
		return "", errors.New("token: no ES256 signing key is active")
	}
	jws, err := c.access.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

// publicKey finds the key with kid that verifies now, rereading the store at
// most once per reloadInterval when it is unknown (another replica may have
// rotated).
func (k *Keys) publicKey(ctx context.Context, kid string) (jose.JSONWebKey, bool) {
	now := k.now()
	k.mu.Lock()
	c := k.find(kid)
	stale := now.Sub(k.lastReload) >= reloadInterval
	if c == nil && stale {
		// Claim this reload: concurrent requests with unknown kids wait for
		// the next interval instead of each rereading the store.
		k.lastReload = now
	}
	k.mu.Unlock()
	if c == nil && stale {
		if err := k.reload(ctx); err != nil {
			return jose.JSONWebKey{}, false
		}
		k.mu.RLock()
		c = k.find(kid)
		k.mu.RUnlock()
	}
	if c == nil || c.state(now) == KeyRetired {
		return jose.JSONWebKey{}, false
	}
	return c.public, true
}

// find is the loaded key with kid; k.mu is held.
func (k *Keys) find(kid string) *key {
	for _, c := range k.keys {
		if c.info.ID == kid {
			return c
		}
	}
	return nil
}
