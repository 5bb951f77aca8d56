package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

var keyTests = []test{
	{"CreateList", testSigningKeys},
	{"OneSuccessor", testSigningKeyOneSuccessor},
	{"ConcurrentSuccessors", testSigningKeyConcurrentSuccessors},
	{"Activate", testActivateSigningKey},
	{"ConcurrentActivate", testActivateSigningKeyConcurrently},
	{"Retire", testRetireSigningKey},
}

// signingKey returns an unsaved key of alg following succeeds, created at
// t0+created and signing from t0+activates.
func signingKey(t *testing.T, alg, succeeds string, created, activates time.Duration) *iam.SigningKey {
	return &iam.SigningKey{
		ID: newID(t), Algorithm: alg, Succeeds: succeeds, CreatedAt: at(created), ActivatesAt: at(activates),
		// Sealed keys are binary: include NUL and high bytes.
		PrivateKey: []byte{0x00, 0x01, 0xfe, 0xff, 'k', 0x00, byte(created / time.Minute)},
		PublicJWK:  []byte(`{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`),
	}
}

func testSigningKeys(t *testing.T, s iam.Store) {
	ctx := t.Context()
	keys, err := s.ListSigningKeys(ctx)
	if err != nil || len(keys) != 0 {
		t.Fatalf("ListSigningKeys of an empty store = %d keys, %v; want none", len(keys), err)
	}
	create := func(k *iam.SigningKey) *iam.SigningKey {
		must(t, s.CreateSigningKey(ctx, k), "CreateSigningKey")
		return k
	}
	oldest := create(signingKey(t, "EdDSA", "", 0, 0))
	rsa := create(signingKey(t, "RS256", "", 60*time.Minute, 60*time.Minute))
	retired := signingKey(t, "EdDSA", oldest.ID, 120*time.Minute, 180*time.Minute)
	retired.RetiredAt = ptr(at(180 * time.Minute))
	create(retired) // newest of all, but retired
	middle := create(signingKey(t, "EdDSA", retired.ID, 30*time.Minute, 90*time.Minute))

	keys, err = s.ListSigningKeys(ctx)
	must(t, err, "ListSigningKeys")
	want := []iam.SigningKey{*rsa, *middle, *oldest}
	if g, w := ids(keys, keyID), ids(want, keyID); !wantIDs(g, w) {
		t.Fatalf("ListSigningKeys = %v, want %v (newest first, without the retired key)", g, w)
	}
	check(t, "ListSigningKeys", keys, want)
}

// testSigningKeyOneSuccessor: a key has one successor, an algorithm one
// first key.
func testSigningKeyOneSuccessor(t *testing.T, s iam.Store) {
	ctx := t.Context()
	first := signingKey(t, "ES256", "", 0, 0)
	must(t, s.CreateSigningKey(ctx, first), "CreateSigningKey first")
	if err := s.CreateSigningKey(ctx, signingKey(t, "ES256", "", time.Minute, time.Minute)); !iam.IsCode(err, iam.CodeConflict) {
		t.Errorf("a second first ES256 key: %v, want %s", err, iam.CodeConflict)
	}
	must(t, s.CreateSigningKey(ctx, signingKey(t, "RS256", "", time.Minute, time.Minute)), "CreateSigningKey first RS256")
	next := signingKey(t, "ES256", first.ID, 2*time.Minute, time.Hour)
	must(t, s.CreateSigningKey(ctx, next), "CreateSigningKey successor")
	if err := s.CreateSigningKey(ctx, signingKey(t, "ES256", first.ID, 3*time.Minute, time.Hour)); !iam.IsCode(err, iam.CodeConflict) {
		t.Errorf("a second successor of one key: %v, want %s", err, iam.CodeConflict)
	}
	must(t, s.CreateSigningKey(ctx, signingKey(t, "ES256", next.ID, 4*time.Minute, 2*time.Hour)), "CreateSigningKey successor of the successor")
	keys, err := s.ListSigningKeys(ctx)
	if err != nil || len(keys) != 4 {
		t.Errorf("ListSigningKeys = %d keys, %v; want 4", len(keys), err)
	}
}

