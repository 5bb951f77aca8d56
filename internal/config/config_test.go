package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/gatehouse-iam/gatehouse/internal/mail"
	"github.com/gatehouse-iam/gatehouse/internal/password"
	"github.com/gatehouse-iam/gatehouse/internal/token"
)

// source is one configuration as the three layers above the defaults give it.
type source struct {
	file  string            // YAML text; written to a temp file and passed as --config
	env   map[string]string // GATEHOUSE_* variables
	flags []string          // command-line arguments
}

// load runs Load the way the command does: flags registered, parsed, then Load.
func load(t *testing.T, src source) (*Config, error) {
	t.Helper()
	fs := pflag.NewFlagSet("gatehouse", pflag.ContinueOnError)
	RegisterFlags(fs)
	args := src.flags
	if src.file != "" {
		path := filepath.Join(t.TempDir(), "gatehouse.yaml")
		if err := os.WriteFile(path, []byte(src.file), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append([]string{"--config", path}, args...)
	}
	if err := fs.Parse(args); err != nil {
		t.Fatalf("parse %q: %v", args, err)
	}
	return Load(fs, func(key string) string { return src.env[key] })
}

func mustLoad(t *testing.T, src source) *Config {
	t.Helper()
	c, err := load(t, src)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

// configError asserts err is a one-line *Error and returns it.
func configError(t *testing.T, err error) *Error {
	t.Helper()
	if err == nil {
		t.Fatal("Load succeeded, want a configuration error")
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T %q is not a *config.Error", err, err)
	}
	if !IsConfigError(err) {
		t.Errorf("IsConfigError(%q) = false", err)
	}
	if msg := err.Error(); strings.ContainsAny(msg, "\r\n\x00") {
		t.Errorf("error message is not one printable line: %q", msg)
	}
	return e
}

func TestDefaults(t *testing.T) {
	c := mustLoad(t, source{})
	want := Config{
		Listen:                  ":8080",
		DataDir:                 ".",
		Database:                "sqlite://gatehouse.db",
		Issuer:                  "http://localhost:8080",
		LogLevel:                slog.LevelInfo,
		AccessTokenTTL:          10 * time.Minute,
		Password:                password.Params{Time: 2, MemoryKiB: 19456, Threads: 1},
		ShutdownTimeout:         30 * time.Second,
		AuthRatePerSecond:       5,
		AuthRateBurst:           20,
		SMTP:                    mail.SMTPConfig{Port: 587, TLS: mail.TLSStartTLS},
		WebAuthnRPID:            "localhost",
		WebAuthnRPOrigins:       []string{"http://localhost:8080"},
		CredentialExpiryWarning: 168 * time.Hour,
		CredentialExpiryCheck:   time.Hour,
		SigningKeyRotation:      90 * 24 * time.Hour,
		SigningKeys:             token.Timing{Lead: time.Hour, Retention: 25 * time.Hour},
	}
	if !reflect.DeepEqual(*c, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", *c, want)
	}
}

func TestTrustedProxies(t *testing.T) {
	c, err := load(t, source{env: map[string]string{"GATEHOUSE_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.7 ,2001:db8::/32"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"), netip.MustParsePrefix("2001:db8::/32")}
	if !reflect.DeepEqual(c.TrustedProxies, want) {
		t.Fatalf("trusted proxies %v, want %v", c.TrustedProxies, want)
	}
	if _, err := load(t, source{env: map[string]string{"GATEHOUSE_TRUSTED_PROXIES": "10.0.0.0/8,proxy.local"}}); err == nil || !strings.Contains(err.Error(), "trusted_proxies") {
		t.Fatalf("a bad entry: %v", err)
	}
}

func TestIssuer(t *testing.T) {
	tests := []struct {
		name   string
		env    map[string]string
		issuer string
	}{
		{"port only", map[string]string{"GATEHOUSE_LISTEN": ":9000"}, "http://localhost:9000"},
		{"ipv4 host", map[string]string{"GATEHOUSE_LISTEN": "127.0.0.1:7000"}, "http://127.0.0.1:7000"},
		{"all ipv4 interfaces", map[string]string{"GATEHOUSE_LISTEN": "0.0.0.0:8000"}, "http://localhost:8000"},
		{"all ipv6 interfaces", map[string]string{"GATEHOUSE_LISTEN": "[::]:8000"}, "http://localhost:8000"},
		{"ipv6 host", map[string]string{"GATEHOUSE_LISTEN": "[::1]:8000"}, "http://[::1]:8000"},
		{"named host", map[string]string{"GATEHOUSE_LISTEN": "id.internal:80"}, "http://id.internal:80"},
		{"explicit", map[string]string{"GATEHOUSE_LISTEN": ":9000", "GATEHOUSE_ISSUER": "https://id.example.com"}, "https://id.example.com"},
		{"explicit trailing slash", map[string]string{"GATEHOUSE_ISSUER": "https://id.example.com/tenant/"}, "https://id.example.com/tenant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustLoad(t, source{env: tt.env})
			if c.Issuer != tt.issuer {
				t.Errorf("Issuer = %q, want %q", c.Issuer, tt.issuer)
			}
		})
	}
}

func TestWebAuthn(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		rpID    string
		origins []string
	}{
		{"from the issuer", map[string]string{"GATEHOUSE_ISSUER": "https://ID.example.com:8443/auth"}, "id.example.com", []string{"https://id.example.com:8443"}},
		{"an IP issuer turns passkeys off", map[string]string{"GATEHOUSE_ISSUER": "http://127.0.0.1:8080"}, "", nil},
		{"a parent domain", map[string]string{"GATEHOUSE_ISSUER": "https://id.example.com", "GATEHOUSE_WEBAUTHN_RP_ID": "Example.com"},
			"example.com", []string{"https://id.example.com"}},
		{"configured", map[string]string{"GATEHOUSE_ISSUER": "http://127.0.0.1:8080", "GATEHOUSE_WEBAUTHN_RP_ID": "localhost",
			"GATEHOUSE_WEBAUTHN_RP_ORIGINS": "http://localhost:8080, https://app.localhost/"}, "localhost", []string{"http://localhost:8080", "https://app.localhost"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustLoad(t, source{env: tt.env})
			if c.WebAuthnRPID != tt.rpID || !reflect.DeepEqual(c.WebAuthnRPOrigins, tt.origins) {
				t.Errorf("relying party %q %q, want %q %q", c.WebAuthnRPID, c.WebAuthnRPOrigins, tt.rpID, tt.origins)
			}
		})
	}
}

func TestPrecedence(t *testing.T) {
	const file = "listen: \"127.0.0.1:1001\"\nlog_level: warn\n"
	tests := []struct {
		name     string
		src      source
		listen   string
		logLevel slog.Level
	}{
		{"defaults", source{}, ":8080", slog.LevelInfo},
		{"file over defaults", source{file: file}, "127.0.0.1:1001", slog.LevelWarn},
		{"env over file", source{
			file: file,
			env:  map[string]string{"GATEHOUSE_LISTEN": "127.0.0.1:1002", "GATEHOUSE_LOG_LEVEL": "error"},
		}, "127.0.0.1:1002", slog.LevelError},
		{"flags over env and file", source{
			file:  file,
			env:   map[string]string{"GATEHOUSE_LISTEN": "127.0.0.1:1002", "GATEHOUSE_LOG_LEVEL": "error"},
			flags: []string{"--listen", "127.0.0.1:1003", "--log-level=debug"},
		}, "127.0.0.1:1003", slog.LevelDebug},
		{"flags over file", source{file: file, flags: []string{"--listen=127.0.0.1:1003"}}, "127.0.0.1:1003", slog.LevelWarn},
		{"each key from its own layer", source{
			file:  file,
			env:   map[string]string{"GATEHOUSE_LOG_LEVEL": "error"},
			flags: []string{"--listen=127.0.0.1:1003"},
		}, "127.0.0.1:1003", slog.LevelError},
		{"empty env falls through", source{
			file: file,
			env:  map[string]string{"GATEHOUSE_LISTEN": "", "GATEHOUSE_LOG_LEVEL": ""},
		}, "127.0.0.1:1001", slog.LevelWarn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustLoad(t, tt.src)
			if c.Listen != tt.listen {
				t.Errorf("Listen = %q, want %q", c.Listen, tt.listen)
			}
			if c.LogLevel != tt.logLevel {
				t.Errorf("LogLevel = %v, want %v", c.LogLevel, tt.logLevel)
			}
		})
	}
}

func TestValues(t *testing.T) {
	tests := []struct {
		name  string
		src   source
		check func(*Config) bool
	}{
		{"multi_tenant flag", source{flags: []string{"--multi-tenant"}}, func(c *Config) bool { return c.MultiTenant }},
		{"multi_tenant env", source{env: map[string]string{"GATEHOUSE_MULTI_TENANT": "true"}}, func(c *Config) bool { return c.MultiTenant }},
		{"multi_tenant file", source{file: "multi_tenant: true\n"}, func(c *Config) bool { return c.MultiTenant }},
		{"federation_private_networks env", source{env: map[string]string{"GATEHOUSE_FEDERATION_PRIVATE_NETWORKS": "true"}},
			func(c *Config) bool { return c.FederationPrivateNetworks }},
		{"multi_tenant flag false over env true", source{
			env:   map[string]string{"GATEHOUSE_MULTI_TENANT": "true"},
			flags: []string{"--multi-tenant=false"},
		}, func(c *Config) bool { return !c.MultiTenant }},
		{"argon2 from env", source{env: map[string]string{
			"GATEHOUSE_PASSWORD_TIME": "1", "GATEHOUSE_PASSWORD_MEMORY_KIB": "64", "GATEHOUSE_PASSWORD_THREADS": "4",
		}}, func(c *Config) bool { return c.Password == password.Params{Time: 1, MemoryKiB: 64, Threads: 4} }},
		{"argon2 from file as integers", source{file: "password_time: 3\npassword_memory_kib: 1024\n"},
			func(c *Config) bool { return c.Password == password.Params{Time: 3, MemoryKiB: 1024, Threads: 1} }},
		{"access_token_ttl", source{flags: []string{"--access-token-ttl=1h"}}, func(c *Config) bool { return c.AccessTokenTTL == time.Hour }},
		{"credential_expiry_warning", source{env: map[string]string{"GATEHOUSE_CREDENTIAL_EXPIRY_WARNING": "72h"}}, func(c *Config) bool {
			return c.CredentialExpiryWarning == 72*time.Hour && c.CredentialExpiryCheck == time.Hour
		}},
		{"signing keys", source{file: "signing_key_rotation: 0s\nsigning_key_lead: 10m\nsigning_key_retention: 48h\n"}, func(c *Config) bool {
			return c.SigningKeyRotation == 0 && c.SigningKeys == token.Timing{Lead: 10 * time.Minute, Retention: 48 * time.Hour}
		}},
		{"postgres", source{env: map[string]string{"GATEHOUSE_DATABASE": "postgres://u@db/gatehouse"}},
			func(c *Config) bool { return c.Database == "postgres://u@db/gatehouse" }},
		{"bootstrap admin pair", source{env: map[string]string{
			"GATEHOUSE_BOOTSTRAP_ADMIN_EMAIL": "a@example.com", "GATEHOUSE_BOOTSTRAP_ADMIN_PASSWORD": " spaced pw ",
		}}, func(c *Config) bool {
			return c.BootstrapAdminEmail == "a@example.com" && c.BootstrapAdminPassword == " spaced pw "
		}},
		{"values are trimmed", source{env: map[string]string{"GATEHOUSE_LISTEN": " :9000 "}},
			func(c *Config) bool { return c.Listen == ":9000" && c.Issuer == "http://localhost:9000" }},
		{"smtp from env", source{env: map[string]string{
			"GATEHOUSE_SMTP_HOST": "smtp.example.com", "GATEHOUSE_SMTP_PORT": "465", "GATEHOUSE_SMTP_TLS": "tls",
			"GATEHOUSE_SMTP_USERNAME": "gatehouse", "GATEHOUSE_SMTP_PASSWORD": " s3cret ",
			"GATEHOUSE_SMTP_FROM": "noreply@example.com", "GATEHOUSE_SMTP_FROM_NAME": "Example Sign-in",
		}}, func(c *Config) bool {
			return c.SMTP == mail.SMTPConfig{Host: "smtp.example.com", Port: 465, TLS: mail.TLSImplicit, Username: "gatehouse",
				Password: " s3cret ", From: "noreply@example.com", FromName: "Example Sign-in"}
		}},
		{"smtp from file", source{file: "smtp_host: smtp.example.com\nsmtp_port: 2525\nsmtp_from: noreply@example.com\n" +
			"smtp_username: gatehouse\nsmtp_password: \"1234567\"\n"}, func(c *Config) bool {
			return c.SMTP == mail.SMTPConfig{Host: "smtp.example.com", Port: 2525, TLS: mail.TLSStartTLS, Username: "gatehouse",
				Password: "1234567", From: "noreply@example.com"}
		}},
		{"smtp_tls in capitals", source{env: map[string]string{"GATEHOUSE_SMTP_TLS": "STARTTLS"}},
			func(c *Config) bool { return c.SMTP.TLS == mail.TLSStartTLS }},
		{"smtp without tls to a local relay with credentials", source{env: map[string]string{
			"GATEHOUSE_SMTP_HOST": "127.0.0.1", "GATEHOUSE_SMTP_PORT": "25", "GATEHOUSE_SMTP_TLS": "none",
			"GATEHOUSE_SMTP_FROM": "noreply@example.com", "GATEHOUSE_SMTP_USERNAME": "u", "GATEHOUSE_SMTP_PASSWORD": "p",
		}}, func(c *Config) bool {
			return c.SMTP.Host == "127.0.0.1" && c.SMTP.TLS == mail.TLSNone && c.SMTP.Username == "u"
		}},
		{"no smtp_host keeps mail in the outbox", source{env: map[string]string{"GATEHOUSE_SMTP_FROM": "noreply@example.com"}},
			func(c *Config) bool { return c.SMTP.Host == "" && c.SMTP.From == "noreply@example.com" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustLoad(t, tt.src)
			if !tt.check(c) {
				t.Errorf("unexpected config %+v", *c)
			}
		})
	}
}

func TestInvalid(t *testing.T) {
	env := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name string
		src  source
		key  string
	}{
		{"listen", source{env: env("GATEHOUSE_LISTEN", "nope")}, "listen"},
		{"listen port out of range", source{flags: []string{"--listen=:70000"}}, "listen"},
		{"log_level", source{env: env("GATEHOUSE_LOG_LEVEL", "loud")}, "log_level"},
		{"log_level flag", source{flags: []string{"--log-level=loud"}}, "log_level"},
		{"access_token_ttl without unit", source{env: env("GATEHOUSE_ACCESS_TOKEN_TTL", "5")}, "access_token_ttl"},
		{"access_token_ttl too short", source{env: env("GATEHOUSE_ACCESS_TOKEN_TTL", "5s")}, "access_token_ttl"},
		{"access_token_ttl too long", source{env: env("GATEHOUSE_ACCESS_TOKEN_TTL", "25h")}, "access_token_ttl"},
		{"multi_tenant", source{env: env("GATEHOUSE_MULTI_TENANT", "maybe")}, "multi_tenant"},
		{"federation_private_networks", source{env: env("GATEHOUSE_FEDERATION_PRIVATE_NETWORKS", "maybe")}, "federation_private_networks"},
		{"issuer scheme", source{env: env("GATEHOUSE_ISSUER", "ftp://x")}, "issuer"},
		{"issuer relative", source{env: env("GATEHOUSE_ISSUER", "/auth")}, "issuer"},
		{"issuer query", source{env: env("GATEHOUSE_ISSUER", "https://x/?a=b")}, "issuer"},
		{"database", source{env: env("GATEHOUSE_DATABASE", "mysql://x")}, "database"},
		{"database empty sqlite path", source{env: env("GATEHOUSE_DATABASE", "sqlite://")}, "database"},
		{"password_time", source{env: env("GATEHOUSE_PASSWORD_TIME", "0")}, "password_time"},
		{"password_memory_kib", source{env: env("GATEHOUSE_PASSWORD_MEMORY_KIB", "8")}, "password_memory_kib"},
		{"password_threads", source{env: env("GATEHOUSE_PASSWORD_THREADS", "x")}, "password_threads"},
		{"password_concurrency", source{env: env("GATEHOUSE_PASSWORD_CONCURRENCY", "-1")}, "password_concurrency"},
		{"shutdown_timeout", source{env: env("GATEHOUSE_SHUTDOWN_TIMEOUT", "forever")}, "shutdown_timeout"},
		{"credential_expiry_warning too long", source{env: env("GATEHOUSE_CREDENTIAL_EXPIRY_WARNING", "9000h")}, "credential_expiry_warning"},
		{"credential_expiry_check too short", source{env: env("GATEHOUSE_CREDENTIAL_EXPIRY_CHECK", "1s")}, "credential_expiry_check"},
		{"signing_key_rotation negative", source{env: env("GATEHOUSE_SIGNING_KEY_ROTATION", "-1h")}, "signing_key_rotation"},
		{"signing_key_rotation within the lead", source{env: env("GATEHOUSE_SIGNING_KEY_ROTATION", "2h", "GATEHOUSE_SIGNING_KEY_LEAD", "3h")}, "signing_key_rotation"},
		{"signing_key_lead shorter than a refresh", source{env: env("GATEHOUSE_SIGNING_KEY_LEAD", "1m")}, "signing_key_lead"},
		{"signing_key_retention shorter than a token", source{env: env("GATEHOUSE_SIGNING_KEY_RETENTION", "23h")}, "signing_key_retention"},
		{"bootstrap email without password", source{env: env("GATEHOUSE_BOOTSTRAP_ADMIN_EMAIL", "a@example.com")}, "bootstrap_admin_email"},
		{"bootstrap password without email", source{env: env("GATEHOUSE_BOOTSTRAP_ADMIN_PASSWORD", "pw-long-enough")}, "bootstrap_admin_password"},
		{"smtp_host with port", source{env: env("GATEHOUSE_SMTP_HOST", "smtp.example.com:587", "GATEHOUSE_SMTP_FROM", "a@example.com")}, "smtp_host"},
		{"smtp_host url", source{env: env("GATEHOUSE_SMTP_HOST", "smtp://smtp.example.com", "GATEHOUSE_SMTP_FROM", "a@example.com")}, "smtp_host"},
		{"smtp_port", source{env: env("GATEHOUSE_SMTP_PORT", "0")}, "smtp_port"},
		{"smtp_port not a number", source{env: env("GATEHOUSE_SMTP_PORT", "submission")}, "smtp_port"},
		{"smtp_tls", source{env: env("GATEHOUSE_SMTP_TLS", "ssl")}, "smtp_tls"},
		{"smtp_from missing", source{env: env("GATEHOUSE_SMTP_HOST", "smtp.example.com")}, "smtp_from"},
		{"smtp_from with a name", source{env: env("GATEHOUSE_SMTP_HOST", "smtp.example.com", "GATEHOUSE_SMTP_FROM", "Gatehouse <a@example.com>")}, "smtp_from"},
		{"smtp_from list", source{env: env("GATEHOUSE_SMTP_FROM", "a@example.com,b@example.com")}, "smtp_from"},
		{"smtp_from not an address", source{env: env("GATEHOUSE_SMTP_FROM", "noreply")}, "smtp_from"},
		{"smtp_from_name with a line break", source{file: "smtp_from_name: \"Gatehouse\\r\\nBcc: eve@example.com\"\n"}, "smtp_from_name"},
		{"smtp_username without password", source{env: env("GATEHOUSE_SMTP_USERNAME", "u")}, "smtp_password"},
		{"smtp_password without username", source{env: env("GATEHOUSE_SMTP_PASSWORD", "p")}, "smtp_username"},
		{"smtp credentials in the clear", source{env: env("GATEHOUSE_SMTP_HOST", "smtp.example.com", "GATEHOUSE_SMTP_FROM", "a@example.com",
			"GATEHOUSE_SMTP_TLS", "none", "GATEHOUSE_SMTP_USERNAME", "u", "GATEHOUSE_SMTP_PASSWORD", "p")}, "smtp_username"},
		{"smtp_password unquoted number in file", source{file: "smtp_username: u\nsmtp_password: 1234567\n"}, "smtp_password"},
		{"webauthn_rp_id an IP address", source{env: env("GATEHOUSE_WEBAUTHN_RP_ID", "192.0.2.1")}, "webauthn_rp_id"},
		{"webauthn_rp_id with a port", source{env: env("GATEHOUSE_WEBAUTHN_RP_ID", "example.com:443")}, "webauthn_rp_id"},
		{"webauthn_rp_origins without an rp id on an IP issuer", source{env: env("GATEHOUSE_ISSUER", "http://192.0.2.1:8080",
			"GATEHOUSE_WEBAUTHN_RP_ORIGINS", "http://192.0.2.1:8080")}, "webauthn_rp_id"},
		{"webauthn_rp_origins not an origin", source{env: env("GATEHOUSE_WEBAUTHN_RP_ORIGINS", "http://localhost:8080/login")}, "webauthn_rp_origins"},
		{"webauthn_rp_origins outside the rp id", source{env: env("GATEHOUSE_WEBAUTHN_RP_ID", "example.com",
			"GATEHOUSE_WEBAUTHN_RP_ORIGINS", "https://id.example.com,https://example.org")}, "webauthn_rp_origins"},
		{"webauthn_rp_id that the issuer is not under", source{env: env("GATEHOUSE_WEBAUTHN_RP_ID", "example.com")}, "webauthn_rp_origins"},
		{"unknown key in file", source{file: "listen: \":9000\"\nlisten_port: 9000\n"}, "listen_port"},
		{"invalid value in file", source{file: "log_level: loud\n"}, "log_level"},
		{"missing file", source{flags: []string{"--config=/nonexistent/gatehouse.yaml"}}, "config"},
		{"file that is not YAML", source{file: "listen: [unclosed\n"}, "config"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, tt.src)
			e := configError(t, err)
			if len(e.Problems) != 1 {
				t.Errorf("Problems = %q, want exactly one", e.Problems)
			}
			if !strings.Contains(err.Error(), tt.key) {
				t.Errorf("error %q does not name %q", err, tt.key)
			}
		})
	}
}

