package oauth

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

func TestWriteErrorTakesTheShapeOfRFC6749(t *testing.T) {
	for _, tc := range []struct {
		name      string
		err       error
		status    int
		code      string
		challenge string // part of WWW-Authenticate, "" for none
	}{
		{"invalid input", iam.Invalid("bad", map[string]string{"scope": "unknown"}), 400, "invalid_request", ""},
		{"body too large", iam.Errorf(iam.CodeTooLarge, "too large"), 413, "invalid_request", ""},
		{"bad bearer token (RFC 6750 §3.1)", iam.Errorf(iam.CodeInvalidToken, "expired"), 401, "invalid_token", `error="invalid_token"`},
		{"client not authenticated", iam.Errorf(iam.CodeUnauthenticated, "who"), 401, "invalid_client", "Bearer"},
		{"forbidden", iam.Errorf(iam.CodeForbidden, "no"), 403, "access_denied", ""},
		{"not found: an extension code", iam.Errorf(iam.CodeTenantNotFound, "no tenant"), 404, "tenant_not_found", ""},
		{"rate limited: an extension code", iam.Errorf(iam.CodeRateLimited, "slow"), 429, "rate_limited", ""},
		{"unavailable", iam.Errorf(iam.CodeUnavailable, "db down"), 503, "temporarily_unavailable", ""},
		{"internal", errors.New("sql: secret detail"), 500, "server_error", ""},
		{"precondition failed: an extension code", iam.Errorf(iam.CodePreconditionFailed, "stale"), 412, "precondition_failed", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			WriteError(w, httptest.NewRequest(http.MethodGet, "/oauth2/x", nil), tc.err)
			if w.Code != tc.status {
				t.Errorf("status %d, want %d", w.Code, tc.status)
			}
			var body map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			if body["error"] != tc.code || body["error_description"] == "" || len(body) != 2 {
				t.Errorf("body %v, want error %s with a description and nothing else", body, tc.code)
			}
			if ch := w.Header().Get("WWW-Authenticate"); !strings.Contains(ch, tc.challenge) || (tc.challenge == "") != (ch == "") {
				t.Errorf("WWW-Authenticate %q, want %q", ch, tc.challenge)
			}
			if strings.Contains(w.Body.String(), "secret detail") {
				t.Errorf("the cause shows: %s", w.Body)
			}
		})
	}
}
