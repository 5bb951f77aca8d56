package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/gatehouse-iam/gatehouse/internal/access"
	"github.com/gatehouse-iam/gatehouse/internal/account"
	"github.com/gatehouse-iam/gatehouse/internal/apicredential"
	"github.com/gatehouse-iam/gatehouse/internal/application"
	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/authn"
	"github.com/gatehouse-iam/gatehouse/internal/config"
	"github.com/gatehouse-iam/gatehouse/internal/credential"
	"github.com/gatehouse-iam/gatehouse/internal/directory"
	"github.com/gatehouse-iam/gatehouse/internal/federation"
	"github.com/gatehouse-iam/gatehouse/internal/httpapi"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/mail"
	"github.com/gatehouse-iam/gatehouse/internal/mfa"
	"github.com/gatehouse-iam/gatehouse/internal/oauth"
	"github.com/gatehouse-iam/gatehouse/internal/pages"
	"github.com/gatehouse-iam/gatehouse/internal/passkey"
	"github.com/gatehouse-iam/gatehouse/internal/password"
	"github.com/gatehouse-iam/gatehouse/internal/pat"
	"github.com/gatehouse-iam/gatehouse/internal/scimtoken"
	"github.com/gatehouse-iam/gatehouse/internal/secret"
	"github.com/gatehouse-iam/gatehouse/internal/serviceaccount"
	"github.com/gatehouse-iam/gatehouse/internal/settings"
	"github.com/gatehouse-iam/gatehouse/internal/sqlstore"
	"github.com/gatehouse-iam/gatehouse/internal/token"
)

// Build identifies the running binary.
type Build struct {
	Version string
	Commit  string
}

// Server is a configured Gatehouse: store, services and HTTP handler.
type Server struct {
	cfg         *config.Config
	build       Build
	log         *slog.Logger
	store       *sqlstore.Store
	keys        *token.Keys
	account     *account.Service
	directory   *directory.Service
	access      *access.Service
	credentials *credential.Service
	// apiCredentials runs API and service credentials.
	apiCredentials *apicredential.Service
	scimTokens     *scimtoken.Service
	// baseURL is a tenant's public base URL.
	baseURL         func(*iam.Tenant) string
	serviceAccounts *serviceaccount.Service
	applications    *application.Service
	oauth           *oauth.Provider
	pages           *pages.Pages
	authn           *authn.Chain
	// opaque are the bearer chain's verifiers of opaque secrets.
	opaque  map[string]authn.Authenticator
	hasher  *password.Hasher
	sender  *mail.Sender
	api     huma.API
	mux     muxes
	handler http.Handler
}

// Options are what a Server is built from. Now defaults to time.Now; tests
// set it to control token and session lifetimes.
type Options struct {
	Config *config.Config
	Build  Build
	Log    *slog.Logger
	Now    func() time.Time
	// Outbound fetches other parties' documents (an application's
	// jwks_uri); nil refuses private and loopback addresses
	// (oauth.OutboundClient). Tests name a client of their own servers.
	Outbound *http.Client
	// Resolver looks up the DNS records that prove an organization's
	// domains; nil is the system's. Tests name a DNS server of their own.
	Resolver federation.Resolver
}