func TestInvalidReportsEveryProblem(t *testing.T) {
	_, err := load(t, source{
		file: "issuer: ftp://x\nunknown_key: 1\n",
		env: map[string]string{
			"GATEHOUSE_LISTEN":                "nope",
			"GATEHOUSE_ACCESS_TOKEN_TTL":      "5",
			"GATEHOUSE_MULTI_TENANT":          "maybe",
			"GATEHOUSE_DATABASE":              "mysql://x",
			"GATEHOUSE_PASSWORD_TIME":         "0",
			"GATEHOUSE_BOOTSTRAP_ADMIN_EMAIL": "a@example.com",
		},
		flags: []string{"--log-level=loud"},
	})
	e := configError(t, err)
	keys := []string{"listen", "log_level", "access_token_ttl", "multi_tenant", "issuer", "database", "password_time", "bootstrap_admin_email", "unknown_key"}
	if len(e.Problems) != len(keys) {
		t.Errorf("got %d problems, want %d: %q", len(e.Problems), len(keys), e.Problems)
	}
	for _, key := range keys {
		found := false
		for _, p := range e.Problems {
			if strings.HasPrefix(p, key+": ") {
				found = true
			}
		}
		if !found {
			t.Errorf("no problem starts with %q: %q", key+": ", e.Problems)
		}
	}
	if !strings.HasPrefix(err.Error(), "invalid configuration: ") {
		t.Errorf("message %q lacks the prefix", err)
	}
}

