package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

var serviceAccountKeyTests = []test{
	{"CreateList", testAccountKeyCreateList},
	{"BySecretHash", testAccountKeyBySecretHash},
	{"NotFound", testAccountKeyNotFound},
	{"Revoke", testAccountKeyRevoke},
	{"RevokeConcurrently", testAccountKeyRevokeConcurrently},
	{"RecordUse", testAccountKeyRecordUse},
	{"DeleteAccount", testAccountKeyDeleteAccount},
}

// createAccountKey inserts a secret key of the account whose hash is
// "hash-"+id, changed by mods.
func createAccountKey(t *testing.T, s iam.Tx, a *iam.ServiceAccount, mods ...func(*iam.ServiceAccountKey)) *iam.ServiceAccountKey {
	t.Helper()
	k := &iam.ServiceAccountKey{ID: newID(t), TenantID: a.TenantID, ServiceAccountID: a.ID, Type: iam.KeySecret,
		Display: "gtcli_abcd", CreatedAt: t0}
	k.SecretHash = "hash-" + k.ID
	for _, m := range mods {
		m(k)
	}
	must(t, s.CreateServiceAccountKey(t.Context(), k), "CreateServiceAccountKey")
	return k
}

func accountKeyID(k iam.ServiceAccountKey) string { return k.ID }

func publicKey(k *iam.ServiceAccountKey) {
	k.Type, k.SecretHash, k.Display, k.Algorithm = iam.KeyPublicKey, "", "SHA256:fingerprint", "ES256"
	k.PublicKeyPEM = "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n"
}

func testAccountKeyCreateList(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	a, other := createServiceAccount(t, s, tn.ID, "robot"), createServiceAccount(t, s, tn.ID, "other")
	first := createAccountKey(t, s, a, func(k *iam.ServiceAccountKey) { k.ExpiresAt = ptr(at(24 * time.Hour)) })
	second := createAccountKey(t, s, a, publicKey, func(k *iam.ServiceAccountKey) { k.CreatedAt = at(time.Minute) })
	createAccountKey(t, s, other)
	got, err := s.ListServiceAccountKeys(ctx, tn.ID, a.ID)
	if listed(t, "ListServiceAccountKeys", got, len(got), err, accountKeyID, []string{second.ID, first.ID}, 2) {
		check(t, "newest key", &got[0], second)
		check(t, "oldest key", &got[1], first)
	}
}

func testAccountKeyBySecretHash(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	a := createServiceAccount(t, s, tn.ID, "robot")
	k := createAccountKey(t, s, a)
	got, err := s.ServiceAccountKeyBySecretHash(ctx, k.SecretHash)
	must(t, err, "ServiceAccountKeyBySecretHash")
	check(t, "key by hash", got, k)
	_, err = s.RevokeServiceAccountKey(ctx, tn.ID, a.ID, k.ID, at(time.Hour))
	must(t, err, "RevokeServiceAccountKey")
	got, err = s.ServiceAccountKeyBySecretHash(ctx, k.SecretHash)
	must(t, err, "ServiceAccountKeyBySecretHash of a revoked key")
	if got.RevokedAt == nil || !got.RevokedAt.Equal(at(time.Hour).Truncate(time.Microsecond)) {
		t.Errorf("RevokedAt = %v, want %v", got.RevokedAt, at(time.Hour))
	}
	_, err = s.ServiceAccountKeyBySecretHash(ctx, "hash-unknown")
	wantCode(t, err, iam.CodeNotFound, "ServiceAccountKeyBySecretHash of an unknown hash")
	dup := &iam.ServiceAccountKey{ID: newID(t), TenantID: tn.ID, ServiceAccountID: a.ID, Type: iam.KeySecret, SecretHash: k.SecretHash, CreatedAt: t0}
	wantCode(t, s.CreateServiceAccountKey(ctx, dup), iam.CodeConflict, "CreateServiceAccountKey with a taken hash")
	// Public keys carry no hash; any number of them may exist.
	createAccountKey(t, s, a, publicKey)
	createAccountKey(t, s, a, publicKey)
}

