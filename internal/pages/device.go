package pages

import (
	"net/http"
	"net/url"
)

func (p *Pages) deviceRoutes(mux *http.ServeMux) {
	if p.OAuth == nil {
		return
	}
	mux.HandleFunc("GET /device", p.devicePage)
	mux.HandleFunc("POST /device", p.deviceCode)
	mux.HandleFunc("POST /device/decide", p.deviceDecide)
}

// deviceData is the device page: the code form, or the question about
// the device whose code was entered.
type deviceData struct {
	UserCode    string
	Application string
	Scopes      []scopeRow
}

// devicePage shows the code form, filled in from the link a device shows
// (verification_uri_complete), for the signed-in user.
func (p *Pages) devicePage(w http.ResponseWriter, r *http.Request) {
	if _, ok := p.signedIn(w, r); !ok {
		return
	}
	v := p.newView(w, r, "device.title")
	v.Form = url.Values{"user_code": {r.URL.Query().Get("user_code")}}
	v.Data = deviceData{}
	p.render(w, r, "device", v)
}

// deviceCode checks the code entered and asks whether to allow the device.
func (p *Pages) deviceCode(w http.ResponseWriter, r *http.Request) {
	if _, ok := p.postedBy(w, r); !ok {
		return
	}
	code := r.PostFormValue("user_code")
	v := p.newView(w, r, "device.title")
	v.Form = url.Values{"user_code": {code}}
	app, scopes, resources, err := p.OAuth.DevicePrompt(r.Context(), code)
	if err != nil {
		v.Data = deviceData{}
		p.formError(r, v, err, "user_code")
		p.render(w, r, "device", v)
		return
	}
	d := deviceData{UserCode: code, Application: app, Scopes: v.L.asked(scopes, resources)}
	v.Data = d
	p.render(w, r, "device", v)
}

// deviceDecide records the answer; the device learns it when it polls.
func (p *Pages) deviceDecide(w http.ResponseWriter, r *http.Request) {
	if _, ok := p.postedBy(w, r); !ok {
		return
	}
	allow := r.PostFormValue("decision") == "allow"
	if err := p.OAuth.DecideDevice(r.Context(), r.PostFormValue("user_code"), allow); err != nil {
		v := p.newView(w, r, "device.title")
		v.Form = url.Values{"user_code": {r.PostFormValue("user_code")}}
		v.Data = deviceData{}
		p.formError(r, v, err, "user_code")
		p.render(w, r, "device", v)
		return
	}
	message := "device.allowed"
	if !allow {
		message = "device.denied"
	}
	p.renderOutcome(w, r, "device.title", http.StatusOK, outcome{Message: message})
}
