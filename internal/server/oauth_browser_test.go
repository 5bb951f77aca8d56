package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/gatehouse-iam/gatehouse/internal/browsertest"
)

// TestOAuthCodeFlowInChromium: a native application on a loopback port
// signs a person in through the hosted pages in headless Chromium: the
// sign-in form, the consent page (checked with axe-core and kept as a
// screenshot), then back to the application, which the pages' form-action
// lets the browser reach after the forms.
func TestOAuthCodeFlowInChromium(t *testing.T) {
	chromium := browsertest.New(t)
	h := oauthHarness(t)
	admin := h.admin()
	userID := h.createUser(admin, "ada@example.com", "correct horse 7 battery")
	callback := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "<!doctype html><title>App</title><p>Signed in to the app.</p>")
	}))
	defer callback.Close()
	app := h.createApplication(admin, map[string]any{"name": "Terminal", "type": "native",
		"redirect_uris": []string{callback.URL + "/callback"}, "require_consent": true})
	ctx := oidc.ClientContext(t.Context(), h.ts.Client())
	provider, err := oidc.NewProvider(ctx, h.ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	conf := oauth2.Config{ClientID: app["client_id"].(string), Endpoint: provider.Endpoint(), RedirectURL: callback.URL + "/callback",
		Scopes: []string{oidc.ScopeOpenID, "email"}}
	verifier := oauth2.GenerateVerifier()

	tab := chromium.Tab(t)
	tab.Open(conf.AuthCodeURL("chromium", oauth2.S256ChallengeOption(verifier)))
	tab.Fill("Email address", "ada@example.com")
	tab.Fill("Password", "correct horse 7 battery")
	tab.Press("Sign in")
	if text := tab.Text(); !strings.Contains(text, "Terminal asks to:") || !strings.Contains(text, "See your email address") {
		t.Fatalf("after sign-in the browser is at %s: %s", tab.URL(), text)
	}
	visit(tab, "oauth-consent")
	tab.Press("Allow")
	u, err := url.Parse(tab.URL())
	if err != nil || !strings.HasPrefix(u.String(), callback.URL+"/callback") || u.Query().Get("state") != "chromium" {
		t.Fatalf("after consent the browser is at %s: %s", tab.URL(), tab.Text())
	}
	tok, err := conf.Exchange(ctx, u.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	idToken, err := provider.Verifier(&oidc.Config{ClientID: conf.ClientID}).Verify(context.WithoutCancel(ctx), tok.Extra("id_token").(string))
	if err != nil || idToken.Subject != userID {
		t.Fatalf("ID token: %v, %v", idToken, err)
	}

	// The session signs in again without a form; the device page too.
	tab.Open(conf.AuthCodeURL("again", oauth2.S256ChallengeOption(verifier)))
	if !strings.HasPrefix(tab.URL(), callback.URL+"/callback") {
		t.Errorf("the second sign-in stopped at %s: %s", tab.URL(), tab.Text())
	}
	tab.Open(h.ts.URL + "/device")
	visit(tab, "oauth-device")
}
