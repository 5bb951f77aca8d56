package nevisidm

import (
	"encoding/json"
	"net/http"

	"github.com/gatehouse-iam/gatehouse/internal/credential"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/strictjson"
)

// maxBody is the largest request body the surface reads.
const maxBody = 1 << 20

type handlers struct {
	credentials *credential.Service
}

// passwordLoginBody is nevisIDM's Password Login DTO.
type passwordLoginBody struct {
	Password string `json:"password"`
}

// devicePasswordLoginBody names the device password by its credential's
// external id.
type devicePasswordLoginBody struct {
	Password        string `json:"password"`
	CredentialExtID string `json:"credentialExtId"`
}

type contextPasswordLoginBody struct {
	Password string `json:"password"`
	Context  string `json:"context"`
}

// recoveryCodeLoginBody is nevisIDM's Recovery Code login DTO.
type recoveryCodeLoginBody struct {
	Code string `json:"code"`
}

// loginStatus is nevisIDM's Login Status DTO.
type loginStatus struct {
	StatusCode  int    `json:"statusCode"`
	Description string `json:"description"`
}

func (h handlers) passwordLogin(w http.ResponseWriter, r *http.Request) {
	var b passwordLoginBody
	h.verify(w, r, &b, func() credential.Attempt {
		return credential.Attempt{Type: iam.CredentialPassword, Password: b.Password}
	})
}

func (h handlers) devicePasswordLogin(w http.ResponseWriter, r *http.Request) {
	var b devicePasswordLoginBody
	h.verify(w, r, &b, func() credential.Attempt {
		return credential.Attempt{Type: iam.CredentialDevicePassword, Password: b.Password, CredentialExtID: b.CredentialExtID}
	})
}

func (h handlers) contextPasswordLogin(w http.ResponseWriter, r *http.Request) {
	var b contextPasswordLoginBody
	h.verify(w, r, &b, func() credential.Attempt {
		return credential.Attempt{Type: iam.CredentialContextPassword, Password: b.Password, Context: b.Context}
	})
}

func (h handlers) recoveryCodeLogin(w http.ResponseWriter, r *http.Request) {
	var b recoveryCodeLoginBody
	h.verify(w, r, &b, func() credential.Attempt {
		return credential.Attempt{Type: iam.CredentialRecoveryCode, Code: b.Code}
	})
}

// verify decodes the body into body, verifies the attempt it makes for the
// path's user, and answers nevisIDM's login status, or 204 for a recovery
// code used up.
func (h handlers) verify(w http.ResponseWriter, r *http.Request, body any, attempt func() credential.Attempt) {
	if err := decode(w, r, body); err != nil {
		WriteError(w, r, err)
		return
	}
	st, err := h.credentials.Verify(r.Context(), credential.UserRef{ExternalID: r.PathValue("user")}, attempt())
	if err != nil {
		WriteError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if st == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(loginStatus{StatusCode: st.Code, Description: st.Description})
}

// decode reads one JSON object of the body's type, its keys spelled as
// documented (strictjson).
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	return strictjson.Decode(http.MaxBytesReader(w, r.Body, maxBody), v, false)
}
