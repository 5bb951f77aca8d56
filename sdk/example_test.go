package sdk_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/gatehouse-iam/gatehouse/sdk"
)

// In these examples a small in-memory stand-in plays Gatehouse, so that they
// run as tests; in a real service, pass your Gatehouse's URL instead, such as
// "https://iam.example.com".

// A resource server accepts Gatehouse's access tokens and lets a route
// through only for callers holding a permission.
func Example() {
	gatehouse := newGatehouse() // stands in for https://iam.example.com
	defer gatehouse.Close()
	gatehouse.grant("alice", "invoices.read", "")

	verifier := sdk.NewVerifier(gatehouse.URL)
	client := sdk.NewClient(gatehouse.URL)
	authenticate := sdk.Authenticate(verifier)
	mayRead := sdk.RequirePermission(client, "invoices.read")

	mux := http.NewServeMux()
	mux.Handle("GET /invoices", authenticate(mayRead(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "invoices of %s\n", sdk.ClaimsFrom(r.Context()).Subject)
		}))))

	for _, token := range []string{gatehouse.token("alice"), gatehouse.token("bob"), ""} {
		r := httptest.NewRequest("GET", "/invoices", nil)
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		fmt.Print(w.Code, " ", w.Body)
	}
	// Output:
	// 200 invoices of alice
	// 403 {"code":"forbidden","message":"permission \"invoices.read\" is required"}
	// 401 {"code":"unauthenticated","message":"a bearer access token is required"}
}

// The organization a request is about often comes from its path.
func ExampleWithOrganization() {
	gatehouse := newGatehouse()
	defer gatehouse.Close()
	gatehouse.grant("alice", "invoices.read", "acme")

	mayRead := sdk.RequirePermission(sdk.NewClient(gatehouse.URL), "invoices.read",
		sdk.WithOrganization(func(r *http.Request) string { return r.PathValue("org") }),
		sdk.WithCacheTTL(2*time.Second))
	authenticate := sdk.Authenticate(sdk.NewVerifier(gatehouse.URL))

	mux := http.NewServeMux()
	mux.Handle("GET /orgs/{org}/invoices", authenticate(mayRead(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "invoices of", r.PathValue("org")) }))))

	for _, org := range []string{"acme", "globex"} {
		r := httptest.NewRequest("GET", "/orgs/"+org+"/invoices", nil)
		r.Header.Set("Authorization", "Bearer "+gatehouse.token("alice"))
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		fmt.Println(org, w.Code)
	}
	// Output:
	// acme 200
	// globex 403
}

