package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/spf13/cobra"

	"github.com/gatehouse-iam/gatehouse/internal/config"
	"github.com/gatehouse-iam/gatehouse/internal/directory"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/server"
	"github.com/gatehouse-iam/gatehouse/internal/token"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// usageError marks mistakes in the command line; they exit 2 like config errors.
type usageError struct{ error }

func exitCode(err error) int {
	var u usageError
	if config.IsConfigError(err) || errors.As(err, &u) {
		return 2
	}
	return 1
}

func build() server.Build {
	b := server.Build{Version: version, Commit: "unknown"}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				b.Commit = s.Value
			}
		}
	}
	return b
}

// run is the whole program; main only calls it.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout io.Writer) error {
	root := &cobra.Command{
		Use:           "gatehouse",
		Short:         "Gatehouse: identity and access management in one binary",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stdout)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	config.RegisterFlags(root.PersistentFlags())

	load := func(cmd *cobra.Command) (*config.Config, *slog.Logger, error) {
		cfg, err := config.Load(cmd.Flags(), getenv)
		if err != nil {
			return nil, nil, err
		}
		log := slog.New(slog.NewJSONHandler(stdout, &slog.HandlerOptions{Level: cfg.LogLevel}))
		// Libraries that log (zitadel/oidc) write to slog's default logger:
		// the same stream, at the same level.
		slog.SetDefault(log)
		return cfg, log, nil
	}
	open := func(cmd *cobra.Command) (*config.Config, *server.Server, error) {
		cfg, log, err := load(cmd)
		if err != nil {
			return nil, nil, err
		}
		srv, err := server.Open(ctx, server.Options{Config: cfg, Build: build(), Log: log})
		return cfg, srv, err
	}

	root.AddCommand(&cobra.Command{
		Use:   "serve",
		Short: "Run the server (migrates the database first)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, srv, err := open(cmd)
			if err != nil {
				return err
			}
			defer srv.Close()
			ln, err := net.Listen("tcp", cfg.Listen)
			if err != nil {
				return err
			}
			return srv.Serve(ctx, ln, stdout)
		},
	})

	root.AddCommand(&cobra.Command{
		Use:   "migrate",
		Short: "Apply database migrations and exit",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, log, err := load(cmd)
			if err != nil {
				return err
			}
			store, err := server.OpenStore(ctx, cfg, log)
			if err != nil {
				return err
			}
			fmt.Fprintln(stdout, "migrations are up to date")
			return store.Close()
		},
	})

	admin := &cobra.Command{Use: "admin", Short: "Manage administrators"}
	var email, tenantRef string
	var passwordStdin bool
	create := &cobra.Command{
		Use:   "create",
		Short: "Create a superadmin in the system tenant, or in the tenant --tenant names",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !passwordStdin {
				return usageError{errors.New("--password-stdin is required: pass the password on standard input")}
			}
			pw, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
			if err != nil && !errors.Is(err, io.EOF) {
				return err
			}
			pw = strings.TrimRight(pw, "\r\n")
			_, srv, err := open(cmd)
			if err != nil {
				return err
			}
			defer srv.Close()
			t, err := srv.OperatorTenant(ctx, tenantRef)
			if err != nil {
				return err
			}
			u, err := srv.Directory().BootstrapAdmin(ctx, t.ID, email, pw)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "created superadmin %s (%s)\nin tenant %s (%s)\n", u.Email, u.ID, t.Name, t.ID)
			return nil
		},
	}
	create.Flags().StringVar(&email, "email", "", "the admin's email")
	create.Flags().BoolVar(&passwordStdin, "password-stdin", false, "read the password from standard input")
	_ = create.MarkFlagRequired("email")
	list := &cobra.Command{
		Use:   "list",
		Short: "List the admins of the system tenant, or of the tenant --tenant names",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Listing needs the store alone: no keys, no bootstrap admin.
			cfg, log, err := load(cmd)
			if err != nil {
				return err
			}
			store, err := server.OpenStore(ctx, cfg, log)
			if err != nil {
				return err
			}
			defer store.Close()
			t, err := directory.OperatorTenant(ctx, store, tenantRef)
			if err != nil {
				return err
			}
			admins, err := directory.OperatorAdmins(ctx, store, t.ID)
			if err != nil {
				return err
			}
			return printAdmins(stdout, t, admins)
		},
	}
	for _, c := range []*cobra.Command{create, list} {
		c.Flags().StringVar(&tenantRef, "tenant", "", "the tenant's hostname or id (default: the system tenant)")
		admin.AddCommand(c)
	}
	root.AddCommand(admin)

	root.AddCommand(keysCommand(ctx, open, stdout))

	root.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b := build()
			fmt.Fprintf(stdout, "gatehouse %s (commit %s)\n", b.Version, b.Commit)
			return nil
		},
	})

	return describe(root.ExecuteContext(ctx))
}

