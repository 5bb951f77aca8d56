package storetest

import (
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

var keyTests = []test{
	{"CreateList", testSigningKeys},
}

func testSigningKeys(t *testing.T, s iam.Store) {
	ctx := t.Context()
	keys, err := s.ListSigningKeys(ctx)
	if err != nil || len(keys) != 0 {
		t.Fatalf("ListSigningKeys of an empty store = %d keys, %v; want none", len(keys), err)
	}
	key := func(alg string, created time.Duration, retired *time.Time) *iam.SigningKey {
		k := &iam.SigningKey{
			ID: newID(t), Algorithm: alg, CreatedAt: at(created), RetiredAt: retired,
			// Sealed keys are binary: include NUL and high bytes.
			PrivateKey: []byte{0x00, 0x01, 0xfe, 0xff, 'k', 0x00, byte(created / time.Minute)},
			PublicJWK:  []byte(`{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`),
		}
		must(t, s.CreateSigningKey(ctx, k), "CreateSigningKey")
		return k
	}
	oldest := key("EdDSA", 0, nil)
	newest := key("RS256", 60*time.Minute, nil)
	key("EdDSA", 120*time.Minute, ptr(at(180*time.Minute))) // newest of all, but retired
	middle := key("EdDSA", 30*time.Minute, nil)

	keys, err = s.ListSigningKeys(ctx)
	must(t, err, "ListSigningKeys")
	want := []iam.SigningKey{*newest, *middle, *oldest}
	if g, w := ids(keys, keyID), ids(want, keyID); !wantIDs(g, w) {
		t.Fatalf("ListSigningKeys = %v, want %v (newest first, without the retired key)", g, w)
	}
	check(t, "ListSigningKeys", keys, want)
}
