package federation

import (
	"net/http"
	"net/http/httptest"
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
