package token

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// reloadInterval bounds how often an unknown key id makes Keys reread the
// store, so that garbage kids cannot turn into a query per request.
const reloadInterval = time.Second

// Keys holds the signing keys: the newest signs, all unretired ones verify.
type Keys struct {
	store  iam.KeyStore
	master *MasterKey
	now    func() time.Time

	mu         sync.RWMutex
	signer     jose.Signer
	public     map[string]jose.JSONWebKey
	lastReload time.Time
}

// LoadKeys reads the signing keys from store, creating the first one when the
// store has none.
func LoadKeys(ctx context.Context, store iam.KeyStore, master *MasterKey, now func() time.Time) (*Keys, error) {
	k := &Keys{store: store, master: master, now: now}
	if err := k.reload(ctx); err != nil {
		return nil, err
	}
	if k.signer == nil {
		if err := k.Rotate(ctx); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// Rotate creates a new signing key; older keys keep verifying until retired.
func (k *Keys) Rotate(ctx context.Context) error {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	kid := uuid.Must(uuid.NewV7()).String()
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return err
	}
	sealed, err := k.master.Seal(der, []byte("signing-key:"+kid))
	if err != nil {
		return err
	}
	pub, err := json.Marshal(jose.JSONWebKey{Key: &priv.PublicKey, KeyID: kid, Algorithm: string(jose.ES256), Use: "sig"})
	if err != nil {
		return err
	}
	if err := k.store.CreateSigningKey(ctx, &iam.SigningKey{ID: kid, Algorithm: string(jose.ES256), PrivateKey: sealed, PublicJWK: pub, CreatedAt: k.now()}); err != nil {
		return err
	}
	return k.reload(ctx)
}

func (k *Keys) reload(ctx context.Context) error {
	stored, err := k.store.ListSigningKeys(ctx)
	if err != nil {
		return err
	}
	public := make(map[string]jose.JSONWebKey, len(stored))
	var signer jose.Signer
	for i, sk := range stored {
		var jwk jose.JSONWebKey
		if err := json.Unmarshal(sk.PublicJWK, &jwk); err != nil {
			return fmt.Errorf("signing key %s: %w", sk.ID, err)
		}
		public[sk.ID] = jwk
		if i > 0 {
			continue
		}
		der, err := k.master.Open(sk.PrivateKey, []byte("signing-key:"+sk.ID))
		if err != nil {
			return fmt.Errorf("signing key %s: cannot decrypt with this master key: %w", sk.ID, err)
		}
		priv, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			return fmt.Errorf("signing key %s: %w", sk.ID, err)
		}
		signer, err = jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: priv, KeyID: sk.ID}},
			(&jose.SignerOptions{}).WithType(accessTokenType))
		if err != nil {
			return err
		}
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.signer, k.public, k.lastReload = signer, public, k.now()
	return nil
}

// JWKS returns the public keys that verify tokens.
func (k *Keys) JWKS() jose.JSONWebKeySet {
	k.mu.RLock()
	defer k.mu.RUnlock()
	set := jose.JSONWebKeySet{Keys: make([]jose.JSONWebKey, 0, len(k.public))}
	for _, jwk := range k.public {
		set.Keys = append(set.Keys, jwk)
	}
	return set
}

func (k *Keys) sign(payload []byte) (string, error) {
	k.mu.RLock()
	signer := k.signer
	k.mu.RUnlock()
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

// publicKey finds the key with kid, rereading the store at most once per
// reloadInterval when it is unknown (another replica may have rotated).
func (k *Keys) publicKey(ctx context.Context, kid string) (jose.JSONWebKey, bool) {
	k.mu.Lock()
	jwk, ok := k.public[kid]
	stale := k.now().Sub(k.lastReload) >= reloadInterval
	if !ok && stale {
		// Claim this reload: concurrent requests with unknown kids wait for
		// the next interval instead of each rereading the store.
		k.lastReload = k.now()
	}
	k.mu.Unlock()
	if ok || !stale {
		return jwk, ok
	}
	if err := k.reload(ctx); err != nil {
		return jose.JSONWebKey{}, false
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	jwk, ok = k.public[kid]
	return jwk, ok
}
