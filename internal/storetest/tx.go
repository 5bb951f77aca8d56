package storetest

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

var txTests = []test{
	{"Ping", testPing},
	{"Commit", testTxCommit},
	{"Rollback", testTxRollback},
	{"RollbackOnStoreError", testTxRollbackOnStoreError},
	{"LockTenant", testLockTenant},
}

func testPing(t *testing.T, s iam.Store) {
	must(t, s.Ping(t.Context()), "Ping")
}

func testTxCommit(t *testing.T, s iam.Store) {
	ctx := t.Context()
	var (
		tn *iam.Tenant
		u  *iam.User
		e  *iam.AuditEvent
	)
	err := s.InTx(ctx, func(tx iam.Tx) error {
		tn = createTenant(t, tx)
		u = createUser(t, tx, tn.ID, "ada@example.com")
		e = appendAudit(t, tx, tn.ID, t0, iam.Ref{Type: "system"}, "user.create", iam.Ref{Type: "user", ID: u.ID})
		// The transaction reads its own writes.
		got, err := tx.GetUser(ctx, tn.ID, u.ID)
		if err != nil {
			return err
		}
		check(t, "user read inside the transaction", got, u)
		return nil
	})
	must(t, err, "InTx")
	got, err := s.GetUser(ctx, tn.ID, u.ID)
	must(t, err, "GetUser after commit")
	check(t, "committed user", got, u)
	events, total, err := s.ListAudit(ctx, tn.ID, iam.AuditQuery{ListParams: iam.ListParams{Page: 1, Limit: 10}})
	if err != nil || total != 1 || len(events) != 1 || events[0].ID != e.ID {
		t.Errorf("ListAudit after commit = %d events, total %d, %v; want the one event", len(events), total, err)
	}
}

func testTxRollback(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	kept := createUser(t, s, tn.ID, "kept@example.com", func(u *iam.User) { u.Name = "Before" })
	errAbort := errors.New("abort")
	var u *iam.User
	err := s.InTx(ctx, func(tx iam.Tx) error {
		u = createUser(t, tx, tn.ID, "ada@example.com")
		appendAudit(t, tx, tn.ID, t0, iam.Ref{Type: "system"}, "user.create", iam.Ref{Type: "user", ID: u.ID})
		upd := *kept
		upd.Name, upd.UpdatedAt = "After", at(time.Hour)
		if err := tx.UpdateUser(ctx, &upd); err != nil {
			return err
		}
		createTenant(t, tx, func(o *iam.Tenant) { o.Hostnames = []string{"rolled.back.test"} })
		return errAbort
	})
	if !errors.Is(err, errAbort) {
		t.Fatalf("InTx = %v, want the error fn returned", err)
	}
	_, err = s.GetUser(ctx, tn.ID, u.ID)
	wantCode(t, err, iam.CodeNotFound, "GetUser of a user created in a rolled back transaction")
	got, err := s.GetUser(ctx, tn.ID, kept.ID)
	must(t, err, "GetUser")
	check(t, "user updated in a rolled back transaction", got, kept)
	if _, n, err := s.ListAudit(ctx, tn.ID, iam.AuditQuery{ListParams: iam.ListParams{Page: 1, Limit: 10}}); err != nil || n != 0 {
		t.Errorf("ListAudit after rollback: total %d, %v; want 0", n, err)
	}
	_, err = s.TenantByHostname(ctx, "rolled.back.test")
	wantCode(t, err, iam.CodeNotFound, "TenantByHostname of a tenant created in a rolled back transaction")
}

func testTxRollbackOnStoreError(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	createUser(t, s, tn.ID, "taken@example.com")
	first := &iam.User{ID: newID(t), TenantID: tn.ID, Email: "first@example.com", Name: "First", Status: iam.UserActive, CreatedAt: t0, UpdatedAt: t0}
	err := s.InTx(ctx, func(tx iam.Tx) error {
		if err := tx.CreateUser(ctx, first); err != nil {
			return err
		}
		return tx.CreateUser(ctx, &iam.User{ID: newID(t), TenantID: tn.ID, Email: "taken@example.com", Name: "Dup",
			Status: iam.UserActive, CreatedAt: t0, UpdatedAt: t0})
	})
	wantCode(t, err, iam.CodeEmailTaken, "InTx returning a store error")
	_, err = s.GetUser(ctx, tn.ID, first.ID)
	wantCode(t, err, iam.CodeNotFound, "GetUser of a user created before the failing statement")
	// The store stays usable.
	createUser(t, s, tn.ID, first.Email)
}

func testLockTenant(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	var u *iam.User
	err := s.InTx(ctx, func(tx iam.Tx) error {
		if err := tx.LockTenant(ctx, tn.ID); err != nil {
			return err
		}
		u = createUser(t, tx, tn.ID, "ada@example.com")
		return nil
	})
	must(t, err, "InTx with LockTenant")
	if _, err := s.GetUser(ctx, tn.ID, u.ID); err != nil {
		t.Errorf("GetUser after a locked transaction: %v", err)
	}

	// A second transaction locking the tenant waits for the first to end.
	var (
		wg     sync.WaitGroup
		locked = make(chan struct{})
		done   atomic.Bool
		errs   [2]error
		saw    bool
	)
	release := sync.OnceFunc(func() { close(locked) })
	wg.Go(func() {
		defer release() // also when the lock fails, so that the other goroutine ends
		errs[0] = s.InTx(ctx, func(tx iam.Tx) error {
			if err := tx.LockTenant(ctx, tn.ID); err != nil {
				return err
			}
			release()
			time.Sleep(100 * time.Millisecond)
			done.Store(true)
			return nil
		})
	})
	wg.Go(func() {
		<-locked
		errs[1] = s.InTx(ctx, func(tx iam.Tx) error {
			if err := tx.LockTenant(ctx, tn.ID); err != nil {
				return err
			}
			saw = done.Load()
			return nil
		})
	})
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("concurrent InTx with LockTenant: %v, %v", errs[0], errs[1])
	}
	if !saw {
		t.Error("the second transaction held the tenant lock before the first ended")
	}
}
