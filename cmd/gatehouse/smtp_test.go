package main

import (
	"encoding/json"
	"io"
	"log"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	netmail "net/mail"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// These tests run `serve` against a real SMTP server in the process.

const (
	mailAdmin    = "boot@example.com"
	mailPassword = "Kq-start-3391-pine"
	mailFrom     = "noreply@example.com"
)

// mailServer is an SMTP server (github.com/emersion/go-smtp) on 127.0.0.1
// that keeps every message it takes.
type mailServer struct {
	port int

	mu       sync.Mutex
	messages []mailMessage
	started  int // DATA commands begun
	finished int // DATA commands answered
	refuse   int // how many of the first DATA commands to answer 451
	// hold, when set, makes DATA wait for it to close before reading the
	// message; holding is closed when the first DATA waits.
	hold    chan struct{}
	holding chan struct{}
}

// mailMessage is one message the server took.
type mailMessage struct {
	from string
	to   []string
	data []byte
}

type mailServerOption func(*mailServer)

// refuseFirst answers the first n messages 451 (try again later).
func refuseFirst(n int) mailServerOption { return func(m *mailServer) { m.refuse = n } }

// holdData makes DATA wait until release is called.
func holdData(m *mailServer) { m.hold, m.holding = make(chan struct{}), make(chan struct{}) }

// startMailServer serves SMTP on a free port of 127.0.0.1 until the test ends.
func startMailServer(t *testing.T, opts ...mailServerOption) *mailServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtp listen: %v", err)
	}
	m := &mailServer{port: ln.Addr().(*net.TCPAddr).Port}
	for _, o := range opts {
		o(m)
	}
	srv := smtp.NewServer(m)
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 30*time.Second, 30*time.Second
	srv.MaxMessageBytes = 1 << 20
	srv.ErrorLog = log.New(io.Discard, "", 0)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		m.release()
		_ = srv.Close()
		_ = ln.Close() // in case Serve had not registered it yet
		<-done
	})
	return m
}

// env adds the settings that make serve send through m.
func (m *mailServer) env(e env) env {
	return e.with(
		"GATEHOUSE_SMTP_HOST", "127.0.0.1",
		"GATEHOUSE_SMTP_PORT", strconv.Itoa(m.port),
		"GATEHOUSE_SMTP_TLS", "none",
		"GATEHOUSE_SMTP_FROM", mailFrom,
	)
}

// release lets held DATA commands go on; later ones are not held.
func (m *mailServer) release() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.hold != nil {
		select {
		case <-m.hold:
		default:
			close(m.hold)
		}
	}
}

func (m *mailServer) taken() []mailMessage {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]mailMessage(nil), m.messages...)
}

// dataCounts reports how many DATA commands began and were answered.
func (m *mailServer) dataCounts() (started, finished int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.started, m.finished
}

// NewSession implements smtp.Backend.
func (m *mailServer) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &mailSession{server: m}, nil
}

// mailSession is one SMTP connection.
type mailSession struct {
	server *mailServer
	from   string
	to     []string
}

func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error { s.from = from; return nil }
func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *mailSession) Reset()        { s.from, s.to = "", nil }
func (s *mailSession) Logout() error { return nil }

