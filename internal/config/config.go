package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/confmap"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/providers/posflag"
	"github.com/knadh/koanf/v2"
	"github.com/spf13/pflag"

	"github.com/gatehouse-iam/gatehouse/internal/mail"
	"github.com/gatehouse-iam/gatehouse/internal/password"
	"github.com/gatehouse-iam/gatehouse/internal/token"
)

// Config is the validated configuration of a Gatehouse server.
type Config struct {
	Listen                 string
	DataDir                string
	Database               string
	Issuer                 string
	MultiTenant            bool
	LogLevel               slog.Level
	AccessTokenTTL         time.Duration
	Password               password.Params
	PasswordConcurrency    int
	MasterKey              string
	BootstrapAdminEmail    string
	BootstrapAdminPassword string
	ShutdownTimeout        time.Duration
	// TrustedProxies are the peers whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// AuthRatePerSecond and AuthRateBurst size the per-IP token bucket of the
	// public auth endpoints; a rate of 0 turns it off.
	AuthRatePerSecond float64
	AuthRateBurst     int
	// SMTP is the mail server; without a Host mail stays in the outbox.
	SMTP mail.SMTPConfig
	// WebAuthnRPID and WebAuthnRPOrigins are the passkey relying party of
	// the system tenant (and of every request in single-tenant mode): by
	// default the issuer's host and origin. WebAuthnRPID is empty when the
	// issuer's host is an IP address and none is configured, since an IP
	// address cannot be a relying party id: passkeys are then unavailable.
	WebAuthnRPID      string
	WebAuthnRPOrigins []string
	// CredentialExpiryWarning is how long before an API or service
	// credential expires its owner is mailed a warning; 0 sends none.
	// CredentialExpiryCheck is how often one replica looks for them.
	CredentialExpiryWarning time.Duration
	CredentialExpiryCheck   time.Duration
	// SigningKeyRotation is how often one replica rotates the signing keys
	// of each algorithm; 0 leaves it to gatehouse keys rotate. SigningKeys
	// is each key's lead and retention time.
	SigningKeyRotation time.Duration
	SigningKeys        token.Timing
	// FederationPrivateNetworks lets external identity providers be
	// reached at private network addresses: an IdP inside the operator's
	// network. Loopback and link-local addresses stay refused.
	FederationPrivateNetworks bool
}

// setting is one configuration key: its flag (if any), default and help.
type setting struct {
	key, flag, def, help string
}

// settings lists every key. The environment variable is GATEHOUSE_ followed by
// the upper-cased key; the YAML file uses the key as written.
var settings = []setting{
	{"listen", "listen", ":8080", "address to listen on"},
	{"data_dir", "data-dir", ".", "directory for the SQLite file and the master key"},
	{"database", "database", "sqlite://gatehouse.db", "sqlite://PATH (relative to the data dir) or postgres://…"},
	{"issuer", "issuer", "", "public base URL (default: http://localhost:PORT from listen)"},
	{"multi_tenant", "multi-tenant", "false", "resolve the tenant from the Host header"},
	{"log_level", "log-level", "info", "debug, info, warn or error"},
	{"access_token_ttl", "access-token-ttl", "10m", "lifetime of access tokens"},
	{"password_time", "", "2", "argon2id iterations"},
	{"password_memory_kib", "", "19456", "argon2id memory in KiB"},
	{"password_threads", "", "1", "argon2id parallelism"},
	{"password_concurrency", "", "0", "password hashes run at once (0: number of CPUs)"},
	{"master_key", "", "", "base64 32-byte master key (default: the file gatehouse.key in the data dir)"},
	{"bootstrap_admin_email", "", "", "email of the first admin, created on start when no admin exists"},
	{"bootstrap_admin_password", "", "", "password of that first admin"},
	{"shutdown_timeout", "shutdown-timeout", "30s", "how long SIGTERM waits for in-flight requests"},
	{"trusted_proxies", "", "", "comma-separated addresses or CIDRs of reverse proxies whose X-Forwarded-For names the client"},
	{"auth_rate_per_second", "", "5", "requests per second each client IP may make to the public auth endpoints (0: no limit)"},
	{"auth_rate_burst", "", "20", "requests a client IP may make at once before the rate applies"},
	{"smtp_host", "", "", "SMTP server host name; empty keeps mail in the outbox, unsent"},
	{"smtp_port", "", "587", "SMTP server port"},
	{"smtp_tls", "", "starttls", "none, starttls or tls (implicit TLS, usually port 465)"},
	{"smtp_username", "", "", "SMTP user name (PLAIN or LOGIN authentication)"},
	{"smtp_password", "", "", "SMTP password"},
	{"smtp_from", "", "", "sender address, e.g. noreply@example.com; required with smtp_host"},
	{"smtp_from_name", "", "", "sender display name"},
	{"webauthn_rp_id", "", "", "passkey relying party id: a domain name (default: the issuer's host)"},
	{"webauthn_rp_origins", "", "", "comma-separated origins where passkeys are used (default: the issuer's origin)"},
	{"credential_expiry_warning", "", "168h", "how long before an API or service credential expires its owner is warned by mail (0: never)"},
	{"credential_expiry_check", "", "1h", "how often one replica looks for credentials to warn of"},
	{"signing_key_rotation", "", "2160h", "how often the token signing keys rotate (0: only by gatehouse keys rotate)"},
	{"signing_key_lead", "", "1h", "how long a new signing key is published in the JWKS before it signs; longer than clients cache the JWKS"},
	{"signing_key_retention", "", "25h", "how long a replaced signing key keeps verifying: the longest token lifetime (24h) plus clock skew"},
	{"federation_private_networks", "", "false", "let external identity providers be reached at private network addresses (an IdP inside your network)"},
}

