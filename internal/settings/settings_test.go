package settings

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

func TestMergePatch(t *testing.T) {
	target := map[string]any{"a": 1.0, "b": map[string]any{"c": 2.0, "d": 3.0}, "e": "x"}
	patch := map[string]any{"a": nil, "b": map[string]any{"c": 9.0}, "f": []any{1.0}}
	got := mergePatch(target, patch)
	want := map[string]any{"b": map[string]any{"c": 9.0, "d": 3.0}, "e": "x", "f": []any{1.0}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("mergePatch = %v, want %v", got, want)
	}
}

func newTestService() *Service {
	return New(nil, Defaults(10*time.Minute), func(string, MailTemplate) error { return nil }, time.Now)
}

func TestApply(t *testing.T) {
	s := newTestService()
	cur := s.fresh()
	tests := []struct {
		name   string
		patch  string
		fields []string // invalid fields named, or none for success
	}{
		{"open signup", `{"signup":{"policy":"open"}}`, nil},
		{"allow-list needs domains", `{"signup":{"policy":"domain_allowlist"}}`, []string{"signup.domains"}},
		{"bad domain", `{"signup":{"policy":"domain_allowlist","domains":["not a domain"]}}`, []string{"signup.domains[0]"}},
		{"every bad field at once", `{"signup":{"policy":"maybe"},"password":{"min_length":2,"min_strength":7},"lockout":{"max_attempts":0}}`,
			[]string{"signup.policy", "password.min_length", "password.min_strength", "lockout.max_attempts"}},
		{"sessions ordered", `{"sessions":{"idle_timeout":"48h","absolute_lifetime":"24h"}}`, []string{"sessions.absolute_lifetime"}},
		{"unknown field", `{"colour":"blue"}`, []string{"colour"}},
		{"setting in another case", `{"Mail":{"templates":{}}}`, []string{"Mail"}},
		{"setting with a long s", `{"ſignup":{"policy":"open"}}`, []string{"ſignup"}},
		{"nested key in another case", `{"signup":{"Policy":"open"}}`, []string{"signup.Policy"}},
		{"key inside a template", `{"mail":{"templates":{"welcome":{"Subject":"Hi"}}}}`, []string{"mail.templates.welcome.Subject"}},
		{"wrong type", `{"lockout":{"max_attempts":"ten"}}`, []string{"lockout.max_attempts"}},
		{"bad duration", `{"tokens":{"access_token_ttl":"soon"}}`, []string{"settings"}},
		{"too long a token", `{"tokens":{"access_token_ttl":"48h"}}`, []string{"tokens.access_token_ttl"}},
		{"too short a PAT cap", `{"tokens":{"max_pat_lifetime":"30m"}}`, []string{"tokens.max_pat_lifetime"}},
		{"too long a PAT cap", `{"tokens":{"max_pat_lifetime":"87601h"}}`, []string{"tokens.max_pat_lifetime"}},
	}
	for _, tt := range tests {
		var patch map[string]any
		if err := json.Unmarshal([]byte(tt.patch), &patch); err != nil {
			t.Fatal(err)
		}
		_, err := s.apply(cur, patch)
		if len(tt.fields) == 0 {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		var e *iam.Error
		if !errors.As(err, &e) || e.Code != iam.CodeInvalid {
			t.Errorf("%s: err %v, want invalid", tt.name, err)
			continue
		}
		fields, _ := e.Details["fields"].(map[string]string)
		for _, f := range tt.fields {
			if _, ok := fields[f]; !ok {
				t.Errorf("%s: fields %v do not name %s", tt.name, fields, f)
			}
		}
	}
}

func TestNullRestoresTheDefault(t *testing.T) {
	s := newTestService()
	cur := s.fresh()
	changed, err := s.apply(cur, map[string]any{"lockout": map[string]any{"max_attempts": 5.0}})
	if err != nil || changed.Lockout.MaxAttempts != 5 {
		t.Fatalf("apply: %v %+v", err, changed.Lockout)
	}
	back, err := s.apply(changed, map[string]any{"lockout": map[string]any{"max_attempts": nil}})
	if err != nil || back.Lockout.MaxAttempts != 10 {
		t.Fatalf("null: %v %+v", err, back.Lockout)
	}
}

func TestCheckPassword(t *testing.T) {
	st := Defaults(10 * time.Minute)
	if err := st.CheckPassword("password", "tulip-anchor-91-violet", "ann@example.com", "Ann"); err != nil {
		t.Fatalf("a good password: %v", err)
	}
	err := st.CheckPassword("new_password", "ann-was-here-1", "ann@example.com", "Ann")
	var e *iam.Error
	if !errors.As(err, &e) || e.Code != iam.CodePasswordPolicy || e.Details["field"] != "new_password" {
		t.Fatalf("a personal password: %v", err)
	}
}