func (s *mailSession) Data(r io.Reader) error {
	m := s.server
	m.mu.Lock()
	m.started++
	n, hold, holding := m.started, m.hold, m.holding
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		m.finished++
		m.mu.Unlock()
	}()
	if hold != nil {
		// Wait before reading, so that a client that gives up meanwhile
		// leaves a message that cannot be read whole, and is not taken.
		select {
		case <-holding:
		default:
			close(holding)
		}
		select {
		case <-hold:
		case <-time.After(20 * time.Second):
		}
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if n <= m.refuse {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	m.mu.Lock()
	m.messages = append(m.messages, mailMessage{from: s.from, to: append([]string(nil), s.to...), data: b})
	m.mu.Unlock()
	return nil
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

// sentMail is a received message taken apart.
type sentMail struct {
	header  netmail.Header
	subject string
	text    string
	html    string
}

// parseSent reads a message of one text part or of alternative text and
// HTML parts, decoding transfer encodings and encoded words.
func parseSent(t *testing.T, data []byte) sentMail {
	t.Helper()
	msg, err := netmail.ReadMessage(strings.NewReader(string(data)))
	if err != nil {
		t.Fatalf("read message: %v\n%s", err, data)
	}
	var dec mime.WordDecoder
	subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("decode subject %q: %v", msg.Header.Get("Subject"), err)
	}
	out := sentMail{header: msg.Header, subject: subject}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("Content-Type %q: %v", msg.Header.Get("Content-Type"), err)
	}
	if !strings.HasPrefix(mediaType, "multipart/") {
		t.Fatalf("Content-Type %q, want multipart/alternative", mediaType)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextPart() // decodes quoted-printable
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("next part: %v\n%s", err, data)
		}
		body, err := io.ReadAll(part)
		if err != nil {
			t.Fatalf("read part: %v", err)
		}
		switch ct, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type")); ct {
		case "text/plain":
			out.text = string(body)
		case "text/html":
			out.html = string(body)
		default:
			t.Errorf("unexpected part %q", ct)
		}
	}
	return out
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
	ms := startMailServer(t)
	e := ms.env(newEnv(t, "GATEHOUSE_BOOTSTRAP_ADMIN_EMAIL", mailAdmin, "GATEHOUSE_BOOTSTRAP_ADMIN_PASSWORD", mailPassword))
	s := startServe(t, e)

	s.forgot()
	eventually(t, 10*time.Second, "the SMTP server took the reset mail", func() bool { return len(ms.taken()) > 0 })
	got := ms.taken()
	if len(got) != 1 {
		t.Fatalf("the SMTP server took %d messages, want 1", len(got))
	}
	if got[0].from != mailFrom || len(got[0].to) != 1 || got[0].to[0] != mailAdmin {
		t.Errorf("envelope: MAIL FROM %q, RCPT TO %q; want %q and [%q]", got[0].from, got[0].to, mailFrom, mailAdmin)
	}
	sent := parseSent(t, got[0].data)
	if sent.subject == "" {
		t.Error("the mail has no subject")
	}
	for header, want := range map[string]string{"From": mailFrom, "To": mailAdmin} {
		if a, err := netmail.ParseAddress(sent.header.Get(header)); err != nil || a.Address != want {
			t.Errorf("%s: %q (%v), want %s", header, sent.header.Get(header), err, want)
		}
	}
	link := resetLinkRE.FindStringSubmatch(sent.text)
	if link == nil {
		t.Fatalf("the text has no /reset-password?token=ghp_ link:\n%s", sent.text)
	}
	if !strings.Contains(sent.html, link[0]) {
		t.Errorf("the HTML lacks the text's link %s:\n%s", link[0], sent.html)
	}

	token := s.login(mailAdmin, mailPassword)
	m := s.onlyResetMail(token, "the outbox shows the mail sent", func(m outboxMail) bool { return m.Status == "sent" })
	if m.Attempts != 1 || m.LastError != "" || m.SentAt == nil || m.Subject != sent.subject {
		t.Errorf("outbox mail: attempts %d, last_error %q, sent_at %v, subject %q; want 1, empty, set, %q",
			m.Attempts, m.LastError, m.SentAt, m.Subject, sent.subject)
	}
	if strings.Contains(m.Text, "ghp_") || m.Text != iam.DeliveredBody {
		t.Errorf("the delivered mail's body stays in the outbox: %q", m.Text)
	}
	// The Message-ID names the outbox mail, so that a retry is recognisably the same message.
	if id := sent.header.Get("Message-ID"); !strings.Contains(id, m.ID) {
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
	ms := startMailServer(t, refuseFirst(1))
	e := ms.env(newEnv(t, "GATEHOUSE_BOOTSTRAP_ADMIN_EMAIL", mailAdmin, "GATEHOUSE_BOOTSTRAP_ADMIN_PASSWORD", mailPassword))
	s := startServe(t, e)

	s.forgot()
	eventually(t, 10*time.Second, "the SMTP server was asked to take the mail", func() bool {
		_, finished := ms.dataCounts()
		return finished > 0
	})
	token := s.login(mailAdmin, mailPassword)
	m := s.onlyResetMail(token, "the outbox keeps the refused mail for a retry", func(m outboxMail) bool {
		return m.Status == "pending" && m.Attempts == 1
	})
	if !strings.Contains(m.LastError, "451") || m.SentAt != nil {
		t.Errorf("refused mail: last_error %q, sent_at %v; want an error naming 451, no sent_at", m.LastError, m.SentAt)
	}
	if n := len(ms.taken()); n != 0 {
		t.Fatalf("the SMTP server took %d messages although it refused", n)
	}

	if testing.Short() {
		t.Log("-short: not waiting the half minute for the retry")
	} else {
		// The first retry comes 24 to 30 seconds later (30s less jitter).
		eventually(t, 60*time.Second, "the retry delivered the mail", func() bool { return len(ms.taken()) > 0 })
		got := ms.taken()
		if len(got) != 1 {
			t.Fatalf("after the retry the SMTP server holds %d messages, want 1", len(got))
		}
		if text := parseSent(t, got[0].data).text; !resetLinkRE.MatchString(text) {
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
	ms := startMailServer(t, holdData)
	e := ms.env(newEnv(t, "GATEHOUSE_BOOTSTRAP_ADMIN_EMAIL", mailAdmin, "GATEHOUSE_BOOTSTRAP_ADMIN_PASSWORD", mailPassword))
	s := startServe(t, e)

	s.forgot()
	select {
	case <-ms.holding:
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
	ms.release()
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
		started, finished := ms.dataCounts()
		return started == finished
	})

	again := startServe(t, e)
	token := again.login(mailAdmin, mailPassword)
	mails := again.resetMails(token)
	if len(mails) != 1 {
		t.Fatalf("outbox holds %d reset mails, want 1", len(mails))
	}
	taken := len(ms.taken())
	if (mails[0].Status == "sent") != (taken == 1) {
		t.Errorf("the SMTP server took %d messages but the outbox says %q (attempts %d, last_error %q)",
			taken, mails[0].Status, mails[0].Attempts, mails[0].LastError)
	}
	again.stop()
	wantNoErrors(t, s.out.String())
}
