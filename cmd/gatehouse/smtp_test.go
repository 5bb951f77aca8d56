package main

import (
	"encoding/json"
	"net/http"
	netmail "net/mail"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/mail/mailtest"
)

// These tests run `serve` against a real SMTP server in the process.

const (
	mailAdmin    = "boot@example.com"
	mailPassword = "Kq-start-3391-pine"
	mailFrom     = "noreply@example.com"
)

// mailEnv adds the settings that make serve send through ms.
func mailEnv(ms *mailtest.Server, e env) env {
	return e.with(
		"GATEHOUSE_SMTP_HOST", "127.0.0.1",
		"GATEHOUSE_SMTP_PORT", strconv.Itoa(ms.Port),
		"GATEHOUSE_SMTP_TLS", "none",
		"GATEHOUSE_SMTP_FROM", mailFrom,
	)
}

// eventually polls cond every 50ms until it holds, failing the test after
// timeout.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// outboxMail is a mail as GET /api/v1/outbox shows it.
type outboxMail struct {
	ID        string     `json:"id"`
	Kind      string     `json:"kind"`
	To        string     `json:"to"`
	Subject   string     `json:"subject"`
	Text      string     `json:"text"`
	Status    string     `json:"status"`
	Attempts  int        `json:"attempts"`
	LastError string     `json:"last_error"`
	SentAt    *time.Time `json:"sent_at"`
}

