package pages

import (
	"net/http"
	"net/url"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// needReauth answers a service's demand for a recent second factor with
// the step-up page, which sends the user back to the page they were on;
// it reports whether it answered.
func (p *Pages) needReauth(w http.ResponseWriter, r *http.Request, err error) bool {
	if !iam.IsCode(err, iam.CodeMFAReauthRequired) {
		return false
	}
	http.Redirect(w, r, "/account/reauth?return_to="+url.QueryEscape(pageOf(r)), http.StatusSeeOther)
	return true
}