// Open migrates the store, creates the system tenant, master key and signing
// keys on first start, creates the bootstrap admin when configured, and wires
// the services. Close releases the store.
func Open(ctx context.Context, opts Options) (*Server, error) {
	cfg, log := opts.Config, opts.Log
	if opts.Now == nil {
		opts.Now = time.Now
	}
	store, err := OpenStore(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	s, err := wire(ctx, opts, store)
	if err != nil {
		store.Close()
		return nil, err
	}
	return s, nil
}

// OpenStore creates the data directory if needed, then opens and migrates
// the configured store.
func OpenStore(ctx context.Context, cfg *config.Config, log *slog.Logger) (*sqlstore.Store, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	store, err := sqlstore.Open(ctx, cfg.Database, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	store.LogTo(log)
	n, err := store.Migrate(ctx)
	if err != nil {
		store.Close()
		return nil, err
	}
	if n > 0 {
		log.Info("migrations applied", "count", n, "dialect", store.Dialect())
	}
	if err := logAddressConflicts(ctx, store, log); err != nil {
		store.Close()
		return nil, err
	}
	return store, nil
}

// logAddressConflicts warns of each stored email address that migration
// 00006 could not normalise, at every start until an admin resolves it.
func logAddressConflicts(ctx context.Context, store *sqlstore.Store, log *slog.Logger) error {
	conflicts, err := store.EmailAddressConflicts(ctx)
	if err != nil {
		return err
	}
	for _, c := range conflicts {
		log.Warn("stored email address left unnormalised; resolve it, then delete its row of email_address_conflicts",
			"tenant_id", c.TenantID, "table", c.Source, "row", c.Key, "address", c.Address, "problem", c.Problem)
	}
	return nil
}

func wire(ctx context.Context, opts Options, store *sqlstore.Store) (*Server, error) {
	cfg, log, build, now := opts.Config, opts.Log, opts.Build, opts.Now
	master, err := masterKey(cfg, log)
	if err != nil {
		return nil, err
	}
	keys, err := token.LoadKeys(ctx, store, master, now, cfg.SigningKeys)
	if err != nil {
		return nil, err
	}
	concurrency := cfg.PasswordConcurrency
	if concurrency == 0 {
		concurrency = runtime.NumCPU()
	}
	hasher, err := password.NewHasher(cfg.Password, concurrency)
	if err != nil {
		return nil, err
	}
	issuer := token.NewIssuer(keys, now)
	baseURLs, err := directory.NewBaseURLs(cfg.Issuer, cfg.MultiTenant)
	if err != nil {
		return nil, err
	}
	st := settings.New(store, settings.Defaults(cfg.AccessTokenTTL), checkTemplate, now)
	transport, err := mailTransport(cfg)
	if err != nil {
		return nil, err
	}
	outbox := mail.NewOutbox(now, transport != nil)
	mailer := tenantMailer{outbox: outbox, settings: st}
	factors := mfa.New(mfa.Deps{Store: store, Master: master, Mailer: mailer, Settings: st, Issuer: "Gatehouse", Now: now})
	passkeys := passkey.New(passkey.Deps{Store: store, Now: now, RelyingParties: passkey.RelyingParties{
		ID: cfg.WebAuthnRPID, Origins: cfg.WebAuthnRPOrigins, MultiTenant: cfg.MultiTenant, BaseURL: baseURLs.Of}, StepUp: factors})
	// The caches the directory clears exist only after the account
	// service; a user's own changes reach them through this.
	var userCaches caches
	acc := account.New(account.Deps{Store: store, Hasher: hasher, Issuer: issuer, Settings: st,
		Mailer: mailer, Factors: factors, BaseURL: baseURLs.Of, Passkeys: passkeys, Now: now,
		UserChanged: func(userID string) { userCaches.ForgetUser(userID) }})
	pats := pat.New(pat.Deps{Store: store, Settings: st, StepUp: factors, Now: now})
	var authz *access.Service
	accounts := serviceaccount.New(store, factors, func() { authz.Invalidate() }, now)
	apiCreds := apicredential.New(apicredential.Deps{Store: store, StepUp: factors, ServiceAccounts: accounts, Mailer: mailer, Now: now})
	// Access tokens, enrollment tokens that may only enrol a second factor,
	// and the opaque secrets of each capability, by their prefixes.
	opaque := map[string]authn.Authenticator{
		account.EnrollmentTokenPrefix:                   authn.Func(acc.AuthenticateEnrollment),
		string(secret.PersonalAccessToken):              pats,
		string(secret.ClientSecret):                     accounts,
		string(apicredential.APICredentials.Secret):     apiCreds.Authenticator(apicredential.APICredentials),
		string(apicredential.ServiceCredentials.Secret): apiCreds.Authenticator(apicredential.ServiceCredentials),
	}
	bearer := authn.NewChain(acc, opaque)
	authz = access.New(store, bearer, now)
	tenants := newTenantResolver(store, cfg.MultiTenant, baseURLs.SystemHost())
	userCaches = caches{account: acc, pats: pats, tenants: tenants, access: authz}
	dir := directory.New(store, hasher, userCaches, st, baseURLs.SystemHost(), factors, now)
	system, created, err := dir.EnsureSystemTenant(ctx)
	if err != nil {
		return nil, fmt.Errorf("system tenant: %w", err)
	}
	if created {
		log.Info("created the system tenant", "tenant_id", system.ID)
	}
	if cfg.BootstrapAdminEmail != "" {
		if err := bootstrapAdmin(ctx, dir, system.ID, cfg, log); err != nil {
			return nil, err
		}
	}
	s := &Server{cfg: cfg, build: build, log: log, store: store, keys: keys, account: acc, directory: dir, access: authz,
		authn: bearer, opaque: opaque, hasher: hasher, serviceAccounts: accounts, apiCredentials: apiCreds}
	if transport != nil {
		s.sender = mail.NewSender(store, transport, now, log, mail.SenderOptions{})
	} else {
		log.Info("no smtp_host: mail is kept in the outbox, unsent (GET /api/v1/outbox)")
	}
	metrics := newMetrics()
	s.mux = newMuxes()
	s.credentials = credential.New(store, hasher, st, factors, now)
	s.scimTokens = scimtoken.New(store, factors, now)
	s.baseURL = baseURLs.Of
	s.applications = application.New(store, baseURLs.Of, now)
	outbound := opts.Outbound
	switch {
	case outbound != nil:
	case cfg.FederationPrivateNetworks:
		outbound = oauth.OutboundClientToPrivateNetworks()
	default:
		outbound = oauth.OutboundClient()
	}
	resolver := opts.Resolver
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	federated := federation.New(federation.Deps{Store: store, Sealer: master, Client: outbound, Resolver: resolver, BaseURL: baseURLs.Of, Now: now})
	if s.oauth, err = oauth.New(oauth.Deps{Store: store, Audit: audit.NewBatcher(store), Apps: s.applications, ServiceAccounts: accounts,
		Registrar: s.applications, Policies: st, Keys: keys, Issuer: issuer, Bearer: bearer,
		BaseURL: baseURLs.Of, Sealer: master, SessionsEnded: acc.ForgetUser, Outbound: opts.Outbound, Factors: factors, Now: now}); err != nil {
		return nil, err
	}
	s.api = httpapi.New(s.mux.rest, build.Version, httpapi.Services{Directory: dir, Account: acc, MFA: factors, Access: authz, Credentials: s.credentials,
		APICredentials: apiCreds,
		Audit:          audit.NewLog(store), Settings: st, Outbox: mail.NewOutboxLog(store, func(ctx context.Context, p *iam.Principal, m *iam.Mail) (bool, error) {
			return access.MayReadMail(ctx, store, p, m)
		}),
		Passkeys: passkeys, PATs: pats, SCIMTokens: s.scimTokens, ServiceAccounts: accounts, Applications: s.applications, Federation: federated, OAuth: s.oauth, Logins: metrics, BaseURL: baseURLs.Of})
	if s.pages, err = pages.New(pages.Deps{Account: acc, MFA: factors, Passkeys: passkeys, PATs: pats, Settings: st,
		Audit: store, BaseURL: baseURLs.Of, OAuth: s.oauth, Federation: federated, Now: now}); err != nil {
		return nil, err
	}
	limiter := newIPLimiter(cfg.AuthRatePerSecond, cfg.AuthRateBurst, store, now)
	s.routes(metrics, now)
	metrics.watchHasher(hasher)
	s.handler = s.surfaces(metrics, tenants, limiter)
	return s, nil
}

func masterKey(cfg *config.Config, log *slog.Logger) (*token.MasterKey, error) {
	if cfg.MasterKey != "" {
		k, err := token.ParseMasterKey(cfg.MasterKey)
		if err != nil {
			return nil, fmt.Errorf("master_key: %w", err)
		}
		return k, nil
	}
	path := filepath.Join(cfg.DataDir, token.MasterKeyFile)
	k, created, err := token.LoadOrCreateMasterKey(path)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	if created {
		log.Warn("created a new master key; back it up, it decrypts the signing keys", "path", path)
	}
	return k, nil
}

func bootstrapAdmin(ctx context.Context, dir *directory.Service, tenantID string, cfg *config.Config, log *slog.Logger) error {
	u, err := dir.EnsureBootstrapAdmin(ctx, tenantID, cfg.BootstrapAdminEmail, cfg.BootstrapAdminPassword)
	switch {
	case iam.IsCode(err, iam.CodeEmailTaken):
		log.Warn("not creating the bootstrap admin: a user with that email exists and is not promoted; use gatehouse admin create",
			"email", cfg.BootstrapAdminEmail)
	case err != nil:
		return fmt.Errorf("bootstrap admin: %w", err)
	case u != nil:
		log.Info("created the bootstrap admin", "user_id", u.ID, "email", u.Email)
	}
	return nil
}

// Handler is the whole HTTP surface with its middleware.
func (s *Server) Handler() http.Handler { return s.handler }

// OpenAPI is the generated OpenAPI document.
func (s *Server) OpenAPI() *huma.OpenAPI { return s.api.OpenAPI() }

// Directory is the directory service, for the CLI and bench seeding.
func (s *Server) Directory() *directory.Service { return s.directory }

// Keys are the token signing keys, for the command line.
func (s *Server) Keys() *token.Keys { return s.keys }

// Access is the access service, for bench seeding.
func (s *Server) Access() *access.Service { return s.access }

// SystemTenant returns the system tenant.
func (s *Server) SystemTenant(ctx context.Context) (*iam.Tenant, error) {
	return s.store.SystemTenant(ctx)
}

// OperatorTenant finds a tenant by id or hostname for the command line; ""
// is the system tenant (directory.OperatorTenant).
func (s *Server) OperatorTenant(ctx context.Context, ref string) (*iam.Tenant, error) {
	return directory.OperatorTenant(ctx, s.store, ref)
}

// Close releases the store.
func (s *Server) Close() error { return s.store.Close() }

// Serve answers HTTP on ln until ctx ends, then stops taking connections and
// waits up to the shutdown timeout for in-flight requests.
func (s *Server) Serve(ctx context.Context, ln net.Listener, banner io.Writer) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	base := s.cfg.Issuer
	if strings.HasSuffix(s.cfg.Listen, ":0") {
		// The port was chosen by the system; only the listener knows it.
		base = "http://" + ln.Addr().String()
	}
	fmt.Fprintf(banner, "Gatehouse %s listening on %s\n", s.build.Version, ln.Addr())
	fmt.Fprintf(banner, "  issuer:   %s\n  API docs: %s/docs\n  health:   %s/healthz\n", s.cfg.Issuer, base, base)
	if s.sender != nil {
		// The sender stops after the HTTP server, and Serve returns only
		// when a mail in flight is marked sent: the store closes after.
		senderCtx, stopSender := context.WithCancel(context.WithoutCancel(ctx))
		senderDone := make(chan struct{})
		defer func() {
			stopSender()
			<-senderDone
		}()
		go func() {
			defer close(senderDone)
			if err := s.sender.Run(senderCtx); err != nil && senderCtx.Err() == nil {
				s.log.Error("mail sender stopped", "error", err)
			}
		}()
	}
	holder := replicaID()
	if s.cfg.CredentialExpiryWarning > 0 {
		defer startJob(ctx, func(ctx context.Context) {
			s.apiCredentials.RunWarnings(ctx, holder, s.cfg.CredentialExpiryWarning, s.cfg.CredentialExpiryCheck, s.log)
		})()
	}
	// Every replica rereads the signing keys, to publish a next key and sign
	// with it when it activates; one at a time rotates them.
	defer startJob(ctx, func(ctx context.Context) { s.keys.Run(ctx, holder, s.cfg.SigningKeyRotation, s.log) })()
	defer startJob(ctx, func(ctx context.Context) { s.oauth.Run(ctx, s.log) })()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down", "timeout", s.cfg.ShutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// startJob runs job in the background until Serve returns, and returns the
// function that stops it and waits for it to end.
func startJob(ctx context.Context, job func(context.Context)) func() {
	jobCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		job(jobCtx)
	}()
	return func() {
		stop()
		<-done
	}
}

// replicaID names this process as the holder of leases: its host and a
// random suffix, so that two processes on one host differ.
func replicaID() string {
	host, _ := os.Hostname()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return host + "-" + hex.EncodeToString(b)
}

// caches are what the directory makes forget when users, memberships or
// tenants change.
type caches struct {
	account *account.Service
	pats    *pat.Service
	tenants *tenantResolver
	access  *access.Service
}

func (c caches) ForgetUser(userID string) {
	c.account.ForgetUser(userID)
	c.pats.ForgetUser(userID)
	c.access.Invalidate()
}

func (c caches) ForgetAll() {
	c.account.ForgetAll()
	c.pats.ForgetAll()
	c.tenants.forgetAll()
	c.access.Invalidate()
}

func (c caches) AccessChanged() { c.access.Invalidate() }

// tenantMailer queues mails with the tenant's template overrides.
type tenantMailer struct {
	outbox   *mail.Outbox
	settings *settings.Service
}

func (m tenantMailer) Queue(ctx context.Context, tx iam.Tx, tenantID, to, kind string, data map[string]string) error {
	st, err := m.settings.For(ctx, tenantID)
	if err != nil {
		return err
	}
	overrides := make(map[string]mail.Template, len(st.Mail.Templates))
	for k, t := range st.Mail.Templates {
		overrides[k] = mail.Template{Subject: t.Subject, Text: t.Text, HTML: t.HTML}
	}
	return m.outbox.Queue(ctx, tx, tenantID, to, kind, data, overrides)
}

func checkTemplate(kind string, t settings.MailTemplate) error {
	return mail.ValidateTemplate(kind, mail.Template{Subject: t.Subject, Text: t.Text, HTML: t.HTML})
}

// mailTransport is SMTP when a host is configured; nil keeps mail in the
// outbox for the admin console (the embedded default).
func mailTransport(cfg *config.Config) (mail.Transport, error) {
	if cfg.SMTP.Host == "" {
		return nil, nil
	}
	return mail.NewSMTP(cfg.SMTP)
}