func ExampleVerifier_Verify() {
	gatehouse := newGatehouse()
	defer gatehouse.Close()

	// One Verifier per issuer, shared by all requests.
	verifier := sdk.NewVerifier(gatehouse.URL, sdk.WithLeeway(10*time.Second))

	claims, err := verifier.Verify(context.Background(), gatehouse.token("alice"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(claims.Subject, claims.TenantID, claims.AMR)

	_, err = verifier.Verify(context.Background(), "not-a-token")
	fmt.Println(errors.Is(err, sdk.ErrInvalidToken))
	// Output:
	// alice tenant-1 [pwd]
	// true
}

func ExampleNewClient() {
	gatehouse := newGatehouse()
	defer gatehouse.Close()

	// A token function lets the client renew a token that expires.
	client := sdk.NewClient(gatehouse.URL,
		sdk.WithTokenFunc(func(ctx context.Context) (string, error) {
			return gatehouse.serviceToken(), nil // from your token cache
		}),
		sdk.WithHTTPClient(&http.Client{Timeout: 3 * time.Second}))

	d, err := client.Check(context.Background(), sdk.CheckRequest{
		Subject:    sdk.UserSubject("alice"),
		Permission: "invoices.read",
	})
	fmt.Println(d.Allowed, err)
	// Output: false <nil>
}

func ExampleClient_Check() {
	gatehouse := newGatehouse()
	defer gatehouse.Close()
	gatehouse.grant("alice", "invoices.read", "acme")

	// The client's token holds authz.check: it may ask about anyone.
	client := sdk.NewClient(gatehouse.URL, sdk.WithToken(gatehouse.serviceToken()))
	d, err := client.Check(context.Background(), sdk.CheckRequest{
		Subject:      sdk.UserSubject("alice"),
		Permission:   "invoices.read",
		Organization: "acme",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.Allowed, d.Reason)
	// Output: true granted directly
}

func ExampleClient_CheckBatch() {
	gatehouse := newGatehouse()
	defer gatehouse.Close()
	gatehouse.grant("alice", "invoices.read", "")

	client := sdk.NewClient(gatehouse.URL, sdk.WithToken(gatehouse.serviceToken()))
	decisions, err := client.CheckBatch(context.Background(), []sdk.CheckRequest{
		{Subject: sdk.UserSubject("alice"), Permission: "invoices.read"},
		{Subject: sdk.UserSubject("alice"), Permission: "invoices.write"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range decisions {
		fmt.Println(d.Allowed)
	}
	// Output:
	// true
	// false
}

// Setting up an application's permissions, a role and a member.
func ExampleClient_SetMemberRoles() {
	gatehouse := newGatehouse()
	defer gatehouse.Close()
	ctx := context.Background()
	admin := sdk.NewClient(gatehouse.URL, sdk.WithToken(gatehouse.serviceToken()))

	_, err := admin.CreatePermission(ctx, sdk.CreatePermissionRequest{Name: "invoices.read", Description: "Read invoices"})
	if err != nil {
		fmt.Println(err)
		return
	}
	role, err := admin.CreateRole(ctx, sdk.CreateRoleRequest{Name: "accountant", Permissions: []string{"invoices.read"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	org, err := admin.CreateOrganization(ctx, sdk.CreateOrganizationRequest{Name: "Acme Corp", Alias: "acme"})
	if err != nil {
		fmt.Println(err)
		return
	}
	user, err := admin.CreateUser(ctx, sdk.CreateUserRequest{Email: "ada@example.com", Name: "Ada Lovelace"})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := admin.SetMemberRoles(ctx, org.ID, user.ID, []string{role.ID}); err != nil {
		fmt.Println(err)
		return
	}

	for _, organization := range []string{"acme", ""} {
		d, _ := admin.Check(ctx, sdk.CheckRequest{Subject: sdk.UserSubject(user.ID), Permission: "invoices.read", Organization: organization})
		fmt.Printf("in %q: %v\n", organization, d.Allowed)
	}
	// Output:
	// in "acme": true
	// in "": false
}

func ExampleClient_ListUsers() {
	gatehouse := newGatehouse()
	defer gatehouse.Close()
	ctx := context.Background()
	admin := sdk.NewClient(gatehouse.URL, sdk.WithToken(gatehouse.serviceToken()))
	for _, name := range []string{"ada", "alan", "grace"} {
		if _, err := admin.CreateUser(ctx, sdk.CreateUserRequest{Email: name + "@example.com", Name: name}); err != nil {
			fmt.Println(err)
			return
		}
	}

	page, err := admin.ListUsers(ctx, sdk.ListUsersOptions{Search: "a", Limit: 20, OrderBy: "-created_at"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(page.Total, page.Data[0].Email)
	// Output: 3 ada@example.com
}

// Failed calls return an *sdk.Error in Gatehouse's error shape.
func ExampleError() {
	gatehouse := newGatehouse()
	defer gatehouse.Close()
	ctx := context.Background()
	admin := sdk.NewClient(gatehouse.URL, sdk.WithToken(gatehouse.serviceToken()))

	in := sdk.CreateUserRequest{Email: "ada@example.com", Name: "Ada Lovelace"}
	_, _ = admin.CreateUser(ctx, in)
	_, err := admin.CreateUser(ctx, in)

	var e *sdk.Error
	if errors.As(err, &e) {
		fmt.Println(e.Status, e.Code, e.Message)
	}
	// Output: 409 conflict the email is taken
}

// Do reaches endpoints that have no typed method.
func ExampleClient_Do() {
	gatehouse := newGatehouse()
	defer gatehouse.Close()
	client := sdk.NewClient(gatehouse.URL)

	var keys struct {
		Keys []struct {
			KeyID string `json:"kid"`
			Alg   string `json:"alg"`
		} `json:"keys"`
	}
	if err := client.Do(context.Background(), http.MethodGet, "/oauth2/keys", nil, &keys); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(keys.Keys[0].KeyID, keys.Keys[0].Alg)
	// Output: key-1 ES256
}