// Keys returns every key with its default and help, for documentation.
func Keys() [][3]string {
	out := make([][3]string, len(settings))
	for i, s := range settings {
		out[i] = [3]string{s.key, s.def, s.help}
	}
	return out
}

// RegisterFlags adds the settings that have flags, plus --config, to fs.
func RegisterFlags(fs *pflag.FlagSet) {
	fs.String("config", "", "YAML configuration file")
	for _, s := range settings {
		switch {
		case s.flag == "":
		case s.key == "multi_tenant":
			fs.Bool(s.flag, false, s.help)
		default:
			fs.String(s.flag, "", s.help+" (default "+strconv.Quote(s.def)+")")
		}
	}
}

// Error lists every invalid key.
type Error struct {
	Problems []string
}

func (e *Error) Error() string {
	return "invalid configuration: " + strings.Join(e.Problems, "; ")
}

// Load reads defaults, then the file named by --config, then GATEHOUSE_*
// variables through getenv, then the flags set on fs, and validates the result.
// Errors are *Error.
func Load(fs *pflag.FlagSet, getenv func(string) string) (*Config, error) {
	k := koanf.New(".")
	defaults := map[string]any{}
	for _, s := range settings {
		defaults[s.key] = s.def
	}
	if err := k.Load(confmap.Provider(defaults, ""), nil); err != nil {
		return nil, err
	}
	if path, _ := fs.GetString("config"); path != "" {
		if err := k.Load(file.Provider(path), yaml.Parser()); err != nil {
			msg := strings.Join(strings.Fields(err.Error()), " ")
			return nil, &Error{Problems: []string{fmt.Sprintf("config: cannot read %s: %s", path, msg)}}
		}
	}
	env := map[string]any{}
	for _, s := range settings {
		if v := getenv("GATEHOUSE_" + strings.ToUpper(s.key)); v != "" {
			env[s.key] = v
		}
	}
	if err := k.Load(confmap.Provider(env, ""), nil); err != nil {
		return nil, err
	}
	flagKeys := map[string]string{}
	for _, s := range settings {
		if s.flag != "" {
			flagKeys[s.flag] = s.key
		}
	}
	err := k.Load(posflag.ProviderWithFlag(fs, ".", nil, func(f *pflag.Flag) (string, any) {
		key, ok := flagKeys[f.Name]
		if !ok || !f.Changed {
			return "", nil
		}
		return key, f.Value.String()
	}), nil)
	if err != nil {
		return nil, err
	}
	return parse(k)
}