// keysCommand is "gatehouse keys": rotate and list the token signing keys.
func keysCommand(ctx context.Context, open func(*cobra.Command) (*config.Config, *server.Server, error), stdout io.Writer) *cobra.Command {
	keys := &cobra.Command{Use: "keys", Short: "Rotate and list the token signing keys"}
	var (
		alg         string
		immediately bool
	)
	rotate := &cobra.Command{
		Use:   "rotate",
		Short: "Publish the next signing key of an algorithm; it signs after the lead time (signing_key_lead)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a := jose.SignatureAlgorithm(strings.ToUpper(alg))
			if !slices.Contains(token.Algorithms, a) {
				return usageError{fmt.Errorf("--alg must be ES256 or RS256, got %q", alg)}
			}
			_, srv, err := open(cmd)
			if err != nil {
				return err
			}
			defer srv.Close()
			k, err := srv.Keys().Rotate(ctx, a, immediately)
			if err != nil {
				return err
			}
			if k.State == token.KeyNext {
				fmt.Fprintf(stdout, "%s key %s is next: published in the JWKS now, it signs from %s\n",
					k.Algorithm, k.ID, k.ActivatesAt.Format(time.RFC3339))
				return nil
			}
			fmt.Fprintf(stdout, "%s key %s signs now\n", k.Algorithm, k.ID)
			if immediately {
				fmt.Fprintln(stdout, "warning: clients that fetched the JWKS before now refuse tokens of this key until they fetch it again;"+
					" other replicas sign with it within a minute")
			}
			return nil
		},
	}
	rotate.Flags().StringVar(&alg, "alg", string(jose.ES256), "the algorithm: ES256 (access tokens) or RS256 (ID tokens)")
	rotate.Flags().BoolVar(&immediately, "now", false, "sign with the new key at once (emergencies: clients that cached the JWKS refuse its tokens until they refetch)")
	list := &cobra.Command{
		Use:   "list",
		Short: "List the signing keys not yet retired: id, algorithm, state and times",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, srv, err := open(cmd)
			if err != nil {
				return err
			}
			defer srv.Close()
			infos, err := srv.Keys().List(ctx)
			if err != nil {
				return err
			}
			return printKeys(stdout, infos)
		},
	}
	keys.AddCommand(rotate, list)
	return keys
}

// printKeys writes one line per signing key; a key that no later key
// replaces yet has no retirement time.
func printKeys(stdout io.Writer, infos []token.KeyInfo) error {
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tALG\tSTATE\tCREATED\tACTIVATES\tRETIRES")
	for _, k := range infos {
		retires := "-"
		if !k.RetiresAt.IsZero() {
			retires = k.RetiresAt.Format(time.RFC3339)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Algorithm, k.State,
			k.CreatedAt.Format(time.RFC3339), k.ActivatesAt.Format(time.RFC3339), retires)
	}
	return w.Flush()
}

// printAdmins writes one line per admin, under a header naming the tenant.
func printAdmins(stdout io.Writer, t *iam.Tenant, admins []iam.Admin) error {
	fmt.Fprintf(stdout, "tenant %s (%s): %d admins\n", t.Name, t.ID, len(admins))
	if len(admins) == 0 {
		return nil
	}
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "EMAIL\tSTATUS\tROLES\tID")
	for _, a := range admins {
		roles := make([]string, len(a.Roles))
		for i, r := range a.Roles {
			roles[i] = r.Name
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", a.User.Email, a.User.Status, strings.Join(roles, ","), a.User.ID)
	}
	return w.Flush()
}

// describe turns an error into what the operator reads: command-line mistakes
// become usage errors; service errors show their message and invalid fields,
// never their internal cause.
func describe(err error) error {
	if err == nil || config.IsConfigError(err) {
		return err
	}
	msg := err.Error()
	for _, usage := range []string{"unknown command", "required flag", "accepts ", "unknown flag", "flag needs an argument"} {
		if strings.Contains(msg, usage) {
			return usageError{err}
		}
	}
	var e *iam.Error
	if !errors.As(err, &e) {
		return err
	}
	msg = e.Message
	if vs, ok := e.Details["violations"].([]map[string]string); ok {
		for _, v := range vs {
			msg += "; " + v["message"]
		}
	}
	if fields, ok := e.Details["fields"].(map[string]string); ok {
		names := make([]string, 0, len(fields))
		for name := range fields {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			msg += "; " + name + " " + fields[name]
		}
	}
	return errors.New(msg)
}
