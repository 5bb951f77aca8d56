package pages

import (
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

func TestCatalogComplete(t *testing.T) {
	cat, err := loadCatalog(files)
	if err != nil {
		t.Fatal(err)
	}
	keys := func(lang string) []string {
		var out []string
		for k, v := range cat[lang] {
			if v == "" {
				t.Errorf("%s: %q is empty", lang, k)
			}
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	en := keys("en")
	for _, tag := range languages[1:] {
		other := keys(tag.String())
		for _, k := range en {
			if _, ok := cat[tag.String()][k]; !ok {
				t.Errorf("%s lacks %q", tag, k)
			}
		}
		for _, k := range other {
			if _, ok := cat["en"][k]; !ok {
				t.Errorf("%s has %q, which en lacks", tag, k)
			}
		}
	}
	// Every key a template names literally is in the catalog.
	literal := regexp.MustCompile(`"([a-z_]+(?:\.[a-z_]+)+)"`)
	tmpl, _ := fs.Glob(files, "templates/*.html")
	for _, f := range tmpl {
		b, _ := fs.ReadFile(files, f)
		for _, m := range literal.FindAllStringSubmatch(string(b), -1) {
			k := m[1]
			if _, ok := cat["en"][k]; !ok {
				t.Errorf("%s names %q, which the catalog lacks", f, k)
			}
		}
	}
}

func TestTemplatesParse(t *testing.T) {
	p, err := New(Deps{})
	if err != nil {
		t.Fatal(err)
	}
	for lang, pages := range p.templates {
		for name := range pages {
			if _, _, err := p.templates.lookup(lang, name); err != nil {
				t.Errorf("%s %s: %v", lang, name, err)
			}
		}
	}
}

func TestSafeReturn(t *testing.T) {
	for raw, want := range map[string]string{
		"/account":                "/account",
		"/account?tab=sessions#x": "/account?tab=sessions#x",
		"":                        "/f",
		"//evil.example":          "/f",
		"/\\evil.example":         "/f",
		"/\t/evil.example":        "/f",
		"https://evil.example/":   "/f",
		"javascript:alert(1)":     "/f",
		"evil.example":            "/f",
		"/%0a/evil":               "/%0a/evil",
		"/account\n":              "/f",
		"http:/evil.example":      "/f",
		"/ok/../../x":             "/ok/../../x",
	} {
		if got := safeReturn(raw, "/f"); got != want {
			t.Errorf("safeReturn(%q) = %q, want %q", raw, got, want)
		}
	}
}

func TestContrast(t *testing.T) {
	if c := contrast("#000000", "#ffffff"); c < 20.9 || c > 21.1 {
		t.Errorf("black on white = %v, want 21", c)
	}
	if contrast(defaultAccent, "#ffffff") < 4.5 {
		t.Errorf("the default accent must read on white")
	}
	if contrast("#ffff00", "#ffffff") >= 4.5 {
		t.Errorf("yellow must not pass on white")
	}
}

func TestInternalErrorPage(t *testing.T) {
	p, err := New(Deps{})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/account", nil)
	ctx, causes := iam.WithCauses(req.Context())
	p.WriteError(rec, req.WithContext(ctx), iam.Internal(errors.New("database on fire at 10.0.0.7")))
	body := rec.Body.String()
	if rec.Code != http.StatusInternalServerError || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("an internal error answers %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if strings.Contains(body, "on fire") || strings.Contains(body, "10.0.0.7") {
		t.Errorf("the page shows the cause: %s", body)
	}
	for _, want := range []string{"Something went wrong on our side. Nothing was changed.", "Try again in a moment", `href="/account"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if causes() == nil {
		t.Error("the cause is not kept for the log")
	}
}
