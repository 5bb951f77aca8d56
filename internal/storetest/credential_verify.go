package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

var credentialVerifyTests = []test{
	{"CreateConflict", testCredentialCreateConflict},
	{"ByIDListDelete", testCredentialByIDListDelete},
	{"Attempts", testCredentialAttempts},
	{"ConcurrentAttempts", testCredentialConcurrentAttempts},
	{"RecoveryCodeFailures", testRecoveryCodeFailures},
	{"TenantExternalID", testTenantExternalID},
	{"UserByExternalID", testUserByExternalID},
}

func testCredentialCreateConflict(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	u := createUser(t, s, tn.ID, "ada@example.com")
	stranger := createUser(t, s, other.ID, "grace@example.com")

	laptop := newCredential(t, u, deviceType, "laptop")
	laptop.FailedAttempts = 2
	must(t, s.CreateCredential(ctx, laptop), "CreateCredential")
	wantCredential(t, s, "created credential", laptop)

	again := newCredential(t, u, deviceType, "laptop")
	again.Secret = "$argon2id$other"
	wantCode(t, s.CreateCredential(ctx, again), iam.CodeConflict, "CreateCredential of a type and name the user holds")
	wantCredential(t, s, "credential after a refused create", laptop)

	foreign := newCredential(t, stranger, deviceType, "laptop")
	foreign.TenantID = tn.ID
	wantCode(t, s.CreateCredential(ctx, foreign), iam.CodeNotFound, "CreateCredential for a user of another tenant")
	unknown := newCredential(t, u, deviceType, "phone")
	unknown.UserID = newID(t)
	wantCode(t, s.CreateCredential(ctx, unknown), iam.CodeNotFound, "CreateCredential for an unknown user")
}

