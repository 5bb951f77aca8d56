package settings

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/audit"
	"github.com/gatehouse-iam/gatehouse/internal/cache"
	"github.com/gatehouse-iam/gatehouse/internal/iam"
	"github.com/gatehouse-iam/gatehouse/internal/permission"
)

// cacheTTL bounds how long another replica's change takes to apply here.
const cacheTTL = time.Second

// TemplateChecker validates a mail template override for a message kind.
type TemplateChecker func(kind string, t MailTemplate) error

// Store is what the settings service needs: a tenant's settings outside
// transactions, anything inside them.
type Store interface {
	iam.Transactor
	iam.SettingsStore
}

// Service reads and changes tenant settings.
type Service struct {
	store    Store
	defaults Settings
	check    TemplateChecker
	now      func() time.Time
	cache    *cache.Bounded[string, *Settings]
}

// New returns a Service whose tenants start from defaults.
func New(store Store, defaults Settings, check TemplateChecker, now func() time.Time) *Service {
	return &Service{store: store, defaults: defaults, check: check, now: now, cache: cache.New[string, *Settings](10_000)}
}

// For returns a tenant's settings for the services that apply them. The
// result is shared: callers must not change it.
func (s *Service) For(ctx context.Context, tenantID string) (*Settings, error) {
	now := s.now()
	if st, ok := s.cache.Fresh(tenantID, now, cacheTTL); ok {
		return st, nil
	}
	st, err := s.load(ctx, s.store, tenantID)
	if err != nil {
		return nil, err
	}
	s.cache.Put(tenantID, st, now)
	return st, nil
}

// load reads the stored document over the defaults, so settings added in
// later versions take their defaults.
func (s *Service) load(ctx context.Context, store iam.SettingsStore, tenantID string) (*Settings, error) {
	st := s.fresh()
	doc, version, err := store.GetSettings(ctx, tenantID)
	if iam.IsCode(err, iam.CodeNotFound) {
		return st, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(doc, st); err != nil {
		return nil, iam.Internal(fmt.Errorf("tenant %s settings: %w", tenantID, err))
	}
	st.Version = version
	return st, nil
}

// fresh is a deep copy of the defaults.
func (s *Service) fresh() *Settings {
	b, _ := json.Marshal(s.defaults)
	var st Settings
	_ = json.Unmarshal(b, &st)
	return &st
}

// Get returns the caller's tenant's settings. Needs settings.manage.
func (s *Service) Get(ctx context.Context) (*Settings, error) {
	p, err := permission.Require(ctx, permission.SettingsManage)
	if err != nil {
		return nil, err
	}
	return s.load(ctx, s.store, p.TenantID)
}

// Patch applies a JSON merge patch (RFC 7396) to the caller's tenant's
// settings and validates the result as a whole: an invalid patch changes
// nothing and names every bad field. The settings must meet pre.
// Needs settings.manage.
func (s *Service) Patch(ctx context.Context, patch map[string]any, pre iam.Precondition) (*Settings, error) {
	p, err := permission.Require(ctx, permission.SettingsManage)
	if err != nil {
		return nil, err
	}
	var next *Settings
	err = s.store.InTx(ctx, func(tx iam.Tx) error {
		// Patches of one tenant take turns, so that none is lost.
		if err := tx.LockTenant(ctx, p.TenantID); err != nil {
			return err
		}
		cur, err := s.load(ctx, tx, p.TenantID)
		if err != nil {
			return err
		}
		if err := pre.Check(cur.Version); err != nil {
			return err
		}
		if next, err = s.apply(cur, patch); err != nil {
			return err
		}
		// Judged by the result, not by the patch's keys: a template decides
		// what goes around every single-use link, to any user, so only an
		// admin holding every permission may change one.
		if !next.Mail.equal(cur.Mail) && !slices.Contains(p.Permissions, permission.All) {
			return &iam.Error{Code: iam.CodeForbidden, Message: "changing mail templates needs every permission (*)",
				Details: map[string]any{"permission": permission.All}}
		}
		// PutSettings increments the version, from 0 before the first put.
		next.Version = cur.Version + 1
		doc, err := json.Marshal(next)
		if err != nil {
			return iam.Internal(err)
		}
		if err := tx.PutSettings(ctx, p.TenantID, doc, s.now()); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, audit.Event(ctx, s.now(), p.TenantID, "settings.updated", iam.Ref{Type: "tenant", ID: p.TenantID},
			iam.ResultSuccess, map[string]any{"changed": topLevel(patch)}))
	})
	if err != nil {
		return nil, err
	}
	s.cache.Forget(p.TenantID)
	return next, nil
}

