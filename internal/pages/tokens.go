package pages

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/pat"
	"github.com/gatehouse-iam/gatehouse/internal/permission"
)

// tokenRow is one of the user's personal access tokens as the page lists
// it: never its secret.
type tokenRow struct {
	ID, Name, Prefix, Created, Expires, LastUsed string
	// Scopes are the permissions the token keeps; AllScopes is a token
	// that keeps all of its owner's.
	Scopes    []string
	AllScopes bool
}

// expiryChoice is one lifetime the form offers; Days 0 is the service's
// default (30 days, or the tenant's cap when shorter).
type expiryChoice struct {
	Days     int
	Name     string
	Selected bool
}

// expiries are the lifetimes the form offers, the default first.
var expiries = []expiryChoice{{0, "default", false}, {7, "week", false}, {90, "quarter", false}, {365, "year", false}}

// scopeChoice is one permission a new token may keep.
type scopeChoice struct {
	Name    string
	Checked bool
}

// tokensData is the tokens page: the list, the form to create one and,
// in the answer to that form only, the new token's secret.
type tokensData struct {
	Tokens   []tokenRow
	Total    int
	Expiries []expiryChoice
	// Scopes are the permissions the user holds, which a token may keep;
	// Some is the choice to keep only those checked.
	Scopes []scopeChoice
	Some   bool
	// Created is the token just created, Secret its secret, shown once.
	Created *tokenRow
	Secret  string
}

func (p *Pages) tokensPage(w http.ResponseWriter, r *http.Request) {
	pr, ok := p.signedIn(w, r)
	if !ok {
		return
	}
	v := p.accountView(w, r, "account.tokens.title")
	p.showTokens(w, r, v, newTokenForm(pr, url.Values{}))
}

// newTokenForm is the creation form as last posted, or empty.
func newTokenForm(pr *iam.Principal, form url.Values) tokensData {
	d := tokensData{Some: form.Get("scope_mode") == "some"}
	for _, e := range expiries {
		e.Selected = form.Get("expires") == strconv.Itoa(e.Days) || (e.Days == 0 && form.Get("expires") == "")
		d.Expiries = append(d.Expiries, e)
	}
	checked := form["scopes"]
	for _, s := range permission.System {
		if permission.Allowed(pr.Permissions, s) {
			d.Scopes = append(d.Scopes, scopeChoice{Name: s, Checked: slices.Contains(checked, s)})
		}
	}
	return d
}

// showTokens renders the tokens page with the user's tokens and d's form.
func (p *Pages) showTokens(w http.ResponseWriter, r *http.Request, v *view, d tokensData) {
	tokens, total, err := p.PATs.List(r.Context(), iam.ListParams{Page: 1, Limit: iam.MaxLimit})
	if err != nil {
		p.WriteError(w, r, err)
		return
	}
	d.Total = total
	for i := range tokens {
		d.Tokens = append(d.Tokens, tokenRowOf(&tokens[i]))
	}
	v.Data = d
	p.render(w, r, "account_tokens", v)
}

func tokenRowOf(t *iam.PersonalAccessToken) tokenRow {
	row := tokenRow{ID: t.ID, Name: t.Name, Prefix: t.Display, Created: when(t.CreatedAt), Expires: when(t.ExpiresAt),
		Scopes: t.Scopes, AllScopes: t.Scopes == nil}
	if t.LastUsedAt != nil {
		row.LastUsed = when(*t.LastUsedAt)
	}
	return row
}

// createToken creates a token and shows its secret in this answer only:
// never in a URL or cookie, and the page is not cached.
func (p *Pages) createToken(w http.ResponseWriter, r *http.Request) {
	pr, ok := p.postedBy(w, r)
	if !ok {
		return
	}
	in, err := p.newToken(r)
	if err == nil {
		var c *pat.Created
		if c, err = p.PATs.Create(r.Context(), in); err == nil {
			v := p.newView(w, r, "account.tokens.title")
			v.Wide = true
			d := newTokenForm(pr, url.Values{})
			row := tokenRowOf(c.Token)
			d.Created, d.Secret = &row, c.Secret
			p.showTokens(w, r, v, d)
			return
		}
	}
	if p.needReauth(w, r, err) {
		return
	}
	v := p.newView(w, r, "account.tokens.title")
	v.Wide = true
	v.Form = url.Values{"name": {r.PostFormValue("name")}}
	p.formError(r, v, err, "name", "expires", "scopes")
	tokenFieldErrors(v)
	p.showTokens(w, r, v, newTokenForm(pr, r.PostForm))
}

// newToken reads the creation form as the API's request: no scopes keep
// all the user's permissions, "only these" keeps those checked, maybe none.
func (p *Pages) newToken(r *http.Request) (pat.NewToken, error) {
	in := pat.NewToken{Name: r.PostFormValue("name")}
	if e := r.PostFormValue("expires"); e != "" {
		days, err := strconv.Atoi(e)
		if err != nil || !slices.ContainsFunc(expiries, func(c expiryChoice) bool { return c.Days == days }) {
			return in, iam.Invalid("the request has invalid fields", map[string]string{"expires": "not one of the choices"})
		}
		if days > 0 {
			at := p.Now().Add(time.Duration(days) * 24 * time.Hour)
			in.ExpiresAt = &at
		}
	}
	if r.PostFormValue("scope_mode") == "some" {
		in.Scopes = append([]string{}, r.PostForm["scopes"]...)
	}
	return in, nil
}

// tokenFieldErrors writes the page's words next to the fields the service
// refused: its expires_at is the form's expiry choice, its scopes[i] the
// scope checkboxes.
func tokenFieldErrors(v *view) {
	if v.Errors == nil {
		return
	}
	errs := map[string]string{}
	for field := range v.Errors {
		switch {
		case field == "name":
			errs["name"] = v.L.T("account.tokens.name_invalid")
		case field == "expires":
			errs["expires"] = v.L.T("account.tokens.expiry_choice")
		case field == "expires_at":
			errs["expires"] = v.L.T("account.tokens.expiry_invalid")
		case strings.HasPrefix(field, "scopes"):
			errs["scopes"] = v.L.T("account.tokens.scopes_invalid")
		default:
			errs[field] = v.Errors[field]
		}
	}
	v.setErrors(errs, "name", "expires", "scopes")
}

func (p *Pages) deleteToken(w http.ResponseWriter, r *http.Request) {
	if _, ok := p.postedBy(w, r); !ok {
		return
	}
	if err := p.PATs.Revoke(r.Context(), r.PathValue("id")); err != nil {
		p.WriteError(w, r, err)
		return
	}
	done(w, r, "/account/tokens", "token_deleted")
}
