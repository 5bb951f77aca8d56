// Package mailtest runs a real SMTP server (github.com/emersion/go-smtp) in
// the test's process and takes apart the messages it receives, for the tests
// of the mail package and of the server that sends through it.
package mailtest

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

// Server is an SMTP server on 127.0.0.1 that keeps every message it takes
// and can be told to refuse, to demand AUTH, to speak TLS or to hold DATA.
type Server struct {
	Port int

	tls         *tls.Config
	implicitTLS bool

	mu       sync.Mutex
	messages []Message
	started  int // DATA commands begun
	finished int // DATA commands answered
	failures int // how many of the first DATA commands to refuse
	failWith *smtp.SMTPError
	user     string // when set, MAIL needs AUTH with user and pass
	pass     string
	mechs    []string // advertised mechanisms; default PLAIN
	authed   []string // the mechanism of each successful AUTH
	// hold, when set, makes DATA wait for it to close before reading the
	// message; Holding is closed when the first DATA waits.
	hold    chan struct{}
	holding chan struct{}
}

// Message is one message the server took.
type Message struct {
	From string
	To   []string
	Data []byte
}

// An Option changes how a Server behaves.
type Option func(*Server)

// FailFirst refuses the first n messages with code (4xx or 5xx).
func FailFirst(n, code int) Option {
	return func(s *Server) {
		s.failures = n
		s.failWith = &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 0, 0}, Message: "refused by the test server"}
	}
}

// RequireAuth makes the server demand AUTH with user and pass, offering mechs.
func RequireAuth(user, pass string, mechs ...string) Option {
	return func(s *Server) { s.user, s.pass, s.mechs = user, pass, mechs }
}

// StartTLS offers STARTTLS with config.
func StartTLS(config *tls.Config) Option { return func(s *Server) { s.tls = config } }

// ImplicitTLS speaks TLS with config from the first byte.
func ImplicitTLS(config *tls.Config) Option {
	return func(s *Server) { s.tls, s.implicitTLS = config, true }
}

// HoldData makes DATA wait until Release is called.
func HoldData(s *Server) { s.hold, s.holding = make(chan struct{}), make(chan struct{}) }

// Start serves SMTP on a free port of 127.0.0.1 until the test ends.
func Start(t testing.TB, opts ...Option) *Server { return StartOn(t, 0, opts...) }

// StartOn serves SMTP on port of 127.0.0.1, e.g. after a server there was
// down, until the test ends.
func StartOn(t testing.TB, port int, opts ...Option) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		t.Fatalf("smtp listen on %d: %v", port, err)
	}
	s := &Server{Port: ln.Addr().(*net.TCPAddr).Port}
	for _, o := range opts {
		o(s)
	}
	srv := smtp.NewServer(s)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout, srv.WriteTimeout = 30*time.Second, 30*time.Second
	srv.MaxMessageBytes = 1 << 20
	srv.ErrorLog = log.New(io.Discard, "", 0)
	if s.implicitTLS {
		ln = tls.NewListener(ln, s.tls)
	} else {
		srv.TLSConfig = s.tls
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		s.Release()
		_ = srv.Close()
		// Close only closes listeners Serve has registered; if the test ended
		// before Serve began, closing ln is what stops it.
		_ = ln.Close()
		<-done
	})
	return s
}

// Messages returns what the server took so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// DataCounts reports how many DATA commands began and were answered.
func (s *Server) DataCounts() (started, finished int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.started, s.finished
}

// Authed returns the mechanism of each successful AUTH so far.
func (s *Server) Authed() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.authed...)
}

// Holding is closed when the first held DATA command waits.
func (s *Server) Holding() <-chan struct{} { return s.holding }

// Release lets held DATA commands go on; later ones are not held.
func (s *Server) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hold != nil {
		select {
		case <-s.hold:
		default:
			close(s.hold)
		}
	}
}

// NewSession implements smtp.Backend.
func (s *Server) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &session{server: s}, nil
}

// session is one SMTP connection.
type session struct {
	server *Server
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

func (se *session) Reset()        { se.from, se.to = "", nil }
func (se *session) Logout() error { return nil }

func (se *session) Data(r io.Reader) error {
	s := se.server
	s.mu.Lock()
	s.started++
	n, hold, holding := s.started, s.hold, s.holding
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.finished++
		s.mu.Unlock()
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
	if n <= s.failures {
		return s.failWith
	}
	s.mu.Lock()
	s.messages = append(s.messages, Message{From: se.from, To: append([]string(nil), se.to...), Data: b})
	s.mu.Unlock()
	return nil
}

// Parsed is a received message taken apart.
type Parsed struct {
	Header  netmail.Header
	Subject string
	Text    string
	HTML    string
}

// Parse reads a multipart/alternative message with a text and an HTML part,
// decoding quoted-printable bodies and encoded words.
func Parse(t testing.TB, data []byte) Parsed {
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
	p := Parsed{Header: msg.Header, Subject: subject}
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
			t.Fatalf("next part: %v\n%s", err, data)
		}
		body, err := io.ReadAll(part)
		if err != nil {
			t.Fatalf("read part: %v", err)
		}
		switch ct, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type")); ct {
		case "text/plain":
			p.Text = string(body)
		case "text/html":
			p.HTML = string(body)
		default:
			t.Errorf("unexpected part %q", ct)
		}
	}
	return p
}

// Cert returns a server certificate for 127.0.0.1 and localhost, and a pool
// that trusts it.
func Cert(t testing.TB) (*tls.Config, *x509.CertPool) {
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