func parse(k *koanf.Koanf) (*Config, error) {
	known := map[string]bool{}
	for _, s := range settings {
		known[s.key] = true
	}
	var problems []string
	bad := func(key, format string, args ...any) {
		problems = append(problems, key+": "+fmt.Sprintf(format, args...))
	}
	for _, key := range k.Keys() {
		if !known[key] {
			bad(key, "unknown setting")
		}
	}
	// raw is a setting's text. YAML may give numbers or booleans, which read
	// as written for most keys; secrets must be quoted strings, since YAML
	// would rewrite 0x1F or 1234567.0 before Gatehouse sees them.
	raw := func(key string, secret bool) string {
		switch v := k.Get(key).(type) {
		case nil:
			return ""
		case string:
			return v
		default:
			if secret {
				bad(key, "must be a quoted string in the config file")
				return ""
			}
			return fmt.Sprint(v)
		}
	}
	str := func(key string) string { return strings.TrimSpace(raw(key, false)) }
	duration := func(key string, lo, hi time.Duration) time.Duration {
		d, err := time.ParseDuration(str(key))
		if err != nil || d < lo || d > hi {
			bad(key, "must be a duration between %s and %s, got %q", lo, hi, str(key))
		}
		return d
	}
	integer := func(key string, lo, hi int) int {
		n, err := strconv.Atoi(str(key))
		if err != nil || n < lo || n > hi {
			bad(key, "must be an integer between %d and %d, got %q", lo, hi, str(key))
		}
		return n
	}
	c := &Config{
		Listen:                  str("listen"),
		DataDir:                 str("data_dir"),
		Database:                str("database"),
		Issuer:                  strings.TrimSuffix(str("issuer"), "/"),
		MasterKey:               strings.TrimSpace(raw("master_key", true)),
		BootstrapAdminEmail:     str("bootstrap_admin_email"),
		BootstrapAdminPassword:  raw("bootstrap_admin_password", true),
		AccessTokenTTL:          duration("access_token_ttl", time.Minute, 24*time.Hour),
		ShutdownTimeout:         duration("shutdown_timeout", 0, 10*time.Minute),
		CredentialExpiryWarning: duration("credential_expiry_warning", 0, 366*24*time.Hour),
		CredentialExpiryCheck:   duration("credential_expiry_check", time.Minute, 24*time.Hour),
		SigningKeyRotation:      duration("signing_key_rotation", 0, 10*366*24*time.Hour),
		SigningKeys: token.Timing{
			Lead: duration("signing_key_lead", 5*token.RefreshInterval, 30*24*time.Hour),
			// Tokens last up to 24 hours (a tenant's access_token_ttl).
			Retention: duration("signing_key_retention", 24*time.Hour, 366*24*time.Hour),
		},
		Password: password.Params{
			Time:      uint32(integer("password_time", 1, 100)),
			MemoryKiB: uint32(integer("password_memory_kib", 64, 4*1024*1024)),
			Threads:   uint8(integer("password_threads", 1, 64)),
		},
		PasswordConcurrency: integer("password_concurrency", 0, 1024),
	}
	mt, err := strconv.ParseBool(str("multi_tenant"))
	if err != nil {
		bad("multi_tenant", "must be true or false, got %q", str("multi_tenant"))
	}
	c.MultiTenant = mt
	fpn, err := strconv.ParseBool(str("federation_private_networks"))
	if err != nil {
		bad("federation_private_networks", "must be true or false, got %q", str("federation_private_networks"))
	}
	c.FederationPrivateNetworks = fpn
	if err := c.LogLevel.UnmarshalText([]byte(str("log_level"))); err != nil {
		bad("log_level", "must be debug, info, warn or error, got %q", str("log_level"))
	}
	host, port, err := net.SplitHostPort(c.Listen)
	if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
		bad("listen", "must be host:port or :port, got %q", c.Listen)
	}
	if c.DataDir == "" {
		bad("data_dir", "must not be empty")
	}
	if !strings.HasPrefix(c.Database, "sqlite://") && !strings.HasPrefix(c.Database, "postgres://") && !strings.HasPrefix(c.Database, "postgresql://") {
		bad("database", "must start with sqlite:// or postgres://")
	} else if c.Database == "sqlite://" {
		bad("database", "sqlite:// needs a file path")
	}
	if c.Issuer == "" {
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "localhost"
		}
		c.Issuer = "http://" + net.JoinHostPort(host, port)
	} else if u, err := url.Parse(c.Issuer); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		bad("issuer", "must be an absolute http(s) URL without query or fragment, got %q", c.Issuer)
	}
	if c.MasterKey != "" {
		if _, err := token.ParseMasterKey(c.MasterKey); err != nil {
			bad("master_key", "%v", err)
		}
	}
	if (c.BootstrapAdminEmail == "") != (c.BootstrapAdminPassword == "") {
		bad("bootstrap_admin_email", "bootstrap_admin_email and bootstrap_admin_password must be set together")
	}
	set := func(key string) bool { v := k.Get(key); return v != nil && v != "" }
	c.SMTP = parseSMTP(str, raw, integer, set, bad)
	rps, err := strconv.ParseFloat(str("auth_rate_per_second"), 64)
	if err != nil || rps < 0 || rps > 1e6 {
		bad("auth_rate_per_second", "must be a number between 0 and 1000000, got %q", str("auth_rate_per_second"))
	}
	c.AuthRatePerSecond = rps
	for _, entry := range strings.Split(str("trusted_proxies"), ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		prefix, err := netip.ParsePrefix(entry)
		if err != nil {
			addr, aerr := netip.ParseAddr(entry)
			if aerr != nil {
				bad("trusted_proxies", "%q is neither an address nor a CIDR", entry)
				continue
			}
			prefix = netip.PrefixFrom(addr, addr.BitLen())
		}
		c.TrustedProxies = append(c.TrustedProxies, prefix.Masked())
	}
	if c.SigningKeyRotation > 0 && c.SigningKeyRotation <= c.SigningKeys.Lead {
		bad("signing_key_rotation", "must be 0 or longer than signing_key_lead (%s), got %s", c.SigningKeys.Lead, c.SigningKeyRotation)
	}
	c.AuthRateBurst = integer("auth_rate_burst", 1, 1_000_000)
	c.WebAuthnRPID, c.WebAuthnRPOrigins = parseWebAuthn(c.Issuer, str("webauthn_rp_id"), str("webauthn_rp_origins"), bad)
	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, &Error{Problems: problems}
	}
	return c, nil
}

