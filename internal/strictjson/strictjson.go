// Package strictjson decodes a request body as the seed-compatible surfaces
// take it: one JSON object of a known type, its keys spelled exactly as
// documented. encoding/json alone matches keys without regard to case (and
// folds "ſ" to "s"), so {"Password": …} would pass for {"password": …};
// REST refuses that, and so must every surface.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// Decode reads one JSON object of v's type from body: no unknown field, no
// key in another spelling than v's json tags, nothing after it. An empty
// body is an empty object when emptyOK.
func Decode(body io.Reader, v any, emptyOK bool) error {
	raw, err := io.ReadAll(body)
	if err != nil {
		if _, tooLarge := errors.AsType[*http.MaxBytesError](err); tooLarge {
			return iam.Errorf(iam.CodeTooLarge, "the request body is larger than 1 MiB")
		}
		return iam.Errorf(iam.CodeInvalid, "the request body could not be read")
	}
	if emptyOK && len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return iam.Errorf(iam.CodeInvalid, "the request body is not a valid JSON object of this operation: %s", err.Error())
	}
	if err := dec.Decode(&struct{}{}); err != io.EOF {
		return iam.Errorf(iam.CodeInvalid, "the request body holds more than one JSON object")
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return iam.Errorf(iam.CodeInvalid, "the request body is not valid JSON")
	}
	if key := misspelled(doc, reflect.TypeOf(v)); key != "" {
		return iam.Invalid("the request body has a key that is not a documented one", map[string]string{key: "is not a documented key (keys are case-sensitive)"})
	}
	return nil
}

// misspelled is the first key of doc that t's json tags do not spell
// exactly, "" when there is none.
func misspelled(doc any, t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch d := doc.(type) {
	case map[string]any:
		if t.Kind() != reflect.Struct {
			return ""
		}
		fields := map[string]reflect.Type{}
		for i := range t.NumField() {
			f := t.Field(i)
			if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
				fields[name] = f.Type
			}
		}
		for k, val := range d {
			ft, ok := fields[k]
			if !ok {
				return k
			}
			if key := misspelled(val, ft); key != "" {
				return k + "." + key
			}
		}
	case []any:
		if t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			for _, e := range d {
				if key := misspelled(e, t.Elem()); key != "" {
					return key
				}
			}
		}
	}
	return ""
}
