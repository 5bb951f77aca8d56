package httpapi

import (
	"context"

	"github.com/gatehouse-iam/gatehouse/internal/settings"
)

type settingsOutput struct {
	ETagHeader
	Body settings.Settings
}

func (a *API) getSettings(ctx context.Context, _ *struct{}) (*settingsOutput, error) {
	st, err := a.settings.Get(ctx)
	if err != nil {
		return nil, err
	}
	return &settingsOutput{ETagHeader: etag(st.Version), Body: *st}, nil
}

type patchSettingsInput struct {
	IfMatch
	Body map[string]any `doc:"A JSON merge patch (RFC 7396) of the settings: objects merge, null restores a default"`
}

func (a *API) patchSettings(ctx context.Context, in *patchSettingsInput) (*settingsOutput, error) {
	st, err := a.settings.Patch(ctx, in.Body, in.precondition())
	if err != nil {
		return nil, err
	}
	return &settingsOutput{ETagHeader: etag(st.Version), Body: *st}, nil
}
