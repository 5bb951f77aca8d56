package server_test

import (
	"crypto/rand"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/net/html"
	"golang.org/x/oauth2"

	"github.com/gatehouse-iam/gatehouse/internal/browsertest"
	"github.com/gatehouse-iam/gatehouse/internal/server"
)

// federation is two Gatehouse servers: people of up (the upstream OpenID
// provider, at http://localhost) sign in to down (at http://127.0.0.1)
// through down's provider "Upstream", an application of up.
type federation struct {
	t          *testing.T
	up, down   *harness
	upAdmin    string
	downAdmin  string
	providerID string
	// appID is down's application at up.
	appID string
}

const fedPassword = "correct horse 7 battery"

func newFederation(t *testing.T, provider map[string]any) *federation {
	t.Helper()
	up := newHarness(t, map[string]string{"GATEHOUSE_ISSUER": "http://localhost:" + portPlaceholder})
	// The default outbound client refuses loopback addresses; up is one.
	// down is served over https: up registers web applications' redirect
	// URIs only so.
	down := newHarnessWith(t, map[string]string{"GATEHOUSE_ISSUER": "https://127.0.0.1:" + portPlaceholder},
		func(o *server.Options) { o.Outbound = &http.Client{Timeout: 10 * time.Second} })
	f := &federation{t: t, up: up, down: down, upAdmin: up.admin(), downAdmin: down.admin()}
	// The provider comes first, for its redirect URI; the application it
	// is registered with upstream then gives its client id and secret.
	body := map[string]any{"name": "Upstream", "kind": "oidc", "issuer": f.upURL(""), "client_id": "pending",
		"client_secret": "pending", "jit_provisioning": true}
	for k, v := range provider {
		body[k] = v
	}
	p := down.post("/api/v1/federated/providers", f.downAdmin, body).want(http.StatusCreated).JSON()
	f.providerID = p["id"].(string)
	app := up.createApplication(f.upAdmin, map[string]any{"name": "downstream", "type": "web",
		"redirect_uris": []string{p["redirect_uri"].(string)}})
	f.appID = app["id"].(string)
	down.patch("/api/v1/federated/providers/"+f.providerID, f.downAdmin, map[string]any{"client_id": app["client_id"],
		"client_secret": app["client_secret"]}).want(http.StatusOK)
	return f
}

func (f *federation) upURL(path string) string {
	return "http://localhost:" + f.up.ts.URL[strings.LastIndexByte(f.up.ts.URL, ':')+1:] + path
}

func (f *federation) downURL(path string) string { return f.down.ts.URL + path }

// upUser creates a user of up who signs in with fedPassword.
func (f *federation) upUser(email string, verified bool) {
	f.t.Helper()
	f.up.post("/api/v1/users", f.upAdmin, map[string]any{"email": email, "name": "Up " + email, "password": fedPassword,
		"email_verified": verified}).want(http.StatusCreated)
}

// downUser creates a user of down and returns their id.
func (f *federation) downUser(email string, verified bool) string {
	f.t.Helper()
	return f.down.post("/api/v1/users", f.downAdmin, map[string]any{"email": email, "name": "Down " + email, "password": fedPassword,
		"email_verified": verified}).want(http.StatusCreated).JSON()["id"].(string)
}

// webBrowser is a browser across both servers: one cookie jar, absolute
// URLs, forms posted from the page they are on.
type webBrowser struct {
	t      *testing.T
	client *http.Client
	// at is the URL of the last page; last the page.
	at   *url.URL
	last *page
}