func testCredentialByIDListDelete(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	u := createUser(t, s, tn.ID, "ada@example.com")
	grace := createUser(t, s, tn.ID, "grace@example.com")
	var mine []*iam.Credential
	for i, name := range []string{"a", "b", "c"} {
		c := newCredential(t, u, deviceType, name)
		c.CreatedAt = at(time.Duration(i) * time.Minute)
		mine = append(mine, putCredential(t, s, c))
	}
	graces := putCredential(t, s, newCredential(t, grace, iam.CredentialPassword, ""))

	got, err := s.GetCredentialByID(ctx, tn.ID, u.ID, mine[1].ID)
	must(t, err, "GetCredentialByID")
	check(t, "credential by id", got, mine[1])
	err = s.InTx(ctx, func(tx iam.Tx) error {
		got, err := tx.GetCredentialByIDForUpdate(ctx, tn.ID, u.ID, mine[2].ID)
		if err == nil {
			check(t, "credential by id for update", got, mine[2])
		}
		return err
	})
	must(t, err, "GetCredentialByIDForUpdate")
	for name, call := range map[string]func() error{
		"by id of another user": func() error { _, err := s.GetCredentialByID(ctx, tn.ID, u.ID, graces.ID); return err },
		"by id in another tenant": func() error {
			_, err := s.GetCredentialByID(ctx, other.ID, u.ID, mine[0].ID)
			return err
		},
		"for update of another user": func() error {
			return s.InTx(ctx, func(tx iam.Tx) error {
				_, err := tx.GetCredentialByIDForUpdate(ctx, tn.ID, u.ID, graces.ID)
				return err
			})
		},
		"delete of another user's":   func() error { return s.DeleteCredential(ctx, tn.ID, u.ID, graces.ID) },
		"delete in another tenant":   func() error { return s.DeleteCredential(ctx, other.ID, u.ID, mine[0].ID) },
		"delete of an unknown id":    func() error { return s.DeleteCredential(ctx, tn.ID, u.ID, newID(t)) },
		"by id of an unknown id":     func() error { _, err := s.GetCredentialByID(ctx, tn.ID, u.ID, newID(t)); return err },
		"reserve in another tenant":  func() error { _, err := s.ReserveCredentialAttempt(ctx, other.ID, mine[0].ID); return err },
		"lock in another tenant":     func() error { return lockErr(s.LockCredential(ctx, other.ID, mine[0].ID, t0)) },
		"consume for another tenant": func() error { return s.ConsumeRecoveryCode(ctx, other.ID, u.ID, mine[0].Secret) },
	} {
		wantCode(t, call(), iam.CodeNotFound, name)
	}

	page, total, err := s.ListCredentials(ctx, tn.ID, u.ID, "", iam.ListParams{Page: 1, Limit: 2})
	must(t, err, "ListCredentials")
	if total != 3 || len(page) != 2 || page[0].ID != mine[2].ID || page[1].ID != mine[1].ID {
		t.Errorf("ListCredentials page 1 = %d of %d, want the newest two of 3", len(page), total)
	}
	page, _, err = s.ListCredentials(ctx, tn.ID, u.ID, "", iam.ListParams{Page: 2, Limit: 2})
	must(t, err, "ListCredentials page 2")
	if len(page) != 1 {
		t.Fatalf("ListCredentials page 2 has %d, want 1", len(page))
	}
	check(t, "oldest credential listed", &page[0], mine[0])
	if _, total, _ := s.ListCredentials(ctx, other.ID, u.ID, "", iam.ListParams{Page: 1, Limit: 10}); total != 0 {
		t.Errorf("ListCredentials in another tenant counted %d", total)
	}
	putCredential(t, s, newCredential(t, u, iam.CredentialPassword, ""))
	if typed, total, err := s.ListCredentials(ctx, tn.ID, u.ID, deviceType, iam.ListParams{Page: 1, Limit: 10}); err != nil || total != 3 || len(typed) != 3 {
		t.Errorf("ListCredentials of one type = %d of %d, %v; want the 3 device passwords", len(typed), total, err)
	}

	must(t, s.DeleteCredential(ctx, tn.ID, u.ID, mine[0].ID), "DeleteCredential")
	_, err = s.GetCredentialByID(ctx, tn.ID, u.ID, mine[0].ID)
	wantCode(t, err, iam.CodeNotFound, "deleted credential")
	wantCode(t, s.DeleteCredential(ctx, tn.ID, u.ID, mine[0].ID), iam.CodeNotFound, "second delete")
	wantCredential(t, s, "sibling of a deleted credential", mine[1])
	wantCredential(t, s, "another user's credential", graces)
}

// lockErr turns LockCredential's answer into an error: CodeNotFound when it
// changed nothing.
func lockErr(changed bool, err error) error {
	if err == nil && !changed {
		return iam.Errorf(iam.CodeNotFound, "nothing locked")
	}
	return err
}

