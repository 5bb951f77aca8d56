package federation

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// TestGitHubIdentity: GitHub's user endpoint names the person by a number
// and may show no address or a public one; the address used is the
// primary one of /user/emails, verified only as GitHub says. Run against
// a test server answering as GitHub's API does.
func TestGitHubIdentity(t *testing.T) {
	emails := `[{"email":"old@example.com","primary":false,"verified":true},{"email":"Octo@Example.com","primary":true,"verified":false}]`
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer gho_token" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/user":
			_, _ = w.Write([]byte(`{"login":"octocat","id":583231,"name":"The Octocat","email":"public@example.com"}`))
		case "/user/emails":
			_, _ = w.Write([]byte(emails))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer api.Close()
	s := New(Deps{Client: api.Client(), Now: time.Now})
	pr := &Provider{FederatedProvider: &iam.FederatedProvider{Kind: iam.ProviderOAuth2},
		Settings: Settings{Preset: PresetGitHub, UserInfoURL: api.URL + "/user"}}
	tok := &oauth2.Token{AccessToken: "gho_token", TokenType: "Bearer"}

	claims, err := s.userInfo(t.Context(), pr, tok)
	if err != nil {
		t.Fatal(err)
	}
	idn := readClaims(pr, claims)
	if idn.Subject != "583231" || idn.Email != "octo@example.com" || idn.EmailVerified || idn.Name != "The Octocat" {
		t.Fatalf("identity %+v", idn)
	}
	emails = `[{"email":"octo@example.com","primary":true,"verified":true}]`
	claims, err = s.userInfo(t.Context(), pr, tok)
	if err != nil {
		t.Fatal(err)
	}
	if idn := readClaims(pr, claims); !idn.EmailVerified {
		t.Fatalf("a verified primary address: %+v", idn)
	}
	emails = `[]`
	claims, err = s.userInfo(t.Context(), pr, tok)
	if err != nil {
		t.Fatal(err)
	}
	if idn := readClaims(pr, claims); idn.Email != "" {
		t.Fatalf("without a primary address the public one was used: %+v", idn)
	}
	if _, err := s.userInfo(t.Context(), pr, &oauth2.Token{AccessToken: "wrong", TokenType: "Bearer"}); err == nil {
		t.Fatal("a refused token read a user")
	}
}

// microsoftDiscovery answers as Entra ID's multi-tenant discovery does:
// its issuer is a template.
type microsoftDiscovery struct{}

func (microsoftDiscovery) RoundTrip(r *http.Request) (*http.Response, error) {
	body := `{"issuer":"https://login.microsoftonline.com/{tenantid}/v2.0",` +
		`"authorization_endpoint":"https://login.microsoftonline.com/common/oauth2/v2.0/authorize",` +
		`"token_endpoint":"https://login.microsoftonline.com/common/oauth2/v2.0/token",` +
		`"jwks_uri":"https://login.microsoftonline.com/common/discovery/v2.0/keys","id_token_signing_alg_values_supported":["RS256"]}`
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
}

// TestDiscoveryFailuresAreKeptApart: a plain OIDC provider naming
// Microsoft's common issuer fails discovery (the issuer is a template);
// that failure is not answered to the Microsoft preset providers.
func TestDiscoveryFailuresAreKeptApart(t *testing.T) {
	s := New(Deps{Client: &http.Client{Transport: microsoftDiscovery{}}, Now: time.Now})
	issuer := "https://login.microsoftonline.com/common/v2.0"
	if _, err := s.discover(t.Context(), Settings{Issuer: issuer}); err == nil {
		t.Fatal("plain discovery of the common endpoint passed")
	}
	if _, err := s.discover(t.Context(), Settings{Preset: PresetMicrosoft, MicrosoftTenant: "common", Issuer: issuer}); err != nil {
		t.Errorf("the preset provider got another provider's failure: %v", err)
	}
}