// browser is a new browser, trusting down's certificate.
func (f *federation) browser() *webBrowser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		f.t.Fatal(err)
	}
	return &webBrowser{t: f.t, client: &http.Client{Jar: jar, Timeout: 20 * time.Second, Transport: f.down.ts.Client().Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *webBrowser) do(method, raw string, form url.Values) *page {
	b.t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		b.t.Fatal(err)
	}
	if b.at != nil {
		u = b.at.ResolveReference(u)
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r, err := http.NewRequest(method, u.String(), body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Origin", u.Scheme+"://"+u.Host)
		r.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	p := fetchPage(b.t, b.client, r)
	b.at, b.last = u, p
	return p
}

func (b *webBrowser) get(raw string) *page {
	b.t.Helper()
	return b.do(http.MethodGet, raw, nil)
}

// submit posts a form of the last page with its CSRF token.
func (b *webBrowser) submit(action string, form url.Values) *page {
	b.t.Helper()
	form.Set("csrf", b.last.input("csrf"))
	return b.do(http.MethodPost, action, form)
}

// follow follows redirects from p until a page that is none, and fails
// after 12.
func (b *webBrowser) follow(p *page) *page {
	b.t.Helper()
	for range 12 {
		if p.Status != http.StatusFound && p.Status != http.StatusSeeOther {
			return p
		}
		p = b.get(p.Header.Get("Location"))
	}
	b.t.Fatalf("more than 12 redirects, at %s", b.at)
	return nil
}

// signInUpstream follows p to up's sign-in page, signs in there as email,
// and follows on until a redirect to down's callback, which it returns
// unfollowed.
func (f *federation) signInUpstream(b *webBrowser, p *page, email string) string {
	f.t.Helper()
	for range 12 {
		loc := p.Header.Get("Location")
		switch {
		case p.Status == http.StatusOK && strings.Contains(p.Body, `name="password"`) && strings.HasPrefix(b.at.String(), f.upURL("")):
			f.up.clock.Advance(time.Second)
			password := fedPassword
			if email == adminEmail {
				password = adminPassword
			}
			p = b.submit("/login", url.Values{"email": {email}, "password": {password}, "return_to": {p.input("return_to")}})
		case loc == "":
			f.t.Fatalf("%s answered %d without a redirect: %s", b.at, p.Status, p.text())
		case strings.HasPrefix(loc, f.downURL(federatedPath)):
			return loc
		default:
			p = b.get(loc)
		}
	}
	f.t.Fatalf("no redirect to the callback from %s", b.at)
	return ""
}

const federatedPath = "/api/v1/auth/federated/"

// signIn signs email in to down through up from down's sign-in page, and
// returns the page the browser ends on.
func (f *federation) signIn(b *webBrowser, email string) *page {
	f.t.Helper()
	login := b.get(f.downURL("/login?return_to=%2Faccount")).want(f.t, http.StatusOK)
	href := login.link("Continue with Upstream")
	if href == "" {
		f.t.Fatalf("the sign-in page offers no provider: %s", login.text())
	}
	callback := f.signInUpstream(b, b.get(href), email)
	return b.follow(b.get(callback))
}

// link is the href of the first link whose text is text.
func (p *page) link(text string) string {
	var found string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if found != "" {
			return
		}
		if n.Type == html.ElementNode && n.Data == "a" && strings.TrimSpace(nodeText(n)) == text {
			found = attr(n, "href")
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	if p.doc != nil {
		walk(p.doc)
	}
	return found
}

func nodeText(n *html.Node) string {
	if n.Type == html.TextNode {
		return n.Data
	}
	var sb strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		sb.WriteString(nodeText(c))
	}
	return sb.String()
}

// userByEmail is down's user of email, nil when there is none.
func (f *federation) userByEmail(email string) map[string]any {
	f.t.Helper()
	var page struct {
		Data []map[string]any `json:"data"`
	}
	f.down.get("/api/v1/users?search="+url.QueryEscape(email), f.downAdmin).want(http.StatusOK).Decode(&page)
	for _, u := range page.Data {
		if u["email"] == email {
			return u
		}
	}
	return nil
}

func (f *federation) identities(userID string) []map[string]any {
	f.t.Helper()
	var page struct {
		Data []map[string]any `json:"data"`
	}
	f.down.get("/api/v1/users/"+userID+"/identities", f.downAdmin).want(http.StatusOK).Decode(&page)
	return page.Data
}

// refusals are down's audited refusals of federated sign-ins, by reason.
func (f *federation) refusals() map[string]int {
	f.t.Helper()
	out := map[string]int{}
	for _, e := range f.down.auditEvents(f.downAdmin, "action=federated.login.refused&limit=100") {
		details, _ := e["details"].(map[string]any)
		reason, _ := details["reason"].(string)
		out[reason]++
	}
	return out
}

// TestFederatedSignInThroughGatehouse: people of another Gatehouse sign in
// with its OpenID Connect provider; first sign-in creates the account
// (JIT), the second finds it, verified emails link to existing accounts
// and unverified ones do not, until the person proves the account.
func TestFederatedSignInThroughGatehouse(t *testing.T) {
	f := newFederation(t, nil)
	f.upUser("ada@example.com", true)

	first := f.signIn(f.browser(), "ada@example.com").want(t, http.StatusOK)
	if !strings.Contains(first.text(), "ada@example.com") {
		t.Fatalf("after the first sign-in: %s", first.text())
	}
	ada := f.userByEmail("ada@example.com")
	if ada == nil || ada["email_verified"] != true || ada["name"] != "Up ada@example.com" {
		t.Fatalf("the provisioned user: %v", ada)
	}
	ids := f.identities(ada["id"].(string))
	if len(ids) != 1 || ids[0]["provider_id"] != f.providerID || ids[0]["email"] != "ada@example.com" || ids[0]["provider_name"] != "Upstream" {
		t.Fatalf("identities: %v", ids)
	}
	var signedIn []map[string]any
	for _, e := range f.down.auditEvents(f.downAdmin, "action=auth.login.succeeded") {
		if d := e["details"].(map[string]any); d["federated_provider_id"] == f.providerID {
			signedIn = append(signedIn, d)
		}
	}
	if len(signedIn) != 1 || signedIn[0]["amr"].([]any)[0] != "fed" || signedIn[0]["browser"] != true {
		t.Fatalf("sign-ins audited with the provider: %v", signedIn)
	}

	// The second time, in another browser, finds the same account.
	f.down.clock.Advance(2 * time.Minute)
	f.up.clock.Advance(2 * time.Minute)
	f.signIn(f.browser(), "ada@example.com").want(t, http.StatusOK)
	if again := f.identities(ada["id"].(string)); len(again) != 1 || again[0]["last_login_at"] == ids[0]["last_login_at"] {
		t.Fatalf("identities after a second sign-in: %v", again)
	}
	_, emails := tnHost{h: f.down}.users(f.downAdmin, "")
	if n := strings.Count(strings.Join(emails, " "), "ada@example.com"); n != 1 {
		t.Fatalf("users named ada after two sign-ins: %d", n)
	}

	// Both verified: the existing account is linked.
	bob := f.downUser("bob@example.com", true)
	f.upUser("bob@example.com", true)
	f.signIn(f.browser(), "bob@example.com").want(t, http.StatusOK)
	if ids := f.identities(bob); len(ids) != 1 {
		t.Fatalf("bob's identities after linking by verified email: %v", ids)
	}

	// Unverified here: refused, and the page says how to link.
	carol := f.downUser("carol@example.com", false)
	f.upUser("carol@example.com", true)
	b := f.browser()
	refused := f.signIn(b, "carol@example.com").want(t, http.StatusConflict)
	if !strings.Contains(refused.text(), "Linked sign-ins") {
		t.Fatalf("the refusal does not say how to link: %s", refused.text())
	}
	if ids := f.identities(carol); len(ids) != 0 || f.refusals()["link_required"] != 1 {
		t.Fatalf("carol: identities %v, refusals %v", ids, f.refusals())
	}
	// Carol proves the account by signing in to it, then links.
	b.get(f.downURL("/login")).want(t, http.StatusOK)
	b.follow(b.submit("/login", url.Values{"email": {"carol@example.com"}, "password": {fedPassword}})).want(t, http.StatusOK)
	b.get(f.downURL("/account/identities")).want(t, http.StatusOK)
	callback := f.signInUpstream(b, b.submit("/account/identities/link", url.Values{"provider_id": {f.providerID}}), "carol@example.com")
	linked := b.follow(b.get(callback)).want(t, http.StatusOK)
	if !strings.Contains(linked.text(), "Upstream") || len(f.identities(carol)) != 1 {
		t.Fatalf("after linking: %s; identities %v", linked.text(), f.identities(carol))
	}
	// … and signs in through it from now on.
	f.signIn(f.browser(), "carol@example.com").want(t, http.StatusOK)
	for _, action := range []string{"federated.identity.linked", "user.created"} {
		if len(f.down.auditEvents(f.downAdmin, "action="+action)) == 0 {
			t.Errorf("no %s in the audit log", action)
		}
	}

	// Without JIT, a stranger gets no account.
	f.down.patch("/api/v1/federated/providers/"+f.providerID, f.downAdmin, map[string]any{"jit_provisioning": false}).want(http.StatusOK)
	f.upUser("dave@example.com", true)
	f.signIn(f.browser(), "dave@example.com").want(t, http.StatusForbidden)
	if f.userByEmail("dave@example.com") != nil || f.refusals()["no_account"] != 1 {
		t.Fatalf("dave was let in, or the refusal not audited: %v", f.refusals())
	}
}

// TestFederatedSignInRefusals: a callback replayed, finished in another
// browser, without its state or with a forged one; a start for another
// host, an unknown provider or another tenant's; an error from the
// provider: each is a page that says what to do, audited, none a 500.
func TestFederatedSignInRefusals(t *testing.T) {
	f := newFederation(t, nil)
	f.upUser("ada@example.com", true)
	start := f.downURL(federatedPath + f.providerID + "/start")

	// The browser that started the sign-in finishes it once.
	b := f.browser()
	callback := f.signInUpstream(b, b.get(start+"?return_to=%2Faccount"), "ada@example.com")
	wantRefusal(t, f.browser().get(callback), http.StatusUnauthorized, "started in another browser")
	// A browser amid a sign-in of its own takes this one's state, which
	// then finishes nowhere.
	other := f.browser()
	f.signInUpstream(other, other.get(start), "ada@example.com")
	wantRefusal(t, other.get(callback), http.StatusUnauthorized, "started in another browser")
	wantRefusal(t, b.get(callback), http.StatusUnauthorized, "already completed")
	b = f.browser()
	callback = f.signInUpstream(b, b.get(start), "ada@example.com")
	b.follow(b.get(callback)).want(t, http.StatusOK)
	wantRefusal(t, b.get(callback), http.StatusUnauthorized, "already completed")

	u, err := url.Parse(callback)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range map[string]string{
		"no state":       "code=x",
		"a forged state": "code=x&state=forged",
		"no query":       "",
		"an error":       "error=access_denied&error_description=%C3%A9&state=forged",
	} {
		wantRefusal(t, b.get(f.downURL(u.Path+"?"+q)), http.StatusUnauthorized, "start again")
	}
	if p := b.get(f.downURL(u.Path + "?error=x&error_description=%00%ff&state=%00")); p.Status != http.StatusBadRequest {
		t.Errorf("a callback with a NUL byte: %d %s", p.Status, p.text())
	}
	// The provider refuses: the person is told, and nothing signs in.
	b = f.browser()
	authorize := b.get(start).Header.Get("Location")
	state := mustParse(t, authorize).Query().Get("state")
	wantRefusal(t, b.get(callback[:strings.IndexByte(callback, '?')]+"?"+url.Values{"state": {state}, "error": {"access_denied"}}.Encode()),
		http.StatusUnauthorized, "cancelled or refused")

	for _, to := range []string{"https://evil.example/", "//evil.example", "/\\evil.example", "javascript:alert(1)"} {
		p := f.browser().get(start + "?return_to=" + url.QueryEscape(to))
		if p.Status != http.StatusBadRequest || !strings.Contains(p.text(), "outside this site") {
			t.Errorf("return_to %s: %d %s", to, p.Status, p.text())
		}
	}
	for _, id := range []string{"00000000-0000-7000-8000-000000000000", "not-an-id"} {
		if p := f.browser().get(f.downURL(federatedPath + id + "/start")); p.Status != http.StatusNotFound {
			t.Errorf("start at provider %s: %d", id, p.Status)
		}
	}
	// A disabled provider is not offered and does not start.
	f.down.patch("/api/v1/federated/providers/"+f.providerID, f.downAdmin, map[string]any{"enabled": false}).want(http.StatusOK)
	if p := f.browser().get(start); p.Status != http.StatusNotFound {
		t.Errorf("a disabled provider starts: %d", p.Status)
	}
	if login := f.browser().get(f.downURL("/login")); login.link("Continue with Upstream") != "" {
		t.Error("the sign-in page offers a disabled provider")
	}
	refusals := f.refusals()
	if refusals["state"] != 8 || refusals["provider_error"] != 1 || refusals["return_to"] != 4 {
		t.Errorf("audited refusals: %v", refusals)
	}
}

// TestFederatedProviderOfAnotherTenant: a tenant's provider does not start
// or finish at another tenant's host.
func TestFederatedProviderOfAnotherTenant(t *testing.T) {
	h := newHarness(t, map[string]string{"GATEHOUSE_MULTI_TENANT": "true"})
	h.host = tnSystemHost
	admin := h.admin()
	h.post("/api/v1/tenants", admin, map[string]any{"name": "B", "hostnames": []string{tnHostB},
		"admin": map[string]any{"email": "boss@b.example.com", "password": "Kq-d040e-001e1"}}).want(http.StatusCreated)
	b := tnHost{h: h, host: tnHostB}
	bAdmin := b.login("boss@b.example.com", "Kq-d040e-001e1").AccessToken
	id := b.do(http.MethodPost, "/api/v1/federated/providers", bAdmin, map[string]any{"name": "Google", "preset": "google",
		"client_id": "c", "client_secret": "s"}).want(http.StatusCreated).JSON()["id"].(string)
	for _, path := range []string{"/start", "/callback?state=x&code=y"} {
		res := h.send(request{method: http.MethodGet, path: federatedPath + id + path, host: tnSystemHost})
		if res.Status == http.StatusFound || res.Status >= http.StatusInternalServerError || res.Status == http.StatusOK {
			t.Errorf("%s of tenant B's provider at the system tenant: %d", path, res.Status)
		}
	}
}

func mustParse(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// wantRefusal fails the test unless p is the refusal page with status,
// saying text, and leading back to the sign-in page.
func wantRefusal(t *testing.T, p *page, status int, text string) {
	t.Helper()
	if p.Status != status || !strings.Contains(p.text(), text) || p.link("Back to sign in") != "/login" {
		t.Errorf("status %d, want %d saying %q: %s", p.Status, status, text, p.text())
	}
}

// TestFederatedHomeRealmAndOrganization: an organization's provider is not
// offered to everyone, but an email of its domain leads to it, from the
// sign-in page and the providers API; people it provisions join the
// organization and the groups its groups claim names.
func TestFederatedHomeRealmAndOrganization(t *testing.T) {
	f := newFederation(t, map[string]any{"domains": []string{"example.com"}, "claim_mapping": map[string]string{"groups": "roles", "roles": "roles"}})
	acme := f.down.createOrg(f.downAdmin, map[string]any{"name": "Acme", "alias": "acme"})["id"].(string)
	f.down.post("/api/v1/roles", f.downAdmin, map[string]any{"name": "Finance", "organization_id": acme, "permissions": []string{}}).
		want(http.StatusCreated)
	finance := f.down.post("/api/v1/groups", f.downAdmin, map[string]any{"name": "Finance"}).want(http.StatusCreated).JSON()["id"].(string)
	f.down.patch("/api/v1/federated/providers/"+f.providerID, f.downAdmin, map[string]any{"organization_id": acme}).want(http.StatusOK)
	// up says which groups ada is in through its roles claim.
	f.upUser("ada@example.com", true)
	adaUp := f.up.get("/api/v1/users?search=ada", f.upAdmin).want(http.StatusOK).JSON()["data"].([]any)[0].(map[string]any)["id"].(string)
	for _, role := range []string{"finance", "not-a-group-here"} {
		f.up.post("/api/v1/applications/"+f.appID+"/roles", f.upAdmin, map[string]any{"name": role}).want(http.StatusCreated)
		f.up.post("/api/v1/app-mappings", f.upAdmin, map[string]any{"application_id": f.appID, "role": role, "user_id": adaUp}).
			want(http.StatusCreated)
	}

	var listed struct {
		Data []map[string]any `json:"data"`
	}
	f.down.get("/api/v1/auth/providers", "").want(http.StatusOK).Decode(&listed)
	if len(listed.Data) != 0 {
		t.Fatalf("an organization's provider is listed to everyone: %v", listed.Data)
	}
	f.down.get("/api/v1/auth/providers?email=Ada%40Example.com", "").want(http.StatusOK).Decode(&listed)
	if len(listed.Data) != 1 || listed.Data[0]["id"] != f.providerID || listed.Data[0]["home_realm"] != true ||
		listed.Data[0]["start_url"] != f.downURL(federatedPath+f.providerID+"/start") {
		t.Fatalf("providers for ada: %v", listed.Data)
	}

	b := f.browser()
	login := b.get(f.downURL("/login?return_to=%2Faccount%2Fsessions")).want(t, http.StatusOK)
	if login.link("Continue with Upstream") != "" || !strings.Contains(login.text(), "leave the password empty") {
		t.Fatalf("the sign-in page: %s", login.text())
	}
	// Another domain with no password is an ordinary failed sign-in.
	b.submit("/login", url.Values{"email": {"eve@elsewhere.example"}, "password": {""}}).want(t, http.StatusUnauthorized)
	b.get(f.downURL("/login")).want(t, http.StatusOK)
	toProvider := b.submit("/login", url.Values{"email": {"ada@example.com"}, "password": {""}, "return_to": {"/account/sessions"}})
	if toProvider.Status != http.StatusSeeOther || !strings.HasPrefix(toProvider.Header.Get("Location"), federatedPath+f.providerID+"/start") {
		t.Fatalf("home-realm discovery: %d %v", toProvider.Status, toProvider.Header)
	}
	callback := f.signInUpstream(b, b.get(toProvider.Header.Get("Location")), "ada@example.com")
	landed := b.get(callback)
	if landed.Header.Get("Location") != "/account/sessions" {
		t.Fatalf("after the sign-in: %d to %q", landed.Status, landed.Header.Get("Location"))
	}
	ada := f.userByEmail("ada@example.com")["id"].(string)
	members := f.down.get("/api/v1/organizations/"+acme+"/members", f.downAdmin).want(http.StatusOK).JSON()["data"].([]any)
	if len(members) != 1 || !strings.Contains(jsonString(members[0]), ada) || !strings.Contains(jsonString(members[0]), `"Finance"`) {
		t.Errorf("acme's members (ada with the role Finance): %v", members)
	}
	inGroup := f.down.get("/api/v1/groups/"+finance+"/members", f.downAdmin).want(http.StatusOK).JSON()["data"].([]any)
	if len(inGroup) != 1 || !strings.Contains(jsonString(inGroup[0]), ada) {
		t.Errorf("finance's members: %v", inGroup)
	}
}

// TestFederatedSignInThroughOAuth2: a provider of plain OAuth 2.0 (no ID
// token) is read through its user endpoint; here up's, as GitHub's would be.
func TestFederatedSignInThroughOAuth2(t *testing.T) {
	f := newFederation(t, nil)
	f.down.patch("/api/v1/federated/providers/"+f.providerID, f.downAdmin, map[string]any{"name": "Upstream", "kind": "oauth2", "issuer": "",
		"authorization_url": f.upURL("/oauth2/authorize"), "token_url": f.upURL("/oauth2/token"), "userinfo_url": f.upURL("/oauth2/userinfo"),
		"scopes": []string{"openid", "email", "profile"}}).want(http.StatusOK)
	f.upUser("ada@example.com", true)
	f.signIn(f.browser(), "ada@example.com").want(t, http.StatusOK)
	ada := f.userByEmail("ada@example.com")
	if ada == nil || ada["email_verified"] != true {
		t.Fatalf("the provisioned user: %v", ada)
	}
	adaUp := f.up.get("/api/v1/users?search=ada", f.upAdmin).want(http.StatusOK).JSON()["data"].([]any)[0].(map[string]any)["id"]
	if ids := f.identities(ada["id"].(string)); len(ids) != 1 || ids[0]["subject"] != adaUp {
		t.Fatalf("identities: %v, want up's subject %v", ids, adaUp)
	}
}

// TestFederatedIdentitiesAPI: people list and unlink their identities, but
// not their last way to sign in; admins do it for users they cover; an
// admin's account is never linked by email alone.
func TestFederatedIdentitiesAPI(t *testing.T) {
	f := newFederation(t, nil)
	bob := f.downUser("bob@example.com", true)
	f.upUser("bob@example.com", true)
	f.signIn(f.browser(), "bob@example.com").want(t, http.StatusOK)

	bobToken := f.down.login("bob@example.com", fedPassword).AccessToken
	var mine struct {
		Data []map[string]any `json:"data"`
	}
	f.down.get("/api/v1/me/identities", bobToken).want(http.StatusOK).Decode(&mine)
	if len(mine.Data) != 1 || mine.Data[0]["provider_name"] != "Upstream" || mine.Data[0]["provider_kind"] != "oidc" {
		t.Fatalf("bob's identities: %v", mine.Data)
	}
	f.down.delete("/api/v1/me/identities/"+mine.Data[0]["id"].(string), bobToken).want(http.StatusNoContent)
	f.down.delete("/api/v1/me/identities/"+mine.Data[0]["id"].(string), bobToken).wantError(http.StatusNotFound, "not_found")
	if len(f.identities(bob)) != 0 || len(f.down.auditEvents(f.downAdmin, "action=federated.identity.unlinked")) != 1 {
		t.Fatal("the unlink is not done or not audited")
	}

	// Ada's only way in is the provider: the page keeps it.
	f.upUser("ada@example.com", true)
	b := f.browser()
	f.signIn(b, "ada@example.com").want(t, http.StatusOK)
	page := b.get(f.downURL("/account/identities")).want(t, http.StatusOK)
	if !strings.Contains(page.text(), "Upstream") {
		t.Fatalf("the identities page: %s", page.text())
	}
	ada := f.userByEmail("ada@example.com")["id"].(string)
	identity := f.identities(ada)[0]["id"].(string)
	kept := b.submit("/account/identities/"+identity+"/remove", url.Values{})
	if kept.Status != http.StatusConflict || !strings.Contains(kept.text(), "only way to sign in") || len(f.identities(ada)) != 1 {
		t.Fatalf("unlinking the only way in: %d %s", kept.Status, kept.text())
	}

	// The superadmin is verified on both sides (each server's bootstrap
	// admin), and still not linked.
	f.signIn(f.browser(), adminEmail).want(t, http.StatusConflict)
	adminID := f.down.get("/api/v1/me", f.downAdmin).want(http.StatusOK).JSON()["id"].(string)
	if len(f.identities(adminID)) != 0 {
		t.Fatal("an admin's account was linked by email")
	}
	// An admin with users.write alone does not unlink an admin's identity.
	f.down.post("/api/v1/admin-roles", f.downAdmin, map[string]any{"name": "helpdesk", "permissions": []string{"users.read", "users.write"}}).
		want(http.StatusCreated)
	f.down.post("/api/v1/admins", f.downAdmin, map[string]any{"email": "help@example.com", "name": "Help", "password": fedPassword,
		"admin_roles": []string{"helpdesk"}}).want(http.StatusCreated)
	help := f.down.login("help@example.com", fedPassword).AccessToken
	if err := f.down.srv.LinkIdentity(t.Context(), f.providerID, adminID, "admin-subject"); err != nil {
		t.Fatal(err)
	}
	adminIdentity := f.identities(adminID)[0]["id"].(string)
	f.down.delete("/api/v1/users/"+adminID+"/identities/"+adminIdentity, help).wantError(http.StatusForbidden, "forbidden")
	f.down.delete("/api/v1/users/"+ada+"/identities/"+identity, help).want(http.StatusNoContent)
	f.down.get("/api/v1/users/"+ada+"/identities", help).want(http.StatusOK)
	if len(f.identities(adminID)) != 1 || len(f.identities(ada)) != 0 {
		t.Fatal("unlinks by the helpdesk admin")
	}
}

// TestFederatedSignInInChromium: in a real browser, an email of the
// provider's domain leads from the sign-in page to the provider and back,
// signed in; the sign-in page with providers, the linked sign-ins page
// and a refusal are checked with axe-core and kept as screenshots.
func TestFederatedSignInInChromium(t *testing.T) {
	chromium := browsertest.New(t)
	f := newFederation(t, map[string]any{"domains": []string{"example.com"}})
	f.upUser("ada@example.com", true)

	tab := chromium.Tab(t)
	tab.Open(f.downURL("/login"))
	if text := tab.Text(); !strings.Contains(text, "Continue with Upstream") || !strings.Contains(text, "leave the password empty") {
		t.Fatalf("the sign-in page: %s", text)
	}
	visit(tab, "login-providers")
	tab.Fill("Email address", "ada@example.com")
	tab.Press("Sign in")
	if !strings.HasPrefix(tab.URL(), f.upURL("/login")) {
		t.Fatalf("home-realm discovery led to %s: %s", tab.URL(), tab.Text())
	}
	f.up.clock.Advance(time.Second)
	tab.Fill("Email address", "ada@example.com")
	tab.Fill("Password", fedPassword)
	tab.Press("Sign in")
	if tab.URL() != f.downURL("/account") || !strings.Contains(tab.Text(), "ada@example.com") {
		t.Fatalf("after the provider the browser is at %s: %s", tab.URL(), tab.Text())
	}
	tab.Open(f.downURL("/account/identities"))
	if !strings.Contains(tab.Text(), "Upstream") {
		t.Fatalf("the linked sign-ins page: %s", tab.Text())
	}
	visit(tab, "account-identities")
	tab.Open(f.downURL(federatedPath + f.providerID + "/callback?state=forged&code=x"))
	if !strings.Contains(tab.Text(), "start again") {
		t.Fatalf("a forged callback: %s", tab.Text())
	}
	visit(tab, "federated-refused")
}

// TestFederatedLinkNeedsStepUp: linking a provider, which then signs in
// without the password or second factor, asks a session that passed its
// second factor more than 10 minutes ago to confirm it again.
func TestFederatedLinkNeedsStepUp(t *testing.T) {
	f := newFederation(t, map[string]any{"jit_provisioning": false})
	f.downUser("carol@example.com", true)
	tok := f.down.login("carol@example.com", fedPassword).AccessToken
	secret := enrolTOTP(t, f.down, tok)

	b := f.browser()
	b.get(f.downURL("/login")).want(t, http.StatusOK)
	step := b.submit("/login", url.Values{"email": {"carol@example.com"}, "password": {fedPassword}})
	if !strings.HasPrefix(step.Header.Get("Location"), "/login/mfa?") {
		t.Fatalf("password step: %d %v", step.Status, step.Header)
	}
	mfaPage := b.get(step.Header.Get("Location")).want(t, http.StatusOK)
	f.down.clock.Advance(30 * time.Second)
	b.submit("/login/mfa", url.Values{"method": {"totp"}, "methods": {mfaPage.input("methods")}, "return_to": {"/account"},
		"code": {totpAt(t, secret, f.down.clock.Now())}}).want(t, http.StatusSeeOther)

	f.down.clock.Advance(11 * time.Minute)
	b.get(f.downURL("/account/identities")).want(t, http.StatusOK)
	start := b.submit("/account/identities/link", url.Values{"provider_id": {f.providerID}})
	if start.Status != http.StatusSeeOther || !strings.HasPrefix(start.Header.Get("Location"), "/account/reauth") {
		t.Fatalf("linking 11 minutes after the second factor: %d to %q", start.Status, start.Header.Get("Location"))
	}
}

// TestFederatedSessionSignsInApplications: an application signed in through
// a browser session that came from a provider gets amr ["fed"].
func TestFederatedSessionSignsInApplications(t *testing.T) {
	f := newFederation(t, nil)
	f.upUser("ada@example.com", true)
	b := f.browser()
	f.signIn(b, "ada@example.com").want(t, http.StatusOK)

	rp := f.down.newRelyingParty(f.downAdmin, map[string]any{"name": "portal", "type": "web", "redirect_uris": []string{rpCallback}})
	verifier, nonce := oauth2.GenerateVerifier(), rand.Text()
	p := b.get(rp.conf.AuthCodeURL("state", oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)))
	for range 5 {
		if loc := p.Header.Get("Location"); loc == "" || strings.HasPrefix(loc, rpCallback) {
			break
		}
		p = b.get(p.Header.Get("Location"))
	}
	callback, err := url.Parse(p.Header.Get("Location"))
	if err != nil || callback.Query().Get("code") == "" {
		t.Fatalf("the authorization ended at %d %q: %s", p.Status, p.Header.Get("Location"), p.text())
	}
	tok, err := rp.conf.Exchange(rp.ctx, callback.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	idToken, err := rp.provider.Verifier(&oidc.Config{ClientID: rp.conf.ClientID}).Verify(rp.ctx, tok.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		AMR   []string `json:"amr"`
		IdP   string   `json:"idp"`
		Email string   `json:"email"`
	}
	if err := idToken.Claims(&claims); err != nil || len(claims.AMR) != 1 || claims.AMR[0] != "fed" || claims.IdP != f.providerID ||
		claims.Email != "ada@example.com" {
		t.Fatalf("ID token claims %+v (%v)", claims, err)
	}
	// The refreshed ID token names the provider too.
	refreshed, err := rp.conf.TokenSource(rp.ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err != nil {
		t.Fatal(err)
	}
	again, err := rp.provider.Verifier(&oidc.Config{ClientID: rp.conf.ClientID}).Verify(rp.ctx, refreshed.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	if err := again.Claims(&claims); err != nil || claims.IdP != f.providerID {
		t.Fatalf("refreshed ID token claims %+v (%v)", claims, err)
	}
}
