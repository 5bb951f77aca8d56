package settings

import (
	"strings"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/password"
)

// PasswordPolicy is the tenant's password policy.
func (s *Settings) PasswordPolicy() password.Policy {
	p := s.Password
	return password.Policy{MinLength: p.MinLength, MaxLength: p.MaxLength, RejectCommon: p.RejectCommon,
		RejectPersonal: p.RejectPersonal, MinStrength: p.MinStrength}
}

// CheckPassword applies the policy to a password about to be set for a user
// with this email and name: CodePasswordPolicy listing every rule broken,
// with field naming the request field.
func (s *Settings) CheckPassword(field, pw, email, name string) error {
	vs := s.PasswordPolicy().Check(pw, PersonalInfo(email, name))
	if len(vs) == 0 {
		return nil
	}
	rules := make([]map[string]string, len(vs))
	for i, v := range vs {
		rules[i] = map[string]string{"rule": v.Rule, "message": v.Message}
	}
	return &iam.Error{Code: iam.CodePasswordPolicy, Message: "the password does not meet the password policy",
		Details: map[string]any{"field": field, "violations": rules}}
}

// PersonalInfo is what a password must not contain: the email's local part
// and the name.
func PersonalInfo(email, name string) []string {
	local, _, _ := strings.Cut(email, "@")
	out := []string{}
	for _, s := range []string{local, name} {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
