package mail_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/mail"
	"github.com/gatehouse-iam/gatehouse/internal/sqlstore"
	"github.com/gatehouse-iam/gatehouse/internal/testclock"
)

// t0 is the tests' start time.
var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func newClock() *testclock.Clock { return testclock.New(t0) }

// newStore returns a migrated SQLite store in a fresh file.
func newStore(t *testing.T) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.Open(t.Context(), "sqlite://"+filepath.Join(t.TempDir(), "gatehouse.db"), t.TempDir())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s
}

// newTenant creates a tenant named name.
func newTenant(t *testing.T, s iam.Store, name string) *iam.Tenant {
	t.Helper()
	tn := &iam.Tenant{ID: uuid.Must(uuid.NewV7()).String(), Name: name, CreatedAt: t0, UpdatedAt: t0}
	if err := s.CreateTenant(t.Context(), tn); err != nil {
		t.Fatalf("CreateTenant: %v", err)
	}
	return tn
}

// queue queues one mail in a transaction of its own.
func queue(t *testing.T, s iam.Store, o *mail.Outbox, tenantID, to, kind string, data map[string]string, overrides map[string]mail.Template) error {
	t.Helper()
	return s.InTx(t.Context(), func(tx iam.Tx) error {
		return o.Queue(t.Context(), tx, tenantID, to, kind, data, overrides)
	})
}

// mustQueue queues one mail and returns it as the outbox lists it.
func mustQueue(t *testing.T, s iam.Store, o *mail.Outbox, tenantID, to, kind string, data map[string]string, overrides map[string]mail.Template) iam.Mail {
	t.Helper()
	before := outbox(t, s, tenantID)
	if err := queue(t, s, o, tenantID, to, kind, data, overrides); err != nil {
		t.Fatalf("Queue %s to %s: %v", kind, to, err)
	}
	after := outbox(t, s, tenantID)
	if len(after) != len(before)+1 {
		t.Fatalf("outbox holds %d mails after Queue, want %d", len(after), len(before)+1)
	}
	return after[0]
}

// outbox lists every mail of the tenant, newest first.
func outbox(t *testing.T, s iam.Store, tenantID string) []iam.Mail {
	t.Helper()
	mails, _, err := s.ListMail(t.Context(), tenantID, iam.MailQuery{ListParams: iam.ListParams{Page: 1, Limit: 100}})
	if err != nil {
		t.Fatalf("ListMail: %v", err)
	}
	return mails
}

// getMail reads one mail of the tenant.
func getMail(t *testing.T, s iam.Store, tenantID, id string) iam.Mail {
	t.Helper()
	for _, m := range outbox(t, s, tenantID) {
		if m.ID == id {
			return m
		}
	}
	t.Fatalf("mail %s not in the outbox", id)
	return iam.Mail{}
}

const sampleLink = "https://id.example.com/auth/verify?token=gh_tok_3f9a"

// dataFor returns complete data for kind.
func dataFor(kind string) map[string]string {
	d := map[string]string{
		mail.FieldName:   "Ada Lovelace",
		mail.FieldTenant: "Example Inc.",
	}
	switch kind {
	case mail.KindVerifyEmail, mail.KindPasswordReset:
		d[mail.FieldLink], d[mail.FieldExpiresIn] = sampleLink, "30 minutes"
	case mail.KindSignupExists, mail.KindPasswordChanged:
		d[mail.FieldLink] = "https://id.example.com/login"
	case mail.KindEmailChangeConfirm:
		d[mail.FieldLink], d[mail.FieldNewEmail], d[mail.FieldExpiresIn] = sampleLink, "ada.new@example.org", "1 hour"
	case mail.KindEmailChangeNotice:
		d[mail.FieldNewEmail] = "ada.new@example.org"
	case mail.KindMFACode:
		d[mail.FieldCode], d[mail.FieldExpiresIn] = "042917", "10 minutes"
	case mail.KindCredentialExpiring:
		d[mail.FieldCredential], d[mail.FieldExpiresAt], d[mail.FieldExpiresIn] = "deploy-pipeline", "2026-12-24T09:00:00Z", "3 days"
	case mail.KindInvitation:
		d[mail.FieldLink], d[mail.FieldInviter], d[mail.FieldOrganization], d[mail.FieldExpiresIn] =
			sampleLink, "Charles Babbage", "Analytical Engines", "7 days"
	}
	return d
}