func testCredentialAttempts(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	u := createUser(t, s, tn.ID, "ada@example.com")
	c := putCredential(t, s, newCredential(t, u, deviceType, "laptop"))
	sibling := putCredential(t, s, newCredential(t, u, deviceType, "phone"))

	for want := 1; want <= 3; want++ {
		got, err := s.ReserveCredentialAttempt(ctx, tn.ID, c.ID)
		must(t, err, "ReserveCredentialAttempt")
		c.FailedAttempts = want
		check(t, fmt.Sprintf("credential after attempt %d", want), got, c)
	}
	used := at(time.Hour)
	must(t, s.RecordCredentialUse(ctx, tn.ID, c.ID, used), "RecordCredentialUse")
	c.FailedAttempts, c.LastUsedAt = 0, &used
	wantCredential(t, s, "credential after use", c)

	_, err := s.ReserveCredentialAttempt(ctx, tn.ID, c.ID)
	must(t, err, "ReserveCredentialAttempt")
	locked, err := s.LockCredential(ctx, tn.ID, c.ID, at(2*time.Hour))
	if err != nil || !locked {
		t.Fatalf("LockCredential = %v, %v; want true", locked, err)
	}
	if again, err := s.LockCredential(ctx, tn.ID, c.ID, at(3*time.Hour)); err != nil || again {
		t.Errorf("LockCredential of a locked credential = %v, %v; want false", again, err)
	}
	c.State, c.UpdatedAt, c.FailedAttempts = iam.CredentialLocked, at(2*time.Hour), 1
	wantCredential(t, s, "locked credential", c)
	_, err = s.ReserveCredentialAttempt(ctx, tn.ID, c.ID)
	wantCode(t, err, iam.CodeNotFound, "ReserveCredentialAttempt of a locked credential")
	_, err = s.ReserveCredentialAttempt(ctx, tn.ID, newID(t))
	wantCode(t, err, iam.CodeNotFound, "ReserveCredentialAttempt of an unknown credential")
	disabled := newCredential(t, u, deviceType, "tablet")
	disabled.State = iam.CredentialDisabled
	putCredential(t, s, disabled)
	_, err = s.ReserveCredentialAttempt(ctx, tn.ID, disabled.ID)
	wantCode(t, err, iam.CodeNotFound, "ReserveCredentialAttempt of a disabled credential")
	if locked, err := s.LockCredential(ctx, tn.ID, disabled.ID, at(time.Hour)); err != nil || locked {
		t.Errorf("LockCredential of a disabled credential = %v, %v; want false", locked, err)
	}
	expired := newCredential(t, u, deviceType, "watch")
	expired.State = iam.CredentialExpired
	putCredential(t, s, expired)
	got, err := s.ReserveCredentialAttempt(ctx, tn.ID, expired.ID)
	if err != nil || got.FailedAttempts != 1 {
		t.Errorf("ReserveCredentialAttempt of an expired credential = %v, %v; want a count of 1", got, err)
	}
	if locked, err := s.LockCredential(ctx, tn.ID, expired.ID, at(time.Hour)); err != nil || !locked {
		t.Errorf("LockCredential of an expired credential = %v, %v; want true", locked, err)
	}
	wantCredential(t, s, "locked credential after refused attempts", c)
	wantCredential(t, s, "sibling", sibling)
}

