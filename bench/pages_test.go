package bench

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// BenchmarkPageLogin measures the server's time to render /login through
// the whole handler (tenant, session and CSRF cookies, catalog, template)
// on SQLite, and reports its 99th percentile and the page's weight: the
// HTML with every stylesheet and script it loads.
func BenchmarkPageLogin(b *testing.B) {
	h := newServer(b, pageEnv)
	benchmarkPage(b, h, "/login", nil)
}

// BenchmarkPageAccount measures /account for a signed-in browser, whose
// session cookie is checked against the store on every request.
func BenchmarkPageAccount(b *testing.B) {
	h := newServer(b, pageEnv)
	benchmarkPage(b, h, "/account", signInBrowser(b, h))
}

var pageEnv = map[string]string{"GATEHOUSE_PASSWORD_TIME": "1", "GATEHOUSE_PASSWORD_MEMORY_KIB": "64", "GATEHOUSE_AUTH_RATE_PER_SECOND": "0"}

func benchmarkPage(b *testing.B, h http.Handler, path string, cookies []*http.Cookie) {
	get := func(p string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, p, nil)
		req.Header.Set("Accept-Language", "en")
		for _, c := range cookies {
			req.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s: %d %s", p, rec.Code, rec.Body)
		}
		return rec
	}
	page := get(path)
	weight := page.Body.Len()
	for _, m := range subresource.FindAllStringSubmatch(page.Body.String(), -1) {
		weight += get(m[1]).Body.Len()
	}
	durations := make([]time.Duration, 0, 1<<16)
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		get(path)
		durations = append(durations, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(durations)
	b.ReportMetric(float64(durations[len(durations)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(float64(weight), "page-bytes")
}

// subresource finds the stylesheets and scripts a page loads.
var subresource = regexp.MustCompile(`(?:href|src)="(/assets/[^"]+)"`)

// signInBrowser signs the admin in through /login and answers the
// browser's cookies.
func signInBrowser(b *testing.B, h http.Handler) []*http.Cookie {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/login", nil))
	cookies := rec.Result().Cookies()
	csrf := ""
	for _, c := range cookies {
		if c.Name == "gatehouse-csrf" {
			csrf = c.Value
		}
	}
	form := url.Values{"email": {adminEmail}, "password": {adminPassword}, "csrf": {csrf}}
	req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range cookies {
		req.AddCookie(c)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		b.Fatalf("sign-in: %d %s", rec.Code, rec.Body)
	}
	return rec.Result().Cookies()
}
