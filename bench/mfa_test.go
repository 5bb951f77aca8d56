package bench

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/gatehouse-iam/gatehouse/internal/testclock"
)

// mfaBench is a server whose bootstrap admin has TOTP on, on a clock the
// benchmark moves by one time step per sign-in, since a code works once.
type mfaBench struct {
	h      http.Handler
	clock  *testclock.Clock
	secret string
}

func newMFABench(b *testing.B) *mfaBench {
	b.Helper()
	clk := testclock.New(time.Now().UTC())
	m := &mfaBench{h: newServerAt(b, noRateLimit, clk.Now), clock: clk}
	var tk struct {
		AccessToken string `json:"access_token"`
	}
	m.call(b, "/api/v1/auth/login", "", `{"email":"`+adminEmail+`","password":"`+adminPassword+`"}`, &tk)
	var e struct {
		Secret string `json:"secret"`
	}
	m.call(b, "/api/v1/mfa/totp", tk.AccessToken, "", &e)
	m.secret = e.Secret
	m.call(b, "/api/v1/mfa/totp/confirm", tk.AccessToken, `{"code":"`+m.code(b)+`"}`, nil)
	return m
}

func (m *mfaBench) code(b *testing.B) string {
	c, err := totp.GenerateCode(m.secret, m.clock.Now())
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func (m *mfaBench) call(b *testing.B, path, token, body string, out any) {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	m.h.ServeHTTP(rec, req)
	if rec.Code/100 != 2 {
		b.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
	}
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			b.Fatal(err)
		}
	}
}

// password signs in with the admin's password and returns the mfa_token.
func (m *mfaBench) password(b *testing.B) string {
	var step struct {
		MFAToken string `json:"mfa_token"`
	}
	m.call(b, "/api/v1/auth/login", "", `{"email":"`+adminEmail+`","password":"`+adminPassword+`"}`, &step)
	if step.MFAToken == "" {
		b.Fatal("no mfa_token")
	}
	return step.MFAToken
}

// BenchmarkMFASecondStep times only the second request of a TOTP sign-in
// (POST /api/v1/auth/mfa/verify) and reports the password hashes it
// computed, read from /metrics around it: none.
func BenchmarkMFASecondStep(b *testing.B) {
	m := newMFABench(b)
	hashed := 0
	for b.Loop() {
		b.StopTimer()
		m.clock.Advance(30 * time.Second)
		tok, code := m.password(b), m.code(b)
		before := m.hashes(b)
		b.StartTimer()
		m.call(b, "/api/v1/auth/mfa/verify", "", `{"mfa_token":"`+tok+`","method":"totp","code":"`+code+`"}`, nil)
		b.StopTimer()
		hashed += m.hashes(b) - before
		b.StartTimer()
	}
	b.ReportMetric(float64(hashed)/float64(b.N), "hashes/op")
}

var hashesMetric = regexp.MustCompile(`(?m)^gatehouse_password_hashes_total (\d+)`)

// hashes reads how many password hashes the server has computed.
func (m *mfaBench) hashes(b *testing.B) int {
	rec := httptest.NewRecorder()
	m.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	match := hashesMetric.FindSubmatch(rec.Body.Bytes())
	if match == nil {
		b.Fatalf("no gatehouse_password_hashes_total in /metrics: %d", rec.Code)
	}
	n, err := strconv.Atoi(string(match[1]))
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// BenchmarkMFARoundTrip times both requests of a TOTP sign-in, to set
// against BenchmarkLogin (the password alone).
func BenchmarkMFARoundTrip(b *testing.B) {
	m := newMFABench(b)
	for b.Loop() {
		b.StopTimer()
		m.clock.Advance(30 * time.Second)
		code := m.code(b)
		b.StartTimer()
		tok := m.password(b)
		m.call(b, "/api/v1/auth/mfa/verify", "", `{"mfa_token":"`+tok+`","method":"totp","code":"`+code+`"}`, nil)
	}
}
