package oauth

import (
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// refusalRecorder keeps an answer's status and the start of its body.
type refusalRecorder struct {
	http.ResponseWriter
	status int
	head   []byte
}

func (r *refusalRecorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *refusalRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	if room := 1024 - len(r.head); room > 0 {
		r.head = append(r.head, b[:min(room, len(b))]...)
	}
	return r.ResponseWriter.Write(b)
}

// notRefusals are token answers that are part of a flow, not a refusal:
// a device polling before its person decided.
var notRefusals = map[string]bool{"authorization_pending": true, "slow_down": true}

// maxAuditedText bounds a client id or grant type a refused request named,
// in its audit event: a client id is 30 bytes, a grant type's URN 50.
const maxAuditedText = 128

// auditRefusals records every token request the endpoint refuses, with
// its grant type, the client it named and the error; never a secret, a
// code or a token.
func (p *Provider) auditRefusals(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Parsed here, the form is the library's too (the request it reads
		// shares it), and readable below.
		_ = r.ParseForm()
		rec := &refusalRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status < http.StatusBadRequest {
			return
		}
		var answer struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		_ = json.Unmarshal(rec.head, &answer)
		t := iam.TenantFrom(r.Context())
		if t == nil || notRefusals[answer.Error] {
			return
		}
		clientID := r.PostForm.Get("client_id")
		if id, _, ok := r.BasicAuth(); ok {
			if unescaped, err := url.QueryUnescape(id); err == nil {
				clientID = unescaped
			}
		}
		// Anyone may send these, as long as a body allows.
		clientID = audit.Clip(clientID, maxAuditedText)
		e := audit.Event(r.Context(), p.now(), t.ID, "oauth.token.refused", iam.Ref{Type: string(iam.PrincipalApplication), ID: clientID},
			iam.ResultFailure, map[string]any{"grant_type": audit.Clip(r.PostForm.Get("grant_type"), maxAuditedText), "client_id": clientID,
				"error": answer.Error, "error_description": answer.Description, "status": rec.status})
		if err := p.audit.Append(r.Context(), e); err != nil {
			iam.RecordCause(r.Context(), err)
		}
	})
}

// bufferedAnswer holds an answer until it is complete.
type bufferedAnswer struct {
	header http.Header
	status int
	body   []byte
}

func (b *bufferedAnswer) Header() http.Header { return b.header }
func (b *bufferedAnswer) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}
func (b *bufferedAnswer) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	b.body = append(b.body, p...)
	return len(p), nil
}

// basicChallenge answers invalid_client with 401 and a Basic challenge
// when the client authenticated with the Authorization header, as RFC 6749
// §5.2 requires; the library answers 400.
func basicChallenge(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, _, ok := r.BasicAuth(); !ok {
			next.ServeHTTP(w, r)
			return
		}
		b := &bufferedAnswer{header: w.Header()}
		next.ServeHTTP(b, r)
		if b.status == 0 {
			b.status = http.StatusOK
		}
		if b.status == http.StatusBadRequest {
			var answer struct {
				Error string `json:"error"`
			}
			if json.Unmarshal(b.body, &answer) == nil && answer.Error == "invalid_client" {
				b.status = http.StatusUnauthorized
				w.Header().Set("WWW-Authenticate", `Basic realm="gatehouse"`)
			}
		}
		w.WriteHeader(b.status)
		_, _ = w.Write(b.body)
	})
}