func topLevel(patch map[string]any) []string {
	keys := make([]string, 0, len(patch))
	for k := range patch {
		keys = append(keys, k)
	}
	return keys
}

// apply merges patch into cur and decodes the result strictly.
func (s *Service) apply(cur *Settings, patch map[string]any) (*Settings, error) {
	// The decoder below would take "Mail" or "ſignup" for a setting; a
	// patch must name each one exactly.
	problems := map[string]string{}
	unknownKeys(patch, reflect.TypeFor[Settings](), "", problems)
	if len(problems) > 0 {
		return nil, iam.Invalid("the settings are invalid; nothing was changed", problems)
	}
	b, err := json.Marshal(cur)
	if err != nil {
		return nil, iam.Internal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, iam.Internal(err)
	}
	merged, err := json.Marshal(mergePatch(doc, patch))
	if err != nil {
		return nil, iam.Invalid("the patch is not valid JSON", nil)
	}
	dec := json.NewDecoder(bytes.NewReader(merged))
	dec.DisallowUnknownFields()
	// Decoding over the defaults makes a field the patch set to null take
	// its default again.
	next := s.fresh()
	next.Mail.Templates = nil
	if err := dec.Decode(next); err != nil {
		return nil, decodeProblem(err)
	}
	if next.Signup.Domains == nil {
		next.Signup.Domains = []string{}
	}
	if next.Mail.Templates == nil {
		next.Mail.Templates = map[string]MailTemplate{}
	}
	if problems := next.validate(s.check); len(problems) > 0 {
		return nil, iam.Invalid("the settings are invalid; nothing was changed", problems)
	}
	return next, nil
}

// mergePatch applies RFC 7396: objects merge, null deletes, anything else replaces.
func mergePatch(target map[string]any, patch map[string]any) map[string]any {
	for k, v := range patch {
		if v == nil {
			delete(target, k)
			continue
		}
		if pm, ok := v.(map[string]any); ok {
			tm, _ := target[k].(map[string]any)
			if tm == nil {
				tm = map[string]any{}
			}
			target[k] = mergePatch(tm, pm)
			continue
		}
		target[k] = v
	}
	return target
}

// unknownKeys adds to problems, by path, every key of obj that is not
// exactly the JSON name of a field of t, in obj and in the objects it holds.
// The keys of a map (such as the templates' message kinds) are data.
func unknownKeys(obj map[string]any, t reflect.Type, prefix string, problems map[string]string) {
	for k, v := range obj {
		elem := t
		switch t.Kind() {
		case reflect.Struct:
			f, ok := fieldByJSONName(t, k)
			if !ok {
				problems[prefix+k] = "is not a setting"
				continue
			}
			elem = f.Type
		case reflect.Map:
			elem = t.Elem()
		default:
			continue
		}
		if m, ok := v.(map[string]any); ok {
			unknownKeys(m, elem, prefix+k+".", problems)
		}
	}
}

// fieldByJSONName finds the field of struct type t that encoding/json writes
// under name, comparing exactly.
func fieldByJSONName(t reflect.Type, name string) (reflect.StructField, bool) {
	for f := range t.Fields() {
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == "" {
			tag = f.Name
		}
		if f.IsExported() && tag != "-" && tag == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// decodeProblem names the field a strict decode refused.
func decodeProblem(err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return iam.Invalid("the settings are invalid; nothing was changed", map[string]string{typeErr.Field: "must be a " + typeErr.Type.String()})
	}
	msg := err.Error()
	if field, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return iam.Invalid("the settings are invalid; nothing was changed", map[string]string{strings.Trim(field, `"`): "is not a setting"})
	}
	return iam.Invalid("the settings are invalid; nothing was changed", map[string]string{"settings": strings.TrimPrefix(msg, "json: ")})
}
