package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
)

// Tab is one page in a browser context of its own: its cookies and storage
// are shared with no other tab, like a separate browser. It belongs to the
// test that opened it, fails that test on any browser error, and closes when
// that test ends.
type Tab struct {
	t   testing.TB
	ctx context.Context
}

// Tab opens a tab with a fresh cookie jar.
func (b *Browser) Tab(t testing.TB) *Tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	// The first Do binds the tab's life to ctx, so, as in start, a timer
	// rather than a deadline stops it if it hangs.
	watchdog := time.AfterFunc(actionTimeout, cancel)
	err := chromedp.Do(ctx)
	if !watchdog.Stop() {
		t.Fatalf("browsertest: no new tab within %s", actionTimeout)
	}
	if err != nil {
		t.Fatalf("browsertest: opening a tab: %v", err)
	}
	return &Tab{t: t, ctx: ctx}
}

// Do runs chromedp actions in the tab, each call bounded by the action
// timeout, for the steps the helpers below do not cover.
func (tab *Tab) Do(actions ...chromedp.Action[chromedp.Void]) {
	tab.t.Helper()
	run(tab, "running actions", chromedp.Steps(actions...))
}

// run runs one action in the tab within the action timeout and fails the
// test, saying what it was doing, when the action fails.
func run[T any](tab *Tab, doing string, action chromedp.Action[T]) T {
	tab.t.Helper()
	ctx, cancel := context.WithTimeout(tab.ctx, actionTimeout)
	defer cancel()
	value, err := chromedp.Run(ctx, action)
	if err != nil {
		tab.t.Fatalf("browsertest: %s: %v", doing, err)
	}
	return value
}

// Open loads url and returns the HTTP status of the page.
func (tab *Tab) Open(url string) int {
	tab.t.Helper()
	resp := run(tab, "opening "+url, chromedp.NavigateResponse(url))
	return int(resp.Status)
}

// Fill types value into the form field labelled label (the text of its
// <label>, whitespace collapsed), replacing what the field held.
func (tab *Tab) Fill(label, value string) {
	tab.t.Helper()
	tab.fill(fmt.Sprintf("filling the field labelled %q", label), value, fmt.Sprintf(
		`[...document.querySelectorAll("label")].find(l => %s === %s)?.control`, normalizedText("l.textContent"), jsString(label)))
}

// FillName types value into the form field named name, replacing what the
// field held, for fields a journey cannot reach by a label.
func (tab *Tab) FillName(name, value string) {
	tab.t.Helper()
	tab.fill(fmt.Sprintf("filling the field named %q", name), value,
		fmt.Sprintf(`document.getElementsByName(%s)[0]`, jsString(name)))
}

// fill waits for the field that the JavaScript expression field finds,
// empties it and types value into it as a user would.
func (tab *Tab) fill(doing, value, field string) {
	tab.t.Helper()
	// chromedp.Clear resets only the value attribute, and chromedp.SetValue
	// cannot set an empty value, hence the assignment.
	run(tab, doing, chromedp.Steps(
		chromedp.WaitVisible(chromedp.JSPath(field)),
		chromedp.Evaluate[chromedp.Void]("("+field+`).value = ""`),
		chromedp.SendKeys(chromedp.JSPath(field), value),
	))
}

// Press clicks the button or link whose text is text (whitespace collapsed),
// waits for the page that it loads, and returns that page's HTTP status.
func (tab *Tab) Press(text string) int {
	tab.t.Helper()
	control := chromedp.JSPath(fmt.Sprintf(
		`[...document.querySelectorAll("button, input[type=submit], a[href]")].find(e => %s === %s)`,
		normalizedText(`(e.tagName === "INPUT" ? e.value : e.textContent)`), jsString(text)))
	resp := run(tab, fmt.Sprintf("pressing %q", text), chromedp.Action[*network.Response](
		func(ctx context.Context, _ *chromedp.Target) (*network.Response, error) {
			return chromedp.RunResponse(ctx, chromedp.Click(control))
		}))
	return int(resp.Status)
}

// Text returns the text of the page as a user reads it (innerText).
func (tab *Tab) Text() string {
	tab.t.Helper()
	return run(tab, "reading the text of the page", chromedp.Evaluate[string](`document.body.innerText`))
}

// URL returns the address of the page.
func (tab *Tab) URL() string {
	tab.t.Helper()
	return run(tab, "reading the address of the page", chromedp.Location())
}

// Cookies returns the cookies the tab would send to the page's address.
func (tab *Tab) Cookies() []*network.Cookie {
	tab.t.Helper()
	return run(tab, "reading cookies", func(ctx context.Context, t *chromedp.Target) ([]*network.Cookie, error) {
		res, err := cdp.Call(ctx, t, network.GetCookies, network.GetCookiesParams{})
		return res.Cookies, err
	})
}

// normalizedText is a JavaScript expression: the text of expr with its
// whitespace collapsed, as a user sees it.
func normalizedText(expr string) string {
	return expr + `.replace(/\s+/g, " ").trim()`
}

// jsString quotes s as a JavaScript string literal (JSON's is one).
func jsString(s string) string {
	quoted, _ := json.Marshal(s) // a string always encodes
	return string(quoted)
}

// Eval evaluates the JavaScript expression expr in the page and returns its
// value, for what a journey reads that the helpers above do not.
func Eval[T any](tab *Tab, expr string) T {
	tab.t.Helper()
	return run(tab, "evaluating "+expr, chromedp.Evaluate[T](expr))
}

// VirtualAuthenticator gives the tab a platform authenticator that holds
// discoverable passkeys and verifies its user without asking, so that the
// pages' passkey script runs its ceremonies as with a real one.
func (tab *Tab) VirtualAuthenticator() {
	tab.t.Helper()
	run(tab, "adding a virtual authenticator", chromedp.Action[chromedp.Void](func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		if _, err := cdp.Call(ctx, t, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			return chromedp.Void{}, err
		}
		_, err := cdp.Call(ctx, t, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
			Options: &webauthn.VirtualAuthenticatorOptions{Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21,
				Transport: webauthn.AuthenticatorTransportInternal, HasResidentKey: true, HasUserVerification: true,
				IsUserVerified: true, AutomaticPresenceSimulation: true}})
		return chromedp.Void{}, err
	}))
}