func testAccountKeyNotFound(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	a, b := createServiceAccount(t, s, tn.ID, "robot"), createServiceAccount(t, s, tn.ID, "other")
	k := createAccountKey(t, s, a)
	foreign := &iam.ServiceAccountKey{ID: newID(t), TenantID: other.ID, ServiceAccountID: a.ID, Type: iam.KeySecret, SecretHash: "x", CreatedAt: t0}
	wantCode(t, s.CreateServiceAccountKey(ctx, foreign), iam.CodeNotFound, "CreateServiceAccountKey for another tenant's account")
	_, err := s.RevokeServiceAccountKey(ctx, tn.ID, b.ID, k.ID, t0)
	wantCode(t, err, iam.CodeNotFound, "RevokeServiceAccountKey through another account")
	_, err = s.RevokeServiceAccountKey(ctx, other.ID, a.ID, k.ID, t0)
	wantCode(t, err, iam.CodeNotFound, "RevokeServiceAccountKey from another tenant")
	_, err = s.RevokeServiceAccountKey(ctx, tn.ID, a.ID, newID(t), t0)
	wantCode(t, err, iam.CodeNotFound, "RevokeServiceAccountKey of an unknown key")
	wantCode(t, s.RecordServiceAccountKeyUse(ctx, other.ID, k.ID, t0), iam.CodeNotFound, "RecordServiceAccountKeyUse from another tenant")
	if keys, err := s.ListServiceAccountKeys(ctx, other.ID, a.ID); err != nil || len(keys) != 0 {
		t.Errorf("ListServiceAccountKeys from another tenant = %v, %v; want none", keys, err)
	}
	got, err := s.ServiceAccountKeyBySecretHash(ctx, k.SecretHash)
	must(t, err, "ServiceAccountKeyBySecretHash")
	check(t, "key after foreign changes", got, k)
}

func testAccountKeyRevoke(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	a := createServiceAccount(t, s, tn.ID, "robot")
	k, keep := createAccountKey(t, s, a), createAccountKey(t, s, a)
	revoked, err := s.RevokeServiceAccountKey(ctx, tn.ID, a.ID, k.ID, at(time.Hour))
	if err != nil || !revoked {
		t.Fatalf("RevokeServiceAccountKey = %v, %v; want true", revoked, err)
	}
	revoked, err = s.RevokeServiceAccountKey(ctx, tn.ID, a.ID, k.ID, at(2*time.Hour))
	if err != nil || revoked {
		t.Errorf("RevokeServiceAccountKey again = %v, %v; want false, nil", revoked, err)
	}
	keys, err := s.ListServiceAccountKeys(ctx, tn.ID, a.ID)
	must(t, err, "ListServiceAccountKeys")
	want := *k
	want.RevokedAt = ptr(at(time.Hour))
	for i := range keys {
		switch keys[i].ID {
		case k.ID:
			check(t, "revoked key", &keys[i], &want)
		case keep.ID:
			check(t, "other key", &keys[i], keep)
		}
	}
	if want.Usable(at(time.Hour)) || !keep.Usable(at(time.Hour)) {
		t.Error("Usable: a revoked key is usable, or a live one is not")
	}
}

func testAccountKeyRevokeConcurrently(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	a := createServiceAccount(t, s, tn.ID, "robot")
	k := createAccountKey(t, s, a)
	const n = 10
	var wg sync.WaitGroup
	wins := make([]bool, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = s.InTx(ctx, func(tx iam.Tx) error {
				var err error
				wins[i], err = tx.RevokeServiceAccountKey(ctx, tn.ID, a.ID, k.ID, at(time.Duration(i)*time.Second))
				return err
			})
		})
	}
	wg.Wait()
	won := 0
	for i := range n {
		if errs[i] != nil {
			t.Errorf("revocation %d: %v", i, errs[i])
		}
		if wins[i] {
			won++
		}
	}
	if won != 1 {
		t.Errorf("%d of %d concurrent revocations report revoking the key, want exactly 1", won, n)
	}
}

func testAccountKeyRecordUse(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	a := createServiceAccount(t, s, tn.ID, "robot")
	k := createAccountKey(t, s, a)
	must(t, s.RecordServiceAccountKeyUse(ctx, tn.ID, k.ID, at(time.Minute)), "RecordServiceAccountKeyUse")
	got, err := s.ServiceAccountKeyBySecretHash(ctx, k.SecretHash)
	must(t, err, "ServiceAccountKeyBySecretHash")
	want := *k
	want.LastUsedAt = ptr(at(time.Minute))
	check(t, "key after use", got, &want)
	wantCode(t, s.RecordServiceAccountKeyUse(ctx, tn.ID, newID(t), t0), iam.CodeNotFound, "RecordServiceAccountKeyUse of an unknown key")
}

func testAccountKeyDeleteAccount(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	a, other := createServiceAccount(t, s, tn.ID, "robot"), createServiceAccount(t, s, tn.ID, "other")
	k := createAccountKey(t, s, a)
	keep := createAccountKey(t, s, other)
	must(t, s.DeleteServiceAccount(ctx, tn.ID, a.ID), "DeleteServiceAccount")
	_, err := s.ServiceAccountKeyBySecretHash(ctx, k.SecretHash)
	wantCode(t, err, iam.CodeNotFound, "ServiceAccountKeyBySecretHash of a deleted account's key")
	_, err = s.ServiceAccountKeyBySecretHash(ctx, keep.SecretHash)
	must(t, err, "ServiceAccountKeyBySecretHash of another account's key")
}
