package browsertest_test

import (
	"bytes"
	"fmt"
	"html"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"

	"github.com/gatehouse-iam/gatehouse/internal/browsertest"
)

// strictCSP is the policy of Gatehouse's pages: no inline script at all.
const strictCSP = "default-src 'self'; script-src 'self'; frame-ancestors 'none'"

func page(title, body string) string {
	return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>` + title + `</title></head>
<body><main><h1>` + title + `</h1>` + body + `</main></body></html>`
}

// newSite serves the pages the tests drive, all under the strict CSP.
func newSite(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	serve := func(pattern, content string) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, content)
		})
	}
	serve("GET /clean", page("Sign in", `<form method="post" action="/signin">
<label for="email">Email address</label> <input id="email" name="email" type="email" autocomplete="email">
<label for="code">Code</label> <input id="code" name="code" inputmode="numeric">
<button type="submit">Continue</button></form>`))
	serve("GET /broken", page("Broken", `<a href="/clean"><img src="/logo.png"></a>
<form><input name="q"></form>`))
	// The CSP blocks inline styles too, so the line that cannot wrap is a <pre>.
	serve("GET /wide", page("Wide", `<pre>`+strings.Repeat("This preformatted line does not reflow. ", 20)+`</pre>`))
	mux.HandleFunc("POST /signin", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: r.PostFormValue("code"), Path: "/", HttpOnly: true})
		http.Redirect(w, r, "/welcome", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /welcome", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		session, err := r.Cookie("session")
		if err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, page("Signed out", `<p>No session.</p>`))
			return
		}
		fmt.Fprint(w, page("Welcome", `<p>Session `+html.EscapeString(session.Value)+`.</p>`))
	})
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", strictCSP)
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(site.Close)
	return site
}

// recorder keeps the errors a helper reports instead of failing the test,
// so a test can check that the helper would fail a journey.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func TestBrowser(t *testing.T) {
	browser := browsertest.New(t)
	site := newSite(t)

	t.Run("a journey fills, presses and reads", func(t *testing.T) {
		tab := browser.Tab(t)
		if status := tab.Open(site.URL + "/clean"); status != http.StatusOK {
			t.Fatalf("GET /clean: status %d", status)
		}
		tab.Fill("Email address", "ada@example.com")
		tab.FillName("code", "first")
		tab.FillName("code", "1234")
		if status := tab.Press("Continue"); status != http.StatusOK {
			t.Fatalf("pressing Continue: status %d, want the 200 after the redirect", status)
		}
		if got, want := tab.URL(), site.URL+"/welcome"; got != want {
			t.Errorf("URL = %q, want %q", got, want)
		}
		if text := tab.Text(); !strings.Contains(text, "Session 1234.") {
			t.Errorf("page text = %q, want the session 1234 (the field replaced, not appended to)", text)
		}
		cookies := tab.Cookies()
		if len(cookies) != 1 || cookies[0].Name != "session" || cookies[0].Value != "1234" || !cookies[0].HTTPOnly {
			t.Errorf("cookies = %s, want one HttpOnly session=1234", describe(cookies))
		}
	})

	t.Run("two tabs share no cookies", func(t *testing.T) {
		signedIn, other := browser.Tab(t), browser.Tab(t)
		signedIn.Open(site.URL + "/clean")
		signedIn.FillName("code", "5678")
		signedIn.Press("Continue")

		if status := other.Open(site.URL + "/welcome"); status != http.StatusUnauthorized {
			t.Errorf("the other tab got status %d for /welcome, want 401: it sent the first tab's cookie", status)
		}
		if cookies := other.Cookies(); len(cookies) != 0 {
			t.Errorf("the other tab holds cookies %s, want none", describe(cookies))
		}
	})

	t.Run("axe passes a clean page under the strict CSP", func(t *testing.T) {
		tab := browser.Tab(t)
		tab.Open(site.URL + "/clean")
		tab.Axe()
	})

	t.Run("axe reports serious and critical violations", func(t *testing.T) {
		tab := browser.Tab(t)
		tab.Open(site.URL + "/broken")
		var ids []string
		for _, v := range tab.Violations() {
			ids = append(ids, v.ID+"/"+v.Impact)
		}
		for _, want := range []string{"image-alt/critical", "link-name/serious", "label/critical"} {
			if !slices.Contains(ids, want) {
				t.Errorf("violations %v lack %s", ids, want)
			}
		}

		rec := &recorder{TB: t}
		failing := browser.Tab(rec)
		failing.Open(site.URL + "/broken")
		failing.Axe()
		if len(rec.errors) != 1 || !strings.Contains(rec.errors[0], "image-alt") || !strings.Contains(rec.errors[0], "at img") {
			t.Errorf("Axe reported %q, want one failure naming image-alt and the image", rec.errors)
		}
	})

	t.Run("screenshots are full-width PNGs in the artifact folder", func(t *testing.T) {
		tab := browser.Tab(t)
		tab.Open(site.URL + "/clean")
		tab.Screenshot("clean")
		tab.CheckReflow("clean")
		for file, width := range map[string]int{
			"clean-1280.png": 1280, "clean-375.png": 375, "clean-zoom200.png": 1280, "clean-320.png": 320,
		} {
			if got := pngWidth(t, filepath.Join(t.ArtifactDir(), file)); got != width {
				t.Errorf("%s is %d pixels wide, want %d", file, got, width)
			}
		}
		if got := tab.Text(); !strings.Contains(got, "Sign in") {
			t.Errorf("after the screenshots the page reads %q, want it unchanged", got)
		}
	})

	t.Run("reflow fails a page that scrolls sideways", func(t *testing.T) {
		rec := &recorder{TB: t}
		tab := browser.Tab(rec)
		tab.Open(site.URL + "/wide")
		tab.CheckReflow("wide")
		if len(rec.errors) != 2 || !strings.Contains(rec.errors[0], "640 CSS pixels") || !strings.Contains(rec.errors[1], "320 CSS pixels") {
			t.Errorf("CheckReflow reported %q, want failures at 640 and 320 CSS pixels", rec.errors)
		}
	})
}

func describe(cookies []*network.Cookie) string {
	var all []string
	for _, c := range cookies {
		all = append(all, fmt.Sprintf("%s=%s (HttpOnly %t)", c.Name, c.Value, c.HTTPOnly))
	}
	return "[" + strings.Join(all, ", ") + "]"
}

func pngWidth(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	config, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return config.Width
}
