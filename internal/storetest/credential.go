package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

var credentialTests = []test{
	{"PutGet", testCredentialPutGet},
	{"PutReplaces", testCredentialPutReplaces},
	{"NotFound", testCredentialNotFound},
	{"RecordUse", testCredentialRecordUse},
	{"GoneWithUser", testCredentialGoneWithUser},
	{"Rollback", testCredentialRollback},
	{"ConcurrentPut", testCredentialConcurrentPut},
	{"DeleteOne", testCredentialDeleteOne},
	{"ConcurrentDeleteOne", testCredentialConcurrentDeleteOne},
}

// deviceType stands for the types a user holds several of, told apart by name.
const deviceType iam.CredentialType = "device_password"

// newCredential is an active credential of the user, of typ and name.
func newCredential(t *testing.T, u *iam.User, typ iam.CredentialType, name string) *iam.Credential {
	return &iam.Credential{ID: newID(t), TenantID: u.TenantID, UserID: u.ID, Type: typ, Name: name,
		State: iam.CredentialActive, Secret: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$" + name, CreatedAt: t0, UpdatedAt: t0}
}

// putCredential stores c, failing the test if the store refuses it.
func putCredential(t *testing.T, s iam.Tx, c *iam.Credential) *iam.Credential {
	t.Helper()
	must(t, s.PutCredential(t.Context(), c), fmt.Sprintf("PutCredential %s %q", c.Type, c.Name))
	return c
}

// wantCredential fails the test unless the stored credential is want.
func wantCredential(t *testing.T, s iam.Tx, what string, want *iam.Credential) {
	t.Helper()
	got, err := s.GetCredential(t.Context(), want.TenantID, want.UserID, want.Type, want.Name)
	if err != nil {
		t.Errorf("%s: GetCredential: %v", what, err)
		return
	}
	check(t, what, got, want)
}

func testCredentialPutGet(t *testing.T, s iam.Store) {
	tn := createTenant(t, s)
	ada := createUser(t, s, tn.ID, "ada@example.com")
	grace := createUser(t, s, tn.ID, "grace@example.com")

	pw := putCredential(t, s, newCredential(t, ada, iam.CredentialPassword, ""))
	id := pw.ID
	// Every field round-trips, the optional times included.
	laptop := newCredential(t, ada, deviceType, "laptop")
	laptop.State, laptop.UpdatedAt = iam.CredentialLocked, at(time.Second+999*time.Nanosecond)
	laptop.LastUsedAt, laptop.ExpiresAt = ptr(at(time.Minute)), ptr(at(24*time.Hour))
	putCredential(t, s, laptop)
	phone := putCredential(t, s, newCredential(t, ada, deviceType, "phone"))
	other := putCredential(t, s, newCredential(t, grace, iam.CredentialPassword, ""))

	if pw.ID != id || !pw.CreatedAt.Equal(t0.Truncate(time.Microsecond)) || pw.CreatedAt.Location() != time.UTC {
		t.Errorf("PutCredential of a new credential wrote back id %s, created %v; want %s, %v UTC", pw.ID, pw.CreatedAt, id, t0)
	}
	for name, want := range map[string]*iam.Credential{"password": pw, "laptop": laptop, "phone": phone, "other user's password": other} {
		wantCredential(t, s, name, want)
	}
}

func testCredentialPutReplaces(t *testing.T, s iam.Store) {
	tn := createTenant(t, s)
	u := createUser(t, s, tn.ID, "ada@example.com")
	first := newCredential(t, u, iam.CredentialPassword, "")
	first.LastUsedAt = ptr(at(time.Minute))
	putCredential(t, s, first)
	sibling := putCredential(t, s, newCredential(t, u, deviceType, "laptop"))

	next := newCredential(t, u, iam.CredentialPassword, "")
	next.Secret, next.State, next.CreatedAt, next.UpdatedAt = "$argon2id$new", iam.CredentialExpired, at(time.Hour), at(time.Hour)
	next.ExpiresAt = ptr(at(2 * time.Hour))
	putCredential(t, s, next)
	if next.ID != first.ID || !next.CreatedAt.Equal(first.CreatedAt) {
		t.Errorf("replacing wrote back id %s, created %v; want the first's %s, %v", next.ID, next.CreatedAt, first.ID, first.CreatedAt)
	}
	want := *next
	want.ID, want.CreatedAt, want.LastUsedAt = first.ID, t0, nil
	wantCredential(t, s, "replaced password", &want)
	wantCredential(t, s, "credential of another type", sibling)
}

func testCredentialNotFound(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	u := createUser(t, s, tn.ID, "ada@example.com")
	pw := putCredential(t, s, newCredential(t, u, iam.CredentialPassword, ""))
	stranger := createUser(t, s, other.ID, "grace@example.com")

	for name, call := range map[string]func() error{
		"GetCredential of an unknown user": func() error {
			_, err := s.GetCredential(ctx, tn.ID, newID(t), iam.CredentialPassword, "")
			return err
		},
		"GetCredential of a type the user lacks": func() error {
			_, err := s.GetCredential(ctx, tn.ID, u.ID, deviceType, "")
			return err
		},
		"GetCredential of a name the user lacks": func() error {
			_, err := s.GetCredential(ctx, tn.ID, u.ID, iam.CredentialPassword, "laptop")
			return err
		},
		"GetCredential in another tenant": func() error {
			_, err := s.GetCredential(ctx, other.ID, u.ID, iam.CredentialPassword, "")
			return err
		},
		"PutCredential for an unknown user": func() error {
			c := newCredential(t, u, iam.CredentialPassword, "")
			c.UserID = newID(t)
			return s.PutCredential(ctx, c)
		},
		"PutCredential for a user of another tenant": func() error {
			c := newCredential(t, stranger, iam.CredentialPassword, "")
			c.TenantID = tn.ID
			return s.PutCredential(ctx, c)
		},
		"RecordCredentialUse of an unknown id": func() error { return s.RecordCredentialUse(ctx, tn.ID, newID(t), at(time.Hour)) },
		"RecordCredentialUse in another tenant": func() error {
			return s.RecordCredentialUse(ctx, other.ID, pw.ID, at(time.Hour))
		},
	} {
		wantCode(t, call(), iam.CodeNotFound, name)
	}
	_, err := s.GetCredential(ctx, other.ID, stranger.ID, iam.CredentialPassword, "")
	wantCode(t, err, iam.CodeNotFound, "credential put across tenants")
	wantCredential(t, s, "password after use recorded in another tenant", pw)
}

func testCredentialRecordUse(t *testing.T, s iam.Store) {
	tn := createTenant(t, s)
	u := createUser(t, s, tn.ID, "ada@example.com")
	c := newCredential(t, u, iam.CredentialPassword, "")
	c.ExpiresAt = ptr(at(48 * time.Hour))
	putCredential(t, s, c)
	sibling := putCredential(t, s, newCredential(t, u, deviceType, "laptop"))

	for _, used := range []time.Time{at(time.Hour), at(2 * time.Hour)} {
		must(t, s.RecordCredentialUse(t.Context(), tn.ID, c.ID, used), "RecordCredentialUse")
		c.LastUsedAt = &used
		wantCredential(t, s, "credential after use", c)
	}
	wantCredential(t, s, "another credential of the user", sibling)
}

func testCredentialGoneWithUser(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	gone, kept := createUser(t, s, tn.ID, "gone@example.com"), createUser(t, s, tn.ID, "kept@example.com")
	goneCred := putCredential(t, s, newCredential(t, gone, iam.CredentialPassword, ""))
	keptCred := putCredential(t, s, newCredential(t, kept, iam.CredentialPassword, ""))

	must(t, s.DeleteUser(ctx, tn.ID, gone.ID), "DeleteUser")
	_, err := s.GetCredential(ctx, tn.ID, gone.ID, iam.CredentialPassword, "")
	wantCode(t, err, iam.CodeNotFound, "GetCredential of a deleted user")
	wantCode(t, s.RecordCredentialUse(ctx, tn.ID, goneCred.ID, at(time.Hour)), iam.CodeNotFound, "RecordCredentialUse of a deleted user's credential")
	wantCredential(t, s, "another user's credential", keptCred)

	// A user created again with the same email starts without a password.
	again := createUser(t, s, tn.ID, gone.Email)
	_, err = s.GetCredential(ctx, tn.ID, again.ID, iam.CredentialPassword, "")
	wantCode(t, err, iam.CodeNotFound, "GetCredential of a new user with a deleted user's email")
}

func testCredentialRollback(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	u := createUser(t, s, tn.ID, "ada@example.com")
	before := putCredential(t, s, newCredential(t, u, iam.CredentialPassword, ""))
	errAbort := errors.New("abort")
	err := s.InTx(ctx, func(tx iam.Tx) error {
		next := newCredential(t, u, iam.CredentialPassword, "")
		next.Secret, next.UpdatedAt = "$argon2id$rolled-back", at(time.Hour)
		putCredential(t, tx, next)
		putCredential(t, tx, newCredential(t, u, deviceType, "laptop"))
		return errAbort
	})
	if !errors.Is(err, errAbort) {
		t.Fatalf("InTx = %v, want the error fn returned", err)
	}
	wantCredential(t, s, "password replaced in a rolled back transaction", before)
	_, err = s.GetCredential(ctx, tn.ID, u.ID, deviceType, "laptop")
	wantCode(t, err, iam.CodeNotFound, "credential put in a rolled back transaction")
}

// testCredentialConcurrentPut races writers of one credential, as two
// password resets at once do, against writers of its siblings and recorders
// of its use: nobody fails, one row holds one of the secrets written, and
// no sibling is lost.
func testCredentialConcurrentPut(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	u := createUser(t, s, tn.ID, "ada@example.com")
	const n = 30
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		ids     []string
		secrets []string
		errs    []error
	)
	record := func(err error) {
		if err != nil {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}
	}
	for i := range n {
		wg.Add(3)
		go func() {
			defer wg.Done()
			c := newCredential(t, u, iam.CredentialPassword, "")
			c.Secret, c.UpdatedAt = fmt.Sprintf("$argon2id$secret-%d", i), at(time.Duration(i)*time.Second)
			err := s.PutCredential(ctx, c)
			record(err)
			mu.Lock()
			ids, secrets = append(ids, c.ID), append(secrets, c.Secret)
			mu.Unlock()
		}()
		go func() {
			defer wg.Done()
			record(s.PutCredential(ctx, newCredential(t, u, deviceType, fmt.Sprintf("device-%d", i))))
		}()
		go func() {
			defer wg.Done()
			c, err := s.GetCredential(ctx, tn.ID, u.ID, iam.CredentialPassword, "")
			if iam.IsCode(err, iam.CodeNotFound) {
				return // nothing put yet to record the use of
			}
			if err == nil {
				err = s.RecordCredentialUse(ctx, tn.ID, c.ID, at(time.Hour))
			}
			record(err)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		t.Errorf("concurrent writer: %v", err)
	}
	got, err := s.GetCredential(ctx, tn.ID, u.ID, iam.CredentialPassword, "")
	must(t, err, "GetCredential after the race")
	for _, id := range ids {
		if id != got.ID {
			t.Errorf("a writer was told id %s, the stored credential is %s", id, got.ID)
			break
		}
	}
	if !slices.Contains(secrets, got.Secret) {
		t.Errorf("stored secret %q is none of those written", got.Secret)
	}
	for i := range n {
		if _, err := s.GetCredential(ctx, tn.ID, u.ID, deviceType, fmt.Sprintf("device-%d", i)); err != nil {
			t.Errorf("device-%d after the race: %v", i, err)
		}
	}
}

// testCredentialDeleteOne: a user's credential goes by its id, and only
// from its own user in its own tenant.
func testCredentialDeleteOne(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn, other := createTenant(t, s), createTenant(t, s)
	ada := createUser(t, s, tn.ID, "ada@example.com")
	grace := createUser(t, s, tn.ID, "grace@example.com")
	key1 := putCredential(t, s, newCredential(t, ada, iam.CredentialWebAuthn, "key-1"))
	key2 := putCredential(t, s, newCredential(t, ada, iam.CredentialWebAuthn, "key-2"))
	pw := putCredential(t, s, newCredential(t, ada, iam.CredentialPassword, ""))

	wantCode(t, s.DeleteCredential(ctx, tn.ID, grace.ID, key1.ID), iam.CodeNotFound, "DeleteCredential of another user's credential")
	wantCode(t, s.DeleteCredential(ctx, other.ID, ada.ID, key1.ID), iam.CodeNotFound, "DeleteCredential in another tenant")
	wantCode(t, s.DeleteCredential(ctx, tn.ID, ada.ID, newID(t)), iam.CodeNotFound, "DeleteCredential of an unknown id")
	must(t, s.DeleteCredential(ctx, tn.ID, ada.ID, key1.ID), "DeleteCredential")
	wantCode(t, s.DeleteCredential(ctx, tn.ID, ada.ID, key1.ID), iam.CodeNotFound, "DeleteCredential twice")

	_, err := s.GetCredential(ctx, tn.ID, ada.ID, iam.CredentialWebAuthn, "key-1")
	wantCode(t, err, iam.CodeNotFound, "GetCredential of the deleted credential")
	wantCredential(t, s, "the other passkey", key2)
	wantCredential(t, s, "the password", pw)
}

// testCredentialConcurrentDeleteOne: of racing removals of one credential,
// one succeeds and the others find it gone.
func testCredentialConcurrentDeleteOne(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	ada := createUser(t, s, tn.ID, "ada@example.com")
	key := putCredential(t, s, newCredential(t, ada, iam.CredentialWebAuthn, "key"))
	const n = 6
	won, errs := make([]bool, n), make([]error, n)
	raceN(n, func(i int) {
		err := s.DeleteCredential(ctx, tn.ID, ada.ID, key.ID)
		won[i] = err == nil
		if err != nil && !iam.IsCode(err, iam.CodeNotFound) {
			errs[i] = err
		}
	})
	singleWinner(t, "DeleteCredential", won, errs)
}
