package mail_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/mail"
	"github.com/gatehouse-iam/gatehouse/internal/mail/mailtest"
)

func TestQueueStatus(t *testing.T) {
	for _, tt := range []struct {
		delivering bool
		status     iam.MailStatus
	}{{false, iam.MailStored}, {true, iam.MailPending}} {
		s := newStore(t)
		tn := newTenant(t, s, "Example")
		clk := newClock()
		clk.Set(t0.Add(42 * time.Second).In(time.FixedZone("CET", 3600)))
		o := mail.NewOutbox(clk.Now, tt.delivering)
		m := mustQueue(t, s, o, tn.ID, "ada@example.com", mail.KindVerifyEmail, dataFor(mail.KindVerifyEmail), nil)
		want := t0.Add(42 * time.Second)
		if m.Status != tt.status || m.Attempts != 0 || m.LastError != "" || m.SentAt != nil ||
			!m.CreatedAt.Equal(want) || !m.NextAttemptAt.Equal(want) || m.ID == "" {
			t.Errorf("delivering %v: queued mail %+v, want %s, due and created at %s", tt.delivering, m, tt.status, want)
		}
	}
}

// TestQueueJoinsTheTransaction: the mail commits with the change, or not at
// all.
func TestQueueJoinsTheTransaction(t *testing.T) {
	s := newStore(t)
	tn := newTenant(t, s, "Example")
	o := mail.NewOutbox(newClock().Now, true)
	errAbort := errors.New("the change failed")
	err := s.InTx(t.Context(), func(tx iam.Tx) error {
		if err := o.Queue(t.Context(), tx, tn.ID, "ada@example.com", mail.KindPasswordReset, dataFor(mail.KindPasswordReset), nil); err != nil {
			return err
		}
		return errAbort
	})
	if !errors.Is(err, errAbort) {
		t.Fatalf("InTx = %v, want the abort", err)
	}
	if got := outbox(t, s, tn.ID); len(got) != 0 {
		t.Errorf("outbox holds %d mails of a rolled-back change, want none", len(got))
	}
	mustQueue(t, s, o, tn.ID, "ada@example.com", mail.KindPasswordReset, dataFor(mail.KindPasswordReset), nil)
}

// TestStoredMailIsNeverSent: without a transport mail stays in the outbox,
// even if a Sender runs later.
func TestStoredMailIsNeverSent(t *testing.T) {
	s := newStore(t)
	tn := newTenant(t, s, "Example")
	clk := newClock()
	o := mail.NewOutbox(clk.Now, false)
	m := mustQueue(t, s, o, tn.ID, "ada@example.com", mail.KindVerifyEmail, dataFor(mail.KindVerifyEmail), nil)
	srv := mailtest.Start(t)
	sender := mail.NewSender(s, newTransport(t, srv, nil), clk.Now, nil, mail.SenderOptions{})
	clk.Set(t0.Add(time.Hour))
	if n, err := sender.SendDue(t.Context()); n != 0 || err != nil {
		t.Errorf("SendDue = %d, %v; want nothing to send", n, err)
	}
	if got := getMail(t, s, tn.ID, m.ID); got.Status != iam.MailStored || len(srv.Messages()) != 0 {
		t.Errorf("stored mail became %s, server got %d messages", got.Status, len(srv.Messages()))
	}
}

func TestOutboxLog(t *testing.T) {
	s := newStore(t)
	tn, other := newTenant(t, s, "Example"), newTenant(t, s, "Other")
	clk := newClock()
	o := mail.NewOutbox(clk.Now, false)
	var ids []string
	for i, kind := range []string{mail.KindVerifyEmail, mail.KindPasswordReset, mail.KindVerifyEmail} {
		clk.Set(t0.Add(time.Duration(i) * time.Minute))
		ids = append(ids, mustQueue(t, s, o, tn.ID, "ada@example.com", kind, dataFor(kind), nil).ID)
	}
	mustQueue(t, s, o, other.ID, "ada@example.com", mail.KindVerifyEmail, dataFor(mail.KindVerifyEmail), nil)
	readable := map[string]bool{"ada@example.com": true}
	log := mail.NewOutboxLog(s, func(_ context.Context, _ *iam.Principal, m *iam.Mail) (bool, error) { return readable[m.To], nil })

	as := func(tenantID string, perms ...string) context.Context {
		return iam.WithPrincipal(t.Context(), &iam.Principal{TenantID: tenantID, UserID: "u", Permissions: perms})
	}
	page := iam.ListParams{Page: 1, Limit: 10}
	got, total, err := log.List(as(tn.ID, "settings.manage"), iam.MailQuery{ListParams: page})
	if err != nil || total != 3 || len(got) != 3 || got[0].ID != ids[2] || got[2].ID != ids[0] {
		t.Errorf("List = %d mails, total %d, %v; want the tenant's 3, newest first", len(got), total, err)
	}
	got, total, err = log.List(as(tn.ID, "*"), iam.MailQuery{ListParams: page, Kind: mail.KindPasswordReset})
	if err != nil || total != 1 || len(got) != 1 || got[0].ID != ids[1] {
		t.Errorf("List by kind = %d mails, total %d, %v; want the reset mail", len(got), total, err)
	}
	got, total, err = log.List(as(other.ID, "settings.manage"), iam.MailQuery{ListParams: page})
	if err != nil || total != 1 || len(got) != 1 || got[0].TenantID != other.ID {
		t.Errorf("List of the other tenant = %d mails, total %d, %v; want its one mail", len(got), total, err)
	}
	got, _, err = log.List(as(tn.ID, "settings.manage"), iam.MailQuery{})
	if err != nil || len(got) != 3 {
		t.Errorf("List without paging = %d mails, %v; want the first page", len(got), err)
	}
	if got[0].Text == mail.HiddenBody || got[0].HTML == "" {
		t.Error("a readable mail's body was hidden")
	}
	readable["ada@example.com"] = false
	got, _, err = log.List(as(tn.ID, "settings.manage"), iam.MailQuery{ListParams: page})
	if err != nil || len(got) != 3 || got[0].Text != mail.HiddenBody || got[0].HTML != "" || got[0].Subject != mail.HiddenSubject {
		t.Errorf("a mail the caller may not read kept its body: %+v, %v", got[0], err)
	}
	for _, tc := range []struct {
		name string
		ctx  context.Context
		q    iam.MailQuery
		code iam.Code
	}{
		{"anonymous", t.Context(), iam.MailQuery{ListParams: page}, iam.CodeUnauthenticated},
		{"without settings.manage", as(tn.ID, "users.read", "audit.view"), iam.MailQuery{ListParams: page}, iam.CodeForbidden},
		{"unknown status", as(tn.ID, "settings.manage"), iam.MailQuery{ListParams: page, Status: "lost"}, iam.CodeInvalid},
		{"unknown kind", as(tn.ID, "settings.manage"), iam.MailQuery{ListParams: page, Kind: "newsletter"}, iam.CodeInvalid},
	} {
		if _, _, err := log.List(tc.ctx, tc.q); !iam.IsCode(err, tc.code) {
			t.Errorf("%s: List = %v, want code %s", tc.name, err, tc.code)
		}
	}
}
