package httpapi

import (
	"context"
	"errors"

	"github.com/gatehouse-iam/gatehouse/internal/access"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// SubjectBody names who a check is about: a type and id, or an access token.
type SubjectBody struct {
	Type  string `json:"type,omitempty" enum:"user,service_account"`
	ID    string `json:"id,omitempty" maxLength:"36"`
	Token string `json:"token,omitempty" maxLength:"8192" doc:"An access token of this tenant, instead of type and id"`
}

// CheckBody asks whether a subject holds a permission, in an organization or
// tenant-wide.
type CheckBody struct {
	Subject      SubjectBody `json:"subject"`
	Permission   string      `json:"permission" maxLength:"100" example:"invoices.read"`
	Organization string      `json:"organization,omitempty" maxLength:"63" doc:"Organization id or alias; omit for a tenant-wide check. An unknown organization answers as one the subject is not a member of"`
}

func (b CheckBody) input() access.CheckInput {
	return access.CheckInput{Subject: access.Subject{Type: b.Subject.Type, ID: b.Subject.ID, Token: b.Subject.Token},
		Permission: b.Permission, Organization: b.Organization}
}

// GrantBody is what allowed a check: the role and the path to it, as far as
// the caller may read them.
type GrantBody struct {
	Permission string `json:"permission" doc:"The granted pattern that matched"`
	RoleID     string `json:"role_id,omitempty" doc:"Only for a caller holding roles.read, or asking about itself"`
	Role       string `json:"role,omitempty" doc:"Only for a caller holding roles.read, or asking about itself"`
	Via        string `json:"via" enum:"tenant,group,organization"`
	ViaID      string `json:"via_id,omitempty" doc:"The group or organization; only for a caller holding groups.read or orgs.read, or asking about itself"`
}

// DecisionBody answers a check.
type DecisionBody struct {
	Allowed   bool       `json:"allowed"`
	Reason    string     `json:"reason"`
	GrantedBy *GrantBody `json:"granted_by,omitempty"`
	Error     *ErrorBody `json:"error,omitempty" doc:"In batches: why this check could not be answered"`
}

func decisionBody(ctx context.Context, d *access.Decision) DecisionBody {
	b := DecisionBody{Allowed: d.Allowed, Reason: d.Reason}
	if g := d.Grant; g != nil {
		b.GrantedBy = &GrantBody{Permission: g.Permission, RoleID: g.RoleID, Role: g.RoleName, Via: g.Via, ViaID: g.ViaID}
	}
	if d.Err != nil {
		b.Error = fromError(ctx, d.Err)
	}
	return b
}

type checkInput struct {
	Body CheckBody
}

type decisionOutput struct {
	Body DecisionBody
}

func (a *API) check(ctx context.Context, in *checkInput) (*decisionOutput, error) {
	d, err := a.access.Check(ctx, in.Body.input())
	if err != nil {
		return nil, err
	}
	return &decisionOutput{Body: decisionBody(ctx, d)}, nil
}

type checkBatchInput struct {
	Body struct {
		Checks []CheckBody `json:"checks" minItems:"1" maxItems:"100"`
	}
}

type checkBatchOutput struct {
	Body struct {
		Results []DecisionBody `json:"results"`
	}
}

func (a *API) checkBatch(ctx context.Context, in *checkBatchInput) (*checkBatchOutput, error) {
	ins := make([]access.CheckInput, len(in.Body.Checks))
	for i, c := range in.Body.Checks {
		ins[i] = c.input()
	}
	ds, err := a.access.CheckBatch(ctx, ins)
	if err != nil {
		return nil, err
	}
	out := &checkBatchOutput{}
	out.Body.Results = make([]DecisionBody, len(ds))
	for i := range ds {
		out.Body.Results[i] = decisionBody(ctx, &ds[i])
	}
	return out, nil
}

type myPermissionsInput struct {
	Organization string `query:"organization" maxLength:"63" doc:"Organization id or alias; omit for tenant-wide permissions"`
}

type myPermissionsOutput struct {
	Body struct {
		Permissions []string `json:"permissions"`
	}
}

func (a *API) myPermissions(ctx context.Context, in *myPermissionsInput) (*myPermissionsOutput, error) {
	perms, err := a.access.MyPermissions(ctx, in.Organization)
	if err != nil {
		return nil, err
	}
	out := &myPermissionsOutput{}
	out.Body.Permissions = perms
	return out, nil
}

// AuthZEN Authorization API 1.0 (OpenID AuthZEN): the same decisions in the
// shape policy-enforcement points written for AuthZEN send and expect.

// AuthZENEntity is a subject or resource: a type, an id and properties.
type AuthZENEntity struct {
	Type       string         `json:"type" maxLength:"100"`
	ID         string         `json:"id" maxLength:"255"`
	Properties map[string]any `json:"properties,omitempty"`
}

// AuthZENAction is what the subject wants to do: a Gatehouse permission name.
type AuthZENAction struct {
	Name       string         `json:"name" maxLength:"100"`
	Properties map[string]any `json:"properties,omitempty"`
}

// AuthZENRequest is one access evaluation (AuthZEN §6.1).
type AuthZENRequest struct {
	Subject  *AuthZENEntity `json:"subject,omitempty"`
	Action   *AuthZENAction `json:"action,omitempty"`
	Resource *AuthZENEntity `json:"resource,omitempty"`
	Context  map[string]any `json:"context,omitempty"`
}

// AuthZENDecision is an evaluation's answer (AuthZEN §6.2).
type AuthZENDecision struct {
	Decision bool           `json:"decision"`
	Context  map[string]any `json:"context,omitempty"`
}

// checkFrom maps an AuthZEN request to a check: the action name is the
// permission; a resource of type "organization" (or a resource carrying an
// "organization" property) scopes the check to that organization. Missing
// parts are left empty for the service to refuse, after it has authenticated
// the caller.
func checkFrom(r AuthZENRequest) access.CheckInput {
	var in access.CheckInput
	if r.Subject != nil {
		in.Subject = access.Subject{Type: r.Subject.Type, ID: r.Subject.ID}
	}
	if r.Action != nil {
		in.Permission = r.Action.Name
	}
	if r.Resource != nil {
		if r.Resource.Type == "organization" {
			in.Organization = r.Resource.ID
		} else if org, ok := r.Resource.Properties["organization"].(string); ok {
			in.Organization = org
		}
	}
	return in
}

func authzenDecision(ctx context.Context, d *access.Decision, err error) AuthZENDecision {
	if err != nil {
		body := fromError(ctx, err)
		return AuthZENDecision{Context: map[string]any{"error": map[string]any{"code": body.Code, "message": body.Message}}}
	}
	return AuthZENDecision{Decision: d.Allowed, Context: map[string]any{"reason_admin": map[string]string{"en": d.Reason}}}
}

type evaluationInput struct {
	Body AuthZENRequest
}

type evaluationOutput struct {
	Body AuthZENDecision
}

func (a *API) evaluation(ctx context.Context, in *evaluationInput) (*evaluationOutput, error) {
	d, err := a.access.Check(ctx, checkFrom(in.Body))
	if err != nil {
		return nil, err
	}
	return &evaluationOutput{Body: authzenDecision(ctx, d, nil)}, nil
}

type evaluationsInput struct {
	Body struct {
		AuthZENRequest
		Evaluations []AuthZENRequest `json:"evaluations,omitempty" maxItems:"100"`
		Options     map[string]any   `json:"options,omitempty"`
	}
}

type evaluationsOutput struct {
	Body struct {
		Evaluations []AuthZENDecision `json:"evaluations"`
	}
}

// evaluations answers a batch (AuthZEN §7): each evaluation inherits the
// top-level subject, action, resource and context it does not set itself.
func (a *API) evaluations(ctx context.Context, in *evaluationsInput) (*evaluationsOutput, error) {
	defaults := in.Body.AuthZENRequest
	reqs := in.Body.Evaluations
	if len(reqs) == 0 {
		reqs = []AuthZENRequest{{}}
	}
	ins := make([]access.CheckInput, len(reqs))
	for i, r := range reqs {
		if r.Subject == nil {
			r.Subject = defaults.Subject
		}
		if r.Action == nil {
			r.Action = defaults.Action
		}
		if r.Resource == nil {
			r.Resource = defaults.Resource
		}
		ins[i] = checkFrom(r)
	}
	ds, err := a.access.CheckBatch(ctx, ins)
	if err != nil {
		return nil, err
	}
	out := &evaluationsOutput{}
	out.Body.Evaluations = make([]AuthZENDecision, len(ds))
	for i := range ds {
		out.Body.Evaluations[i] = authzenDecision(ctx, &ds[i], ds[i].Err)
	}
	return out, nil
}

// AuthZENConfiguration is the PDP metadata (AuthZEN §13).
type AuthZENConfiguration struct {
	PolicyDecisionPoint       string `json:"policy_decision_point"`
	AccessEvaluationEndpoint  string `json:"access_evaluation_endpoint"`
	AccessEvaluationsEndpoint string `json:"access_evaluations_endpoint"`
}

type authzenConfigOutput struct {
	Body AuthZENConfiguration
}

// authzenConfiguration names the base URL of the request's tenant: its
// evaluation endpoints take that tenant's tokens only.
func (a *API) authzenConfiguration(ctx context.Context, _ *struct{}) (*authzenConfigOutput, error) {
	t := iam.TenantFrom(ctx)
	if t == nil {
		return nil, iam.Internal(errors.New("no tenant in context"))
	}
	base := a.baseURL(t)
	return &authzenConfigOutput{Body: AuthZENConfiguration{
		PolicyDecisionPoint:       base,
		AccessEvaluationEndpoint:  base + "/access/v1/evaluation",
		AccessEvaluationsEndpoint: base + "/access/v1/evaluations",
	}}, nil
}
