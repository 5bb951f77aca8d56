package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/spf13/pflag"

	"github.com/gatehouse-iam/gatehouse/internal/access"
	"github.com/gatehouse-iam/gatehouse/internal/config"
	"github.com/gatehouse-iam/gatehouse/internal/directory"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/permission"
	"github.com/gatehouse-iam/gatehouse/internal/server"
)

// The authorization data set the issue names.
const (
	seedUsers         = 10_000
	seedOrgs          = 100
	seedRoles         = 1_000 // half templates, half organizations' own (5 each)
	seedPermsPerRole  = 20
	seedNamespaces    = 10 // × 20 permissions = 200 permissions
	seedGroups        = 50
	seedMemberships   = 2 // organizations per user, 2 roles in each
	seedTenantWideOne = 5 // every fifth user holds a template tenant-wide
)

// seeded is what the load run needs to know about the seeded data.
type seeded struct {
	users []string
	orgs  []string
	perms []string
	// member maps a user to the organizations they belong to.
	member map[string][]string
}

// seed fills dataDir's database through the real services, then closes it,
// so that the server binary starts on it.
func seed(dataDir string) (*seeded, error) {
	ctx := context.Background()
	vars := map[string]string{"GATEHOUSE_DATA_DIR": dataDir, "GATEHOUSE_BOOTSTRAP_ADMIN_EMAIL": email, "GATEHOUSE_BOOTSTRAP_ADMIN_PASSWORD": password}
	fs := pflag.NewFlagSet("seed", pflag.ContinueOnError)
	config.RegisterFlags(fs)
	cfg, err := config.Load(fs, func(k string) string { return vars[k] })
	if err != nil {
		return nil, err
	}
	srv, err := server.Open(ctx, server.Options{Config: cfg, Log: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	tenant, err := srv.SystemTenant(ctx)
	if err != nil {
		return nil, err
	}
	ctx = iam.WithTenant(ctx, tenant)
	ctx = iam.WithPrincipal(ctx, &iam.Principal{Kind: iam.PrincipalUser, ID: "bench-seed", TenantID: tenant.ID, UserID: "bench-seed", Permissions: []string{permission.All}})
	dir, acc := srv.Directory(), srv.Access()
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Now()
	out := &seeded{member: map[string][]string{}}

	for ns := range seedNamespaces {
		for p := range seedPermsPerRole {
			name := fmt.Sprintf("app%d.p%d", ns, p)
			if _, err := acc.CreatePermission(ctx, access.PermissionInput{Name: name}); err != nil {
				return nil, err
			}
			out.perms = append(out.perms, name)
		}
	}
	permsOf := func(ns int) []string { return out.perms[ns*seedPermsPerRole : (ns+1)*seedPermsPerRole] }
	for i := range seedOrgs {
		o, err := dir.CreateOrganization(ctx, directory.OrgInput{Name: fmt.Sprintf("Org %d", i), Alias: fmt.Sprintf("org-%d", i)})
		if err != nil {
			return nil, err
		}
		out.orgs = append(out.orgs, o.ID)
	}
	var templates []string
	orgRoles := map[string][]string{}
	for i := range seedRoles {
		in := access.RoleInput{Name: fmt.Sprintf("role-%d", i), Permissions: permsOf(i % seedNamespaces)}
		if i%2 == 1 {
			in.OrganizationID = out.orgs[(i/2)%seedOrgs]
		}
		r, err := acc.CreateRole(ctx, in)
		if err != nil {
			return nil, err
		}
		if r.OrganizationID == "" {
			templates = append(templates, r.ID)
		} else {
			orgRoles[r.OrganizationID] = append(orgRoles[r.OrganizationID], r.ID)
		}
	}
	var groups []string
	for i := range seedGroups {
		g, err := dir.CreateGroup(ctx, directory.GroupInput{Name: fmt.Sprintf("group-%d", i)})
		if err != nil {
			return nil, err
		}
		for range 2 {
			if err := dir.AddGroupRole(ctx, g.ID, templates[rng.IntN(len(templates))]); err != nil {
				return nil, err
			}
		}
		groups = append(groups, g.ID)
	}
	for i := range seedUsers {
		u, err := dir.CreateUser(ctx, directory.NewUser{Email: fmt.Sprintf("user%d@bench.test", i), Name: fmt.Sprintf("User %d", i)})
		if err != nil {
			return nil, err
		}
		out.users = append(out.users, u.ID)
		if i%seedTenantWideOne == 0 {
			if err := acc.AssignUserRole(ctx, u.ID, templates[rng.IntN(len(templates))]); err != nil {
				return nil, err
			}
		}
		if err := dir.AddGroupMember(ctx, groups[rng.IntN(len(groups))], u.ID); err != nil {
			return nil, err
		}
		for range seedMemberships {
			org := out.orgs[rng.IntN(len(out.orgs))]
			roles := []string{templates[rng.IntN(len(templates))], orgRoles[org][rng.IntN(len(orgRoles[org]))]}
			if _, err := dir.SetMember(ctx, org, u.ID, roles); err != nil {
				return nil, err
			}
			out.member[u.ID] = append(out.member[u.ID], org)
		}
	}
	fmt.Printf("seeded %d users, %d organizations, %d roles (%d permissions each), %d permissions, %d groups in %s\n",
		seedUsers, seedOrgs, seedRoles, seedPermsPerRole, len(out.perms), seedGroups, time.Since(start).Round(time.Second))
	return out, nil
}
