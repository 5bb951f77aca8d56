package server_test

import (
	"strings"
	"testing"

	"github.com/gatehouse-iam/gatehouse/internal/browsertest"
)

// visit checks the page the tab shows: no serious or critical axe-core
// violation, no sideways scrolling at 320 px or 200% zoom, and keeps its
// screenshots under name.
func visit(tab *browsertest.Tab, name string) {
	tab.Axe()
	tab.Screenshot(name)
	tab.CheckReflow(name)
}

// TestPageJourneys drives the hosted pages in headless Chromium, as people
// use them, on the store the HTTP suite runs on.
func TestPageJourneys(t *testing.T) {
	chromium := browsertest.New(t)
	h := newHarness(t, nil)

	t.Run("sign in and out", func(t *testing.T) {
		tab := chromium.Tab(t)
		tab.Open(h.ts.URL + "/login")
		visit(tab, "login")
		tab.Fill("Email address", adminEmail)
		tab.Fill("Password", "not the password")
		tab.Press("Sign in")
		if !strings.Contains(tab.Text(), "The email address or password is not correct.") {
			t.Fatalf("wrong password: %s", tab.Text())
		}
		visit(tab, "login-error")
		tab.Fill("Password", adminPassword)
		tab.Press("Sign in")
		tab.Open(h.ts.URL + "/logout")
		visit(tab, "logout-confirm")
		tab.Press("Sign out")
		if !strings.Contains(tab.Text(), "You are signed out.") {
			t.Fatalf("after sign-out: %s", tab.Text())
		}
		visit(tab, "logout-done")
		tab.Open(h.ts.URL + "/login?lang=de")
		visit(tab, "login-de")
		if !strings.Contains(tab.Text(), "Angemeldet bleiben") {
			t.Fatalf("German login page: %s", tab.Text())
		}
	})
}