func TestFileErrorsAreOneLine(t *testing.T) {
	tests := []struct {
		name string
		file string
	}{
		{"duplicate key", "listen: \":1\"\nlisten: \":2\"\n"},
		{"not a mapping", "- listen\n- log_level\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, source{file: tt.file})
			if e := configError(t, err); !strings.HasPrefix(e.Problems[0], "config: ") {
				t.Errorf("problem %q does not name config", e.Problems[0])
			}
		})
	}
}

func TestNestedUnknownKey(t *testing.T) {
	_, err := load(t, source{file: "server:\n  listen: \":9000\"\n"})
	configError(t, err)
	if !strings.Contains(err.Error(), "server.listen") {
		t.Errorf("error %q does not name server.listen", err)
	}
}

func TestNullInFile(t *testing.T) {
	for _, file := range []string{"data_dir:\n", "master_key:\n", "issuer:\n"} {
		c, err := load(t, source{file: file})
		if err == nil && strings.Contains(fmt.Sprintf("%+v", *c), "<nil>") {
			t.Errorf("%q loaded as %+v", file, *c)
		}
		if err != nil && strings.Contains(err.Error(), "<nil>") {
			t.Errorf("%q: error %q shows <nil>", file, err)
		}
	}
}

func TestNonStringScalarInFile(t *testing.T) {
	for _, pw := range []string{"0x1F2E3D4C", "1234567.0"} {
		c, err := load(t, source{file: "bootstrap_admin_email: a@example.com\nbootstrap_admin_password: " + pw + "\n"})
		if err == nil && c.BootstrapAdminPassword != pw {
			t.Errorf("password %s loaded as %q, want it verbatim or an error", pw, c.BootstrapAdminPassword)
		}
	}
}