// testSigningKeyConcurrentSuccessors: replicas rotating at once create one
// next key.
func testSigningKeyConcurrentSuccessors(t *testing.T, s iam.Store) {
	ctx := t.Context()
	first := signingKey(t, "ES256", "", 0, 0)
	must(t, s.CreateSigningKey(ctx, first), "CreateSigningKey")
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		created int
	)
	for i := range concurrentUpdates {
		wg.Go(func() {
			err := s.CreateSigningKey(ctx, signingKey(t, "ES256", first.ID, time.Duration(i)*time.Second, time.Hour))
			switch {
			case err == nil:
				mu.Lock()
				created++
				mu.Unlock()
			case !iam.IsCode(err, iam.CodeConflict):
				t.Errorf("CreateSigningKey %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	keys, err := s.ListSigningKeys(ctx)
	must(t, err, "ListSigningKeys")
	if created != 1 || len(keys) != 2 {
		t.Errorf("%d concurrent successors created, %d keys stored; want 1 and 2", created, len(keys))
	}
}

func testActivateSigningKey(t *testing.T, s iam.Store) {
	ctx := t.Context()
	k := signingKey(t, "ES256", "", 0, time.Hour)
	must(t, s.CreateSigningKey(ctx, k), "CreateSigningKey")
	activate := func(when time.Duration, want bool) {
		t.Helper()
		ok, err := s.ActivateSigningKey(ctx, k.ID, at(when))
		if err != nil || ok != want {
			t.Errorf("ActivateSigningKey(t0+%v) = %v, %v; want %v", when, ok, err, want)
		}
	}
	activate(2*time.Hour, false) // never later
	activate(time.Hour, false)
	activate(10*time.Minute, true)
	activate(10*time.Minute, false)
	if ok, err := s.ActivateSigningKey(ctx, newID(t), at(0)); ok || err != nil {
		t.Errorf("ActivateSigningKey of an unknown key = %v, %v; want false", ok, err)
	}
	keys, err := s.ListSigningKeys(ctx)
	must(t, err, "ListSigningKeys")
	k.ActivatesAt = at(10 * time.Minute)
	check(t, "ListSigningKeys", keys, []iam.SigningKey{*k})
}

func testActivateSigningKeyConcurrently(t *testing.T, s iam.Store) {
	ctx := t.Context()
	k := signingKey(t, "ES256", "", 0, time.Hour)
	must(t, s.CreateSigningKey(ctx, k), "CreateSigningKey")
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins int
	)
	for i := range concurrentUpdates {
		wg.Go(func() {
			// Every caller asks for the same moment: one moves the key.
			ok, err := s.ActivateSigningKey(ctx, k.ID, at(time.Minute))
			if err != nil {
				t.Errorf("ActivateSigningKey %d: %v", i, err)
			}
			if ok {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d callers activated the key, want 1", wins)
	}
}

func testRetireSigningKey(t *testing.T, s iam.Store) {
	ctx := t.Context()
	first := signingKey(t, "ES256", "", 0, 0)
	next := signingKey(t, "ES256", first.ID, time.Minute, time.Hour)
	must(t, s.CreateSigningKey(ctx, first), "CreateSigningKey")
	must(t, s.CreateSigningKey(ctx, next), "CreateSigningKey")
	if ok, err := s.RetireSigningKey(ctx, first.ID, at(30*time.Hour)); !ok || err != nil {
		t.Fatalf("RetireSigningKey = %v, %v; want true", ok, err)
	}
	if ok, err := s.RetireSigningKey(ctx, first.ID, at(31*time.Hour)); ok || err != nil {
		t.Errorf("RetireSigningKey of a retired key = %v, %v; want false", ok, err)
	}
	if ok, err := s.ActivateSigningKey(ctx, first.ID, at(-time.Hour)); ok || err != nil {
		t.Errorf("ActivateSigningKey of a retired key = %v, %v; want false", ok, err)
	}
	keys, err := s.ListSigningKeys(ctx)
	must(t, err, "ListSigningKeys")
	check(t, "ListSigningKeys", keys, []iam.SigningKey{*next})
}
