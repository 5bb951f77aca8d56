package mail_test

import (
	"context"
	"fmt"
	"net"
	netmail "net/mail"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/mail"
	"github.com/gatehouse-iam/gatehouse/internal/mail/mailtest"
	"github.com/gatehouse-iam/gatehouse/internal/testclock"
)

const from = "noreply@gatehouse.example"

// newTransport returns an SMTP transport to srv without TLS, changed by mod.
func newTransport(t *testing.T, srv *mailtest.Server, mod func(*mail.SMTPConfig)) *mail.SMTP {
	t.Helper()
	cfg := mail.SMTPConfig{Host: "127.0.0.1", Port: srv.Port, TLS: mail.TLSNone, From: from, FromName: "Gatehouse", Timeout: 5 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	tr, err := mail.NewSMTP(cfg)
	if err != nil {
		t.Fatalf("NewSMTP: %v", err)
	}
	return tr
}

// noJitter makes back-off exact.
func noJitter() float64 { return 0 }

// setup is a store with a tenant, a clock at t0, and an outbox that delivers.
type setup struct {
	store  iam.Store
	tenant *iam.Tenant
	clock  *testclock.Clock
	outbox *mail.Outbox
}

func newSetup(t *testing.T) *setup {
	s := newStore(t)
	clk := newClock()
	return &setup{store: s, tenant: newTenant(t, s, "Example"), clock: clk, outbox: mail.NewOutbox(clk.Now, true)}
}

func (st *setup) queue(t *testing.T, to, kind string) iam.Mail {
	t.Helper()
	return mustQueue(t, st.store, st.outbox, st.tenant.ID, to, kind, dataFor(kind), nil)
}

func (st *setup) get(t *testing.T, id string) iam.Mail {
	t.Helper()
	return getMail(t, st.store, st.tenant.ID, id)
}

// sendDueAt runs one pass at t0+d and checks how many mails it tried.
func sendDueAt(t *testing.T, st *setup, s *mail.Sender, d time.Duration, wantTried int) {
	t.Helper()
	st.clock.Set(t0.Add(d))
	n, err := s.SendDue(t.Context())
	if err != nil || n != wantTried {
		t.Fatalf("SendDue at t0+%s = %d, %v; want %d tried", d, n, err, wantTried)
	}
}

func crlf(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }

func TestSenderDelivers(t *testing.T) {
	st := newSetup(t)
	srv := mailtest.Start(t)
	data := dataFor(mail.KindPasswordReset)
	data[mail.FieldTenant] = "Bücherei Köln"
	data[mail.FieldName] = "Jörg <Müller>"
	reset := mustQueue(t, st.store, st.outbox, st.tenant.ID, "bob@example.com", mail.KindPasswordReset, data, nil)
	verify := st.queue(t, "ada@example.com", mail.KindVerifyEmail)
	sender := mail.NewSender(st.store, newTransport(t, srv, nil), st.clock.Now, nil, mail.SenderOptions{Rand: noJitter})

	sendDueAt(t, st, sender, time.Second, 2)
	got := srv.Messages()
	if len(got) != 2 {
		t.Fatalf("server received %d messages, want 2", len(got))
	}
	// Oldest first: the reset was queued first.
	for i, m := range []iam.Mail{reset, verify} {
		r := got[i]
		if r.From != from || !slices.Equal(r.To, []string{m.To}) {
			t.Errorf("envelope %d = from %q to %v; want from %q to %q", i, r.From, r.To, from, m.To)
		}
		p := mailtest.Parse(t, r.Data)
		if a, err := netmail.ParseAddress(p.Header.Get("From")); err != nil || a.Name != "Gatehouse" || a.Address != from {
			t.Errorf("From = %q (%v), want Gatehouse <%s>", p.Header.Get("From"), err, from)
		}
		if a, err := netmail.ParseAddress(p.Header.Get("To")); err != nil || a.Address != m.To {
			t.Errorf("To = %q (%v), want %s", p.Header.Get("To"), err, m.To)
		}
		if p.Subject != m.Subject {
			t.Errorf("Subject = %q, want %q", p.Subject, m.Subject)
		}
		if crlf(p.Text) != crlf(m.Text) || crlf(p.HTML) != crlf(m.HTML) {
			t.Errorf("bodies differ from the outbox:\ntext %q\nwant %q\nhtml %q\nwant %q", p.Text, m.Text, p.HTML, m.HTML)
		}
		if id := p.Header.Get("Message-Id"); id != "<"+m.ID+"@gatehouse.example>" {
			t.Errorf("Message-ID = %q, want one made of the mail id", id)
		}
		if date, err := p.Header.Date(); err != nil || !date.Equal(m.CreatedAt.Truncate(time.Second)) {
			t.Errorf("Date = %v (%v), want %v", date, err, m.CreatedAt)
		}
		if p.Header.Get("Auto-Submitted") != "auto-generated" {
			t.Errorf("Auto-Submitted = %q", p.Header.Get("Auto-Submitted"))
		}
		sent := st.get(t, m.ID)
		if sent.Status != iam.MailSent || sent.Attempts != 1 || sent.LastError != "" || sent.SentAt == nil || !sent.SentAt.Equal(t0.Add(time.Second)) {
			t.Errorf("mail %d after sending = %s, %d attempts, %q, sent at %v", i, sent.Status, sent.Attempts, sent.LastError, sent.SentAt)
		}
	}
	if p := mailtest.Parse(t, got[0].Data); !strings.Contains(p.Subject, "Bücherei Köln") || !strings.Contains(p.Text, "Jörg <Müller>") ||
		!strings.Contains(p.HTML, "Jörg &lt;Müller&gt;") {
		t.Errorf("non-ASCII message garbled: %q\n%s\n%s", p.Subject, p.Text, p.HTML)
	}
	sendDueAt(t, st, sender, time.Hour, 0)
	if n := len(srv.Messages()); n != 2 {
		t.Errorf("server has %d messages after a second pass, want still 2", n)
	}
}

// TestSenderHeaderInjection sends a mail whose fields hold line breaks: the
// server sees one recipient, no extra header, and a one-line subject.
func TestSenderHeaderInjection(t *testing.T) {
	st := newSetup(t)
	srv := mailtest.Start(t)
	data := dataFor(mail.KindInvitation)
	data[mail.FieldInviter] = "Mallory\r\nBcc: eve@example.com\r\nX-Injected: yes"
	data[mail.FieldOrganization] = "Org\nSubject: spoofed"
	m := mustQueue(t, st.store, st.outbox, st.tenant.ID, "ada@example.com", mail.KindInvitation, data, nil)
	sender := mail.NewSender(st.store, newTransport(t, srv, nil), st.clock.Now, nil, mail.SenderOptions{})
	sendDueAt(t, st, sender, 0, 1)
	got := srv.Messages()
	if len(got) != 1 || !slices.Equal(got[0].To, []string{"ada@example.com"}) {
		t.Fatalf("server received %d messages, recipients %v; want one to ada@example.com", len(got), got)
	}
	p := mailtest.Parse(t, got[0].Data)
	for _, h := range []string{"Bcc", "X-Injected"} {
		if v, ok := p.Header[h]; ok {
			t.Errorf("header %s: %q was injected", h, v)
		}
	}
	if subjects := p.Header["Subject"]; len(subjects) != 1 {
		t.Errorf("message has %d Subject headers, want 1", len(subjects))
	}
	if p.Subject != m.Subject || !strings.Contains(p.Subject, "Mallory Bcc: eve@example.com X-Injected: yes") {
		t.Errorf("Subject = %q, want the inviter on one line", p.Subject)
	}
}

func TestSenderRetriesWithBackoff(t *testing.T) {
	st := newSetup(t)
	srv := mailtest.Start(t, mailtest.FailFirst(3, 451))
	m := st.queue(t, "ada@example.com", mail.KindVerifyEmail)
	sender := mail.NewSender(st.store, newTransport(t, srv, nil), st.clock.Now, nil, mail.SenderOptions{Rand: noJitter})

	// Failures at t0, t0+30s and t0+90s, each waiting twice as long as the
	// one before; the fourth attempt, at t0+210s, goes through.
	steps := []struct {
		at       time.Duration
		tried    int
		attempts int
		next     time.Duration
	}{
		{0, 1, 1, 30 * time.Second},
		{29 * time.Second, 0, 1, 30 * time.Second},
		{30 * time.Second, 1, 2, 90 * time.Second},
		{89 * time.Second, 0, 2, 90 * time.Second},
		{90 * time.Second, 1, 3, 210 * time.Second},
		{209 * time.Second, 0, 3, 210 * time.Second},
	}
	for _, step := range steps {
		sendDueAt(t, st, sender, step.at, step.tried)
		got := st.get(t, m.ID)
		if got.Status != iam.MailPending || got.Attempts != step.attempts || !got.NextAttemptAt.Equal(t0.Add(step.next)) ||
			!strings.Contains(got.LastError, "451") {
			t.Fatalf("after the pass at t0+%s: %s, %d attempts, next %v, error %q; want pending, %d attempts, next t0+%s, a 451 error",
				step.at, got.Status, got.Attempts, got.NextAttemptAt, got.LastError, step.attempts, step.next)
		}
		if len(srv.Messages()) != 0 {
			t.Fatal("a refused message was recorded")
		}
	}
	sendDueAt(t, st, sender, 210*time.Second, 1)
	got := st.get(t, m.ID)
	if got.Status != iam.MailSent || got.Attempts != 4 || got.LastError != "" {
		t.Errorf("after the fourth attempt: %s, %d attempts, %q; want sent after 4", got.Status, got.Attempts, got.LastError)
	}
	if n, tries := len(srv.Messages()), dataAttempts(srv); n != 1 || tries != 4 {
		t.Errorf("server took %d messages in %d attempts, want 1 in 4", n, tries)
	}
}

func TestSenderGivesUpAfterMaxAttempts(t *testing.T) {
	st := newSetup(t)
	srv := mailtest.Start(t, mailtest.FailFirst(1000, 550))
	m := st.queue(t, "ada@example.com", mail.KindPasswordReset)
	sender := mail.NewSender(st.store, newTransport(t, srv, nil), st.clock.Now, nil, mail.SenderOptions{MaxAttempts: 3, Rand: noJitter})
	for i := range 3 {
		sendDueAt(t, st, sender, time.Duration(i)*time.Hour, 1)
	}
	got := st.get(t, m.ID)
	if got.Status != iam.MailFailed || got.Attempts != 3 || !strings.Contains(got.LastError, "550") || got.SentAt != nil {
		t.Errorf("after 3 refusals: %s, %d attempts, %q; want failed after 3 with the 550", got.Status, got.Attempts, got.LastError)
	}
	sendDueAt(t, st, sender, 30*24*time.Hour, 0)
	if tries := dataAttempts(srv); tries != 3 {
		t.Errorf("server saw %d attempts, want 3", tries)
	}
	// The failed mail stays listed for the admin.
	if ms := outbox(t, st.store, st.tenant.ID); len(ms) != 1 || ms[0].Status != iam.MailFailed {
		t.Errorf("outbox = %v, want the failed mail", ms)
	}
}

func TestSenderServerDown(t *testing.T) {
	st := newSetup(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close() // nothing listens: connection refused
	tr, err := mail.NewSMTP(mail.SMTPConfig{Host: "127.0.0.1", Port: port, TLS: mail.TLSNone, From: from, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	m := st.queue(t, "ada@example.com", mail.KindVerifyEmail)
	sender := mail.NewSender(st.store, tr, st.clock.Now, nil, mail.SenderOptions{Rand: noJitter})
	sendDueAt(t, st, sender, 0, 1)
	got := st.get(t, m.ID)
	if got.Status != iam.MailPending || got.Attempts != 1 || !strings.Contains(got.LastError, "refused") {
		t.Fatalf("after a refused connection: %s, %d attempts, %q; want pending with the error", got.Status, got.Attempts, got.LastError)
	}
	srv := mailtest.StartOn(t, port)
	sendDueAt(t, st, sender, 29*time.Second, 0)
	sendDueAt(t, st, sender, 30*time.Second, 1)
	if got := st.get(t, m.ID); got.Status != iam.MailSent || len(srv.Messages()) != 1 {
		t.Errorf("once the server is up: %s, server took %d; want sent", got.Status, len(srv.Messages()))
	}
}

func TestSenderAuth(t *testing.T) {
	creds := func(user, pass string) func(*mail.SMTPConfig) {
		return func(c *mail.SMTPConfig) { c.Username, c.Password = user, pass }
	}
	tests := []struct {
		name   string
		mechs  []string
		cfg    func(*mail.SMTPConfig)
		sent   bool
		authed []string
		errHas string
	}{
		{"plain", nil, creds("gatehouse", "s3cret pw"), true, []string{"PLAIN"}, ""},
		{"login only", []string{"LOGIN"}, creds("gatehouse", "s3cret pw"), true, []string{"LOGIN"}, ""},
		{"both offered: plain", []string{"LOGIN", "PLAIN"}, creds("gatehouse", "s3cret pw"), true, []string{"PLAIN"}, ""},
		{"wrong password", nil, creds("gatehouse", "wrong"), false, nil, "auth"},
		{"no credentials", nil, nil, false, nil, "authenticate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newSetup(t)
			srv := mailtest.Start(t, mailtest.RequireAuth("gatehouse", "s3cret pw", tt.mechs...))
			m := st.queue(t, "ada@example.com", mail.KindVerifyEmail)
			sender := mail.NewSender(st.store, newTransport(t, srv, tt.cfg), st.clock.Now, nil, mail.SenderOptions{})
			sendDueAt(t, st, sender, 0, 1)
			got := st.get(t, m.ID)
			if tt.sent != (got.Status == iam.MailSent) || tt.sent != (len(srv.Messages()) == 1) {
				t.Fatalf("status %s, server took %d, error %q; want sent %v", got.Status, len(srv.Messages()), got.LastError, tt.sent)
			}
			if !tt.sent && (got.Status != iam.MailPending || !strings.Contains(strings.ToLower(got.LastError), strings.ToLower(tt.errHas))) {
				t.Errorf("refused mail: %s, %q; want pending with %q", got.Status, got.LastError, tt.errHas)
			}
			if strings.Contains(got.LastError, "s3cret") || strings.Contains(got.LastError, "wrong") {
				t.Errorf("last error %q shows the password", got.LastError)
			}
			if authed := srv.Authed(); !slices.Equal(authed, tt.authed) {
				t.Errorf("authenticated with %v, want %v", authed, tt.authed)
			}
		})
	}
}

func TestSenderTLS(t *testing.T) {
	serverCfg, pool := mailtest.Cert(t)
	tests := []struct {
		name    string
		server  mailtest.Option // nil: plain
		mode    mail.TLSMode
		port    int // 0: the server's
		trusted bool
		auth    bool
		sent    bool
	}{
		{"starttls", mailtest.StartTLS(serverCfg), mail.TLSStartTLS, 0, true, false, true},
		{"starttls with auth", mailtest.StartTLS(serverCfg), mail.TLSStartTLS, 0, true, true, true},
		{"implicit tls", mailtest.ImplicitTLS(serverCfg), mail.TLSImplicit, 0, true, true, true},
		{"starttls not offered: no downgrade", nil, mail.TLSStartTLS, 0, true, false, false},
		{"starttls with an untrusted certificate", mailtest.StartTLS(serverCfg), mail.TLSStartTLS, 0, false, false, false},
		{"implicit tls with an untrusted certificate", mailtest.ImplicitTLS(serverCfg), mail.TLSImplicit, 0, false, false, false},
		{"implicit tls against a plain server", nil, mail.TLSImplicit, 0, true, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newSetup(t)
			var opts []mailtest.Option
			if tt.server != nil {
				opts = append(opts, tt.server)
			}
			if tt.auth {
				opts = append(opts, mailtest.RequireAuth("gatehouse", "s3cret"))
			}
			srv := mailtest.Start(t, opts...)
			tr := newTransport(t, srv, func(c *mail.SMTPConfig) {
				c.TLS = tt.mode
				if tt.auth {
					c.Username, c.Password = "gatehouse", "s3cret"
				}
			})
			if tt.trusted {
				mail.SetRootCAs(tr, pool)
			}
			m := st.queue(t, "ada@example.com", mail.KindVerifyEmail)
			sender := mail.NewSender(st.store, tr, st.clock.Now, nil, mail.SenderOptions{})
			sendDueAt(t, st, sender, 0, 1)
			got := st.get(t, m.ID)
			if tt.sent != (got.Status == iam.MailSent) || tt.sent != (len(srv.Messages()) == 1) {
				t.Errorf("status %s, server took %d, error %q; want sent %v", got.Status, len(srv.Messages()), got.LastError, tt.sent)
			}
			if !tt.sent && got.Status != iam.MailPending {
				t.Errorf("refused mail is %s, want pending for a retry", got.Status)
			}
		})
	}
}

// TestSendersShareTheOutbox runs two Senders, as two replicas would, on one
// outbox: every mail is delivered exactly once.
func TestSendersShareTheOutbox(t *testing.T) {
	st := newSetup(t)
	srv := mailtest.Start(t)
	const n = 20
	for i := range n {
		st.queue(t, fmt.Sprintf("user%02d@example.com", i), mail.KindVerifyEmail)
	}
	var wg sync.WaitGroup
	tried := make([]int, 2)
	for i := range tried {
		sender := mail.NewSender(st.store, newTransport(t, srv, nil), st.clock.Now, nil, mail.SenderOptions{})
		wg.Go(func() {
			var err error
			if tried[i], err = sender.SendDue(t.Context()); err != nil {
				t.Errorf("sender %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if tried[0]+tried[1] != n {
		t.Errorf("senders tried %v mails, want %d in all", tried, n)
	}
	seen := map[string]bool{}
	for _, r := range srv.Messages() {
		id := mailtest.Parse(t, r.Data).Header.Get("Message-Id")
		if seen[id] {
			t.Errorf("message %s delivered twice", id)
		}
		seen[id] = true
	}
	if len(seen) != n {
		t.Errorf("server took %d distinct messages, want %d", len(seen), n)
	}
}

func TestSenderRun(t *testing.T) {
	s := newStore(t)
	tn := newTenant(t, s, "Example")
	o := mail.NewOutbox(time.Now, true)
	srv := mailtest.Start(t)
	sender := mail.NewSender(s, newTransport(t, srv, nil), time.Now, nil, mail.SenderOptions{PollInterval: 10 * time.Millisecond})
	mustQueue(t, s, o, tn.ID, "ada@example.com", mail.KindVerifyEmail, dataFor(mail.KindVerifyEmail), nil)

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- sender.Run(ctx) }()
	waitFor := func(n int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for len(srv.Messages()) < n {
			if time.Now().After(deadline) {
				t.Fatalf("server took %d messages in 10s, want %d", len(srv.Messages()), n)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor(1)
	// A mail queued while the Sender runs goes out at its next poll.
	mustQueue(t, s, o, tn.ID, "bob@example.com", mail.KindPasswordReset, dataFor(mail.KindPasswordReset), nil)
	waitFor(2)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil after the context ends", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop within 5s of the context ending")
	}
	for _, m := range outbox(t, s, tn.ID) {
		if m.Status != iam.MailSent {
			t.Errorf("mail to %s is %s, want sent", m.To, m.Status)
		}
	}
}

func TestBackoff(t *testing.T) {
	sender := mail.NewSender(nil, nil, time.Now, nil, mail.SenderOptions{Rand: noJitter})
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute,
		32 * time.Minute, time.Hour, time.Hour, time.Hour}
	for i, w := range want {
		if got := sender.Backoff(i + 1); got != w {
			t.Errorf("Backoff(%d) = %s, want %s", i+1, got, w)
		}
	}
	if got := sender.Backoff(1000); got != time.Hour {
		t.Errorf("Backoff(1000) = %s, want the 1h cap", got)
	}
	jittered := mail.NewSender(nil, nil, time.Now, nil, mail.SenderOptions{Rand: func() float64 { return 0.5 }})
	if got := jittered.Backoff(1); got != 27*time.Second {
		t.Errorf("Backoff(1) with half the 20%% jitter = %s, want 27s", got)
	}
	random := mail.NewSender(nil, nil, time.Now, nil, mail.SenderOptions{})
	for i := range 100 {
		if got := random.Backoff(3); got <= 96*time.Second || got > 2*time.Minute {
			t.Fatalf("Backoff(3) try %d = %s, want in (96s, 2m]", i, got)
		}
	}
}

func TestNewSMTPRejects(t *testing.T) {
	good := mail.SMTPConfig{Host: "smtp.example.com", Port: 587, TLS: mail.TLSStartTLS, From: from}
	if _, err := mail.NewSMTP(good); err != nil {
		t.Fatalf("NewSMTP(%+v) = %v", good, err)
	}
	for name, mod := range map[string]func(*mail.SMTPConfig){
		"no host":                    func(c *mail.SMTPConfig) { c.Host = "" },
		"host with port":             func(c *mail.SMTPConfig) { c.Host = "smtp.example.com:25" },
		"port 0":                     func(c *mail.SMTPConfig) { c.Port = 0 },
		"unknown tls mode":           func(c *mail.SMTPConfig) { c.TLS = "ssl" },
		"from with a name":           func(c *mail.SMTPConfig) { c.From = "Gatehouse <" + from + ">" },
		"no from":                    func(c *mail.SMTPConfig) { c.From = "" },
		"from name with a newline":   func(c *mail.SMTPConfig) { c.FromName = "Gate\r\nBcc: eve@example.com" },
		"credentials in the clear":   func(c *mail.SMTPConfig) { c.TLS, c.Username, c.Password = mail.TLSNone, "u", "p" },
		"negative timeout":           func(c *mail.SMTPConfig) { c.Timeout = -time.Second },
		"credentials to a LAN relay": func(c *mail.SMTPConfig) { c.Host, c.TLS, c.Username = "10.0.0.5", mail.TLSNone, "u" },
	} {
		cfg := good
		mod(&cfg)
		if _, err := mail.NewSMTP(cfg); err == nil {
			t.Errorf("%s: NewSMTP(%+v) succeeded, want an error", name, cfg)
		}
	}
}

// stopAfterSend is a transport that ends the Sender's context once the real
// transport returns, as a shutdown arriving mid-send would.
type stopAfterSend struct {
	mail.Transport
	stop func()
}

func (s stopAfterSend) Send(ctx context.Context, m *iam.Mail) error {
	err := s.Transport.Send(ctx, m)
	s.stop()
	return err
}

// TestSenderStopping: a mail delivered as the Sender stops is still marked
// sent; one that fails as it stops is not counted as an attempt, and another
// pass takes it once the lease runs out.
func TestSenderStopping(t *testing.T) {
	for _, tt := range []struct {
		name     string
		server   []mailtest.Option
		status   iam.MailStatus
		attempts int
	}{
		{"delivered", nil, iam.MailSent, 1},
		{"refused", []mailtest.Option{mailtest.FailFirst(1, 421)}, iam.MailSending, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st := newSetup(t)
			srv := mailtest.Start(t, tt.server...)
			m := st.queue(t, "ada@example.com", mail.KindVerifyEmail)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			sender := mail.NewSender(st.store, stopAfterSend{newTransport(t, srv, nil), cancel}, st.clock.Now, nil, mail.SenderOptions{})
			if n, err := sender.SendDue(ctx); n != 1 || err != nil {
				t.Fatalf("SendDue = %d, %v; want 1 tried", n, err)
			}
			if got := st.get(t, m.ID); got.Status != tt.status || got.Attempts != tt.attempts {
				t.Fatalf("after stopping: %s with %d attempts, want %s with %d", got.Status, got.Attempts, tt.status, tt.attempts)
			}
			if tt.status != iam.MailSending {
				return
			}
			again := mail.NewSender(st.store, newTransport(t, srv, nil), st.clock.Now, nil, mail.SenderOptions{})
			sendDueAt(t, st, again, 59*time.Second, 0)
			sendDueAt(t, st, again, time.Minute, 1)
			if got := st.get(t, m.ID); got.Status != iam.MailSent || got.Attempts != 1 || len(srv.Messages()) != 1 {
				t.Errorf("after the lease: %s with %d attempts, server took %d; want sent once", got.Status, got.Attempts, len(srv.Messages()))
			}
		})
	}
}

// dataAttempts counts the DATA commands srv has seen.
func dataAttempts(srv *mailtest.Server) int {
	started, _ := srv.DataCounts()
	return started
}