// parseSMTP reads the smtp_* keys. Only smtp_host turns sending on; the
// other keys are checked whatever it holds, so that a typo shows at once.
func parseSMTP(str func(string) string, raw func(string, bool) string, integer func(string, int, int) int,
	set func(string) bool, bad func(key, format string, args ...any)) mail.SMTPConfig {
	c := mail.SMTPConfig{
		Host:     str("smtp_host"),
		Port:     integer("smtp_port", 1, 65535),
		Username: str("smtp_username"),
		Password: raw("smtp_password", true),
		From:     str("smtp_from"),
		FromName: str("smtp_from_name"),
	}
	if c.Host != "" {
		if err := mail.CheckHost(c.Host); err != nil {
			bad("smtp_host", "%v", err)
		}
	}
	mode, err := mail.ParseTLSMode(strings.ToLower(str("smtp_tls")))
	if err != nil {
		bad("smtp_tls", "%v", err)
	}
	c.TLS = mode
	switch {
	case c.From != "":
		if err := mail.CheckAddress(c.From); err != nil {
			bad("smtp_from", "%v, got %q", err, c.From)
		}
	case c.Host != "":
		bad("smtp_from", "is required when smtp_host is set")
	}
	if strings.ContainsFunc(c.FromName, func(r rune) bool { return r < 0x20 || r == 0x7f }) || len(c.FromName) > 200 {
		bad("smtp_from_name", "must be one line of at most 200 bytes")
	}
	if (c.Username == "") != !set("smtp_password") {
		bad("smtp_username", "smtp_username and smtp_password must be set together")
	} else if err := mail.CheckAuth(c.Host, c.TLS, c.Username); err != nil && c.Host != "" && mode != "" {
		bad("smtp_username", "%v", err)
	}
	return c
}

// parseWebAuthn reads the passkey relying party: its id, a domain name that
// is each origin's host or a parent of it (WebAuthn Level 3 §5.1.3 lets an
// origin use its own domain or a registrable suffix of it), and the origins,
// each an http(s) scheme, host and optional port.
func parseWebAuthn(issuer, rpID, origins string, bad func(key, format string, args ...any)) (string, []string) {
	rpID = strings.ToLower(rpID)
	iss, err := url.Parse(issuer)
	if err != nil || (iss.Scheme != "http" && iss.Scheme != "https") || iss.Host == "" {
		return "", nil // the issuer's own problem is reported
	}
	switch {
	case rpID != "" && net.ParseIP(rpID) != nil:
		bad("webauthn_rp_id", "must be a domain name, not an IP address, got %q", rpID)
		return "", nil
	case rpID != "" && !validDomain(rpID):
		bad("webauthn_rp_id", "must be a domain name such as example.com, got %q", rpID)
		return "", nil
	case rpID == "" && net.ParseIP(iss.Hostname()) != nil:
		if origins != "" {
			bad("webauthn_rp_id", "must be set with webauthn_rp_origins when the issuer's host is an IP address")
		}
		return "", nil
	case rpID == "":
		rpID = strings.ToLower(iss.Hostname())
	}
	var out []string
	if origins == "" {
		origins = iss.Scheme + "://" + iss.Host
	}
	for _, o := range strings.Split(origins, ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
			bad("webauthn_rp_origins", "%q is not an origin such as https://id.example.com", o)
			continue
		}
		host := strings.ToLower(u.Hostname())
		if host != rpID && !strings.HasSuffix(host, "."+rpID) {
			bad("webauthn_rp_origins", "the host of %q is not %s or a subdomain of it (webauthn_rp_id)", o, rpID)
			continue
		}
		out = append(out, strings.ToLower(u.Scheme)+"://"+strings.ToLower(u.Host))
	}
	return rpID, out
}

// validDomain reports whether s is a host name of dot-separated labels of
// letters, digits and inner hyphens.
func validDomain(s string) bool {
	if len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
				return false
			}
		}
	}
	return true
}

// IsConfigError reports whether err is a configuration problem.
func IsConfigError(err error) bool {
	var e *Error
	return errors.As(err, &e)
}
