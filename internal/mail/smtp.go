package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// Transport delivers one rendered mail.
type Transport interface {
	// Send delivers m to m.To, or returns why it could not; the Sender
	// retries a failed mail later. Send may be called again for a mail it
	// delivered before (when marking it sent failed), so it must identify
	// the message stably (the SMTP transport uses m.ID as the Message-ID).
	Send(ctx context.Context, m *iam.Mail) error
}

// TLSMode is how the SMTP transport protects its connection.
type TLSMode string

// The TLS modes.
const (
	// TLSNone sends in the clear; only for a relay on the same host or network.
	TLSNone TLSMode = "none"
	// TLSStartTLS upgrades a plain connection with STARTTLS (RFC 3207) and
	// refuses a server that does not offer it; usually port 587.
	TLSStartTLS TLSMode = "starttls"
	// TLSImplicit speaks TLS from the first byte (RFC 8314); usually port 465.
	TLSImplicit TLSMode = "tls"
)

// ParseTLSMode reads "none", "starttls" or "tls".
func ParseTLSMode(s string) (TLSMode, error) {
	switch m := TLSMode(s); m {
	case TLSNone, TLSStartTLS, TLSImplicit:
		return m, nil
	}
	return "", fmt.Errorf("must be none, starttls or tls, got %q", s)
}

// DefaultSMTPTimeout bounds connecting and each whole send.
const DefaultSMTPTimeout = 30 * time.Second

// SMTPConfig is where and how the SMTP transport sends.
type SMTPConfig struct {
	Host string
	Port int
	TLS  TLSMode
	// Username and Password, when set, authenticate with PLAIN or LOGIN,
	// whichever the server offers first in that order. They are never sent
	// over a plain connection except to localhost.
	Username string
	Password string
	// From is the sender's bare address; FromName its optional display name.
	From     string
	FromName string
	// Timeout bounds connecting and each whole send; 0 means
	// DefaultSMTPTimeout.
	Timeout time.Duration
}

// CheckHost reports whether host names a mail server: a host name or an IP
// address, without a scheme, port or path.
func CheckHost(host string) error {
	if host == "" {
		return errors.New("host is empty")
	}
	if net.ParseIP(host) != nil {
		return nil
	}
	if len(host) > 253 || strings.ContainsAny(host, ":/@ \t\r\n[]") {
		return fmt.Errorf("must be a host name or IP address without scheme or port, got %q", host)
	}
	for label := range strings.SplitSeq(strings.TrimSuffix(host, "."), ".") {
		if label == "" || len(label) > 63 {
			return fmt.Errorf("must be a host name or IP address, got %q", host)
		}
	}
	return nil
}

// SMTP is the Transport that hands mails to an SMTP server (RFC 5321) with
// github.com/wneessen/go-mail, one connection per mail.
type SMTP struct {
	cfg        SMTPConfig
	fromDomain string
	tlsConfig  *tls.Config
}

var _ Transport = (*SMTP)(nil)

// NewSMTP checks cfg and returns the transport. It does not connect.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	var errs []error
	if err := CheckHost(cfg.Host); err != nil {
		errs = append(errs, fmt.Errorf("host: %w", err))
	}
	if cfg.Port < 1 || cfg.Port > 65535 {
		errs = append(errs, fmt.Errorf("port: must be between 1 and 65535, got %d", cfg.Port))
	}
	if _, err := ParseTLSMode(string(cfg.TLS)); err != nil {
		errs = append(errs, fmt.Errorf("tls: %w", err))
	}
	if err := CheckAddress(cfg.From); err != nil {
		errs = append(errs, fmt.Errorf("from: %w", err))
	}
	if strings.ContainsFunc(cfg.FromName, isControl) {
		errs = append(errs, errors.New("from name: must not contain control characters"))
	}
	if err := CheckAuth(cfg.Host, cfg.TLS, cfg.Username); err != nil {
		errs = append(errs, fmt.Errorf("username: %w", err))
	}
	if cfg.Timeout < 0 {
		errs = append(errs, errors.New("timeout: must not be negative"))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("smtp: %w", errors.Join(errs...))
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultSMTPTimeout
	}
	return &SMTP{
		cfg:        cfg,
		fromDomain: cfg.From[strings.LastIndexByte(cfg.From, '@')+1:],
		tlsConfig:  &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12},
	}, nil
}

// Send delivers m over a new connection. The message is multipart/alternative
// (plain text, then HTML), dated when it was queued, and its Message-ID is
// derived from m.ID, so that a retry of a mail the server already took is
// recognisable as the same message.
func (s *SMTP) Send(ctx context.Context, m *iam.Mail) error {
	msg, err := s.message(m)
	if err != nil {
		return err
	}
	client, err := gomail.NewClient(s.cfg.Host, s.options()...)
	if err != nil {
		return fmt.Errorf("smtp client: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("smtp %s: %w", net.JoinHostPort(s.cfg.Host, fmt.Sprint(s.cfg.Port)), err)
	}
	return nil
}

func (s *SMTP) options() []gomail.Option {
	opts := []gomail.Option{
		gomail.WithPort(s.cfg.Port),
		gomail.WithTimeout(s.cfg.Timeout),
		gomail.WithTLSConfig(s.tlsConfig),
	}
	switch s.cfg.TLS {
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case TLSStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	}
	if s.cfg.Username != "" {
		opts = append(opts, gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthPlain, gomail.SMTPAuthLogin),
			gomail.WithUsername(s.cfg.Username), gomail.WithPassword(s.cfg.Password))
	}
	return opts
}

func (s *SMTP) message(m *iam.Mail) (*gomail.Msg, error) {
	// The outbox holds only checked addresses and one-line subjects; check
	// again, since a row may have been written by anything.
	if err := CheckAddress(m.To); err != nil {
		return nil, fmt.Errorf("recipient: %w", err)
	}
	msg := gomail.NewMsg()
	var err error
	if s.cfg.FromName != "" {
		err = msg.FromFormat(s.cfg.FromName, s.cfg.From)
	} else {
		err = msg.From(s.cfg.From)
	}
	if err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("recipient: %w", err)
	}
	msg.Subject(cleanSubject(m.Subject))
	msg.SetMessageIDWithValue(m.ID + "@" + s.fromDomain)
	msg.SetDateWithValue(m.CreatedAt)
	msg.SetUserAgent("Gatehouse")
	// RFC 3834: an automatic message, not to be answered by auto-responders.
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// CheckAuth reports whether SMTP credentials may be used with host and TLS
// mode: they are never sent over a plain connection except to the local host.
func CheckAuth(host string, mode TLSMode, username string) error {
	// go-mail's PLAIN and LOGIN refuse a plain connection to any other host.
	if username == "" || mode != TLSNone || host == "localhost" || host == "127.0.0.1" || host == "::1" {
		return nil
	}
	return errors.New("credentials are never sent over a plain connection: use TLS mode starttls or tls, or a relay on localhost")
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }
