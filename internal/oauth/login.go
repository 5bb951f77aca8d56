package oauth

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// Login answers loginPath?id=…, where an authorization request waits for
// its user. The browser's session answers it (the pages' session
// middleware puts it on the request), unless the client asked for a fresh
// sign-in (prompt=login or select_account, or max_age passed); then the
// browser goes to the sign-in page and comes back here. prompt=none
// without a session answers login_required to the client.
func (p *Provider) Login(w http.ResponseWriter, r *http.Request) {
	r = r.WithContext(p.contextFor(r))
	ctx := r.Context()
	st := storage{p}
	t, err := tenantOf(ctx)
	if err != nil {
		WriteError(w, r, iam.Internal(err))
		return
	}
	id := r.URL.Query().Get("id")
	found, err := st.AuthRequestByID(ctx, id)
	if err != nil {
		WriteError(w, r, iam.Errorf(iam.CodeInvalid, "the authorization request is invalid or expired: start again from the application"))
		return
	}
	req := found.(*authRequest)
	sess, err := p.browserSession(r, t.ID)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	fresh := freshSignIn(req)
	if sess != nil && (!p.satisfies(sess, req) || (req.HintSubject != "" && req.HintSubject != sess.UserID)) {
		// The browser's session is too old for the request (max_age), or
		// another user's than the hint names: the sign-in page must ask
		// again, not send it back here.
		sess, fresh = nil, true
	}
	if sess == nil {
		if slices.Contains(req.Prompt, oidc.PromptNone) {
			op.AuthRequestError(w, r, req, oidc.ErrLoginRequired(), p.op)
			return
		}
		q := url.Values{"return_to": {loginPath + "?id=" + id}}
		if req.LoginHint != "" {
			q.Set("login_hint", req.LoginHint)
		}
		if fresh {
			q.Set("prompt", oidc.PromptLogin)
		}
		// The pages speak the first of ui_locales they know.
		for _, tag := range req.UILocales {
			if base, _ := tag.Base(); base.String() == "de" || base.String() == "en" {
				q.Set("lang", base.String())
				break
			}
		}
		http.Redirect(w, r, "/login?"+q.Encode(), http.StatusSeeOther)
		return
	}
	app, err := st.application(ctx, req.ClientID)
	if err != nil {
		op.AuthRequestError(w, r, req, err, p.op)
		return
	}
	amr, confirm, err := p.secondFactor(ctx, sess, req)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	if confirm {
		if slices.Contains(req.Prompt, oidc.PromptNone) {
			op.AuthRequestError(w, r, req, oidc.ErrInteractionRequired().WithDescription("a second factor must be confirmed"), p.op)
			return
		}
		http.Redirect(w, r, "/account/reauth?"+url.Values{"return_to": {loginPath + "?id=" + id}}.Encode(), http.StatusSeeOther)
		return
	}
	consent, err := p.needsConsent(ctx, app, sess.UserID, req)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	if consent && slices.Contains(req.Prompt, oidc.PromptNone) {
		op.AuthRequestError(w, r, req, errConsentRequired, p.op)
		return
	}
	done, err := p.store.CompleteAuthRequest(ctx, t.ID, req.stored.ID, sess.UserID, sess.ID, sess.AuthenticatedAt(), amr)
	if err != nil {
		WriteError(w, r, err)
		return
	}
	if !done {
		op.AuthRequestError(w, r, req, oidc.ErrInvalidRequest().WithDescription("the authorization request was answered already"), p.op)
		return
	}
	if consent {
		// The consent page answers the request, for this user only.
		http.Redirect(w, r, consentPath+"?"+url.Values{"id": {id}}.Encode(), http.StatusSeeOther)
		return
	}
	auth := sess.AuthenticatedAt()
	req.stored.UserID, req.stored.BrowserSessionID, req.stored.AuthTime, req.stored.AMR = sess.UserID, sess.ID, &auth, amr
	op.AuthResponse(req, p.op, w, r)
}

// secondFactor answers acr_values asking for a second factor: the sign-in's
// methods to record, and whether the person must first confirm a factor
// (the step-up page). A session that confirmed one since the request
// began counts, for a user who has one; a user without a factor cannot
// give more, and the client learns it from acr.
func (p *Provider) secondFactor(ctx context.Context, sess *iam.Session, req *authRequest) ([]string, bool, error) {
	amr := sess.AMR
	if !slices.Contains(req.ACRValues, acrMFA) || slices.Contains(amr, "mfa") || p.factors == nil {
		return amr, false, nil
	}
	status, err := p.factors.StatusOf(ctx, sess.TenantID, sess.UserID)
	if err != nil {
		return nil, false, err
	}
	if !status.Enabled() {
		return amr, false, nil
	}
	if sess.MFAAt != nil && !sess.MFAAt.Before(req.stored.CreatedAt) {
		return append(slices.Clone(amr), "mfa"), false, nil
	}
	return amr, true, nil
}

var errConsentRequired = &oidc.Error{ErrorType: "consent_required", Description: "the user must consent first"}

// freshSignIn reports whether the client asked for a sign-in made for this
// request, not an earlier one (max_age=0 asks for it too).
func freshSignIn(req *authRequest) bool {
	return slices.Contains(req.Prompt, oidc.PromptLogin) || slices.Contains(req.Prompt, oidc.PromptSelectAccount) ||
		(req.MaxAge != nil && *req.MaxAge == 0)
}

// satisfies reports whether the browser's sign-in is good enough for req:
// one made after it always is; an earlier one only if no fresh one was
// asked for and it is no older than max_age.
func (p *Provider) satisfies(sess *iam.Session, req *authRequest) bool {
	auth := sess.AuthenticatedAt()
	if auth.After(req.stored.CreatedAt) {
		return true
	}
	if freshSignIn(req) {
		return false
	}
	return req.MaxAge == nil || p.now().Sub(auth) <= time.Duration(*req.MaxAge)*time.Second
}

// browserSession is the live session of the browser's sign-in, nil when
// the browser is not signed in.
func (p *Provider) browserSession(r *http.Request, tenantID string) (*iam.Session, error) {
	pr := iam.PrincipalFrom(r.Context())
	if pr == nil || pr.Kind != iam.PrincipalUser || pr.SessionID == "" {
		return nil, nil
	}
	sess, err := p.store.GetSession(r.Context(), tenantID, pr.SessionID)
	if iam.IsCode(err, iam.CodeNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !sess.Active(p.now()) || sess.BrowserHash == "" {
		return nil, nil
	}
	return sess, nil
}
