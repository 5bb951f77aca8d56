package sdk

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// keySet is a cached copy of the issuer's JSON Web Key Set (RFC 7517 §5).
type keySet struct {
	url         string
	http        *http.Client
	now         func() time.Time
	minInterval time.Duration // between two fetches caused by unknown key ids
	maxAge      time.Duration // after which known keys are fetched again

	mu        sync.Mutex
	keys      map[string]jose.JSONWebKey
	fetchedAt time.Time // of the keys held; zero before the first success
	triedAt   time.Time // of the last fetch, successful or not
	lastErr   error     // of the last fetch
	inflight  *fetch    // the fetch running now, which callers join
}

// fetch is one request for the key set that any number of callers wait for.
type fetch struct {
	done chan struct{}
	err  error
}

// fetchTimeout bounds a fetch, which runs on behalf of every caller waiting
// and so outlives the context of the one that started it.
const fetchTimeout = 10 * time.Second

// maxKeySet bounds the key set document.
const maxKeySet = 1 << 20

// key returns the key with id kid. An unknown kid makes it fetch the key set
// again — at most once per minInterval, one fetch shared by all callers —
// since the issuer may have rotated to a key this copy does not hold. Keys
// older than maxAge are fetched again too, but are still used if that fails.
//
// It returns ErrInvalidToken when the key set holds no such key, and an error
// wrapping ErrKeysUnavailable when it could not be fetched to find out.
func (s *keySet) key(ctx context.Context, kid string) (jose.JSONWebKey, error) {
	s.mu.Lock()
	now := s.now()
	k, ok := s.keys[kid]
	fresh := now.Sub(s.fetchedAt) < s.maxAge
	if ok && fresh {
		s.mu.Unlock()
		return k, nil
	}
	f := s.inflight
	if f == nil {
		if !s.triedAt.IsZero() && now.Sub(s.triedAt) < s.minInterval {
			err := s.lastErr
			s.mu.Unlock()
			switch {
			case ok:
				return k, nil
			case err != nil:
				return jose.JSONWebKey{}, err
			}
			return jose.JSONWebKey{}, fmt.Errorf("%w: unknown key id %q", ErrInvalidToken, kid)
		}
		f = &fetch{done: make(chan struct{})}
		s.inflight, s.triedAt = f, now
		go s.refresh(context.WithoutCancel(ctx), f)
	}
	s.mu.Unlock()

	select {
	case <-f.done:
	case <-ctx.Done():
		return jose.JSONWebKey{}, ctx.Err()
	}
	s.mu.Lock()
	k2, ok2 := s.keys[kid]
	s.mu.Unlock()
	switch {
	case ok2:
		return k2, nil
	case f.err != nil && ok: // the fetch failed: keep using the stale key
		return k, nil
	case f.err != nil:
		return jose.JSONWebKey{}, f.err
	}
	return jose.JSONWebKey{}, fmt.Errorf("%w: unknown key id %q", ErrInvalidToken, kid)
}

// refresh runs fetch f and publishes its outcome.
func (s *keySet) refresh(ctx context.Context, f *fetch) {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	keys, err := s.get(ctx)
	s.mu.Lock()
	if err == nil {
		s.keys, s.fetchedAt = keys, s.now()
	}
	s.lastErr, f.err, s.inflight = err, err, nil
	s.mu.Unlock()
	close(f.done)
}

// get fetches and decodes the key set. Keys that cannot be used to verify
// signatures — of another use, private, or of a type this library does not
// know — are skipped rather than failing the whole set, so that the issuer
// can publish new kinds of keys without breaking older clients.
func (s *keySet) get(ctx context.Context) (map[string]jose.JSONWebKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKeysUnavailable, err)
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	req.Header.Set("User-Agent", "gatehouse-go-sdk")
	res, err := s.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKeysUnavailable, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: %w", ErrKeysUnavailable, errorFromResponse(res))
	}
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, maxKeySet)).Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: decoding %s: %w", ErrKeysUnavailable, s.url, err)
	}
	keys := make(map[string]jose.JSONWebKey, len(doc.Keys))
	for _, raw := range doc.Keys {
		var k jose.JSONWebKey
		if json.Unmarshal(raw, &k) != nil || k.KeyID == "" || !k.IsPublic() || !k.Valid() {
			continue
		}
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		keys[k.KeyID] = k
	}
	return keys, nil
}
