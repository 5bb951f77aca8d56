package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

var settingsTests = []test{
	{"GetPut", testSettingsGetPut},
	{"PerTenant", testSettingsPerTenant},
	{"UnknownTenant", testSettingsUnknownTenant},
	{"InTx", testSettingsInTx},
	{"Cascade", testSettingsCascade},
}

// wantSettings checks that the tenant's document is want, byte for byte.
func wantSettings(t *testing.T, s iam.Tx, what, tenantID, want string) {
	t.Helper()
	got, _, err := s.GetSettings(t.Context(), tenantID)
	if err != nil {
		t.Errorf("%s: GetSettings: %v", what, err)
		return
	}
	if string(got) != want {
		t.Errorf("%s: GetSettings = %s, want %s", what, got, want)
	}
}

func testSettingsGetPut(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	_, _, err := s.GetSettings(ctx, tn.ID)
	wantCode(t, err, iam.CodeNotFound, "GetSettings before the first put")

	// The store keeps the document as given: no reformatting, any text.
	first := `{"signup":{"mode":"open","require_verified_email":true},"branding":{"name":"Ünïcödé ✉ \"Gatehouse\""},"lockout":{"max_attempts":10}}`
	must(t, s.PutSettings(ctx, tn.ID, []byte(first), t0), "PutSettings")
	wantSettings(t, s, "first document", tn.ID, first)

	second := "{\n  \"signup\": {\"mode\": \"closed\"}\n}\n"
	must(t, s.PutSettings(ctx, tn.ID, []byte(second), at(time.Hour)), "PutSettings again")
	wantSettings(t, s, "replaced document", tn.ID, second)

	must(t, s.PutSettings(ctx, tn.ID, []byte(`{}`), at(2*time.Hour)), "PutSettings of an empty document")
	wantSettings(t, s, "empty document", tn.ID, `{}`)
}

func testSettingsPerTenant(t *testing.T, s iam.Store) {
	ctx := t.Context()
	a, b := createTenant(t, s), createTenant(t, s)
	must(t, s.PutSettings(ctx, a.ID, []byte(`{"tenant":"a"}`), t0), "PutSettings a")
	_, _, err := s.GetSettings(ctx, b.ID)
	wantCode(t, err, iam.CodeNotFound, "GetSettings of b after a's put")

	must(t, s.PutSettings(ctx, b.ID, []byte(`{"tenant":"b"}`), t0), "PutSettings b")
	wantSettings(t, s, "a's document", a.ID, `{"tenant":"a"}`)
	wantSettings(t, s, "b's document", b.ID, `{"tenant":"b"}`)

	must(t, s.PutSettings(ctx, a.ID, []byte(`{"tenant":"a2"}`), at(time.Minute)), "PutSettings a again")
	wantSettings(t, s, "a's new document", a.ID, `{"tenant":"a2"}`)
	wantSettings(t, s, "b's document after a's update", b.ID, `{"tenant":"b"}`)
}

func testSettingsUnknownTenant(t *testing.T, s iam.Store) {
	ctx := t.Context()
	unknown := newID(t)
	wantCode(t, s.PutSettings(ctx, unknown, []byte(`{}`), t0), iam.CodeNotFound, "PutSettings of an unknown tenant")
	_, _, err := s.GetSettings(ctx, unknown)
	wantCode(t, err, iam.CodeNotFound, "GetSettings of an unknown tenant")
}

func testSettingsInTx(t *testing.T, s iam.Store) {
	ctx := t.Context()
	tn := createTenant(t, s)
	must(t, s.PutSettings(ctx, tn.ID, []byte(`{"v":1}`), t0), "PutSettings")
	// A transaction reads its own write; a rolled-back put leaves the old document.
	errAbort := errors.New("abort")
	err := s.InTx(ctx, func(tx iam.Tx) error {
		if err := tx.PutSettings(ctx, tn.ID, []byte(`{"v":2}`), at(time.Minute)); err != nil {
			return err
		}
		wantSettings(t, tx, "document inside the transaction", tn.ID, `{"v":2}`)
		return errAbort
	})
	if !errors.Is(err, errAbort) {
		t.Fatalf("InTx = %v, want the abort error", err)
	}
	wantSettings(t, s, "document after the rollback", tn.ID, `{"v":1}`)
	must(t, s.InTx(ctx, func(tx iam.Tx) error {
		return tx.PutSettings(ctx, tn.ID, []byte(`{"v":3}`), at(2*time.Minute))
	}), "InTx that commits")
	wantSettings(t, s, "document after the commit", tn.ID, `{"v":3}`)
}

func testSettingsCascade(t *testing.T, s iam.Store) {
	ctx := t.Context()
	gone, kept := createTenant(t, s), createTenant(t, s)
	must(t, s.PutSettings(ctx, gone.ID, []byte(`{"gone":true}`), t0), "PutSettings gone")
	must(t, s.PutSettings(ctx, kept.ID, []byte(`{"kept":true}`), t0), "PutSettings kept")
	must(t, s.DeleteTenant(ctx, gone.ID), "DeleteTenant")
	_, _, err := s.GetSettings(ctx, gone.ID)
	wantCode(t, err, iam.CodeNotFound, "GetSettings of a deleted tenant")
	wantSettings(t, s, "other tenant's document", kept.ID, `{"kept":true}`)
}
