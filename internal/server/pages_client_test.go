package server_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// browser is a plain-HTTP client of the hosted pages: a cookie jar of its
// own, no redirects followed, and each form posted with the CSRF token of
// the page it came from. The headless-Chromium journeys drive real
// browsers; this one tests the rules a browser cannot break on purpose.
type browser struct {
	t      *testing.T
	h      *harness
	client *http.Client
	// last is the page fetched last; forms are taken from it.
	last *page
}

// page is one answer of the pages surface.
type page struct {
	Status int
	Header http.Header
	Body   string
	doc    *html.Node
}

func (h *harness) browser() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		h.t.Fatal(err)
	}
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &browser{t: h.t, h: h, client: c}
}

func (b *browser) do(r *http.Request) *page {
	b.t.Helper()
	if b.h.host != "" {
		r.Host = b.h.host
	}
	b.last = fetchPage(b.t, b.client, r)
	return b.last
}

// fetchPage sends r with client and reads the answer, parsing HTML.
func fetchPage(t *testing.T, client *http.Client, r *http.Request) *page {
	t.Helper()
	res, err := client.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	p := &page{Status: res.StatusCode, Header: res.Header, Body: string(body)}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		if p.doc, err = html.Parse(strings.NewReader(p.Body)); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// get fetches a page.
func (b *browser) get(path string) *page {
	b.t.Helper()
	r, err := http.NewRequest(http.MethodGet, b.h.ts.URL+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(r)
}

// post sends a form as a same-origin browser does, with the CSRF token of
// the last page unless the form sets its own "csrf".
func (b *browser) post(path string, form url.Values) *page {
	b.t.Helper()
	if _, ok := form["csrf"]; !ok && b.last != nil {
		form.Set("csrf", b.last.input("csrf"))
	}
	return b.postRaw(path, form, map[string]string{"Origin": b.h.ts.URL, "Sec-Fetch-Site": "same-origin"})
}

// postRaw sends a form with exactly the headers given.
func (b *browser) postRaw(path string, form url.Values, header map[string]string) *page {
	b.t.Helper()
	r, err := http.NewRequest(http.MethodPost, b.h.ts.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		r.Header.Set(k, v)
	}
	return b.do(r)
}

// cookie is the value of one of the browser's cookies, "" when it has none.
func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.h.ts.URL)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// want fails the test unless the page has the status.
func (p *page) want(t *testing.T, status int) *page {
	t.Helper()
	if p.Status != status {
		t.Fatalf("status %d, want %d: %s", p.Status, status, p.Body)
	}
	return p
}

// input is the value of the first input named name, "" when there is none.
func (p *page) input(name string) string {
	var found string
	var walk func(n *html.Node) bool
	walk = func(n *html.Node) bool {
		if n.Type == html.ElementNode && n.Data == "input" && attr(n, "name") == name {
			found = attr(n, "value")
			return true
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if walk(c) {
				return true
			}
		}
		return false
	}
	if p.doc != nil {
		walk(p.doc)
	}
	return found
}

// text is the page's visible text, blanks folded.
func (p *page) text() string {
	var sb strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && (n.Data == "script" || n.Data == "style" || n.Data == "head") {
			return
		}
		if n.Type == html.TextNode {
			sb.WriteString(n.Data)
			sb.WriteByte(' ')
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	if p.doc != nil {
		walk(p.doc)
	}
	return strings.Join(strings.Fields(sb.String()), " ")
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}
