package resource

import "testing"

func TestErrorMessage(t *testing.T) {
	err := error(&Error{Status: 400, ScimType: "invalidPath", Detail: "no attribute nosuch"})
	if got, want := err.Error(), "scim 400 invalidPath: no attribute nosuch"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
