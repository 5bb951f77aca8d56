package mail_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	netmail "net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// smtpServer is a real SMTP server (github.com/emersion/go-smtp) on
// 127.0.0.1 that records what it receives and can be told to refuse.
type smtpServer struct {
	t    *testing.T
	srv  *smtp.Server
	ln   net.Listener
	port int

	mu       sync.Mutex
	received []received
	attempts int // DATA commands seen
	failures int // how many of the first DATA commands to refuse
	failWith *smtp.SMTPError
	user     string // when set, MAIL needs AUTH with user and pass
	pass     string
	mechs    []string // advertised mechanisms; default PLAIN
	authed   []string // the mechanism of each successful AUTH
}

// received is one message the server took.
type received struct {
	from string
	to   []string
	data []byte
}

type serverOption func(*smtpServer)

// failFirst refuses the first n messages with code (4xx or 5xx).
func failFirst(n, code int) serverOption {
	return func(s *smtpServer) {
		s.failures = n
		s.failWith = &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 0, 0}, Message: "refused by the test server"}
	}
}

// requireAuth makes the server demand AUTH with user and pass, offering mechs.
func requireAuth(user, pass string, mechs ...string) serverOption {
	return func(s *smtpServer) { s.user, s.pass, s.mechs = user, pass, mechs }
}

// tlsSetup gives the server a certificate: STARTTLS, or implicit TLS when
// implicit is true.
type tlsSetup struct {
	config   *tls.Config
	implicit bool
}

// startSMTP starts a server on a free port of 127.0.0.1, stopped when the
// test ends.
func startSMTP(t *testing.T, tlsCfg *tlsSetup, opts ...serverOption) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	s := &smtpServer{t: t}
	for _, o := range opts {
		o(s)
	}
	s.serve(ln, tlsCfg)
	return s
}

// startSMTPOn starts a server on port, e.g. after it was down.
func startSMTPOn(t *testing.T, port int, opts ...serverOption) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		t.Fatalf("listen again on %d: %v", port, err)
	}
	s := &smtpServer{t: t}
	for _, o := range opts {
		o(s)
	}
	s.serve(ln, nil)
	return s
}

func (s *smtpServer) serve(ln net.Listener, tlsCfg *tlsSetup) {
	s.port = ln.Addr().(*net.TCPAddr).Port
	srv := smtp.NewServer(s)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.MaxMessageBytes = 1 << 20
	srv.ErrorLog = log.New(io.Discard, "", 0)
	if tlsCfg != nil {
		if tlsCfg.implicit {
			ln = tls.NewListener(ln, tlsCfg.config)
		} else {
			srv.TLSConfig = tlsCfg.config
		}
	}
	s.srv, s.ln = srv, ln
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	s.t.Cleanup(func() {
		_ = srv.Close()
		// Close only closes listeners Serve has registered; if the test ended
		// before Serve began, closing ln is what stops it.
		_ = ln.Close()
		<-done
	})
}

// messages returns what the server took so far.
func (s *smtpServer) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.received...)
}

func (s *smtpServer) dataAttempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts
}

// NewSession implements smtp.Backend.
func (s *smtpServer) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &session{server: s}, nil
}

type session struct {
	server *smtpServer
	authed bool
	from   string
	to     []string
}

func (se *session) AuthMechanisms() []string {
	if se.server.user == "" {
		return nil
	}
	if len(se.server.mechs) == 0 {
		return []string{sasl.Plain}
	}
	return se.server.mechs
}

func (se *session) Auth(mech string) (sasl.Server, error) {
	s := se.server
	check := func(user, pass string) error {
		if user != s.user || pass != s.pass {
			return errors.New("invalid credentials")
		}
		se.authed = true
		s.mu.Lock()
		s.authed = append(s.authed, mech)
		s.mu.Unlock()
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, user, pass string) error { return check(user, pass) }), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

// loginServer is the server side of the LOGIN mechanism, which go-sasl only
// has as a client.
type loginServer struct {
	step  int
	user  string
	check func(user, pass string) error
}

func (l *loginServer) Next(response []byte) ([]byte, bool, error) {
	l.step++
	switch l.step {
	case 1:
		if len(response) > 0 {
			l.user, l.step = string(response), 2
			return []byte("Password:"), false, nil
		}
		return []byte("Username:"), false, nil
	case 2:
		l.user = string(response)
		return []byte("Password:"), false, nil
	default:
		return nil, true, l.check(l.user, string(response))
	}
}

func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	if se.server.user != "" && !se.authed {
		return smtp.ErrAuthRequired
	}
	se.from = from
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	se.to = append(se.to, to)
	return nil
}

func (se *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s := se.server
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attempts++
	if s.attempts <= s.failures {
		return s.failWith
	}
	s.received = append(s.received, received{from: se.from, to: append([]string(nil), se.to...), data: b})
	return nil
}

func (se *session) Reset()        { se.from, se.to = "", nil }
func (se *session) Logout() error { return nil }

// parsed is a received message taken apart.
type parsed struct {
	header  netmail.Header
	subject string
	text    string
	html    string
}

// parseMessage reads a multipart/alternative message with a text and an
// HTML part, decoding quoted-printable bodies and encoded words.
func parseMessage(t *testing.T, data []byte) parsed {
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
	p := parsed{header: msg.Header, subject: subject}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		t.Fatalf("Content-Type %q (%v), want multipart/alternative", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextPart() // decodes quoted-printable
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("next part: %v", err)
		}
		body, err := io.ReadAll(part)
		if err != nil {
			t.Fatalf("read part: %v", err)
		}
		ct, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		switch ct {
		case "text/plain":
			p.text = string(body)
		case "text/html":
			p.html = string(body)
		default:
			t.Errorf("unexpected part %q", ct)
		}
	}
	return p
}

// testCert returns a server certificate for 127.0.0.1 and a pool trusting it.
func testCert(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "gatehouse test smtp"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}, pool
}