// resetMails lists the outbox's password reset mails to the admin.
func (s *serving) resetMails(token string) []outboxMail {
	s.t.Helper()
	status, body := s.do(http.MethodGet, "/api/v1/outbox?kind=password_reset&to="+mailAdmin, token, nil)
	if status != http.StatusOK {
		s.t.Fatalf("GET /api/v1/outbox: status %d: %s", status, body)
	}
	var page struct {
		Data []outboxMail `json:"data"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		s.t.Fatalf("outbox: %v: %s", err, body)
	}
	return page.Data
}

// onlyResetMail waits until the outbox holds one reset mail to the admin
// satisfying cond and returns it.
func (s *serving) onlyResetMail(token, what string, cond func(outboxMail) bool) outboxMail {
	s.t.Helper()
	var last []outboxMail
	eventually(s.t, 10*time.Second, what, func() bool {
		last = s.resetMails(token)
		return len(last) == 1 && cond(last[0])
	})
	return last[0]
}

// forgot asks for a password reset mail to the admin.
func (s *serving) forgot() {
	s.t.Helper()
	if status, body := s.do(http.MethodPost, "/api/v1/auth/password/forgot", "", map[string]string{"email": mailAdmin}); status != http.StatusAccepted {
		s.t.Fatalf("POST /api/v1/auth/password/forgot: status %d: %s", status, body)
	}
}

var resetLinkRE = regexp.MustCompile(`/reset-password\?token=(ghp_[A-Za-z0-9_%-]+)`)

// wantNoErrors fails the test for every error logged on out.
func wantNoErrors(t *testing.T, out string) {
	t.Helper()
	for line := range strings.SplitSeq(out, "\n") {
		if strings.Contains(line, `"level":"ERROR"`) {
			t.Errorf("serve logged an error: %s", line)
		}
	}
}

func TestServeSendsMailOverSMTP(t *testing.T) {
	t.Parallel()
	ms := mailtest.Start(t)
	e := mailEnv(ms, newEnv(t, "GATEHOUSE_BOOTSTRAP_ADMIN_EMAIL", mailAdmin, "GATEHOUSE_BOOTSTRAP_ADMIN_PASSWORD", mailPassword))
	s := startServe(t, e)

	s.forgot()
	eventually(t, 10*time.Second, "the SMTP server took the reset mail", func() bool { return len(ms.Messages()) > 0 })
	got := ms.Messages()
	if len(got) != 1 {
		t.Fatalf("the SMTP server took %d messages, want 1", len(got))
	}
	if got[0].From != mailFrom || len(got[0].To) != 1 || got[0].To[0] != mailAdmin {
		t.Errorf("envelope: MAIL FROM %q, RCPT TO %q; want %q and [%q]", got[0].From, got[0].To, mailFrom, mailAdmin)
	}
	sent := mailtest.Parse(t, got[0].Data)
	if sent.Subject == "" {
		t.Error("the mail has no subject")
	}
	for header, want := range map[string]string{"From": mailFrom, "To": mailAdmin} {
		if a, err := netmail.ParseAddress(sent.Header.Get(header)); err != nil || a.Address != want {
			t.Errorf("%s: %q (%v), want %s", header, sent.Header.Get(header), err, want)
		}
	}
	link := resetLinkRE.FindStringSubmatch(sent.Text)
	if link == nil {
		t.Fatalf("the text has no /reset-password?token=ghp_ link:\n%s", sent.Text)
	}
	if !strings.Contains(sent.HTML, link[0]) {
		t.Errorf("the HTML lacks the text's link %s:\n%s", link[0], sent.HTML)
	}

	token := s.login(mailAdmin, mailPassword)
	m := s.onlyResetMail(token, "the outbox shows the mail sent", func(m outboxMail) bool { return m.Status == "sent" })
	if m.Attempts != 1 || m.LastError != "" || m.SentAt == nil || m.Subject != sent.Subject {
		t.Errorf("outbox mail: attempts %d, last_error %q, sent_at %v, subject %q; want 1, empty, set, %q",
			m.Attempts, m.LastError, m.SentAt, m.Subject, sent.Subject)
	}
	if strings.Contains(m.Text, "ghp_") || m.Text != iam.DeliveredBody {
		t.Errorf("the delivered mail's body stays in the outbox: %q", m.Text)
	}
	// The Message-ID names the outbox mail, so that a retry is recognisably the same message.
	if id := sent.Header.Get("Message-ID"); !strings.Contains(id, m.ID) {
		t.Errorf("Message-ID %q does not name the outbox mail %s", id, m.ID)
	}

	// The delivered link works.
	const newPassword = "Vr-ocean-7731-maple"
	status, body := s.do(http.MethodPost, "/api/v1/auth/password/reset", "", map[string]string{"token": link[1], "new_password": newPassword})
	if status != http.StatusNoContent {
		t.Fatalf("POST /api/v1/auth/password/reset with the mailed token: status %d: %s", status, body)
	}
	s.login(mailAdmin, newPassword)

	s.stop()
	wantNoErrors(t, s.out.String())
}

func TestServeRetriesMailRefusedWith451(t *testing.T) {
	t.Parallel()
	ms := mailtest.Start(t, mailtest.FailFirst(1, 451))
	e := mailEnv(ms, newEnv(t, "GATEHOUSE_BOOTSTRAP_ADMIN_EMAIL", mailAdmin, "GATEHOUSE_BOOTSTRAP_ADMIN_PASSWORD", mailPassword))
	s := startServe(t, e)

	s.forgot()
	eventually(t, 10*time.Second, "the SMTP server was asked to take the mail", func() bool {
		_, finished := ms.DataCounts()
		return finished > 0
	})
	token := s.login(mailAdmin, mailPassword)
	m := s.onlyResetMail(token, "the outbox keeps the refused mail for a retry", func(m outboxMail) bool {
		return m.Status == "pending" && m.Attempts == 1
	})
	if !strings.Contains(m.LastError, "451") || m.SentAt != nil {
		t.Errorf("refused mail: last_error %q, sent_at %v; want an error naming 451, no sent_at", m.LastError, m.SentAt)
	}
	if n := len(ms.Messages()); n != 0 {
		t.Fatalf("the SMTP server took %d messages although it refused", n)
	}

	if testing.Short() {
		t.Log("-short: not waiting the half minute for the retry")
	} else {
		// The first retry comes 24 to 30 seconds later (30s less jitter).
		eventually(t, 60*time.Second, "the retry delivered the mail", func() bool { return len(ms.Messages()) > 0 })
		got := ms.Messages()
		if len(got) != 1 {
			t.Fatalf("after the retry the SMTP server holds %d messages, want 1", len(got))
		}
		if text := mailtest.Parse(t, got[0].Data).Text; !resetLinkRE.MatchString(text) {
			t.Errorf("the retried mail has no reset link:\n%s", text)
		}
		token = s.login(mailAdmin, mailPassword)
		m = s.onlyResetMail(token, "the outbox shows the retried mail sent", func(m outboxMail) bool { return m.Status == "sent" })
		if m.Attempts != 2 || m.LastError != "" || m.SentAt == nil {
			t.Errorf("retried mail: attempts %d, last_error %q, sent_at %v; want 2, empty, set", m.Attempts, m.LastError, m.SentAt)
		}
	}

	s.stop()
	out := s.out.String()
	if !strings.Contains(out, "will retry") {
		t.Errorf("serve did not log the retry:\n%s", out)
	}
	wantNoErrors(t, out)
}

// TestServeStopWithMailInFlight stops serve while the SMTP server is taking
// a mail. Whether serve waits for the delivery or abandons it, afterwards
// the outbox must say sent exactly when the server took the mail: a mail
// taken but not marked sent goes out twice.
func TestServeStopWithMailInFlight(t *testing.T) {
	t.Parallel()
	ms := mailtest.Start(t, mailtest.HoldData)
	e := mailEnv(ms, newEnv(t, "GATEHOUSE_BOOTSTRAP_ADMIN_EMAIL", mailAdmin, "GATEHOUSE_BOOTSTRAP_ADMIN_PASSWORD", mailPassword))
	s := startServe(t, e)

	s.forgot()
	select {
	case <-ms.Holding():
	case <-time.After(10 * time.Second):
		t.Fatal("the sender did not start sending within 10s")
	}
	s.cancel()
	// Let the delivery finish once serve has returned, or after a while if
	// serve waits for it.
	select {
	case err := <-s.done:
		s.done <- err
	case <-time.After(3 * time.Second):
	}
	ms.Release()
	select {
	case err := <-s.done:
		s.done <- err
		if err != nil {
			t.Fatalf("serve returned %v after cancel", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not return within 15s of cancel")
	}
	eventually(t, 10*time.Second, "the held DATA command was answered", func() bool {
		started, finished := ms.DataCounts()
		return started == finished
	})

	again := startServe(t, e)
	token := again.login(mailAdmin, mailPassword)
	mails := again.resetMails(token)
	if len(mails) != 1 {
		t.Fatalf("outbox holds %d reset mails, want 1", len(mails))
	}
	taken := len(ms.Messages())
	if (mails[0].Status == "sent") != (taken == 1) {
		t.Errorf("the SMTP server took %d messages but the outbox says %q (attempts %d, last_error %q)",
			taken, mails[0].Status, mails[0].Attempts, mails[0].LastError)
	}
	again.stop()
	wantNoErrors(t, s.out.String())
}