// testCredentialConcurrentAttempts races attempts and locks of one
// credential: every attempt gets its own count, and one lock wins.
func testCredentialConcurrentAttempts(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	u := createUser(t, s, tn.ID, "ada@example.com")
	c := putCredential(t, s, newCredential(t, u, deviceType, "laptop"))
	const n = 30
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		counts []int
		locks  int
	)
	for range n {
		wg.Go(func() {
			got, err := s.ReserveCredentialAttempt(ctx, tn.ID, c.ID)
			if err != nil {
				t.Errorf("ReserveCredentialAttempt: %v", err)
				return
			}
			mu.Lock()
			counts = append(counts, got.FailedAttempts)
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(counts)
	for i, got := range counts {
		if got != i+1 {
			t.Fatalf("concurrent attempts counted %v, want 1 to %d once each", counts, n)
		}
	}
	for range n {
		wg.Go(func() {
			locked, err := s.LockCredential(ctx, tn.ID, c.ID, at(time.Hour))
			if err != nil {
				t.Errorf("LockCredential: %v", err)
			}
			if locked {
				mu.Lock()
				locks++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if locks != 1 {
		t.Errorf("%d of %d concurrent LockCredential calls locked, want 1", locks, n)
	}
}

func testRecoveryCodeFailures(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	u := createUser(t, s, tn.ID, "ada@example.com")
	a := putCredential(t, s, recoveryCode(t, u, "hash-1"))
	b := recoveryCode(t, u, "hash-2")
	b.FailedAttempts = 1
	putCredential(t, s, b)
	disabled := recoveryCode(t, u, "hash-3")
	disabled.State = iam.CredentialDisabled
	putCredential(t, s, disabled)
	device := putCredential(t, s, newCredential(t, u, deviceType, "laptop"))

	got, err := s.RecordRecoveryCodeFailure(ctx, tn.ID, u.ID, 3, at(time.Hour))
	if err != nil || got != 2 {
		t.Fatalf("RecordRecoveryCodeFailure = %d, %v; want 2", got, err)
	}
	got, err = s.RecordRecoveryCodeFailure(ctx, tn.ID, u.ID, 3, at(2*time.Hour))
	if err != nil || got != 3 {
		t.Fatalf("second RecordRecoveryCodeFailure = %d, %v; want 3", got, err)
	}
	a.FailedAttempts = 2
	b.FailedAttempts, b.State, b.UpdatedAt = 3, iam.CredentialLocked, at(2*time.Hour)
	wantCredential(t, s, "code below max", a)
	wantCredential(t, s, "code at max", b)
	wantCredential(t, s, "disabled code", disabled)
	wantCredential(t, s, "credential of another type", device)

	var concurrent sync.WaitGroup
	for range 10 {
		concurrent.Go(func() {
			if _, err := s.RecordRecoveryCodeFailure(ctx, tn.ID, u.ID, 100, at(3*time.Hour)); err != nil {
				t.Errorf("concurrent RecordRecoveryCodeFailure: %v", err)
			}
		})
	}
	concurrent.Wait()
	a.FailedAttempts = 12
	wantCredential(t, s, "code after concurrent failures", a)
	if got, err := s.RecordRecoveryCodeFailure(ctx, tn.ID, createUser(t, s, tn.ID, "x@example.com").ID, 3, t0); err != nil || got != 0 {
		t.Errorf("RecordRecoveryCodeFailure of a user without codes = %d, %v; want 0", got, err)
	}
}

func testTenantExternalID(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s, func(tn *iam.Tenant) { tn.ExternalID = "1000" })
	plain := createTenant(t, s)
	got, err := s.TenantByExternalID(ctx, "1000")
	must(t, err, "TenantByExternalID")
	if got.ID != tn.ID || got.ExternalID != "1000" {
		t.Errorf("TenantByExternalID = %s %q, want %s", got.ID, got.ExternalID, tn.ID)
	}
	if got, _ := s.GetTenant(ctx, plain.ID); got.ExternalID != "" {
		t.Errorf("tenant without external id reads %q", got.ExternalID)
	}
	_, err = s.TenantByExternalID(ctx, "1001")
	wantCode(t, err, iam.CodeNotFound, "TenantByExternalID of an unknown id")
	dup := &iam.Tenant{ID: newID(t), Name: "dup", ExternalID: "1000", CreatedAt: t0, UpdatedAt: t0}
	wantCode(t, s.CreateTenant(ctx, dup), iam.CodeExternalIDTaken, "CreateTenant with a taken external id")
	plain.ExternalID = "1000"
	wantCode(t, s.UpdateTenant(ctx, plain), iam.CodeExternalIDTaken, "UpdateTenant to a taken external id")

	tn.ExternalID = ""
	must(t, s.UpdateTenant(ctx, tn), "UpdateTenant clearing the external id")
	plain.ExternalID = "1000"
	must(t, s.UpdateTenant(ctx, plain), "UpdateTenant to a freed external id")
	got, err = s.TenantByExternalID(ctx, "1000")
	must(t, err, "TenantByExternalID after the move")
	if got.ID != plain.ID {
		t.Errorf("TenantByExternalID after the move = %s, want %s", got.ID, plain.ID)
	}
}

func testUserByExternalID(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	u := createUser(t, s, tn.ID, "ada@example.com", func(u *iam.User) { u.ExternalID = "1234" })
	createUser(t, s, tn.ID, "grace@example.com")
	got, err := s.GetUserByExternalID(ctx, tn.ID, "1234")
	must(t, err, "GetUserByExternalID")
	check(t, "user by external id", got, u)
	_, err = s.GetUserByExternalID(ctx, other.ID, "1234")
	wantCode(t, err, iam.CodeNotFound, "GetUserByExternalID in another tenant")
	_, err = s.GetUserByExternalID(ctx, tn.ID, "")
	wantCode(t, err, iam.CodeNotFound, "GetUserByExternalID of an empty id")
}
